"""A small real city for the portal tests, on each backend: West Lake roads and amenities
(public, OSM attribution), the same roads again as a government layer, then one edit
changeset (a road renamed, an amenity deleted, real 滨江 roads added) so history has a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from shapely.geometry import Point
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Changeset, Edition, LayerMeta
from mapnode.store import VersionedStore
from tests.conftest import BACKENDS
from tests.store import hz
from tests.support.backends import backend_store
from tests.support.browser import DEMO_LAYERS, DemoServer, serve_demo

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


# ---------------------------------------------------------------------- browser tests
RENAMED = "南山路（门户测试改名）"
ADDED = "门户测试新增咖啡馆"
ADDED_AT = (120.1585, 30.2445)  # on the lake shore, inside WEST_LAKE_EAST
WEST_LAKE_EAST = (120.15, 30.24, 120.17, 30.26)
ADMIN = ("admin_provinces", "admin_cities", "admin_counties")


@dataclass
class PortalServer:
    demo: DemoServer
    deleted: str  # name of the deleted POI

    @property
    def url(self) -> str:
        return self.demo.url


def edit_demo(store: VersionedStore) -> str:
    """One changeset at West Lake: rename a 南山路 way, delete a named POI, add a café."""
    system = Actor.system()
    road = next(f for f in store.features(system, "roads", bbox=WEST_LAKE_EAST)
                if f.properties.get("name") == "南山路")
    gone = next(f for f in store.features(system, "poi_points", bbox=WEST_LAKE_EAST)
                if f.properties.get("name") and f.properties.get("amenity"))
    cs = Changeset("editor", "门户测试编辑 / portal test edit")
    cs.update("roads", road.fid, road.version, road.geometry, {**road.properties, "name": RENAMED})
    cs.delete("poi_points", gone.fid, gone.version)
    cs.insert("poi_points", "portal-test-1", Point(*ADDED_AT), {"name": ADDED, "amenity": "cafe"})
    assert store.apply(hz.editor(), cs) is not None
    return str(gone.properties["name"])


@pytest.fixture(scope="module", params=BACKENDS)
def portal_server(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """mapnode over the demo map layers and the relief imagery, with 审图号 and operator set,
    after one edit; the place index is built before any browser arrives."""
    env = {"MAPNODE_MAP_REVIEW_NUMBER": REVIEW, "MAPNODE_OPERATOR": OPERATOR}
    with serve_demo(request.param, tmp_path_factory.mktemp(f"portal-{request.param}"),
                    layers=(*DEMO_LAYERS, *ADMIN, "relief"), env=env) as demo:
        deleted = edit_demo(demo.store)
        r = httpx.get(f"{demo.url}/api/suggest", params={"q": "西湖"}, timeout=600)
        assert r.status_code == 200, r.text
        yield PortalServer(demo, deleted)
