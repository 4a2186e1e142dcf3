"""OGC API Features as domain operations: collections, items, single items, queryables.

Parameters arrive as text (what a query string holds) and are parsed here, each error naming
its parameter. Reads go through the store with the caller's Actor, so a layer the caller may
not see is *not found* on every path.

`datetime`: a layer's features carry no time of their own; the store keeps every version with
the seqs (and so the times) it was valid for. An instant therefore selects the data **as it
stood at that time** (the last changeset at or before it); intervals are refused with a 400.
A date without a time means the start of that day (UTC).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import orjson
import shapely

from mapnode.errors import InvalidParameter, NotFound
from mapnode.model import Actor, Feature, FieldType, LayerKind, LayerMeta
from mapnode.services import cql2
from mapnode.services.features_crs import (
    CRS84,
    STORAGE_CRS,
    SUPPORTED,
    OgcCrs,
    bbox_from_storage,
    bbox_to_storage,
    crs84,
    geometry_to_storage,
    parse_ogc_crs,
    to_output,
)
from mapnode.store import VersionedStore
from mapnode.store.filters import AttrFilter, Filter

DEFAULT_LIMIT = 10
DEFAULT_MAX_LIMIT = 10_000
ITEM_PARAMS = {"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "filter",
               "filter-lang", "filter-crs", "tk"}
FEATURE_PARAMS = {"f", "crs", "datetime", "tk"}
JSON_TYPES = {FieldType.STRING: "string", FieldType.INTEGER: "integer", FieldType.REAL: "number",
              FieldType.BOOLEAN: "boolean", FieldType.DATE: "string",
              FieldType.DATETIME: "string", FieldType.JSON: "object"}
GEOMETRY_SCHEMA = {"point": "Point", "line": "LineString", "polygon": "Polygon"}


@dataclass(frozen=True)
class ItemsQuery:
    """Parsed parameters of an items request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    at: datetime | None = None
    crs: OgcCrs = field(default_factory=crs84)
    filters: tuple[Filter, ...] = ()
    intersects: Any = None


@dataclass
class ItemsPage:
    """One page of features as GeoJSON dicts in the requested CRS, with paging facts."""

    features: list[dict[str, Any]]
    number_matched: int | None
    offset: int
    limit: int
    has_next: bool
    crs: OgcCrs
    seq: int

    @property
    def number_returned(self) -> int:
        return len(self.features)


def is_feature_layer(meta: LayerMeta) -> bool:
    return meta.kind is not LayerKind.RASTER


def _bad(parameter: str, zh: str, en: str, value: Any) -> InvalidParameter:
    return InvalidParameter(zh, en, {"parameter": parameter, "value": str(value)})


# ---------------------------------------------------------------------- parameter parsing
def parse_int(params: Mapping[str, str], name: str, default: int, lo: int,
              hi: int | None = None) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise _bad(name, f"{name} 必须是整数", f"{name} must be an integer", text) from None
    if value < lo:
        raise _bad(name, f"{name} 不能小于 {lo}", f"{name} must be >= {lo}", text)
    if hi is not None and value > hi:
        raise InvalidParameter(f"{name} 超过上限 {hi}", f"{name} exceeds the maximum of {hi}",
                               {"parameter": name, "value": text, "maximum": hi})
    return value


def parse_bbox(text: str, crs: OgcCrs) -> tuple[float, float, float, float]:
    """`minx,miny,maxx,maxy` (or 6 values with heights) in `crs`, as a lon/lat bbox."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise _bad("bbox", "bbox 必须是逗号分隔的数值", "bbox must be comma-separated numbers",
                   text) from None
    if len(values) not in (4, 6):
        raise _bad("bbox", "bbox 需要 4 或 6 个数值", "bbox needs 4 or 6 numbers", text)
    if not all(math.isfinite(v) for v in values):
        raise _bad("bbox", "bbox 数值无效", "bbox values must be finite", text)
    box = (values[0], values[1], values[2], values[3]) if len(values) == 4 else (
        values[0], values[1], values[3], values[4])
    if box[0] > box[2] or box[1] > box[3]:
        raise _bad("bbox", "bbox 最小值大于最大值", "bbox min greater than max", text)
    if crs.source.crs is not None and crs.source.crs.is_geographic:
        lat = (box[0], box[2]) if crs.north_first else (box[1], box[3])
        lon = (box[1], box[3]) if crs.north_first else (box[0], box[2])
        if not (lat[0] >= -90 and lat[1] <= 90 and lon[0] >= -180 and lon[1] <= 180):
            raise _bad("bbox", "bbox 超出经纬度范围", "bbox outside lon/lat range", text)
    return bbox_to_storage(box, crs)


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 instant (or a date) in UTC. Intervals are refused: see the module doc."""
    value = text.strip()
    if "/" in value:
        raise _bad("datetime", "datetime 只支持时刻（数据在该时刻的状态），不支持时间段",
                   "datetime must be an instant (the data as of that time), not an interval",
                   text)
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _bad("datetime", "datetime 不是 RFC 3339 时间", "datetime is not an RFC 3339 time",
                   text) from None


def parse_items_query(meta: LayerMeta, params: Mapping[str, str],
                      max_limit: int = DEFAULT_MAX_LIMIT) -> ItemsQuery:
    """Parse the items parameters; unknown parameters are a 400 (OGC /req/core/query-param-unknown)."""
    _no_nul(params)
    unknown = sorted(set(params) - ITEM_PARAMS - set(meta.fields))
    if unknown:
        raise InvalidParameter("未知的查询参数或属性", "unknown query parameter or property",
                               {"parameter": unknown[0], "queryables": ", ".join(meta.fields)})
    limit = parse_int(params, "limit", min(DEFAULT_LIMIT, max_limit), 1, max_limit)
    offset = parse_int(params, "offset", 0, 0, 2**62)
    bbox_crs = parse_ogc_crs(params.get("bbox-crs"), "bbox-crs")
    if "bbox-crs" in params and "bbox" not in params:
        raise _bad("bbox-crs", "给出 bbox-crs 时必须给出 bbox", "bbox-crs needs bbox",
                   params["bbox-crs"])
    bbox = parse_bbox(params["bbox"], bbox_crs) if "bbox" in params else None
    at = parse_datetime(params["datetime"]) if "datetime" in params else None
    crs = parse_ogc_crs(params.get("crs"), "crs")
    filters: list[Filter] = [AttrFilter(k, "eq", v) for k, v in params.items() if k in meta.fields
                             and k not in ITEM_PARAMS]
    intersects = None
    if "filter" in params:
        compiled = parse_filter(meta, params["filter"], params.get("filter-lang"),
                                params.get("filter-crs"))
        if compiled.filter is not None:
            filters.append(compiled.filter)
        intersects = compiled.intersects
    elif "filter-lang" in params or "filter-crs" in params:
        name = "filter-lang" if "filter-lang" in params else "filter-crs"
        raise _bad(name, f"给出 {name} 时必须给出 filter", f"{name} needs filter", params[name])
    return ItemsQuery(limit, offset, bbox, at, crs, tuple(filters), intersects)


def parse_filter(meta: LayerMeta, text: str, lang: str | None,
                 filter_crs: str | None) -> cql2.Compiled:
    crs = parse_ogc_crs(filter_crs, "filter-crs")

    def to_storage(g: Any) -> Any:
        return geometry_to_storage(g, crs)

    if lang in (None, "", "cql2-text"):
        return cql2.parse_text(text, meta.fields, to_storage)
    if lang == "cql2-json":
        return cql2.parse_json(text, meta.fields, to_storage)
    raise _bad("filter-lang", "不支持的过滤语言", "unsupported filter language (cql2-text, "
               "cql2-json)", lang)


def _no_nul(params: Mapping[str, str]) -> None:
    for name, value in params.items():
        if "\x00" in name or "\x00" in value:
            raise _bad(name.replace("\x00", ""), "参数含有 NUL 字符", "parameter contains NUL",
                       value.replace("\x00", "\\0"))


def check_feature_params(params: Mapping[str, str]) -> None:
    _no_nul(params)
    unknown = sorted(set(params) - FEATURE_PARAMS)
    if unknown:
        raise InvalidParameter("未知的查询参数", "unknown query parameter",
                               {"parameter": unknown[0]})


# ---------------------------------------------------------------------- reads
def feature_layers(store: VersionedStore, actor: Actor) -> list[LayerMeta]:
    """The layers the actor may see that hold features (rasters are not collections)."""
    return [m for m in store.layers(actor) if is_feature_layer(m)]


def feature_layer(store: VersionedStore, actor: Actor, name: str) -> LayerMeta:
    if "\x00" in name:
        raise NotFound("图层不存在", "no such layer", {"layer": name.replace("\x00", "")})
    meta = store.layer(actor, name)  # NotFound for a layer the actor may not see
    if not is_feature_layer(meta):
        raise NotFound("该图层不是要素集合", "not a feature collection", {"layer": name})
    return meta


def describe(store: VersionedStore, actor: Actor, meta: LayerMeta) -> dict[str, Any]:
    """A collection description without links: id, titles, extent, CRS list."""
    bbox, times = store.extent(actor, meta.name)
    extent: dict[str, Any] = {}
    if bbox is not None:
        extent["spatial"] = {"bbox": [list(bbox)], "crs": CRS84}
    if times is not None:
        extent["temporal"] = {"interval": [[_iso(times[0]), None]],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {
        "id": meta.name,
        "title": meta.title_zh or meta.title_en or meta.name,
        "description": " / ".join(t for t in (meta.abstract, meta.title_en) if t),
        "keywords": list(meta.keywords),
        "itemType": "feature",
        "extent": extent,
        "crs": list(SUPPORTED),
        "storageCrs": STORAGE_CRS,
        "attribution": meta.attribution,
        "geometryType": meta.geometry_type.value,
        "edition": meta.edition.value,
        "lastChange": _iso(times[1]) if times else None,
    }


def items(store: VersionedStore, actor: Actor, layer: str, query: ItemsQuery) -> ItemsPage:
    """One page of a layer's features as of `query.at` (default: now)."""
    meta = feature_layer(store, actor, layer)
    seq = store.resolve(query.at) if query.at is not None else store.current_seq()
    found = list(store.features(actor, layer, bbox=query.bbox, intersects=query.intersects,
                                filters=list(query.filters), as_of=seq, limit=query.limit + 1,
                                offset=query.offset))
    has_next = len(found) > query.limit
    found = found[:query.limit]
    matched = None
    if query.intersects is None:
        matched = store.count(actor, layer, bbox=query.bbox, filters=list(query.filters),
                              as_of=seq)
    elif not has_next:
        matched = query.offset + len(found) if found or query.offset == 0 else None
    return ItemsPage(geojson(found, query.crs, list(meta.fields)), matched, query.offset,
                     query.limit, has_next, query.crs, seq)


def item(store: VersionedStore, actor: Actor, layer: str, fid: str, params: Mapping[str, str],
         ) -> tuple[dict[str, Any], OgcCrs]:
    """One feature as GeoJSON in the requested CRS (`crs`), as of `datetime` if given."""
    check_feature_params(params)
    crs = parse_ogc_crs(params.get("crs"), "crs")
    at = parse_datetime(params["datetime"]) if "datetime" in params else None
    meta = feature_layer(store, actor, layer)
    if "\x00" in fid:
        raise NotFound("要素不存在", "no such feature", {"layer": layer})
    f = store.feature(actor, layer, fid, as_of=at if at is not None else None)
    return geojson([f], crs, list(meta.fields))[0], crs


def geojson(features: list[Feature], crs: OgcCrs, fields: list[str]) -> list[dict[str, Any]]:
    """GeoJSON features; each geometry is an `orjson.Fragment` written by GEOS in one
    vectorised call (about 10× faster than building coordinate lists in Python), so serialise
    with orjson. Every field of the layer is a property, in schema order, null when empty:
    clients that take the schema from the first page (QGIS's OAPIF provider) would otherwise
    miss a field that happens to be empty there."""
    geoms = to_output([f.geometry for f in features], crs)
    texts = shapely.to_geojson(np.asarray(geoms, dtype=object))
    empty = dict.fromkeys(fields)
    return [{"type": "Feature", "id": f.fid,
             "geometry": orjson.Fragment(t) if t is not None else None,
             "properties": {**empty, **f.properties}}
            for f, t in zip(features, texts, strict=True)]


def queryables(meta: LayerMeta) -> dict[str, Any]:
    """The layer's queryables as a JSON Schema (Part 3): its fields and its geometry."""
    props: dict[str, Any] = {
        name: {"title": name, "type": JSON_TYPES[ftype]} for name, ftype in meta.fields.items()}
    gtype = GEOMETRY_SCHEMA.get(meta.geometry_type.value)
    if gtype is not None:
        props["geometry"] = {"title": "geometry", "format": f"geometry-{gtype.lower()}",
                             "$ref": f"https://geojson.org/schema/{gtype}.json"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "title": meta.title_zh or meta.name, "properties": props,
            "additionalProperties": False}


def extent_in(bbox: tuple[float, float, float, float], crs: OgcCrs) -> list[float]:
    return bbox_from_storage(bbox, crs)


def now_iso() -> str:
    return _iso(datetime.now(UTC))


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")

