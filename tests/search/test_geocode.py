"""Suggest, geocode and reverse geocode on both backends with real Hangzhou data."""

from __future__ import annotations

from collections import Counter

import numpy as np
import shapely

from mapnode.model import Actor
from mapnode.services.search import Query
from mapnode.services.search.text import normalise
from mapnode.store.base import metric_distances
from tests.search.conftest import Loaded
from tests.search.test_search import named_pois, source

PUBLIC = Actor.anonymous()


def test_suggest_prefix_pinyin_initials_traditional(places: Loaded) -> None:
    svc = places.service
    for typed in ("hz", "hangzhou", "hangz", "杭州"):
        out = svc.suggest(PUBLIC, svc.keyword(typed, required=True))
        assert out and out[0]["text"] == "杭州市" and out[0]["admin_code"] == "330100", typed
    prefix = svc.suggest(PUBLIC, svc.keyword("文三", required=True), limit=20)
    assert prefix and all(s["match"] in ("exact", "alias", "prefix") for s in prefix[:3])
    assert svc.suggest(PUBLIC, svc.keyword("溫州", required=True))[0]["text"] == "温州市"
    assert svc.suggest(PUBLIC, svc.keyword("ST", required=True))[0]["admin_code"] == "440500"


def test_geocode_levels(places: Loaded) -> None:
    svc = places.service
    county = svc.geocode(PUBLIC, "浙江省杭州市西湖区")
    assert county.level == "county" and county.admin_code == "330106" and county.lon is not None
    roads = [r for r in source(places.files["roads"]) if r.get("name")]
    # a road name that occurs in the slice, with the admin code its entry got
    name = Counter(r["name"] for r in roads if r["name"].endswith("路")).most_common(1)[0][0]
    hit = svc.search(PUBLIC, svc.check_query(__import__("mapnode.services.search", fromlist=["Query"])
                                            .Query(text=name, kinds=("road",), limit=1))).hits[0]
    code = hit.admin_code
    district = svc.gazetteer.divisions.full_name(code)
    result = svc.geocode(PUBLIC, f"{district}{name}")
    assert result.level == "road" and result.name == name and result.confidence > 0.5
    poi_names = {p["name"] for p in named_pois(places)}
    also_poi = sorted({r["name"] for r in roads if r["name"] in poi_names})
    assert also_poi  # e.g. 文三路: a road and a bus stop of that name
    assert svc.geocode(PUBLIC, f"杭州市{also_poi[0]}").level == "road"
    geoms = shapely.union_all([r["geometry"] for r in roads if r["name"] == name])
    assert geoms.distance(shapely.Point(result.lon, result.lat)) < 1e-6
    poi = next(p for p in named_pois(places) if p["name"].endswith("医院") and len(p["name"]) >= 5)
    found = svc.geocode(PUBLIC, f"杭州市{poi['name']}")
    assert found.level == "poi" and found.name == poi["name"]
    assert shapely.Point(found.lon, found.lat).distance(poi["geometry"]) < 1e-6
    fuzzy = svc.geocode(PUBLIC, f"杭州市{poi['name'][:2]}囗{poi['name'][3:]}")
    assert fuzzy.level == "poi" and fuzzy.name == poi["name"] and fuzzy.confidence < found.confidence


def test_geocode_door_number(places: Loaded) -> None:
    svc = places.service
    with_door = [p for p in named_pois(places)
                 if str(p.get("addr:street") or "").endswith(("路", "街", "巷", "大道"))
                 and str(p.get("addr:housenumber") or "").removesuffix("号").isdigit()]
    assert len(with_door) >= 5
    for p in with_door[:5]:
        number = str(p["addr:housenumber"]).removesuffix("号")
        result = svc.geocode(PUBLIC, f"杭州市{p['addr:street']}{number}号")
        assert result.level == "door", (p["addr:street"], number, result)
        point = shapely.Point(result.lon, result.lat)
        same = [q for q in with_door if q["addr:street"] == p["addr:street"]
                and str(q["addr:housenumber"]).removesuffix("号") == number]
        assert min(point.distance(q["geometry"]) for q in same) < 1e-6


def test_reverse(places: Loaded) -> None:
    svc = places.service
    poi = named_pois(places)[len(named_pois(places)) // 2]
    lon, lat = poi["geometry"].x, poi["geometry"].y
    r = svc.reverse(PUBLIC, lon, lat, 1000)
    assert r["poi"]["distance_m"] == 0.0
    assert [a["level"] for a in r["admin"]][:3] == ["province", "city", "county"]
    assert r["admin"][1]["name"] == "杭州市" and r["admin_how"] in ("seat", "boundary")
    roads = [x for x in source(places.files["roads"]) if x.get("name")]
    d = metric_distances(lon, lat, [x["geometry"] for x in roads])
    nearest = roads[int(np.argmin(d))]
    assert r["road"]["name"] == nearest["name"]
    assert abs(r["road"]["distance_m"] - float(d.min())) < 0.5
    assert r["formatted_address"].startswith("浙江省杭州市")
    assert poi["name"] in r["formatted_address"]


def test_exact_road_names_are_what_a_road_search_calls_exact(places: Loaded) -> None:
    """The parser's road lookup (a set of names) agrees with a search among roads on every
    name and on substrings of names, the way the parser asks."""
    svc = places.service
    version = (svc.gazetteer.indexed_seq(), places.store.state().catalogue)
    names = svc.searcher.exact_names(PUBLIC, "road", version)
    roads = sorted({r["name"] for r in source(places.files["roads"]) if r.get("name")})
    assert len(names) > 50 and {normalise(n) for n in roads} <= names
    asked = roads[::7] + [n[:k] for n in roads[::11] for k in (2, 3) if len(n) > k] + \
        [n[1:] for n in roads[::13]] + ["杭州市", "西湖", "不存在的路名"]
    for text in asked:
        hits = svc.searcher.search(PUBLIC, Query(text=normalise(text), kinds=("road",), limit=1,
                                                 fuzzy=False)).hits
        assert (normalise(text) in names) == bool(hits and hits[0].match == "exact"), text
    assert svc.searcher.exact_names(Actor.system(), "road", version) >= names
