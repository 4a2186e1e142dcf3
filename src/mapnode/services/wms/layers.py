"""The WMS layer list of one caller: `basemap`, `labels` and the store layers it may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from mapnode.errors import NotFound
from mapnode.model import Actor, GeometryType, LayerMeta
from mapnode.model.layer import LayerKind
from mapnode.services.wms.params import fail
from mapnode.store import VersionedStore

BASEMAP = "basemap"
LABELS = "labels"
STYLE_LAYERS = {
    BASEMAP: ("底图", "Base map", "全部图层按底图样式绘制（含注记）",
              "every layer drawn with the base map style, labels included", ["底图", "basemap"]),
    LABELS: ("注记", "Labels", "底图样式中的注记（透明背景上叠加用）",
             "the base map style's labels, for overlaying on a transparent background",
             ["注记", "labels"]),
}

BBox = tuple[float, float, float, float]
MAX_NAME = 200


@dataclass
class WmsLayer:
    """One named WMS layer: a style of the whole map or one store layer."""

    name: str
    title_zh: str
    title_en: str
    abstract: str
    keywords: list[str]
    queryable: bool
    bbox: BBox | None  # lon/lat
    times: tuple[datetime, datetime] | None
    style: str | None = None  # `basemap` / `labels` for the style layers
    attribution: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _title(meta: LayerMeta) -> tuple[str, str]:
    return meta.title_zh or meta.name, meta.title_en or meta.name


_EXTENTS: dict[tuple[str, int, str], tuple[BBox | None, tuple[datetime, datetime] | None]] = {}
_EXTENTS_MAX = 512


def _extent(store: VersionedStore, actor: Actor, meta: LayerMeta, seq: int,
            ) -> tuple[BBox | None, tuple[datetime, datetime] | None]:
    """The layer's extent, cached per store, seq and layer (a full scan on big layers). The
    catalogue (and so access) is read fresh on every request; only the extent is reused."""
    key = (store.url, seq, orjson.dumps(meta.to_dict(), option=orjson.OPT_SORT_KEYS).decode())
    if key not in _EXTENTS:
        if len(_EXTENTS) >= _EXTENTS_MAX:
            _EXTENTS.clear()
        _EXTENTS[key] = store.extent(actor, meta.name)  # type: ignore[assignment]
    return _EXTENTS[key]


def _store_layer(store: VersionedStore, actor: Actor, meta: LayerMeta, seq: int) -> WmsLayer:
    bbox, times = _extent(store, actor, meta, seq)
    zh, en = _title(meta)
    abstract = meta.abstract or f"{zh}（{meta.geometry_type.value}）/ {en}"
    keywords = [*meta.keywords, meta.name] + ([meta.category] if meta.category else [])
    queryable = meta.kind == LayerKind.VECTOR and meta.geometry_type != GeometryType.NONE
    return WmsLayer(meta.name, zh, en, abstract, keywords, queryable, bbox, times,
                    attribution=meta.attribution)


def _union(boxes: list[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _span(times: list[tuple[datetime, datetime]]) -> tuple[datetime, datetime] | None:
    return (min(t[0] for t in times), max(t[1] for t in times)) if times else None


def drawable(meta: LayerMeta) -> bool:
    return meta.kind != LayerKind.TABLE and (meta.kind == LayerKind.RASTER
                                             or meta.geometry_type != GeometryType.NONE)


def wms_layers(store: VersionedStore, actor: Actor) -> list[WmsLayer]:
    """The style layers first, then every drawable store layer the actor may see."""
    seq = store.current_seq()
    mine = [_store_layer(store, actor, m, seq) for m in store.layers(actor) if drawable(m)]
    box = _union([w.bbox for w in mine if w.bbox])
    span = _span([w.times for w in mine if w.times])
    styles = [WmsLayer(name, zh, en, f"{abs_zh} / {abs_en}", kws, False, box, span, style=name)
              for name, (zh, en, abs_zh, abs_en, kws) in STYLE_LAYERS.items()]
    return styles + mine


def resolve_layer(store: VersionedStore, actor: Actor, name: str,
                  parameter: str = "LAYERS") -> LayerMeta | None:
    """None for a style layer; the store layer's metadata; else LayerNotDefined (a layer the
    actor may not see is not defined for it)."""
    if name in STYLE_LAYERS:
        return None
    meta = None
    if len(name) <= MAX_NAME and name.isprintable():  # PostgreSQL refuses NUL in text
        try:
            meta = store.layer(actor, name)
        except NotFound:
            meta = None
    if meta is None or not drawable(meta):
        raise fail("LayerNotDefined", parameter, "图层不存在", "layer not defined", value=name)
    return meta
