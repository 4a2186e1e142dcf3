"""Geocoding cases that once went wrong for a general reason, on both backends with real data:
door numbers on streets that OSM names bilingually (延安路 Yan'an Road) or that begin with a
division's name (上城埭), names with brackets, names whose first characters are also a
division's (九堡派出所, 西湖饭店, 清波桥河下, 朝晖), places whose county is unknown."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.places import parse_address
from mapnode.services.search import PlacesService
from mapnode.store import VersionedStore
from mapnode.store.base import metric_distances
from tests.search import data
from tests.search.conftest import Loaded
from tests.search.test_search import named_pois, source

PUBLIC = Actor.anonymous()


def han(text: str) -> str:
    return "".join(c for c in text if "\u4e00" <= c <= "\u9fff")


def close(result: Any, geom: Any, metres: float = 100.0) -> bool:
    return result.lon is not None and \
        float(metric_distances(result.lon, result.lat, [geom])[0]) <= metres


def test_door_numbers_on_bilingual_streets(places: Loaded) -> None:
    pois = named_pois(places)
    key = Counter((han(str(p.get("addr:street") or "")),
                   str(p.get("addr:housenumber") or "").removesuffix("号")) for p in pois)
    tried = 0
    for p in pois:
        street, number = str(p.get("addr:street") or ""), str(p.get("addr:housenumber") or "")
        number = number.removesuffix("号")
        if not (han(street)[-1:] in ("路", "街", "巷", "弄", "道") and street != han(street)
                and number.isdigit() and "号" not in street
                and not any(c.isdigit() for c in street)) or \
                key[(han(street), number)] != 1 or p["geometry"].geom_type != "Point":
            continue
        for typed in (f"杭州市{han(street)}{number}号", f"杭州市{street}{number}号"):
            r = places.service.geocode(PUBLIC, typed)
            assert r.level == "door" and close(r, p["geometry"]), (typed, r.level, r.name)
        tried += 1
    assert tried >= 3


def test_names_with_brackets_or_a_division_inside(places: Loaded) -> None:
    svc = places.service
    pois = [p for p in named_pois(places) if p["geometry"].geom_type == "Point"]
    uses = Counter(p["name"] for p in pois)
    div = svc.gazetteer.divisions
    bracketed = [p for p in pois if uses[p["name"]] == 1 and "(" in p["name"] and han(p["name"])]
    inside = [p for p in pois if uses[p["name"]] == 1 and len(p["name"]) >= 4 and any(
        k in ("district", "township") for k in parse_address("杭州市" + p["name"], div).components)]
    assert len(bracketed) >= 3 and len(inside) >= 3
    for p in bracketed[:8] + inside[:8]:
        r = svc.geocode(PUBLIC, "杭州市" + p["name"])
        assert r.level == "poi" and close(r, p["geometry"]), (p["name"], r.level, r.name)


def test_a_road_named_exactly_beats_a_place_that_starts_so(places: Loaded) -> None:
    from tests.search.test_search import source

    roads: dict[str, list[Any]] = {}
    for r in source(places.files["roads"]):
        if r.get("name"):
            roads.setdefault(r["name"], []).append(r["geometry"])
    names = [p["name"] for p in named_pois(places)]
    svc = places.service
    tried = 0
    for road, geoms in sorted(roads.items()):
        # a road name some place's name starts with, that the parser does not read as a road
        if han(road) != road or road[-1] in "路街巷弄道" or \
                not any(n.startswith(road) and n != road for n in names) or road in names:
            continue
        r = svc.geocode(PUBLIC, "杭州市" + road)
        assert r.level == "road" and any(close(r, g) for g in geoms), (road, r.level, r.name)
        tried += 1
    assert tried >= 1


def address_point(places: Loaded, street: str, number: str) -> Any:
    return next(p["geometry"] for p in source(places.files["poi_points"])
                if p.get("addr:street") == street
                and str(p.get("addr:housenumber")).removesuffix("号") == number)


def test_door_numbers_on_streets_the_parser_splits(places: Loaded) -> None:
    """上城埭 begins with the district name 上城 (read as 上城区 + 埭195号); the street is then
    the text between the divisions and the final number, with the division name in front."""
    r = places.service.geocode(PUBLIC, "杭州市上城埭195号")
    assert r.level == "door" and close(r, address_point(places, "上城埭", "195")), (r.level, r.name)


def test_a_township_name_alone_finds_the_place_of_that_name(places: Loaded) -> None:
    """杭州市朝晖: 朝晖 is a 街道 without a point; the station 朝晖 in its county is the answer,
    not the city's seat."""
    r = places.service.geocode(PUBLIC, "杭州市朝晖")
    assert r.level == "poi" and r.name == "朝晖" and r.admin_code == "330105", (r.level, r.name)


def test_a_road_named_after_a_township(places: Loaded) -> None:
    """清波桥河下 begins with the 街道 name 清波 and has no road ending: the rest with the
    township name in front names a road exactly."""
    r = places.service.geocode(PUBLIC, "杭州市上城区清波桥河下")
    assert r.level == "road" and r.name == "清波桥河下", (r.level, r.name)
    assert places.service.geocode(PUBLIC, "杭州市上城区清波街道").level in ("township", "county")


def test_exact_name_near_the_area_when_its_county_is_unknown(
        store: VersionedStore, system: Actor, slices: Path, tmp_path: Path) -> None:
    """A place whose county is wrong or unknown (seats are a proxy: here no county has one)
    is still found by its exact name near the area's seat, before a fuzzy match inside."""
    data.load(store, system, slices, layers=("admin_provinces", "admin_cities", "admin_counties",
                                             "poi_points"))
    seats = tmp_path / "seats.csv"
    with open(data.files(slices)["admin_seats"], encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["adcode"] == "330100000000"]
    with open(seats, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import_file(store, system, seats, ImportOptions(layer="admin_seats", key="adcode", crs="gcj02",
                                                    lon_field="longitude", lat_field="latitude"))
    svc = PlacesService(store)
    pois = [p for p in source(data.files(slices)["poi_points"]) if p.get("name")
            and p["geometry"].geom_type == "Point" and not p.get("addr:district")]
    uses = Counter(p["name"] for p in pois)
    picked = [p for p in pois if uses[p["name"]] == 1 and len(p["name"]) >= 4][:5]
    assert picked
    for p in picked:
        r = svc.geocode(PUBLIC, "杭州市" + p["name"])
        assert r.level == "poi" and close(r, p["geometry"]), (p["name"], r.level, r.name)
        assert svc.geocode(PUBLIC, "汕头市" + p["name"]).level != "poi"  # 1,000 km away


def test_names_that_begin_with_divisions_or_have_brackets_after_one(places: Loaded) -> None:
    """The parser reads the start of 大关西一社区自行车租赁点 as 大关 (街道) + 西一社区 and drops the
    brackets of 七格社区东门(二)自行车租赁点: the name is tried with every division name before
    it in front, in the text as written too."""
    svc = places.service
    div = svc.gazetteer.divisions
    pois = [p for p in named_pois(places) if p["geometry"].geom_type == "Point"]
    uses = Counter(p["name"] for p in pois)
    picked = []
    for p in pois:
        if uses[p["name"]] != 1:
            continue
        parsed = parse_address("杭州市" + p["name"], div)
        below = [k for k in ("district", "township", "community") if parsed.components.get(k)
                 and parsed.components[k].text]
        if len(below) >= 2 or (below and "(" in p["name"]):
            picked.append(p)
    assert len(picked) >= 3
    for p in picked[:10]:
        r = svc.geocode(PUBLIC, "杭州市" + p["name"])
        assert r.level == "poi" and close(r, p["geometry"]), (p["name"], r.level, r.name)
