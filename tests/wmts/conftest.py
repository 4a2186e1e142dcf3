"""The WMTS, static map, seed and export tests run over the tile tests' Hangzhou city store
(`city`: roads, landuse, water, amenities as public layers, `gov_roads` as a government layer),
loaded once per session into each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.services.tile_cache import TileCache
from mapnode.services.tiles import TileService
from tests.tiles.conftest import GOV_KEY, City, city  # noqa: F401  (the session fixture)

LAKE = (120.1417, 30.2472)  # 西湖


@pytest.fixture
def tiles(city: City, tmp_path: Path) -> TileService:  # noqa: F811
    """A TileService over the city store with a fresh cache of its own."""
    return TileService(city.store, TileCache(tmp_path / "tiles"))


@pytest.fixture
def client(city: City, tiles: TileService) -> Iterator[TestClient]:  # noqa: F811
    """The HTTP app over the city store; `gov-key` is a government key."""
    settings = Settings(store=city.store.url, api_keys={GOV_KEY: {"name": "政务用户",
                                                                  "edition": "government"}})
    app = create_app(settings, store=city.store)
    app.state.tiles = tiles
    with TestClient(app) as c:
        yield c
