"""MapLibre expressions → values at a zoom and mapnik filters (the subset the style uses);
every filter made is parsed by mapnik itself."""

from __future__ import annotations

import pytest

from mapnode.errors import InvalidParameter
from mapnode.render import expressions as ex
from mapnode.render.env import mapnik


def test_zoom_functions() -> None:
    lin = ["interpolate", ["linear"], ["zoom"], 10, 1.0, 14, 5.0]
    assert [ex.at_zoom(lin, z) for z in (8, 10, 12, 14, 18)] == [1.0, 1.0, 3.0, 5.0, 5.0]
    exp = ["interpolate", ["exponential", 2], ["zoom"], 10, 0.0, 12, 3.0]
    assert ex.at_zoom(exp, 11) == pytest.approx(1.0)  # (2^1 - 1) / (2^2 - 1) of the way
    step = ["step", ["zoom"], "a", 12, "b", 15, "c"]
    assert [ex.at_zoom(step, z) for z in (11, 12, 14.9, 15)] == ["a", "b", "b", "c"]
    colour = ["interpolate", ["linear"], ["zoom"], 0, "#000000", 10, "#ffffff"]
    assert ex.at_zoom(colour, 5) == "#808080"
    assert ex.at_zoom({"stops": [[0, 1], [10, 11]]}, 5) == 6
    nested = ["match", ["get", "k"], "a", lin, 0]
    assert ex.at_zoom(nested, 12) == ["match", ["get", "k"], "a", 3.0, 0]


def test_match_branches_are_exclusive_and_parse() -> None:
    m = mapnik()
    value = ["match", ["get", "fclass"], ["forest", "wood"], "#0f0", ["park"], "#9f9", "#eee"]
    branches = ex.branches(value)
    assert [v for _, v in branches] == ["#0f0", "#9f9", "#eee"]
    for flt, _ in branches:
        assert flt is not None
        m.Expression(flt)  # mapnik parses it
    assert "not" in branches[1][0] and "'forest'" in branches[1][0]
    case = ["case", ["has", "name"], 1, 0]
    assert [v for _, v in ex.branches(case)] == [1, 0]
    assert ex.branches(5) == [(None, 5)]


@pytest.mark.parametrize("expr", [
    ["match", ["get", "fclass"], ["primary", "trunk"], True, False],
    ["all", ["has", "name"], ["!", ["==", ["get", "fclass"], "x'y"]]],
    ["any", ["<", ["get", "n"], 3], [">=", ["get", "n"], 10.5]],
    ["in", ["get", "k"], ["literal", ["a", "b"]]],
    ["!=", ["get", "name"], ""],
])
def test_filters_parse_in_mapnik(expr: list[object]) -> None:
    mapnik().Expression(ex.filter_expr(expr))


@pytest.mark.parametrize("expr", [
    ["within", {"type": "Polygon"}], ["get", "a", "b"], ["==", ["zoom"], 3],
    ["match", ["get", "a]"], ["x"], True, False],
])
def test_unsupported_expressions_are_invalid_parameters(expr: list[object]) -> None:
    with pytest.raises(InvalidParameter):
        ex.filter_expr(expr)


def test_text_fields() -> None:
    assert ex.text_of(["get", "name"]) == "[name]"
    assert ex.text_of(["coalesce", ["get", "name"], ["get", "ref"]]) == "[name]"
    assert ex.text_of("{ref}") == "[ref]"
    assert ex.text_of("it's") == "'it\\'s'"
