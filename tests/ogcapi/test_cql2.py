"""CQL2 text and JSON filters over HTTP on both backends, checked against the data itself;
OR / NOT through the store's filter expression; property names only from the queryables."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import shapely

from mapnode.errors import InvalidParameter
from mapnode.model import Actor, FieldType
from mapnode.services import cql2
from mapnode.store import AttrFilter, Not, Or
from tests.ogcapi.conftest import Served

ITEMS = "/ogcapi/collections/roads/items"
Props = dict[str, Any]


def _name(p: Props) -> str:
    return p["name"] or ""


CASES: list[tuple[str, dict[str, Any], Callable[[Props], bool]]] = [
    ("name LIKE '%西湖%' AND fclass <> 'footway'",
     {"op": "and", "args": [{"op": "like", "args": [{"property": "name"}, "%西湖%"]},
                            {"op": "<>", "args": [{"property": "fclass"}, "footway"]}]},
     lambda p: "西湖" in _name(p) and p["fclass"] != "footway"),
    ("fclass = 'primary' OR fclass = 'secondary'",
     {"op": "or", "args": [{"op": "=", "args": [{"property": "fclass"}, "primary"]},
                           {"op": "=", "args": [{"property": "fclass"}, "secondary"]}]},
     lambda p: p["fclass"] in ("primary", "secondary")),
    ("NOT (fclass IN ('footway', 'service', 'residential')) AND name IS NOT NULL",
     {"op": "and", "args": [
         {"op": "not", "args": [{"op": "in", "args": [{"property": "fclass"},
                                                      ["footway", "service", "residential"]]}]},
         {"op": "not", "args": [{"op": "isNull", "args": [{"property": "name"}]}]}]},
     lambda p: p["fclass"] not in ("footway", "service", "residential") and p["name"] is not None),
    ("maxspeed BETWEEN 20 AND 60 OR (bridge = 'T' AND NOT name LIKE '%路')",
     {"op": "or", "args": [
         {"op": "between", "args": [{"property": "maxspeed"}, 20, 60]},
         {"op": "and", "args": [{"op": "=", "args": [{"property": "bridge"}, "T"]},
                                {"op": "not", "args": [{"op": "like", "args": [
                                    {"property": "name"}, "%路"]}]}]}]},
     lambda p: 20 <= p["maxspeed"] <= 60 or (p["bridge"] == "T" and p["name"] is not None
                                              and not p["name"].endswith("路"))),
    ("50 < maxspeed", {"op": ">", "args": [{"property": "maxspeed"}, 50]},
     lambda p: p["maxspeed"] > 50),
    ("name IS NULL AND code <> 5141",
     {"op": "and", "args": [{"op": "isNull", "args": [{"property": "name"}]},
                            {"op": "<>", "args": [{"property": "code"}, 5141]}]},
     lambda p: p["name"] is None and p["code"] != 5141),
]


def _ids(served: Served, params: dict[str, str]) -> set[str]:
    body = served.client.get(ITEMS, params={"limit": "5000", **params})
    assert body.status_code == 200, body.text
    return {f["id"] for f in body.json()["features"]}


@pytest.mark.parametrize("text, doc, test", CASES, ids=[c[0][:40] for c in CASES])
def test_text_and_json_select_what_the_data_says(served: Served, text: str, doc: dict[str, Any],
                                                 test: Callable[[Props], bool]) -> None:
    want = {f.fid for f in served.store.features(Actor.system(), "roads") if test(f.properties)}
    assert want
    assert _ids(served, {"filter": text}) == want
    assert _ids(served, {"filter": text, "filter-lang": "cql2-text"}) == want
    assert _ids(served, {"filter": json.dumps(doc), "filter-lang": "cql2-json"}) == want


def test_count_follows_the_expression(served: Served) -> None:
    text = CASES[3][0]
    body = served.client.get(ITEMS, params={"filter": text, "limit": "1"}).json()
    want = [f for f in served.store.features(Actor.system(), "roads") if CASES[3][2](f.properties)]
    assert body["numberMatched"] == len(want) and body["numberReturned"] == 1


def test_spatial_with_attributes_and_filter_crs(served: Served) -> None:
    box = (120.14, 30.24, 120.16, 30.26)
    inside = {f.fid: f for f in served.store.features(Actor.system(), "roads",
                                                      intersects=shapely.box(*box))}
    want = {k for k, f in inside.items() if f.properties["fclass"] == "primary"}
    assert want
    text = f"S_INTERSECTS(geometry, BBOX({box[0]},{box[1]},{box[2]},{box[3]})) AND fclass = 'primary'"
    assert _ids(served, {"filter": text}) == want
    polygon = "POLYGON(({1} {0}, {3} {0}, {3} {2}, {1} {2}, {1} {0}))".format(*box)  # lat/lon
    assert _ids(served, {"filter": f"S_INTERSECTS(geometry, {polygon}) AND fclass = 'primary'",
                         "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4490"}) == want
    doc = {"op": "and", "args": [
        {"op": "s_intersects", "args": [{"property": "geometry"},
                                        shapely.geometry.mapping(shapely.box(*box))]},
        {"op": "=", "args": [{"property": "fclass"}, "primary"]}]}
    assert _ids(served, {"filter": json.dumps(doc), "filter-lang": "cql2-json"}) == want


FIELDS = {"name": FieldType.STRING, "maxspeed": FieldType.INTEGER}


def test_parser_builds_typed_filters() -> None:
    got = cql2.parse_text("NOT (name = 'a' OR maxspeed IS NULL)", FIELDS)
    assert got.filter == Not(Or((AttrFilter("name", "eq", "a"), AttrFilter("maxspeed", "isnull"))))
    assert cql2.parse_text("\"name\" = 'it''s'", FIELDS).filter == AttrFilter("name", "eq", "it's")


@pytest.mark.parametrize("text", [
    "name = ", "nosuch = 1", "name LIKE 3", "S_INTERSECTS(geometry, POINT(1 2)) OR name = 'a'",
    "NOT S_INTERSECTS(geometry, POINT(1 2))", "name = 'a')", "'open", "NOT " * 100 + "name = 'a'",
    "POINT(1 2) = name", "S_WITHIN(geometry, POINT(1 2))", "geometry = 'a'", "name = maxspeed",
    "S_INTERSECTS(geometry, POINT(nan 1))", "S_INTERSECTS(geometry, POLYGON((1 2, 3)))",
    "UPPER(name) = 'A'", "name; DROP TABLE versions", "", "name == 'a'",
    "S_INTERSECTS(geometry, BBOX(3, 2, 1, 0))",
])
def test_bad_text_names_the_problem(text: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        cql2.parse_text(text, FIELDS)
    assert err.value.context["parameter"] == "filter"
    assert err.value.message_zh.startswith("CQL2") and err.value.message_en


@pytest.mark.parametrize("doc", [
    "{", "[]", "1", '{"op": "=", "args": [{"property": "x"}, 1]}', '{"op": "=", "args": 3}',
    '{"op": "and", "args": [true]}', '{"op": "between", "args": [{"property": "name"}, 1]}',
    '{"op": "in", "args": [{"property": "name"}, "a"]}', '{"op": "=", "args": [{"property": '
    '"name"}, null]}', '{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": '
    '"Polygon", "coordinates": [[1, 2]]}]}', '{"op": "regex", "args": []}',
    '{"op": "=", "args": [{"property": "name"}, {"a": 1}]}',
    '{"op": "not", "args": [true]} x',
])
def test_bad_json_names_the_problem(doc: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        cql2.parse_json(doc, FIELDS)
    assert err.value.context["parameter"] == "filter"


@pytest.mark.parametrize("depth", [100, 5000])
def test_deep_json_is_refused_not_crashed(depth: int) -> None:
    doc = '{"op": "not", "args": [' * depth + "true" + "]}" * depth
    with pytest.raises(InvalidParameter):
        cql2.parse_json(doc, FIELDS)
