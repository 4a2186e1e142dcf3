"""A small real city for the portal tests, on each backend: West Lake roads and amenities
(public, OSM attribution), the same roads again as a government layer, then one edit
changeset (a road renamed, an amenity deleted, real 滨江 roads added) so history has a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Changeset, Edition, LayerMeta
from mapnode.store import VersionedStore
from tests.conftest import BACKENDS
from tests.store import hz
from tests.support.backends import backend_store

OSM = "© OpenStreetMap contributors, ODbL 1.0"
GOV_KEY = "gov-key"
REVIEW = "浙S(2026)001号"
OPERATOR = "示例测绘院 / Example Surveying Institute"


@dataclass
class City:
    store: VersionedStore
    backend: str
    before_edit: int  # seq before the edit changeset
    edit: int  # seq of the edit changeset
    renamed: str  # fid of the renamed road
    new_name: str
    deleted: str  # fid of the deleted amenity
    added: list[str]  # fids of the added roads


def _layer(store: VersionedStore, name: str, data: hz.Slice, title: str,
           edition: Edition = Edition.PUBLIC, rows: tuple[hz.Row, ...] | None = None) -> int:
    with store.write(Actor.system(), f"load {name}", source="upload") as w:
        w.create_layer(LayerMeta(name, geometry_type=data.geometry_type, fields=dict(data.fields),
                                 edition=edition, title_zh=title, title_en=name,
                                 attribution=OSM, licence="ODbL-1.0"))
        w.insert_rows(name, [r.new_row() for r in (data.rows if rows is None else rows)])
    return w.seq


def load_city(store: VersionedStore, backend: str) -> City:
    roads, amenities = hz.roads(), hz.amenities()
    _layer(store, "roads", roads, "西湖道路")
    _layer(store, "amenities", amenities, "西湖设施")
    before = _layer(store, "gov_roads", roads, "政务道路", Edition.GOVERNMENT)
    road = next(r for r in roads.rows if r.properties.get("name"))
    amenity = next(r for r in amenities.rows if r.properties.get("name"))
    added = hz.elsewhere()[:3]
    new_name = road.properties["name"] + "（改）"
    cs = Changeset("editor", "改名、删除、新增 / rename, delete, add")
    cs.update("roads", road.fid, 1, road.geometry, {**road.properties, "name": new_name})
    cs.delete("amenities", amenity.fid, 1)
    for r in added:
        cs.insert("roads", r.fid, r.geometry, r.properties)
    entry = store.apply(hz.editor(), cs)
    assert entry is not None
    return City(store, backend, before, entry.seq, road.fid, new_name, amenity.fid,
                [r.fid for r in added])


@pytest.fixture(scope="module", params=BACKENDS)
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    with backend_store(request.param, tmp_path_factory.mktemp("portal")) as store:
        yield load_city(store, request.param)


@pytest.fixture(scope="module")
def client(city: City) -> Iterator[TestClient]:
    settings = Settings(store=city.store.url, map_review_number=REVIEW, operator=OPERATOR,
                        api_keys={GOV_KEY: {"name": "政务用户", "edition": "government"}})
    with TestClient(create_app(settings, store=city.store)) as c:
        yield c
