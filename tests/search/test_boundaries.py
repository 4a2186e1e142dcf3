"""Where the node publishes county boundaries, entries take their county from the polygon
that contains them, and reverse geocoding says so."""

from __future__ import annotations

from pathlib import Path

import shapely

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.services.search import PlacesService, Query
from mapnode.store import VersionedStore
from tests.search import data
from tests.support.data import SHARED_DATA

# DataV county polygons converted to WGS84 (no licence stated: test data only)
COUNTIES = SHARED_DATA / "admin_boundaries_datav" / "gd_zj_counties_wgs84.geojson"


def test_county_codes_come_from_published_boundaries(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=("admin_provinces", "admin_cities", "admin_counties",
                                             "admin_seats", "poi_points"))
    import_file(store, system, COUNTIES, ImportOptions(layer="admin_boundaries", key="adcode",
                                                       repair=True))
    svc = PlacesService(store)
    svc.gazetteer.catch_up()
    polygons = {str(f.properties["adcode"]): f.geometry
                for f in store.features(system, "admin_boundaries")}
    page = svc.search(Actor.anonymous(), Query(kinds=("poi",), bbox=data.BOX, limit=100))
    assert page.hits
    for hit in page.hits:
        assert hit.info["admin_how"] == "boundary"
        assert polygons[hit.admin_code].covers(shapely.Point(hit.lon, hit.lat))
    west_lake = svc.reverse(Actor.anonymous(), 120.14, 30.245)
    assert west_lake["admin_how"] == "boundary"
    assert west_lake["admin"][-1]["code"] == "330106"  # 西湖 lies in 西湖区
