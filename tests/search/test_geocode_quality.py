"""Geocoding cases that once went wrong for a general reason, on both backends with real data:
door numbers on streets that OSM names bilingually (延安路 Yan'an Road), names with brackets,
and a name whose first characters are also a division's (九堡派出所, 西湖饭店)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from mapnode.model import Actor
from mapnode.places import parse_address
from mapnode.store.base import metric_distances
from tests.search.conftest import Loaded
from tests.search.test_search import named_pois

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
