"""The WMTS, static map, seed and export tests run over the tile tests' Hangzhou city store
(`city`: roads, landuse, water, amenities as public layers, `gov_roads` as a government layer),
loaded once per session into each backend; `relief` (the demo's shaded relief of China, a
GeoTIFF) is added as the imagery layer (天地图 img)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.services.tile_cache import TileCache
from mapnode.services.tiles import TileService
from tests.support.data import REPO
from tests.tiles.conftest import GOV_KEY, City
from tests.tiles.conftest import city as _city  # noqa: F401  (the session fixture)

LAKE = (120.1417, 30.2472)  # 西湖
RELIEF = REPO / "demo" / "dem_china_relief" / "china_relief.tif"


@pytest.fixture(scope="session")
def city(_city: City) -> City:  # noqa: F811
    """The city store with the imagery layer `relief` imported once."""
    if "relief" not in {m.name for m in _city.store.layers(Actor.system())}:
        import_file(_city.store, Actor.system(), RELIEF,
                    ImportOptions(layer="relief", metadata={"title_zh": "中国地势晕渲"}))
    return _city


@pytest.fixture
def tiles(city: City, tmp_path: Path) -> TileService:
    """A TileService over the city store with a fresh cache of its own."""
    return TileService(city.store, TileCache(tmp_path / "tiles"))


@pytest.fixture
def client(city: City, tiles: TileService) -> Iterator[TestClient]:
    """The HTTP app over the city store; `gov-key` is a government key."""
    settings = Settings(store=city.store.url, api_keys={GOV_KEY: {"name": "政务用户",
                                                                  "edition": "government"}})
    app = create_app(settings, store=city.store)
    app.state.tiles = tiles
    with TestClient(app) as c:
        yield c
