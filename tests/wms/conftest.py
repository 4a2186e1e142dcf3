"""Real West Lake data for the WMS tests, loaded once per session into each backend.

seq 1 public `water` (OSM water polygons around 西湖), seq 2 public `roads`, seq 3 government
`gov_pois` (2024 amenity points), seq 4 government `gov_zones` (one square on land north of
the lake); then seq 5 renames a 北山街 road and adds a square "new lake" on land east of the
lake, so TIME before seq 5 sees the old state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import pytest
import shapely
from shapely.geometry import box
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Changeset, Edition, FieldType, GeometryType, LayerMeta
from mapnode.store import VersionedStore
from mapnode.store.base import dump_props, geom_row
from mapnode.store.rows import NewRow
from tests.store import hz
from tests.support.backends import backend_store
from tests.support.data import HANGZHOU_GPKG

GOV_KEY = "gov-key"
KEYS = {GOV_KEY: {"name": "城管局", "edition": "government"}}
WATER_FIELDS = {"osm_id": FieldType.INTEGER, "fclass": FieldType.STRING,
                "name": FieldType.STRING}
NEW_LAKE = box(120.163, 30.253, 120.167, 30.257)  # land east of the lake until seq 5
GOV_ZONE = box(120.129, 30.2625, 120.133, 30.2665)  # land north of the lake (宝石山 side)
LAKE_POINT = (120.14317506488095, 30.2459835)  # inside 西湖 (representative point)
LAND_POINT = (120.165, 30.262)  # no water, away from the new lake
ROAD_NAME = "北山街"


@cache
def water() -> hz.Slice:
    names = list(WATER_FIELDS)
    geoms, values = hz._read(HANGZHOU_GPKG, "water_a", names, hz.WEST_LAKE_BOX)
    rows, seen = [], set()
    for i in range(len(geoms)):
        fid = str(values[0][i])
        while fid in seen:
            fid += "-2"
        seen.add(fid)
        rows.append(hz.Row(fid, geoms[i], {n: hz._value(values[j][i])
                                           for j, n in enumerate(names)}))
    return hz.Slice(GeometryType.POLYGON, dict(WATER_FIELDS), tuple(rows))


@dataclass
class Served:
    store: VersionedStore
    backend: str
    client: TestClient
    before: datetime  # time of seq 4: before the rename and the new lake
    renamed: str  # fid of the road renamed at seq 5


def _new(fid: str, geom: shapely.Geometry, props: dict[str, object]) -> NewRow:
    wkb, bbox = geom_row(geom)
    return NewRow(fid, wkb, bbox, dump_props(props))


def load(store: VersionedStore) -> tuple[datetime, str]:
    system = Actor.system()
    hz.load(store, system, "water", water())
    hz.load(store, system, "roads", hz.roads())
    hz.load(store, system, "gov_pois", hz.amenities(), edition=Edition.GOVERNMENT)
    with store.write(system, "gov zones", source="upload") as w:
        w.create_layer(LayerMeta("gov_zones", geometry_type=GeometryType.POLYGON,
                                 fields={"name": FieldType.STRING}, edition=Edition.GOVERNMENT,
                                 title_zh="政务 区域", title_en="government zones"))
        w.insert_rows("gov_zones", [_new("z1", GOV_ZONE, {"name": "内部区域"})])
    before = store.log_entry(system, w.seq).time
    time.sleep(1.1)
    road = hz.roads().named(ROAD_NAME)[0]
    change = (Changeset("editor", "rename a road, add a lake")
              .update("roads", road.fid, 1, road.geometry,
                      {**road.properties, "name": ROAD_NAME + "（新）"})
              .insert("water", "new-lake", NEW_LAKE, {"osm_id": None, "fclass": "water",
                                                      "name": "新湖"}))
    store.apply(system, change)
    return before, road.fid


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Served]:
    with backend_store(request.param, tmp_path_factory.mktemp("wms")) as store:
        before, renamed = load(store)
        settings = Settings(store=store.url, api_keys=KEYS)
        with TestClient(create_app(settings, store=store)) as client:
            yield Served(store, request.param, client, before, renamed)


@pytest.fixture
def client(served: Served) -> TestClient:
    return served.client
