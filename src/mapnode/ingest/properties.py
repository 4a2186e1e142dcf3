"""Attribute checks for imports: values are coerced to the layer's field types or reported."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mapnode.errors import ProblemItem
from mapnode.ingest.source import SourceBatch
from mapnode.model.layer import FieldType, LayerMeta


@dataclass
class CheckedProperties:
    values: list[dict[str, Any]]
    problems: list[ProblemItem] = field(default_factory=list)


class PropertyCheck:
    """Makes every value fit its layer field's type: coerced when that is exact, else reported.

    Values that already have the field's Python type pass untouched (the common case: a
    typed source such as GeoPackage, or a CSV column whose values all fit the inferred type).
    """

    def __init__(self, meta: LayerMeta, source_fields: dict[str, FieldType], source: str,
                 typed: bool = False) -> None:
        self.meta = meta
        self.source = source
        self.source_fields = source_fields
        # With typed sources only the fields whose type differs from the layer's (or that may
        # hold bytes) are looked at; otherwise every value is.
        self.only: list[str] | None = [
            n for n, t in source_fields.items()
            if t is FieldType.JSON or meta.fields.get(n, t) is not t] if typed else None

    def check(self, batch: SourceBatch) -> CheckedProperties:
        problems: list[ProblemItem] = []
        values = batch.properties
        fields = self.meta.fields
        for i, props in enumerate(values):
            names = props.items() if self.only is None else [
                (n, props[n]) for n in self.only if n in props]
            for name, value in names:
                if isinstance(value, bytes | bytearray):
                    value = props[name] = base64.b64encode(value).decode()
                ftype = fields.get(name)
                if ftype is None or _fits(value, ftype):
                    continue
                try:
                    props[name] = coerce_value(value, ftype)
                except (TypeError, ValueError, OverflowError):
                    problems.append(ProblemItem(
                        f"字段类型不符：图层字段为 {ftype.value}，此值为 {value!r}",
                        f"attribute type clash: layer field is {ftype.value}, value is {value!r}",
                        self.source, batch.labels[i], name))
        return CheckedProperties(values, problems)


_PY_TYPES: dict[FieldType, type | tuple[type, ...]] = {
    FieldType.STRING: str, FieldType.INTEGER: int, FieldType.REAL: float,
    FieldType.BOOLEAN: bool, FieldType.DATE: date, FieldType.DATETIME: datetime,
}


def _fits(value: Any, ftype: FieldType) -> bool:
    if ftype is FieldType.JSON:
        return True
    if isinstance(value, bool) and ftype is not FieldType.BOOLEAN:
        return False
    if ftype is FieldType.DATE and isinstance(value, datetime):
        return False
    return isinstance(value, _PY_TYPES[ftype])


def coerce_value(value: Any, ftype: FieldType) -> Any:
    """Convert a value to a field type; raises ValueError when it cannot be done exactly."""
    if ftype is FieldType.STRING:
        return value if isinstance(value, str) else str(value)
    if ftype is FieldType.INTEGER:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(value)
            return int(value)
        return int(str(value).strip())
    if ftype is FieldType.REAL:
        if isinstance(value, bool):
            raise ValueError(value)
        out = float(value)
        if not math.isfinite(out):
            raise ValueError(value)
        return out
    if ftype is FieldType.BOOLEAN:
        text = str(value).strip().lower()
        if text in ("true", "t", "1", "yes", "y", "是"):
            return True
        if text in ("false", "f", "0", "no", "n", "否"):
            return False
        raise ValueError(value)
    if ftype is FieldType.DATE:
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value).strip())
    if ftype is FieldType.DATETIME:
        if isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value).strip())
    return value
