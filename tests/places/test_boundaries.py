"""Which division contains a point, from any boundary layer given to the index.

mapnode ships no boundaries; these tests use the DataV county polygons converted to WGS84 for
Guangdong and Zhejiang (no licence: read from ../shared/data in tests only)."""

from __future__ import annotations

import json

import pytest
import shapely

from mapnode.errors import NotFound
from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.places import AdminDivisions, BoundaryIndex
from mapnode.places.sources import load_nbs
from mapnode.store import VersionedStore
from tests.places.conftest import NBS, read_rows
from tests.support.data import AMENITIES_CSV, SHARED_DATA

COUNTIES = SHARED_DATA / "admin_boundaries_datav" / "gd_zj_counties_wgs84.geojson"


@pytest.fixture(scope="module")
def counties() -> dict:
    return json.loads(COUNTIES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def div_with_counties(counties: dict) -> AdminDivisions:
    div = load_nbs(NBS)
    div.attach_boundaries(BoundaryIndex.from_geojson(counties))
    return div


def test_contains_needs_boundaries() -> None:
    with pytest.raises(NotFound):
        load_nbs(NBS).contains(120.15, 30.27)


def test_each_county_contains_a_point_of_its_own(counties: dict, div_with_counties: AdminDivisions) -> None:
    checked = 0
    for feat in counties["features"]:
        code = feat["properties"]["adcode"]
        if div_with_counties.find(code) is None:
            continue  # DataV ≈2021 codes that NBS 2023 no longer has
        inside = shapely.geometry.shape(feat["geometry"]).representative_point()
        chain = div_with_counties.contains(inside.x, inside.y)
        assert chain[-1].code == div_with_counties.get(code).code
        assert chain[0].code == code[:2]
        checked += 1
    assert checked > 200


def test_outside_every_polygon(div_with_counties: AdminDivisions) -> None:
    assert div_with_counties.contains(116.40, 39.90) == ()  # Beijing: no polygons loaded


def test_osm_district_tags_agree_with_the_polygons(div_with_counties: AdminDivisions) -> None:
    """OSM POIs tagged with a current Hangzhou district name: the polygon holding the point is
    that district for nearly all. Tags with a former name (江干区, split in 2021 between 上城区
    and 钱塘区) show why a former-name alias can only point at the main successor."""
    agree = total = 0
    former = []
    for r in read_rows(AMENITIES_CSV):
        tag = r["addr:district"].strip()
        matches = div_with_counties.lookup(tag, within="3301", fuzzy=False) if tag else []
        if len(matches) != 1:
            continue
        if matches[0].how == "former":
            former.append(div_with_counties.contains(float(r["lon"]), float(r["lat"]))[-1].name)
            continue
        chain = div_with_counties.contains(float(r["lon"]), float(r["lat"]))
        total += 1
        agree += bool(chain) and chain[-1].code == matches[0].division.code
    assert total > 80
    assert agree / total > 0.95
    assert "钱塘区" in former  # 下沙 POIs still tagged 江干区


def test_boundaries_from_a_store_layer(store: VersionedStore, system: Actor) -> None:
    import_file(store, system, COUNTIES, ImportOptions(layer="counties_test", repair=True))
    index = BoundaryIndex.from_store(store, system, "counties_test", code_field="adcode")
    assert len(index) == store.count(system, "counties_test")
    hall = next(r for r in read_rows(AMENITIES_CSV) if r["name"] == "杭州市人民政府")
    assert index.containing(float(hall["lon"]), float(hall["lat"])) == ["330102"]  # 上城区
