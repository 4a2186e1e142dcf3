"""Where the node publishes county boundaries, entries take their county from the polygon
that contains them, and reverse geocoding says so."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import shapely
import shapely.geometry

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.services.search import PlacesService, Query
from mapnode.services.search.text import has_han
from mapnode.store import VersionedStore
from tests.search import data
from tests.search.test_search import source
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


def datav_counties() -> dict[str, Any]:
    """Code → polygon of the DataV counties (WGS84 copy)."""
    return {str(f["properties"]["adcode"]): shapely.geometry.shape(f["geometry"])
            for f in json.loads(COUNTIES.read_text())["features"]}


def test_without_boundaries_seats_of_recoded_and_merged_counties_count(places: Any) -> None:
    """No boundary layer: the county is the nearest seat's. Seats listed under a retired code
    (临安市 330185) or of a merged county (下城区, now 拱墅区) still mark their area: points
    by them lie in 临安区 and 拱墅区 (DataV polygons), and reverse geocoding says so."""
    polygons = datav_counties()
    div = places.service.gazetteer.divisions
    xiacheng = next(p for c, *p in div.extra_seats if c == "330105")
    for code, (lon, lat) in (("330112", div.get("330112").seat), ("330105", xiacheng)):
        around = [(lon + dx, lat + dy) for dx in (-0.004, 0.0, 0.004) for dy in (-0.004, 0.0, 0.004)]
        inside = [p for p in around if polygons[code].contains(shapely.Point(p))]
        assert len(inside) >= 5
        for point in inside:
            r = places.service.reverse(Actor.anonymous(), *point)
            assert r["admin_how"] == "seat" and r["admin"][-1]["code"] == code, (code, point)


def test_without_boundaries_a_county_search_finds_places_put_across_its_border(
        places: Any) -> None:
    """No boundary layer: places near a border carry the county of a nearer seat. Searching a
    name exactly within the county that really holds the place (its DataV polygon) finds it
    in a neighbouring county by seat when the county itself has no place of that name."""
    counties = list(datav_counties().items())
    svc = places.service
    pois = [p for p in source(places.files["poi_points"]) if p.get("name")
            and p["geometry"].geom_type == "Point"]
    uses = Counter(p["name"] for p in pois)
    tried = 0
    for p in pois:
        if uses[p["name"]] != 1:
            continue
        true = [c for c, g in counties if g.contains(p["geometry"])]
        text = svc.keyword(p["name"], required=True)
        hits = svc.search(Actor.anonymous(), Query(text=text, kinds=("poi",), limit=1)).hits
        if len(true) != 1 or not hits or hits[0].admin_code == true[0] \
                or hits[0].match != "exact":
            continue
        found = svc.search(Actor.anonymous(), Query(text=text, kinds=("poi",), admin=true[0],
                                                   limit=1)).hits
        assert found and found[0].key == hits[0].key, (p["name"], true[0])
        if len(p["name"]) >= 4 and has_han(p["name"]):  # one wrong character: still found
            typo = svc.keyword(p["name"][0] + "囗" + p["name"][2:], required=True)
            found = svc.search(Actor.anonymous(), Query(text=typo, kinds=("poi",),
                                                       admin=true[0], limit=5)).hits
            assert hits[0].key in [h.key for h in found], (p["name"], true[0])
        tried += 1
        if tried == 8:
            break
    assert tried >= 3
