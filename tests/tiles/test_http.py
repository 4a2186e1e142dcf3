"""The tile routes through a real HTTP client: headers, 304, empty tiles, TileJSON, bad requests
and access (a government tile never reaches a public caller)."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from starlette.testclient import TestClient

from mapnode.grids import grid
from mapnode.services.tiles import TileService
from tests.tiles.conftest import GOV_KEY, City

LAKE = (120.1417, 30.2472)


def url(tileset: str, tms: str, z: int, lon: float = LAKE[0], lat: float = LAKE[1],
        query: str = "") -> str:
    x, y = grid(tms).tile_of(lon, lat, z)
    return f"/tiles/{tileset}/{tms}/{z}/{x}/{y}.mvt{query}"


def cached_files(tiles: TileService) -> list[str]:
    return sorted(str(p.relative_to(tiles.cache.root)) for p in tiles.cache.root.rglob("*.mvt.gz"))


def test_headers_cache_and_304(client: TestClient, city: City) -> None:
    first = client.get(url("basemap", "w", 14))
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["x-cache"] == "miss"
    assert first.headers["cache-control"] == "public, no-cache"
    assert {"water", "roads", "landuse", "pois"} <= set(mapbox_vector_tile.decode(first.content))
    second = client.get(url("basemap", "w", 14))
    assert second.headers["x-cache"] == "hit" and second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    etag = first.headers["etag"]
    not_modified = client.get(url("basemap", "w", 14), headers={"If-None-Match": f'W/{etag}, "x"'})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    plain = client.get(url("basemap", "w", 14), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == second.content
    past = client.get(url("roads", "c", 15, query=f"?seq={city.loaded_seq}"))
    assert past.status_code == 200
    assert past.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert past.headers["x-seq"] == str(city.loaded_seq)


def test_empty_tiles_are_answered_but_not_stored(client: TestClient, tiles: TileService) -> None:
    for tms in ("w", "c"):
        empty = client.get(url("basemap", tms, 12, lon=0.0, lat=0.0))  # the Gulf of Guinea
        assert empty.status_code == 204 and empty.content == b""
        assert empty.headers["x-cache"] == "empty"
    assert cached_files(tiles) == []


def test_tilejson(client: TestClient) -> None:
    body = client.get("/tiles/roads/c/tilejson.json").json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"] == ["http://testserver/tiles/roads/CGCS2000Quad/{z}/{x}/{y}.mvt"]
    assert (body["minzoom"], body["crs"]) == (1, "EPSG:4490")
    layer = body["vector_layers"][0]
    assert layer["id"] == "roads" and layer["fields"]["name"] == "String"
    assert layer["fields"]["maxspeed"] == "Number"
    base = client.get("/tiles/basemap/WebMercatorQuad/tilejson.json").json()
    assert [v["id"] for v in base["vector_layers"]] == ["landuse", "water", "roads", "pois"]
    gov = client.get(f"/tiles/basemap/w/tilejson.json?tk={GOV_KEY}").json()
    assert "gov_roads" in [v["id"] for v in gov["vector_layers"]]
    # a keyed client keeps its key in the tile URLs, and they answer
    assert gov["tiles"][0].endswith(f".mvt?tk={GOV_KEY}")
    x, y = grid("w").tile_of(*LAKE, 15)
    tile_url = gov["tiles"][0].format(z=15, x=x, y=y).removeprefix("http://testserver")
    assert "gov_roads" in mapbox_vector_tile.decode(client.get(tile_url).content)


@pytest.mark.parametrize(("path", "status"), [
    ("/tiles/roads/w/25/0/0.mvt", 400),
    ("/tiles/roads/w/3/8/0.mvt", 400),
    ("/tiles/roads/w/3/0/-1.mvt", 400),
    ("/tiles/roads/c/0/0/0.mvt", 400),  # 天地图 levels start at 1
    ("/tiles/roads/c/1/0/1.mvt", 400),
    ("/tiles/roads/w/a/0/0.mvt", 400),
    ("/tiles/roads/w/1/0/0.mvt?seq=-1", 400),
    ("/tiles/roads/w/1/0/0.mvt?seq=99999", 400),
    ("/tiles/roads/w/1/0/0.mvt?seq=x", 400),
    ("/tiles/roads/w/1/0/0.mvt?seq=1&datetime=2024-01-01T00:00:00Z", 400),
    ("/tiles/roads/w/1/0/0.mvt?datetime=2024-01-01T00:00:00", 400),  # no offset
    ("/tiles/roads/w/1/0/0.mvt?datetime=yesterday", 400),
    ("/tiles/nope/w/1/0/0.mvt", 404),
    ("/tiles/roads/EPSG:9999/1/0/0.mvt", 404),
    ("/tiles/roads/w/1/0/0.gif", 404),
    ("/tiles/roads/w/1/0/0", 404),
    ("/tiles/nope/w/tilejson.json", 404),
    ("/tiles/gov_roads/w/1/0/0.mvt", 404),  # hidden from the public: not found
])
def test_bad_requests_are_problems(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["title_en"]


def test_government_tiles_never_reach_the_public(client: TestClient, tiles: TileService) -> None:
    gov = client.get(url("gov_roads", "w", 15, query=f"?tk={GOV_KEY}"))
    assert gov.status_code == 200 and gov.headers["cache-control"].startswith("private")
    assert "gov_roads" in mapbox_vector_tile.decode(gov.content)
    assert client.get(url("gov_roads", "w", 15, query=f"?tk={GOV_KEY}")).headers["x-cache"] == "hit"
    assert client.get(url("gov_roads", "w", 15)).status_code == 404  # cached, still hidden
    # the base map: the government scope's tile has the government layer, the public one not
    g_base = client.get(url("basemap", "w", 15, query=f"?tk={GOV_KEY}"))
    assert "gov_roads" in mapbox_vector_tile.decode(g_base.content)
    p_base = client.get(url("basemap", "w", 15))
    assert p_base.headers["x-cache"] == "miss"
    assert "gov_roads" not in mapbox_vector_tile.decode(p_base.content)
    assert p_base.headers["cache-control"].startswith("public")
    scopes = {f.split("/")[3] for f in cached_files(tiles)}
    assert scopes == {"public", "government"}
