"""Tolerance on both backends with real data: pinyin with a place-type word the name lacks
(hangzhou dongzhan for the station 杭州东), homophone divisions, traditional characters and
divisions written with their parents (杭州市西湖區)."""

from __future__ import annotations

import json
from collections import Counter

from mapnode.model import Actor
from mapnode.services.search import Query
from mapnode.services.search.text import pinyin_of
from tests.search.conftest import Loaded

PUBLIC = Actor.anonymous()


def first(places: Loaded, text: str, **kw: object) -> object:
    svc = places.service
    page = svc.search(PUBLIC, Query(text=svc.keyword(text, required=True), limit=5, **kw))
    assert page.hits, text
    return page.hits[0]


def test_station_pinyin_with_zhan(places: Loaded) -> None:
    feats = json.loads(places.files["stations"].read_text())["features"]
    names = sorted({f["properties"]["name"] for f in feats if f["properties"].get("name")
                    and len(f["properties"]["name"]) >= 3})
    keys = Counter(pinyin_of(n)[0] for n in names)
    tried = 0
    for name in names:
        key = pinyin_of(name)[0]
        if keys[key] > 1 or name.endswith("站"):
            continue
        for typed in (f"{key}zhan", " ".join([key, "zhan"]).title()):
            hit = first(places, typed)
            assert hit.name == name, (typed, hit.name)
        tried += 1
    assert tried >= 5


def test_pinyin_division_names(places: Loaded) -> None:
    for typed, code in (("xihu", "330106"), ("Xi Hu", "330106"), ("hangzhou", "330100"),
                        ("shantou", "440500")):
        hit = first(places, typed)
        assert hit.kind == "admin" and hit.admin_code == code, (typed, hit.name)


def test_traditional_and_parent_qualified_divisions(places: Loaded) -> None:
    for typed in ("杭州市西湖區", "杭州西湖区", "浙江省杭州市西湖区", "杭州市西湖区"):
        hit = first(places, typed)
        assert hit.kind == "admin" and hit.admin_code == "330106" and hit.match == "exact", \
            (typed, hit.name, hit.match)
    svc = places.service
    road = svc.geocode(PUBLIC, "杭州市西湖區文三路")
    assert road.level == "road" and road.name == "文三路"
    county = svc.geocode(PUBLIC, "浙江省杭州市西湖區")
    assert county.level == "county" and county.admin_code == "330106"
