"""Attribute checks for imports: values are coerced to the layer's field types or reported."""

from __future__ import annotations

import base64
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
    """Coerces the fields whose source type differs from the layer's; passes the rest through."""

    def __init__(self, meta: LayerMeta, source_fields: dict[str, FieldType], source: str) -> None:
        self.meta = meta
        self.source = source
        self.clashing = {name: meta.fields[name] for name, t in source_fields.items()
                         if name in meta.fields and meta.fields[name] is not t}

    def check(self, batch: SourceBatch) -> CheckedProperties:
        problems: list[ProblemItem] = []
        values = batch.properties
        for i, props in enumerate(values):
            for name, value in props.items():
                if isinstance(value, bytes | bytearray):
                    props[name] = base64.b64encode(value).decode()
            for name, ftype in self.clashing.items():
                if name not in props:
                    continue
                try:
                    props[name] = coerce_value(props[name], ftype)
                except (TypeError, ValueError):
                    problems.append(ProblemItem(
                        f"字段类型不符：应为 {ftype.value}，实为 {props[name]!r}",
                        f"attribute type clash: expected {ftype.value}, got {props[name]!r}",
                        self.source, batch.labels[i], name))
        return CheckedProperties(values, problems)


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
        return float(value)
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
