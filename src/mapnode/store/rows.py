"""Version rows as the writer handles them: raw WKB and canonical JSON, so that "did this
feature change?" is a byte comparison."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.model.log import BBox


@dataclass
class StoredRow:
    """A version row as the writer sees it (raw WKB and JSON, for cheap comparison)."""

    id: int
    fid: str
    version: int
    wkb: bytes | None
    props_json: str
    bbox: BBox | None


@dataclass
class NewRow:
    fid: str
    wkb: bytes | None
    bbox: BBox | None
    props_json: str


def dump_props(props: dict[str, Any]) -> str:
    """Canonical JSON for properties: sorted keys, so equal content gives equal text.

    NUL characters are dropped from strings (DBF padding, mostly): PostgreSQL text and jsonb
    cannot hold them, and both stores must keep the same content.
    """
    text = orjson.dumps(props, option=_JSON_OPTIONS).decode()
    if "\\u0000" in text:  # rare: only then walk the values
        text = orjson.dumps(_without_nul(props), option=_JSON_OPTIONS).decode()
    return text


_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


def geom_row(geom: BaseGeometry | None) -> tuple[bytes | None, BBox | None]:
    """WKB and bbox of a geometry as stored: 2-D lon/lat (a Z value is dropped, as on import)."""
    if geom is None or geom.is_empty:
        return None, None
    wkb = shapely.to_wkb(geom, output_dimension=2)
    return wkb, tuple(geom.bounds)  # type: ignore[return-value]


def union_bbox(boxes: Iterable[BBox | None]) -> BBox | None:
    """The bbox covering all given boxes (None when there are none)."""
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    arr = np.asarray(real, dtype=float)
    return (float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()),
            float(arr[:, 3].max()))
