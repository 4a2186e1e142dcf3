"""The tile cache follows the log: publishing an edit removes exactly the cached tiles its bbox
touches, at every level, for the tilesets that hold the edited layer; the rest stay hits."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import shapely
from starlette.testclient import TestClient

from mapnode.grids import grid
from mapnode.model import Actor, Changeset
from mapnode.services.tile_cache import MARGIN_PX
from mapnode.services.tiles import TileService
from tests.tiles.conftest import City, editor

NANSHAN_ROAD = "589384551"  # 南山路
OFFSET = np.array([0.0004, 0.0002])  # about 45 m north-east


def test_an_edit_invalidates_only_the_tiles_it_touches(client: TestClient, city: City,
                                                       tiles: TileService) -> None:
    store, public = city.store, Actor.anonymous()
    road = store.feature(public, "roads", NANSHAN_ROAD)
    mid = road.geometry.interpolate(0.5, normalized=True)
    requests = []
    for tms, z in (("w", 14), ("w", 17), ("c", 16)):
        g = grid(tms)
        cx, cy = g.tile_of(mid.x, mid.y, z)
        for tileset in ("roads", "basemap", "water"):
            requests += [(tileset, tms, z, x, y) for x in range(cx - 2, cx + 2)
                         for y in range(cy - 2, cy + 2)]

    def fetch() -> dict[tuple[str, str, int, int, int], tuple[str, bytes]]:
        out = {}
        for ts, tms, z, x, y in requests:
            r = client.get(f"/tiles/{ts}/{tms}/{z}/{x}/{y}.mvt")
            assert r.status_code in (200, 204)
            out[(ts, tms, z, x, y)] = (r.headers["x-cache"], r.content)
        return out

    fetch()
    before = fetch()
    assert {c for c, data in before.values() if data} == {"hit"}
    moved = shapely.transform(road.geometry, lambda xy: xy + OFFSET)
    entry = store.apply(editor(), Changeset("t", "move 南山路").update(
        "roads", NANSHAN_ROAD, road.version, moved, road.properties))
    assert entry is not None
    try:
        bbox = entry.layers["roads"].bbox
        assert bbox is not None
        after = fetch()
        for key, (status, data) in after.items():
            ts, tms, z, x, y = key
            if not data:
                assert status == "empty"
                continue
            x0, y0, x1, y1 = grid(tms).tile_range(bbox, z, MARGIN_PX)
            touched = ts != "water" and x0 <= x <= x1 and y0 <= y <= y1
            assert status == ("miss" if touched else "hit"), key
            if data != before[key][1]:
                assert touched, key  # only re-made tiles can differ
                layers = mapbox_vector_tile.decode(data)
                lonlat = shapely.box(*grid(tms).lonlat_bounds(z, x, y)).buffer(1e-4)
                assert (lonlat.intersects(road.geometry) or lonlat.intersects(moved)), key
                assert "roads" in layers
        changed = {k for k in after if after[k][1] != before[k][1]}
        for tms, z in (("w", 14), ("w", 17), ("c", 16)):
            x, y = grid(tms).tile_of(moved.interpolate(0.5, normalized=True).x,
                                     moved.interpolate(0.5, normalized=True).y, z)
            assert ("roads", tms, z, x, y) in changed
            assert ("basemap", tms, z, x, y) in changed
        assert {c for c, _ in fetch().values() if c != "empty"} == {"hit"}
    finally:
        store.undo(editor(), entry.seq)


def test_follower_survives_a_restart_and_skips_unknown_caches(city: City,
                                                              tiles: TileService) -> None:
    """A new TileCache on the same directory resumes from the recorded seq."""
    public = Actor.anonymous()
    g = grid("w")
    x, y = g.tile_of(120.15, 30.25, 15)
    assert tiles.tile(public, "roads", "w", 15, x, y).cache == "miss"
    assert tiles.tile(public, "roads", "w", 15, x, y).cache == "hit"
    again = TileService(city.store, type(tiles.cache)(tiles.cache.root))
    assert again.tile(public, "roads", "w", 15, x, y).cache == "hit"
    (tiles.cache.root / "seq").unlink()  # what was followed is unknown: start again
    fresh = TileService(city.store, type(tiles.cache)(tiles.cache.root))
    assert fresh.tile(public, "roads", "w", 15, x, y).cache == "miss"
