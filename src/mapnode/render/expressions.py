"""MapLibre style expressions → values at a zoom, and → mapnik filter expressions.

The subset the renderer understands (the one mapnode.styles uses):
- zoom functions: `["interpolate", ["linear"|["exponential", b]], ["zoom"], z, v, …]` (numbers
  and colours) and `["step", ["zoom"], v0, z1, v1, …]`; legacy `{"stops": [[z, v], …]}`;
- data: `["get", f]`, `["has", f]`, `["match", input, labels, out, …, default]`,
  `["case", cond, out, …, default]`, `["coalesce", …]` (first of get), `==`, `!=`, `<`, `<=`,
  `>`, `>=`, `all`, `any`, `!`, `["in", x, ["literal", [...]]]`, `["literal", v]`.
Data-driven values (`match`/`case` on properties) become mapnik rules with filters
(`branches`); anything else raises `InvalidParameter`, naming the expression.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

from mapnode.errors import InvalidParameter

Branches = list[tuple[str | None, Any]]  # (mapnik filter or None for "always", value)


def unsupported(expr: Any) -> InvalidParameter:
    return InvalidParameter("不支持的样式表达式", "unsupported style expression",
                            {"expression": str(expr)[:200]})


def at_zoom(value: Any, zoom: float) -> Any:
    """Evaluate every zoom function inside `value` at `zoom`; data expressions stay."""
    if isinstance(value, dict) and "stops" in value:
        stops = value["stops"]
        return _interpolate(value.get("base", 1.0), [(s[0], s[1]) for s in stops], zoom)
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        return value
    op = value[0]
    if op == "interpolate" and value[2] == ["zoom"]:
        kind = value[1]
        base = kind[1] if kind[0] == "exponential" else 1.0
        pairs = [(value[i], at_zoom(value[i + 1], zoom)) for i in range(3, len(value), 2)]
        return _interpolate(base, pairs, zoom)
    if op == "step" and value[1] == ["zoom"]:
        out = at_zoom(value[2], zoom)
        for i in range(3, len(value), 2):
            if zoom >= value[i]:
                out = at_zoom(value[i + 1], zoom)
        return out
    if op == "literal":
        return value[1]
    return [op, *(at_zoom(v, zoom) for v in value[1:])]


def _interpolate(base: float, pairs: list[tuple[float, Any]], zoom: float) -> Any:
    if zoom <= pairs[0][0]:
        return pairs[0][1]
    for (z0, v0), (z1, v1) in itertools.pairwise(pairs):
        if zoom <= z1:
            if base == 1.0:
                t = (zoom - z0) / (z1 - z0)
            else:
                t = (base ** (zoom - z0) - 1) / (base ** (z1 - z0) - 1)
            return _mix(v0, v1, t)
    return pairs[-1][1]


def _mix(a: Any, b: Any, t: float) -> Any:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a + (b - a) * t
    ca, cb = parse_colour(a), parse_colour(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_colour(text: Any) -> tuple[int, int, int]:
    m = _HEX.fullmatch(str(text))
    if not m:
        raise unsupported(text)
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def is_data(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and value[0] in ("match", "case")


def branches(value: Any) -> Branches:
    """A property value as (mapnik filter, value) pairs, in order (the first that matches
    wins, as in the expression); a constant is one branch with no filter."""
    if not is_data(value):
        return [(None, value)]
    out: Branches = []
    taken: list[str] = []
    if value[0] == "match":
        subject = operand(value[1])
        for i in range(2, len(value) - 1, 2):
            labels = value[i] if isinstance(value[i], list) else [value[i]]
            cond = _or([f"({subject} = {literal(v)})" for v in labels])
            out.append((_and([*(f"not {t}" for t in taken), cond]), value[i + 1]))
            taken.append(cond)
    else:
        for i in range(1, len(value) - 1, 2):
            cond = filter_expr(value[i])
            out.append((_and([*(f"not {t}" for t in taken), cond]), value[i + 1]))
            taken.append(cond)
    out.append((_and([f"not {t}" for t in taken]) if taken else None, value[-1]))
    return out


def combine(props: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """Every combination of the branches of data-driven properties: (filter, values)."""
    names = list(props)
    out = []
    for combo in itertools.product(*(branches(props[n]) for n in names)):
        filters = [f for f, _ in combo if f]
        out.append((_and(filters) if filters else None,
                    {n: v for n, (_, v) in zip(names, combo, strict=True)}))
    return out


def literal(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        if not math.isfinite(v):
            raise unsupported(v)
        return repr(v)
    if v is None:
        return "null"
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"


def field(name: Any) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[^\[\]'\"\\]+", name):
        raise unsupported(name)
    return f"[{name}]"


def operand(expr: Any) -> str:
    if isinstance(expr, list) and expr and expr[0] == "get" and len(expr) == 2:
        return field(expr[1])
    if isinstance(expr, list) and expr and expr[0] == "literal":
        return literal(expr[1])
    if isinstance(expr, list):
        raise unsupported(expr)
    return literal(expr)


_CMP = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def filter_expr(expr: Any) -> str:
    """A boolean style expression as a mapnik filter expression."""
    if expr is True:
        return "true"
    if expr is False:
        return "false"
    if not isinstance(expr, list) or not expr:
        raise unsupported(expr)
    op = expr[0]
    if op in _CMP and len(expr) == 3:
        return f"({operand(expr[1])} {_CMP[op]} {operand(expr[2])})"
    if op == "has":
        return f"({field(expr[1])} != null)"
    if op == "!has":
        return f"({field(expr[1])} = null)"
    if op == "all":
        return _and([filter_expr(e) for e in expr[1:]]) if len(expr) > 1 else "true"
    if op == "any":
        return _or([filter_expr(e) for e in expr[1:]]) if len(expr) > 1 else "false"
    if op == "!":
        return f"(not {filter_expr(expr[1])})"
    if op == "in" and len(expr) == 3 and isinstance(expr[2], list) and expr[2][:1] == ["literal"]:
        subject = operand(expr[1])
        return _or([f"({subject} = {literal(v)})" for v in expr[2][1]])
    if op == "match" and len(expr) >= 5:
        return _or([f for f, v in branches(expr) if v is True and f] or ["false"])
    raise unsupported(expr)


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _or(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def text_of(field_value: Any) -> str | None:
    """`text-field` as a mapnik text expression: `["get", f]`, `["coalesce", ["get", f], …]`
    (the first field) or a "{f}" token string."""
    if isinstance(field_value, list) and field_value:
        if field_value[0] == "get":
            return field(field_value[1])
        if field_value[0] == "coalesce" and field_value[1:]:
            return text_of(field_value[1])
        if field_value[0] == "to-string":
            return text_of(field_value[1])
        raise unsupported(field_value)
    if isinstance(field_value, str):
        if "{" not in field_value:
            return literal(field_value)
        return re.sub(r"\{([^{}]+)\}", lambda m: field(m.group(1)), field_value)
    return None
