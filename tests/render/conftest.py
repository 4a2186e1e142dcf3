"""A Hangzhou city store for the rendering tests, once per session on each backend: the
tile tests' city (OSM landuse, water, roads and amenities of 2019/2024 as public layers, a
government copy of the West Lake roads) plus two raster layers imported from real GeoTIFFs
(the China DEM, MIT, and the Landsat RGB sample, CC0). Tests that edit it undo their edits."""

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
from tests.support.backends import backend_store
from tests.support.data import DEM, RASTERS
from tests.tiles.conftest import GOV_KEY, City, _load

__all__ = ["GOV_KEY", "City"]


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    with backend_store(request.param, tmp_path_factory.mktemp("render-city")) as store:
        _load(store)
        system = Actor.system()
        import_file(store, system, DEM / "china_dem_0p2deg.tif", ImportOptions(layer="dem"))
        report = import_file(store, system, RASTERS / "RGB.byte.tif", ImportOptions(layer="landsat"))
        yield City(store, request.param, int(report.seq))  # type: ignore[arg-type]


@pytest.fixture
def tiles(city: City, tmp_path: Path) -> TileService:
    return TileService(city.store, TileCache(tmp_path / "tiles"))


@pytest.fixture
def client(city: City, tiles: TileService) -> Iterator[TestClient]:
    settings = Settings(store=city.store.url, api_keys={GOV_KEY: {"name": "政务用户",
                                                                  "edition": "government"}})
    app = create_app(settings, store=city.store)
    app.state.tiles = tiles
    with TestClient(app) as c:
        yield c
