"""Attribute filters on real road attributes, checked against the data itself: eq, like on
Chinese text with 2-character queries, between / in / comparisons on integer fields, nulls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mapnode.errors import InvalidParameter
from mapnode.model import Actor, Changeset
from mapnode.store import AttrFilter, VersionedStore
from tests.store import hz


def _got(store: VersionedStore, actor: Actor, *filters: AttrFilter, **kw: Any) -> set[str]:
    return {f.fid for f in store.features(actor, "roads", filters=list(filters), **kw)}


def _want(roads: hz.Slice, test: Callable[[dict[str, Any]], bool]) -> set[str]:
    return {r.fid for r in roads.rows if test(r.properties)}


def _name(p: dict[str, Any]) -> str:
    return p["name"] or ""


@pytest.mark.parametrize("pattern, test", [
    ("%西湖%", lambda n: "西湖" in n),  # 2 characters: FTS trigram indexes miss these
    ("%北山%", lambda n: "北山" in n),
    ("西湖%", lambda n: n.startswith("西湖")),
    ("%路", lambda n: n.endswith("路")),
    ("%xihu avenue%", lambda n: "xihu avenue" in n.lower()),  # ASCII case-insensitive
    ("南山_", lambda n: len(n) == 3 and n.startswith("南山")),
])
def test_like_on_chinese_names(store: VersionedStore, system: Actor, roads: hz.Slice,
                               pattern: str, test: Callable[[str], bool]) -> None:
    expected = _want(roads, lambda p: test(_name(p)))
    assert expected, pattern
    assert _got(store, system, AttrFilter("name", "like", pattern)) == expected


def test_eq_ne_and_nulls(store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    assert _got(store, system, AttrFilter("fclass", "eq", "primary")) == _want(
        roads, lambda p: p["fclass"] == "primary")
    assert _got(store, system, AttrFilter("name", "eq", "西湖大道")) == _want(
        roads, lambda p: p["name"] == "西湖大道")
    assert _got(store, system, AttrFilter("fclass", "ne", "footway")) == _want(
        roads, lambda p: p["fclass"] != "footway")
    assert _got(store, system, AttrFilter("name", "isnull")) == _want(
        roads, lambda p: p["name"] is None)
    assert _got(store, system, AttrFilter("name", "notnull")) == _want(
        roads, lambda p: p["name"] is not None)


def test_text_compares_in_code_point_order(store: VersionedStore, system: Actor,
                                          roads: hz.Slice) -> None:
    cases: list[tuple[str, Any, Callable[[str], bool]]] = [
        ("ge", "西", lambda n: n >= "西"), ("lt", "S", lambda n: n < "S"),
        ("between", ("G", "南"), lambda n: "G" <= n <= "南")]
    for op, value, test in cases:
        expected = {r.fid for r in roads.rows
                    if r.properties["name"] is not None and test(r.properties["name"])}
        assert expected, op
        assert _got(store, system, AttrFilter("name", op, value)) == expected, op


def test_integer_comparisons_between_and_in(store: VersionedStore, system: Actor,
                                            roads: hz.Slice) -> None:
    assert _got(store, system, AttrFilter("maxspeed", "between", (20, 60))) == _want(
        roads, lambda p: 20 <= p["maxspeed"] <= 60) != set()
    assert _got(store, system, AttrFilter("maxspeed", "gt", 0)) == _want(
        roads, lambda p: p["maxspeed"] > 0)
    assert _got(store, system, AttrFilter("code", "le", "5113")) == _want(  # text coerced
        roads, lambda p: p["code"] <= 5113)
    assert _got(store, system, AttrFilter("code", "eq", 5115)) == _want(
        roads, lambda p: p["code"] == 5115)
    some = [r.properties["osm_id"] for r in roads.named("西湖")[:3]]
    assert _got(store, system, AttrFilter("osm_id", "in", [*some, "1"])) == {
        str(i) for i in some}
    assert _got(store, system, AttrFilter("osm_id", "in", [])) == set()
    assert _got(store, system, AttrFilter("osm_id", "ge", max(some))) == _want(
        roads, lambda p: p["osm_id"] >= max(some))


def test_64_bit_integers(store: VersionedStore, system: Actor) -> None:
    data = hz.amenities()  # OSM node ids of 2024 are beyond 2^32
    hz.load(store, system, "amenities", data)
    ids = sorted(r.properties["osmid"] for r in data.rows)
    big = ids[-5]
    assert big > 2**32
    got = {f.fid for f in store.features(system, "amenities",
                                         filters=[AttrFilter("osmid", "ge", big)])}
    assert got == {str(i) for i in ids[-5:]}
    exact = store.features(system, "amenities", filters=[AttrFilter("osmid", "eq", ids[-1])])
    assert [f.properties["osmid"] for f in exact] == [ids[-1]]


def test_filters_combine_with_each_other_bbox_and_count(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    box = (120.14, 30.24, 120.16, 30.26)
    filters = [AttrFilter("name", "like", "%路%"), AttrFilter("fclass", "in",
                                                             ["secondary", "tertiary"])]
    got = _got(store, system, *filters, bbox=box)
    expected = {r.fid for r in roads.rows if "路" in _name(r.properties)
                and r.properties["fclass"] in ("secondary", "tertiary")
                and r.geometry.bounds[0] <= box[2] and r.geometry.bounds[2] >= box[0]
                and r.geometry.bounds[1] <= box[3] and r.geometry.bounds[3] >= box[1]}
    assert got == expected != set()
    assert store.count(system, "roads", bbox=box, filters=filters) == len(expected)


def test_filters_read_the_version_valid_at_the_seq(store: VersionedStore, system: Actor,
                                                   roads: hz.Slice) -> None:
    row = roads.named("北山街")[0]
    store.apply(system, Changeset("t").update("roads", row.fid, 1, row.geometry,
                                              {**row.properties, "maxspeed": 40}))
    limit = [AttrFilter("maxspeed", "eq", 40)]
    assert row.fid in _got(store, system, *limit)
    assert row.fid not in _got(store, system, *limit, as_of=1)


def test_bad_filters_name_the_field(store: VersionedStore, system: Actor,
                                    roads: hz.Slice) -> None:
    with pytest.raises(InvalidParameter) as err:
        _got(store, system, AttrFilter("no_such_field", "eq", 1))
    assert err.value.context["field"] == "no_such_field"
    with pytest.raises(InvalidParameter) as err:
        _got(store, system, AttrFilter("maxspeed", "eq", "fast"))
    assert err.value.context["field"] == "maxspeed"
    with pytest.raises(InvalidParameter):
        _got(store, system, AttrFilter("name", "regex", ".*"))
