"""Hot tiles answered by the fast path (`http.fast_tiles`) before the middleware stack: the same
status, headers and bytes as the normal routes, and access exactly as the auth middleware
resolves it (a government tile never reaches a public or an invalid key)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pytest
import shapely
from starlette.routing import Match
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.grids import grid
from mapnode.http.app import MapnodeApp, create_app
from mapnode.http.fast_tiles import FastTiles
from mapnode.model import Actor, Changeset
from mapnode.services.tile_cache import TileCache
from mapnode.services.tiles import TileService
from tests.tiles.conftest import GOV_KEY, City, editor

LAKE = (120.1417, 30.2472)
KEYS = {GOV_KEY: {"name": "政务用户", "edition": "government"}}


def xy(tms: str, z: int) -> tuple[int, int]:
    return grid(tms).tile_of(*LAKE, z)


def tile_urls() -> list[str]:
    (x14, y14), (xc, yc) = xy("w", 14), xy("c", 15)
    return [f"/tiles/basemap/w/14/{x14}/{y14}.mvt",
            f"/tiles/roads/c/15/{xc}/{yc}.pbf",
            f"/tiles/gov_roads/w/14/{x14}/{y14}.mvt?tk={GOV_KEY}",
            f"/tiles/water/WebMercatorQuad/14/{x14}/{y14}.png",
            f"/wmts/1.0.0/basemap/default/WebMercatorQuad/14/{y14}/{x14}.mvt",
            f"/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
            f"&TILEMATRIXSET=w&TILEMATRIX=14&TILEROW={y14}&TILECOL={x14}&FORMAT=tiles"]


@pytest.fixture
def apps(city: City, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, FastTiles]]:
    """The app with and without the fast path, over one TileService (so one memory). The
    follow interval is long, so only commits decide when memory may not answer."""
    service = TileService(city.store, TileCache(tmp_path / "tiles", interval=3600))
    fast_app = create_app(Settings(store=city.store.url, api_keys=KEYS), store=city.store)
    slow_app = create_app(Settings(store=city.store.url, api_keys=KEYS, tile_fast_path=False),
                          store=city.store)
    fast_app.state.tiles = slow_app.state.tiles = service
    assert isinstance(fast_app, MapnodeApp) and fast_app.fast_tiles is not None
    with TestClient(fast_app) as fast, TestClient(slow_app) as slow:
        yield fast, slow, fast_app.fast_tiles


@pytest.mark.parametrize("url", tile_urls())
def test_a_hot_tile_is_the_same_from_both_paths(apps: tuple[TestClient, TestClient, FastTiles],
                                                url: str) -> None:
    fast, slow, fast_tiles = apps
    assert slow.get(url).headers["x-cache"] in ("miss", "hit")
    plain = {"Accept-Encoding": "identity"}
    for headers in ({"Accept-Encoding": "gzip"}, plain, None):
        reference = slow.get(url, headers=headers)
        assert reference.status_code == 200 and reference.headers["x-cache"] == "hit"
        before = fast_tiles.served
        got = fast.get(url, headers=headers)
        mvt_plain = headers == plain and reference.headers["content-type"].endswith("tile")
        assert fast_tiles.served == before + (0 if mvt_plain else 1)  # un-gzip: normal path
        assert got.status_code == reference.status_code
        assert got.headers.multi_items() == reference.headers.multi_items()
        assert got.content == reference.content
    etag = reference.headers["etag"]
    before = fast_tiles.served
    not_modified = fast.get(url, headers={"If-None-Match": f'"x", W/{etag}'})
    assert fast_tiles.served == before + 1
    reference = slow.get(url, headers={"If-None-Match": f'"x", W/{etag}'})
    assert not_modified.status_code == reference.status_code == 304
    assert not_modified.headers.multi_items() == reference.headers.multi_items()
    assert not_modified.content == b""


def test_the_fast_path_resolves_access_as_the_middleware(
        apps: tuple[TestClient, TestClient, FastTiles]) -> None:
    fast, _, fast_tiles = apps
    x, y = xy("w", 15)
    gov, base = f"/tiles/gov_roads/w/15/{x}/{y}.mvt", f"/tiles/basemap/w/15/{x}/{y}.mvt"
    for _ in range(2):
        g = fast.get(gov, headers={"X-API-Key": GOV_KEY})
        assert g.status_code == 200 and g.headers["cache-control"].startswith("private")
    before = fast_tiles.served
    assert fast.get(gov, headers={"Authorization": f"Bearer {GOV_KEY}"}).status_code == 200
    assert fast.get(f"{gov}?tk={GOV_KEY}").status_code == 200
    assert fast_tiles.served == before + 2  # hot for every way of giving the key
    # the government tile is hot: a public caller still gets 404, an unknown key 401
    assert fast.get(gov).status_code == 404
    for bad in ({"X-API-Key": "nope"}, {"Authorization": "Bearer nope"}):
        assert fast.get(gov, headers=bad).status_code == 401
    assert fast.get(f"{gov}?tk=nope", headers={"X-API-Key": GOV_KEY}).status_code == 401
    assert fast_tiles.served == before + 2
    # the base map: each scope gets its own hot tile
    for _ in range(2):
        gov_base = fast.get(base, headers={"X-API-Key": GOV_KEY})
    assert "gov_roads" in mapbox_vector_tile.decode(gov_base.content)
    before = fast_tiles.served
    public = fast.get(base)
    assert public.headers["x-cache"] == "miss" and fast_tiles.served == before
    assert "gov_roads" not in mapbox_vector_tile.decode(public.content)
    public = fast.get(base)
    assert fast_tiles.served == before + 1 and public.headers["cache-control"].startswith("public")
    assert "gov_roads" not in mapbox_vector_tile.decode(public.content)
    assert fast.get(base, headers={"X-API-Key": "nope"}).status_code == 401
    assert fast.get(base + "?tk=").status_code == 200  # an empty tk is no key, as in auth.py


def test_past_states_and_head_take_the_normal_path(
        apps: tuple[TestClient, TestClient, FastTiles], city: City) -> None:
    fast, _, fast_tiles = apps
    x, y = xy("w", 14)
    url = f"/tiles/roads/w/14/{x}/{y}.mvt"
    fast.get(url)
    before = fast_tiles.served
    past = fast.get(f"{url}?seq={city.loaded_seq}")
    assert past.headers["cache-control"].endswith("immutable")
    assert fast.get(f"{url}?seq=x").status_code == 400
    assert fast.head(url).status_code == 200
    assert fast_tiles.served == before


@pytest.mark.parametrize("url", tile_urls())
def test_fast_urls_are_the_tile_routes_urls(url: str, city: City) -> None:
    """The fast path takes only URLs whose first matching route is a tile route."""
    app = create_app(Settings(store=city.store.url), store=city.store)
    path = url.partition("?")[0]
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "",
             "query_string": b"", "headers": []}
    first = next(r for r in app.routes if r.matches(scope)[0] is Match.FULL)
    assert getattr(first, "path", "") in ("/tiles/{tileset}/{tms}/{z}/{x}/{tile}",
                                          "/wmts/1.0.0/{layer}/{style}/{tms}/{matrix}/{row}/{col}",
                                          "/{shape}/wmts")


def test_after_a_commit_an_untouched_hot_tile_is_still_served_fast(
        apps: tuple[TestClient, TestClient, FastTiles], city: City) -> None:
    """A commit makes memory wait for the follower's next look; the fast path takes that look
    itself (once, for every waiting request) and answers from memory, with the new seq."""
    fast, _, fast_tiles = apps
    x, y = xy("w", 15)
    url = f"/tiles/roads/w/15/{x}/{y}.mvt"
    fast.get(url)
    assert fast.get(url).headers["x-cache"] == "hit"
    public = Actor.anonymous()
    poi = next(iter(city.store.features(public, "pois", bbox=(120.20, 30.19, 120.21, 30.20))))
    moved = shapely.transform(poi.geometry, lambda xy: xy + 0.0001)
    entry = city.store.apply(editor(), Changeset("t", "move a point in 滨江").update(
        "pois", poi.fid, poi.version, moved, poi.properties))
    assert entry is not None
    try:
        before = fast_tiles.served
        r = fast.get(url)
        assert fast_tiles.served == before + 1
        assert r.headers["x-cache"] == "hit" and r.headers["x-seq"] == str(entry.seq)
    finally:
        city.store.undo(editor(), entry.seq)
