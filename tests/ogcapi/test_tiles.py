"""OGC API Tiles: tile matrix sets, dataset and collection tilesets, MVT tiles by
tileMatrix/tileRow/tileCol in every grid, past states, access, and errors as problem JSON."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import morecantile
import pytest

from mapnode.grids import grid
from mapnode.model import Actor
from tests.ogcapi.conftest import GOV_KEY, Served

WEST_LAKE = (120.15, 30.25)
OGC = "/ogcapi"


def _decode(data: bytes) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return {name: layer["features"] for name, layer in mapbox_vector_tile.decode(raw).items()}


def _item_template(body: dict) -> str:  # type: ignore[type-arg]
    (link,) = [link for link in body["links"] if link["rel"] == "item"]
    assert link["templated"] is True
    assert link["type"] == "application/vnd.mapbox-vector-tile"
    return str(link["href"])


def test_landing_and_conformance_advertise_tiles(served: Served) -> None:
    landing = served.client.get(OGC + "/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes" in rels
    conf = served.client.get(OGC + "/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conf


def test_tile_matrix_sets_match_the_grids(served: Served) -> None:
    listing = served.client.get(OGC + "/tileMatrixSets").json()
    assert {t["id"] for t in listing["tileMatrixSets"]} == {
        "WebMercatorQuad", "CGCS2000Quad", "WorldCRS84Quad"}
    web = served.client.get(OGC + "/tileMatrixSets/WebMercatorQuad").json()
    # a standard client library reads the document and finds the same tile as mapnode
    tms = morecantile.TileMatrixSet.model_validate(web)
    t = tms.tile(*WEST_LAKE, 14)
    assert (t.x, t.y) == grid("w").tile_of(*WEST_LAKE, 14)
    c = served.client.get(OGC + "/tileMatrixSets/CGCS2000Quad").json()
    assert c["crs"].endswith("/EPSG/0/4490")
    first = c["tileMatrices"][0]
    # 天地图 level 1: 2×1 tiles of 0.703125°, origin (lat 90, lon -180) in EPSG:4490 axis order
    assert first["id"] == "1"
    assert (first["matrixWidth"], first["matrixHeight"]) == (2, 1)
    assert first["cellSize"] == pytest.approx(0.703125)
    assert first["pointOfOrigin"] == [90.0, -180.0]
    assert served.client.get(OGC + "/tileMatrixSets/Nope").status_code == 404


@pytest.mark.parametrize("tms", ["WebMercatorQuad", "CGCS2000Quad", "WorldCRS84Quad"])
def test_collection_tile_by_template_holds_the_roads_under_it(served: Served, tms: str) -> None:
    client = served.client
    tilesets = client.get(OGC + "/collections/roads/tiles").json()["tilesets"]
    (entry,) = [t for t in tilesets if t["links"][0]["href"].endswith("/" + tms)]
    meta = client.get(entry["links"][0]["href"]).json()
    assert meta["dataType"] == "vector"
    assert [layer["id"] for layer in meta["layers"]] == ["roads"]
    g = grid(tms)
    z = 15 if tms != "WorldCRS84Quad" else 14
    x, y = g.tile_of(*WEST_LAKE, z)
    url = (_item_template(meta).replace("{tileMatrix}", str(z)).replace("{tileRow}", str(y))
           .replace("{tileCol}", str(x)))
    r = client.get(url)
    assert r.status_code == 200, r.text
    roads = _decode(r.content)["roads"]
    assert roads and all("fclass" in f["properties"] for f in roads)
    assert any(f["properties"].get("name") for f in roads)
    # the same tile as the /tiles route (same cache, same bytes)
    same = client.get(f"/tiles/roads/{tms}/{z}/{x}/{y}.mvt")
    assert same.content == r.content


def test_dataset_tiles_hide_government_layers_from_the_public(served: Served) -> None:
    g = grid("w")
    x, y = g.tile_of(120.16, 30.27, 14)
    url = f"{OGC}/tiles/WebMercatorQuad/14/{y}/{x}"
    public = served.client.get(url)
    assert public.status_code == 200
    assert "amenities" not in _decode(public.content)
    gov = served.client.get(url, params={"tk": GOV_KEY})
    assert "amenities" in _decode(gov.content)
    meta = served.client.get(f"{OGC}/tiles/WebMercatorQuad").json()
    assert "amenities" not in {layer["id"] for layer in meta["layers"]}
    assert served.client.get(f"{OGC}/collections/amenities/tiles").status_code == 404
    keyed = served.client.get(f"{OGC}/collections/amenities/tiles", params={"tk": GOV_KEY})
    assert keyed.status_code == 200
    assert all("tk=" in t["links"][0]["href"] for t in keyed.json()["tilesets"])


def test_datetime_shows_the_tile_as_it_was(served: Served) -> None:
    renamed = served.store.feature(Actor.system(), "roads", served.renamed)
    lon, lat = renamed.geometry.representative_point().coords[0]
    x, y = grid("w").tile_of(lon, lat, 16)
    url = f"{OGC}/collections/roads/tiles/WebMercatorQuad/16/{y}/{x}"
    now = {f["properties"].get("name") for f in _decode(served.client.get(url).content)["roads"]}
    then = served.client.get(url, params={"datetime": served.before.isoformat()})
    before = {f["properties"].get("name") for f in _decode(then.content)["roads"]}
    assert "北山街（新）" in now and "北山街（新）" not in before
    assert "北山街" in before


@pytest.mark.parametrize(("path", "status"), [
    ("/collections/roads/tiles/WebMercatorQuad/30/0/0", 400),
    ("/collections/roads/tiles/WebMercatorQuad/2/0/9", 400),
    ("/collections/roads/tiles/WebMercatorQuad/a/0/0", 400),
    ("/collections/roads/tiles/Nope/2/0/0", 404),
    ("/collections/nope/tiles/WebMercatorQuad/2/0/0", 404),
    ("/collections/roads/tiles/WebMercatorQuad/2/0/0?f=png", 400),
    ("/collections/roads/tiles/WebMercatorQuad/2/0/0?bogus=1", 400),
    ("/tiles/CGCS2000Quad/0/0/0", 400),
])
def test_bad_tile_requests_are_problems(served: Served, path: str, status: int) -> None:
    r = served.client.get(OGC + path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
