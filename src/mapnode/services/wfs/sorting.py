"""SORTBY: `name [ASC|DESC|A|D], …` with names looked up in the schema like every other
property name. The store reads in feature-id order, so a sorted query is sorted here: it is
allowed when at most `limit` features match (`MAPNODE_WFS_MAX_FEATURES`), otherwise refused
with a message asking for a narrower query. Missing values sort last, ties by feature id.
"""

from __future__ import annotations

from typing import Any

from mapnode.model import Feature, LayerMeta
from mapnode.services.wfs.errors import invalid
from mapnode.services.wfs.names import GEOMETRY, property_name

SortKey = tuple[str, bool]  # (field, descending); "" is the feature id
_ORDERS = {"": False, "ASC": False, "A": False, "DESC": True, "D": True}
_FID_NAMES = ("fid", "@gml:id", "@fid", "gml:id")


def parse_sort(text: str | None, meta: LayerMeta) -> list[SortKey]:
    keys: list[SortKey] = []
    for item in (text or "").split(","):
        words = item.split()
        if not words:
            continue
        if len(words) > 2 or (words[1:] and words[1].upper() not in _ORDERS):
            raise invalid("sortBy", f"SORTBY 无效：{item.strip()[:100]}",
                          f"invalid SORTBY: {item.strip()[:100]}")
        desc = _ORDERS[words[1].upper()] if len(words) == 2 else False
        if words[0].lower() in _FID_NAMES:
            keys.append(("", desc))
            continue
        name = property_name(words[0], meta, "sortBy")
        if name == GEOMETRY:
            raise invalid("sortBy", "不能按几何排序", "cannot sort by the geometry")
        keys.append((name, desc))
    return keys


def is_store_order(keys: list[SortKey]) -> bool:
    """Whether the keys ask for the store's own order (feature id ascending)."""
    return not keys or keys == [("", False)]


def too_many(limit: int) -> Exception:
    return invalid("sortBy", f"排序最多用于 {limit} 个要素（匹配的更多），请缩小查询范围",
                   f"sorting works on at most {limit} matching features (more match): "
                   "narrow the query")


def sort_features(features: list[Feature], keys: list[SortKey]) -> list[Feature]:
    """Stable multi-key sort: apply the keys from last to first."""
    out = sorted(features, key=lambda f: f.fid)
    for name, desc in reversed(keys):
        present = [f for f in out if _value(f, name) is not None]
        missing = [f for f in out if _value(f, name) is None]
        present.sort(key=lambda f: _value(f, name), reverse=desc)  # type: ignore[arg-type,return-value]
        out = present + missing
    return out


def _value(f: Feature, name: str) -> Any:
    if not name:
        return f.fid
    value = f.properties.get(name)
    if isinstance(value, dict | list):
        return str(value)
    return value
