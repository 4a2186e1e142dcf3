"""Search on both backends with real Hangzhou data: ranking, short queries, tolerance, area
filters, paging, counts and hostile input. Expectations are computed from the source slices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from opencc import OpenCC

from mapnode.model import Actor
from mapnode.services.search import Query
from mapnode.services.search.text import normalise
from tests.search.conftest import Loaded

PUBLIC = Actor.anonymous()


def source(path: Path) -> list[dict[str, Any]]:
    feats = json.loads(path.read_text())["features"]
    return [{**f["properties"], "geometry": shapely.from_geojson(json.dumps(f["geometry"]))}
            for f in feats]


def named_pois(places: Loaded) -> list[dict[str, Any]]:
    return [p for p in source(places.files["poi_points"]) if p.get("name")]


def search(places: Loaded, text: str | None = None, **kw: Any) -> Any:
    svc = places.service
    q = Query(text=svc.keyword(text, required=False), **kw)
    return svc.search(PUBLIC, q)


def names(hit: Any) -> list[str]:
    return [normalise(n) for n in [hit.name, *hit.info.get("names", [])]]


def test_exact_before_prefix_before_contains(places: Loaded) -> None:
    for text in ("文三路", "杭州", "浙江大学", "西湖"):
        page = search(places, text, limit=100)
        tiers = [("exact", "alias", "prefix", "contains", "fuzzy").index(h.match) for h in page.hits]
        assert tiers == sorted(tiers), text
        exact = [h for h in page.hits if normalise(h.name) == text]
        assert not exact or page.hits[0].match == "exact"
        for h in page.hits:
            if h.match in ("exact", "prefix"):
                assert any(n.startswith(text) for n in names(h)), (text, h.name)


def test_two_character_queries_find_every_name_containing_them(places: Loaded) -> None:
    page = search(places, "西湖", limit=100)
    found = {h.name for h in page.hits}
    expected = {p["name"] for p in named_pois(places) if "西湖" in p["name"]}
    assert expected and expected <= found
    assert page.hits[0].name == "西湖区" and page.hits[0].admin_code == "330106"
    shantou = search(places, "汕头", limit=10).hits
    assert shantou[0].name == "汕头市" and shantou[0].admin_code == "440500"
    one = search(places, "湖", limit=100)
    assert one.total >= page.total and all(any("湖" in n for n in names(h)) for h in one.hits)


def test_one_wrong_or_missing_character(places: Loaded) -> None:
    pool = sorted({p["name"] for p in named_pois(places)
                   if len(p["name"]) >= 5 and all("\u4e00" <= c <= "\u9fff" for c in p["name"])})
    tried = 0
    for name in pool[::max(1, len(pool) // 8)][:8]:
        wrong = name[:2] + "囗" + name[3:]
        missing = name[:2] + name[3:]
        for query in (wrong, missing):
            page = search(places, query, limit=10)
            assert name in [h.name for h in page.hits], (query, name, [h.name for h in page.hits])
        tried += 1
    assert tried >= 5


def test_traditional_characters(places: Loaded) -> None:
    to_trad = OpenCC("s2t")
    pool = [p["name"] for p in named_pois(places) if to_trad.convert(p["name"]) != p["name"]]
    assert len(pool) >= 5
    for name in pool[:5]:
        page = search(places, to_trad.convert(name), limit=20)
        assert name in [h.name for h in page.hits]


def test_bbox_near_admin_polygon_category(places: Loaded) -> None:
    box = (120.15, 30.25, 120.17, 30.27)
    page = search(places, "银行", bbox=box, limit=100)
    assert page.hits
    for h in page.hits:
        assert shapely.box(*h.bbox).intersects(shapely.box(*box))
    near = search(places, "医院", point=(120.16, 30.26), radius_m=1500, limit=100)
    assert near.hits
    assert all(h.distance_m <= 1500 for h in near.hits)
    by_tier: dict[str, list[float]] = {}
    for h in near.hits:
        by_tier.setdefault(h.match, []).append(h.distance_m)
    assert all(d == sorted(d) for d in by_tier.values())
    xihu = search(places, "学", admin="330106", limit=100)
    assert xihu.total > 0 and all(h.admin_code.startswith("330106") for h in xihu.hits)
    poly = shapely.Polygon([(120.12, 30.24), (120.18, 30.24), (120.15, 30.29)])
    inside = search(places, None, polygon=poly, limit=100)
    assert inside.total > 0 and all(poly.covers(shapely.Point(h.lon, h.lat)) for h in inside.hits)
    hospitals = search(places, None, categories=("hospital",), kinds=("poi",), limit=100)
    expected = [p for p in named_pois(places) if p.get("amenity") == "hospital"]
    assert hospitals.total == len(expected)
    assert {h.name for h in hospitals.hits} == {p["name"] for p in expected[:100]} or \
        hospitals.total > 100


def test_paging_and_counts(places: Loaded) -> None:
    first = search(places, "路", limit=10, offset=0)
    second = search(places, "路", limit=10, offset=10)
    both = search(places, "路", limit=20, offset=0)
    assert first.total == second.total == both.total > 20
    assert [h.key for h in first.hits + second.hits] == [h.key for h in both.hits]
    svc = places.service
    page = svc.search(PUBLIC, Query(text="路", limit=1), with_counts=True)
    assert sum(page.counts.values()) == page.total
    assert all(len(code) == 6 for code in page.counts)
    in_city = svc.search(PUBLIC, Query(text="路", admin="3301", limit=1), with_counts=True)
    assert set(in_city.counts) <= {c for c in page.counts if c.startswith("3301")}


def test_injection_and_syntax_are_plain_text(places: Loaded) -> None:
    before = places.store.query("SELECT COUNT(*) FROM search_entries")[0][0]
    for text in ("'; DROP TABLE search_entries; --", "%", "_", "\"", "'", "*", "NEAR(", "a OR b",
                 "\\", "西湖\"*", "' OR '1'='1"):
        page = search(places, text, limit=50)
        key = normalise(text)
        for h in page.hits:
            if h.match != "fuzzy" and h.kind != "admin":
                assert any(key in n for n in names(h)), (text, h.name)
    assert places.store.query("SELECT COUNT(*) FROM search_entries")[0][0] == before
    assert all("%" in h.name for h in search(places, "%", limit=50).hits)
