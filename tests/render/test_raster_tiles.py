"""Raster tiles over HTTP on both backends: formats and @2x, ETag/304, empty transparent
tiles, TileJSON, past states (`seq=`), cache invalidation by an edit, access, bad requests."""

from __future__ import annotations

import io

import numpy as np
import pytest
import shapely
from PIL import Image
from starlette.testclient import TestClient

from mapnode.grids import grid
from mapnode.model import Actor, Changeset
from mapnode.services.raster_tiles import META
from mapnode.services.tile_cache import MARGIN_PX
from mapnode.services.tiles import TileService
from tests.render.conftest import GOV_KEY, City
from tests.render.pixels import rgba
from tests.tiles.conftest import editor

LAKE = (120.1417, 30.2472)
NANSHAN_ROAD = "589384551"  # 南山路
OFFSET = np.array([0.0004, 0.0002])  # about 45 m north-east


def url(tileset: str, tms: str, z: int, lon: float = LAKE[0], lat: float = LAKE[1],
        ext: str = "png", query: str = "") -> str:
    x, y = grid(tms).tile_of(lon, lat, z)
    return f"/tiles/{tileset}/{tms}/{z}/{x}/{y}.{ext}{query}"


@pytest.mark.parametrize(("ext", "media", "size"), [
    ("png", "image/png", 256), ("jpg", "image/jpeg", 256), ("jpeg", "image/jpeg", 256),
    ("webp", "image/webp", 256), ("png", "image/png", 512)])
def test_formats_headers_and_304(client: TestClient, ext: str, media: str, size: int) -> None:
    for tms in ("w", "c"):
        path = url("basemap", tms, 15, ext=ext)
        if size == 512:
            path = path.replace(".png", "@2x.png")
        first = client.get(path)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == media
        assert "content-encoding" not in first.headers
        assert first.headers["x-cache"] == "miss"
        assert Image.open(io.BytesIO(first.content)).size == (size, size)
        second = client.get(path)
        assert second.headers["x-cache"] == "hit" and second.content == first.content
        etag = second.headers["etag"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_tilesets_and_empty_tiles(client: TestClient, tiles: TileService) -> None:
    labels = client.get(url("labels", "c", 16))
    img = rgba(labels.content)
    assert labels.status_code == 200 and (img[..., 3] == 0).mean() > 0.5  # transparent
    # nothing to label in the Gulf of Guinea: a real, fully transparent PNG, not stored
    for tileset in ("labels", "roads", "landsat"):
        empty = client.get(url(tileset, "w", 12, lon=0.0, lat=0.0))
        assert empty.status_code == 200 and empty.headers["x-cache"] == "empty"
        assert (rgba(empty.content)[..., 3] == 0).all()
    # imagery: the DEM over China in both grids; the Landsat layer over the Bahamas
    for tms in ("w", "c"):
        dem = rgba(client.get(url("imagery", tms, 6, lon=105.0, lat=33.0)).content)
        assert len({tuple(p) for p in dem.reshape(-1, 4)[::5]}) > 20
        scene = client.get(url("landsat", tms, 9, lon=-77.8, lat=24.6))
        assert scene.headers["x-cache"] == "miss" and (rgba(scene.content)[..., 3] > 0).mean() > 0.5
    # a miss stores its metatile's other tiles too, but never an empty one
    stored = [p for p in tiles.cache.root.rglob("*") if p.is_file() and p.name != "seq"]
    assert len(stored) >= 5
    assert all((rgba(p.read_bytes())[..., 3] > 0).any() for p in stored)


def test_tilejson_for_raster_tilesets(client: TestClient) -> None:
    body = client.get("/tiles/labels/c/tilejson.json?tk=" + GOV_KEY).json()
    assert body["tiles"] == ["http://testserver/tiles/labels/CGCS2000Quad/{z}/{x}/{y}.png?tk="
                             + GOV_KEY]
    assert body["format"] == "png" and body["crs"] == "EPSG:4490" and "vector_layers" not in body
    jpg = client.get("/tiles/basemap/w/tilejson.json?format=jpg").json()
    assert jpg["tiles"][0].endswith("/tiles/basemap/WebMercatorQuad/{z}/{x}/{y}.jpg")
    assert client.get("/tiles/basemap/w/tilejson.json").json()["vector_layers"]
    assert client.get("/tiles/dem/w/tilejson.json").json()["format"] == "png"
    assert client.get("/tiles/basemap/w/tilejson.json?format=gif").status_code == 404


def test_past_state_and_cache_invalidation(client: TestClient, city: City) -> None:
    """Move 南山路 45 m: the raster tiles within the margin of its old and new bbox are made
    again and show it moved; the others stay cached and unchanged; `seq=` still shows the old
    road."""
    store, public = city.store, Actor.anonymous()
    feature = store.feature(public, "roads", NANSHAN_ROAD)
    mid = feature.geometry.centroid
    before_seq = store.current_seq()
    requests = []
    for tms, z in (("w", 16), ("c", 16)):
        cx, cy = grid(tms).tile_of(mid.x, mid.y, z)
        for tileset in ("basemap", "labels", "water"):
            requests += [(tileset, tms, z, x, y) for x in range(cx - 2, cx + 2)
                         for y in range(cy - 2, cy + 2)]

    def fetch(query: str = "") -> dict[tuple[str, str, int, int, int], tuple[str, bytes]]:
        out = {}
        for ts, tms, z, x, y in requests:
            r = client.get(f"/tiles/{ts}/{tms}/{z}/{x}/{y}.png{query}")
            assert r.status_code == 200, r.text
            out[(ts, tms, z, x, y)] = (r.headers["x-cache"], r.content)
        return out

    before = fetch()
    assert {c for c, _ in fetch().values()} <= {"hit", "empty"}
    moved = shapely.transform(feature.geometry, lambda xy: xy + OFFSET)
    entry = store.apply(editor(), Changeset("t", "move 南山路").update(
        "roads", NANSHAN_ROAD, feature.version, moved, feature.properties))
    assert entry is not None
    try:
        bbox = entry.layers["roads"].bbox
        assert bbox is not None
        after = fetch()
        changed = 0
        for key, (status, data) in after.items():
            ts, tms, z, x, y = key
            x0, y0, x1, y1 = grid(tms).tile_range(bbox, z, MARGIN_PX)
            touched = ts != "water" and x0 <= x <= x1 and y0 <= y <= y1
            if not touched:
                assert status in ("hit", "empty"), key
            elif status != "empty":  # re-made: by itself, or with a neighbour's metatile
                assert status in ("miss", "hit"), key
            if data != before[key][1]:
                assert touched, key
                changed += 1
        x, y = grid("w").tile_of(moved.centroid.x, moved.centroid.y, 16)
        assert after[("basemap", "w", 16, x, y)][1] != before[("basemap", "w", 16, x, y)][1]
        assert changed >= 4
        # the past state: as it was before the edit, pixel for pixel
        past = fetch(f"?seq={before_seq}")
        for key, (_, data) in past.items():
            assert np.array_equal(rgba(data), rgba(before[key][1])), key
    finally:
        store.undo(editor(), entry.seq)


def test_government_layers_never_reach_the_public(client: TestClient, city: City,
                                                  tiles: TileService) -> None:
    road = city.store.feature(Actor.anonymous(), "roads", NANSHAN_ROAD).geometry
    lon, lat = road.interpolate(0.5, normalized=True).coords[0]
    assert client.get(url("gov_roads", "w", 16, lon, lat)).status_code == 404
    gov = client.get(url("gov_roads", "w", 16, lon, lat, query=f"?tk={GOV_KEY}"))
    assert gov.status_code == 200 and gov.headers["cache-control"].startswith("private")
    assert (rgba(gov.content)[..., 3] > 0).any()
    assert client.get(url("gov_roads", "w", 16, lon, lat)).status_code == 404  # still hidden
    g_base = client.get(url("basemap", "w", 16, lon, lat, query=f"?tk={GOV_KEY}"))
    p_base = client.get(url("basemap", "w", 16, lon, lat))
    assert p_base.headers["x-cache"] == "miss" and g_base.content != p_base.content
    scopes = {p.relative_to(tiles.cache.root).parts[3] for p in tiles.cache.root.rglob("*.gz")}
    assert scopes == {"public", "government"}


@pytest.mark.parametrize(("path", "status"), [
    ("/tiles/basemap/w/25/0/0.png", 400),
    ("/tiles/basemap/w/3/8/0.png", 400),
    ("/tiles/basemap/c/0/0/0.png", 400),
    ("/tiles/basemap/w/1/0/0@3x.png", 400),
    ("/tiles/basemap/w/1/0/0@2x.mvt", 400),
    ("/tiles/basemap/w/1/0/0.png?seq=99999", 400),
    ("/tiles/basemap/w/1/0/0.gif", 404),
    ("/tiles/labels/w/1/0/0.mvt", 404),
    ("/tiles/imagery/w/1/0/0.pbf", 404),
    ("/tiles/nope/w/1/0/0.png", 404),
    ("/tiles/gov_roads/w/1/0/0.png", 404),
    ("/tiles/basemap/EPSG:9999/1/0/0.png", 404),
    ("/styles/nope.json", 404),
    ("/styles/basemap", 404),
])
def test_bad_requests_are_problems(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["title_en"]


def test_world_crs84_quad_tiles_are_drawn_in_lonlat(client: TestClient) -> None:
    from mapnode.styles import palette
    from tests.render.pixels import near, tile_pixel

    g, z = grid("WorldCRS84Quad"), 14
    x, y = g.tile_of(*LAKE, z)
    r = client.get(f"/tiles/basemap/WorldCRS84Quad/{z}/{x}/{y}.png")
    assert r.status_code == 200
    col, row = tile_pixel(g, z, x, y, *LAKE)
    assert near(rgba(r.content), palette.WATER)[int(row), int(col)]


@pytest.mark.parametrize("tms", ["w", "c"])
def test_labels_continue_across_tile_edges(client: TestClient, tms: str) -> None:
    """Where a label touches a tile's right or bottom edge, the neighbour goes on with it:
    always inside a metatile (one image cut in two); across a metatile's edge labels are kept
    off it (mapnik's avoid-edges), except the text under a POI icon, which mapnik's shield
    placement does not check, so a few such pixels may be cut there."""
    g, z = grid(tms), 16
    cx, cy = g.tile_of(120.1625, 30.2575, z)  # 湖滨: dense road and POI labels
    got = {(x, y): rgba(client.get(f"/tiles/labels/{tms}/{z}/{x}/{y}.png").content)[..., 3]
           for x in range(cx - 2, cx + 2) for y in range(cy - 2, cy + 2)}
    counts = {True: [0, 0], False: [0, 0]}  # inside a metatile? → [edge, near]
    for (x, y), alpha in got.items():
        for other, mine, theirs, inside in (
                (got.get((x + 1, y)), alpha[:, -1], "left", (x + 1) % META != 0),
                (got.get((x, y + 1)), alpha[-1, :], "top", (y + 1) % META != 0)):
            if other is None:
                continue
            side = other[:, 0] if theirs == "left" else other[0, :]
            beside = (side > 0) | np.roll(side > 0, 1) | np.roll(side > 0, -1)
            counts[inside][0] += int((mine > 128).sum())
            counts[inside][1] += int(((mine > 128) & beside).sum())
    (edge, near), (outer, outer_near) = counts[True], counts[False]
    assert edge > 20 and near >= 0.99 * edge, counts  # a glyph may end exactly at the edge
    assert near + outer_near >= 0.9 * (edge + outer), counts
