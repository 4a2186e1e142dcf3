"""Attribute filters as typed values. Every protocol (OGC API, CQL2, FES, the native API)
parses into these; backends compile them to parameterised SQL. A field name is never
evaluated: it is looked up in the layer's schema before any SQL is built.

`And`, `Or` and `Not` combine filters into an expression (CQL2 needs OR and NOT); the store
compiles an expression once, in base.py, for both backends. A plain sequence of filters
passed to a read is still a conjunction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapnode.errors import InvalidParameter
from mapnode.model.layer import FieldType

OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


@dataclass(frozen=True)
class AttrFilter:
    """`field op value`. Ops: eq ne lt le gt ge like in between isnull notnull."""

    field: str
    op: str
    value: Any = None

    def to_sql(self, expr: str, ftype: FieldType, like: str = "LIKE ?") -> tuple[str, list[Any]]:
        """SQL for `expr` (the typed property value); `like` is the backend's LIKE operator."""
        if self.op in OPS:
            return f"{expr} {OPS[self.op]} ?", [coerce(self.value, ftype, self.field)]
        if self.op == "like":
            text = expr if ftype is FieldType.STRING else f"CAST({expr} AS TEXT)"
            return f"{text} {like}", [str(self.value)]
        if self.op == "in":
            values = [coerce(v, ftype, self.field) for v in self.value]
            if not values:  # matches nothing; names expr once so its parameters still line up
                return f"({expr} IS NULL AND 1 = 0)", []
            return f"{expr} IN ({','.join('?' * len(values))})", values
        if self.op == "between":
            lo, hi = self.value
            return f"{expr} BETWEEN ? AND ?", [coerce(lo, ftype, self.field),
                                               coerce(hi, ftype, self.field)]
        if self.op == "isnull":
            return f"{expr} IS NULL", []
        if self.op == "notnull":
            return f"{expr} IS NOT NULL", []
        raise InvalidParameter("不支持的比较运算", "unsupported operator", {"op": self.op})


def coerce(value: Any, ftype: FieldType, field: str) -> Any:
    """Convert a filter value to the field's type, or raise naming the field."""
    try:
        if ftype is FieldType.INTEGER:
            number = int(value)
            if not -2**63 <= number < 2**63:  # what both backends can bind
                raise ValueError(value)
            return number
        if ftype is FieldType.REAL:
            real = float(value)
            if real != real or real in (float("inf"), float("-inf")):
                raise ValueError(value)
            return real
        if ftype is FieldType.BOOLEAN:
            if isinstance(value, str):
                if value.lower() in ("true", "1", "t", "yes"):
                    return True
                if value.lower() in ("false", "0", "f", "no"):
                    return False
                raise ValueError(value)
            return bool(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameter("筛选值类型与字段不符", "filter value does not match field type",
                               {"field": field, "value": value, "type": ftype.value}) from exc
    return str(value)


@dataclass(frozen=True)
class And:
    """All of `items` (an empty And is true)."""

    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    """Any of `items` (an empty Or is false)."""

    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    """`item` is false. As in SQL and CQL2, a comparison with a missing value is neither true
    nor false, so `Not` does not select it either."""

    item: Filter


Filter = AttrFilter | And | Or | Not
