"""Real Hangzhou data for the tile tests, loaded once per session into each backend.

`city` holds the whole OSM roads, landuse and water of Hangzhou (2019) and the 2024 amenity
points as public layers, plus a small government layer. Tests that edit it restore what they
changed or only rely on features they do not touch; each test gets its own tile cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Edition, FieldType, GeometryType, LayerMeta
from mapnode.services.tile_cache import TileCache
from mapnode.services.tiles import TileService
from mapnode.store import VersionedStore
from tests.store import hz
from tests.support.backends import backend_store
from tests.support.data import HANGZHOU_GPKG

POLY_FIELDS = {"osm_id": FieldType.INTEGER, "code": FieldType.INTEGER,
               "fclass": FieldType.STRING, "name": FieldType.STRING}
CITY_BOX = (119.9, 30.05, 120.5, 30.5)  # 杭州 city and its surroundings
GOV_KEY = "gov-key"


def fid_of(feature: dict[str, Any]) -> str:
    """A decoded MVT feature's fid: its `fid` attribute, else its id (see mapnode.mvt)."""
    return str(feature["properties"].get("fid", feature.get("id")))


@cache
def polygons(layer: str) -> hz.Slice:
    names = list(POLY_FIELDS)
    geoms, values = hz._read(HANGZHOU_GPKG, layer, names, CITY_BOX)
    rows, seen = [], set()
    for i in range(len(geoms)):
        fid = str(values[0][i])
        while fid in seen:  # a few OSM ids appear twice (multipolygon parts)
            fid += "-2"
        seen.add(fid)
        rows.append(hz.Row(fid, geoms[i], {n: hz._value(values[j][i])
                                           for j, n in enumerate(names)}))
    return hz.Slice(GeometryType.POLYGON, dict(POLY_FIELDS), tuple(rows))


@dataclass
class City:
    store: VersionedStore
    backend: str
    loaded_seq: int


def _load(store: VersionedStore) -> int:
    system = Actor.system()
    hz.load(store, system, "landuse", polygons("landuse_a"))
    hz.load(store, system, "water", polygons("water_a"))
    hz.load(store, system, "roads", hz.roads(CITY_BOX))
    hz.load(store, system, "pois", hz.amenities(CITY_BOX))
    # a government layer: the West Lake roads again, under another name
    return hz.load(store, system, "gov_roads", hz.roads(), edition=Edition.GOVERNMENT)


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    with backend_store(request.param, tmp_path_factory.mktemp("city")) as store:
        yield City(store, request.param, _load(store))


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


def editor() -> Actor:
    return hz.editor()


__all__ = ["City", "LayerMeta"]
