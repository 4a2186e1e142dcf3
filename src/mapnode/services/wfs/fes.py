"""FES 2.0 and OGC Filter 1.1 (XML) → the store's typed filters.

A filter is translated into CQL2 JSON and handed to `services.cql2`, which checks property
names against the layer's schema, checks and bounds geometries and keeps at most one spatial
predicate in the top-level AND (the store applies one geometry per read). Values stay values:
they become bound parameters. Property names go through `names.property_name` first, so no
XPath, function or other expression ever reaches the store.

Supported: And, Or, Not; PropertyIsEqualTo, NotEqualTo, LessThan, GreaterThan,
LessThanOrEqualTo, GreaterThanOrEqualTo (matchCase="false" on strings: case-insensitive
ASCII, like LIKE), PropertyIsLike (wildCard, singleChar, escapeChar), PropertyIsBetween,
PropertyIsNull / PropertyIsNil; BBOX, Intersects, DWithin (distance in m or km); ResourceId
(2.0), FeatureId and GmlObjectId (1.1) as the whole filter. Temporal operators are refused:
features carry no time of their own; past states are read with the TIME parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from mapnode.errors import InvalidParameter
from mapnode.model import LayerMeta
from mapnode.services import cql2
from mapnode.services.wfs.crs import WfsCrs
from mapnode.services.wfs.errors import WfsError, detail, invalid
from mapnode.services.wfs.gml_in import children, local, read_geometry
from mapnode.services.wfs.names import GEOMETRY, property_name, type_name
from mapnode.store.filters import OPS, And, Filter, Not, Or, coerce

MAX_DEPTH = 64
MAX_DISTANCE_M = 1_000_000.0
_COMPARE = {"PropertyIsEqualTo": "=", "PropertyIsNotEqualTo": "<>", "PropertyIsLessThan": "<",
            "PropertyIsGreaterThan": ">", "PropertyIsLessThanOrEqualTo": "<=",
            "PropertyIsGreaterThanOrEqualTo": ">="}
_TEMPORAL = {"After", "Before", "Begins", "BegunBy", "TContains", "During", "EndedBy", "Ends",
             "TEquals", "Meets", "MetBy", "TOverlaps", "OverlappedBy", "AnyInteracts"}
_SPATIAL_UNSUPPORTED = {"Equals", "Disjoint", "Touches", "Within", "Overlaps", "Crosses",
                        "Contains", "Beyond"}
_ID_ELEMENTS = {"ResourceId", "FeatureId", "GmlObjectId"}
_METRES = {"m", "metre", "meter", "metres", "meters", "urn:ogc:def:uom:epsg::9001",
           "http://www.opengis.net/def/uom/epsg/0/9001", "#m"}
_KM = {"km", "kilometre", "kilometer", "urn:ogc:def:uom:epsg::9036"}
LIKE_SPECIAL = "%_"


@dataclass(frozen=True)
class FesFilter:
    """What a filter asks of the store: attribute conditions, one geometry, or feature ids."""

    filter: Filter | None = None
    intersects: BaseGeometry | None = None
    fids: tuple[str, ...] | None = None


def fail(zh: str, en: str) -> WfsError:
    return invalid("filter", f"过滤条件无效：{zh}", f"invalid filter: {en}")


def parse_filter(root: Element, meta: LayerMeta, crs: WfsCrs, version: str) -> FesFilter:
    """A `Filter` element against the layer `meta`; geometries without srsName are in `crs`."""
    if local(root.tag) != "Filter":
        raise fail(f"根元素应为 Filter，而不是 {local(root.tag)[:40]}",
                   f"the root element must be Filter, not {local(root.tag)[:40]}")
    items = children(root)
    if not items:
        raise fail("Filter 为空", "empty Filter")
    if any(local(i.tag) in _ID_ELEMENTS for i in items):
        return FesFilter(fids=tuple(feature_ids(items, meta.name)))
    if len(items) > 1:
        raise fail("Filter 只能有一个条件（请用 And）", "Filter must have one operator (use And)")
    doc = _Translator(meta, crs, version).node(items[0], 0)
    try:
        compiled = cql2.parse_json(doc, meta.fields)
        if compiled.filter is not None:
            check_values(compiled.filter, meta)
    except InvalidParameter as exc:
        zh = exc.message_zh.replace("CQL2 过滤条件无效：", "") + detail(exc.context)
        en = exc.message_en.replace("invalid CQL2 filter: ", "") + detail(exc.context)
        raise fail(zh, en) from None
    return FesFilter(compiled.filter, compiled.intersects)


def check_values(node: Filter, meta: LayerMeta) -> None:
    """Convert every literal to its field's type now, so a mismatch is a filter error."""
    if isinstance(node, And | Or):
        for item in node.items:
            check_values(item, meta)
    elif isinstance(node, Not):
        check_values(node.item, meta)
    elif node.op in OPS:
        coerce(node.value, meta.fields[node.field], node.field)
    elif node.op == "between":
        for v in node.value:
            coerce(v, meta.fields[node.field], node.field)


def feature_ids(items: list[Element], layer: str) -> list[str]:
    """ResourceId rid / FeatureId fid / GmlObjectId gml:id values as fids of `layer`."""
    out = []
    for item in items:
        if local(item.tag) not in _ID_ELEMENTS:
            raise fail("ResourceId 不能与其他条件混用", "ResourceId cannot be mixed with "
                       "other operators")
        rid = item.get("rid") or item.get("fid") or next(
            (v for k, v in item.attrib.items() if local(k) == "id"), None)
        if not rid:
            raise fail("ResourceId 缺少 rid", "ResourceId without rid")
        fid = fid_of(rid, layer)
        if fid is not None:
            out.append(fid)
    return out


def fid_of(rid: str, layer: str) -> str | None:
    """The fid in a resource id `layer.fid` (None when the id names another layer)."""
    head, dot, rest = rid.strip().partition(".")
    if not dot:
        return None
    try:
        name = type_name(head, "resourceId")
    except WfsError:
        return None
    return rest if name == layer and rest else None


class _Translator:
    """FES elements → CQL2 JSON, names resolved against the schema, geometries to storage."""

    def __init__(self, meta: LayerMeta, crs: WfsCrs, version: str) -> None:
        self.meta = meta
        self.crs = crs
        self.version = version

    def node(self, el: Element, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise fail("嵌套过深", "filter is nested too deeply")
        name = local(el.tag)
        args = children(el)
        if name in ("And", "Or"):
            if len(args) < 2:
                raise fail(f"{name} 至少需要两个条件", f"{name} needs at least two operators")
            return {"op": name.lower(), "args": [self.node(a, depth + 1) for a in args]}
        if name == "Not":
            if len(args) != 1:
                raise fail("Not 需要一个条件", "Not needs exactly one operator")
            return {"op": "not", "args": [self.node(args[0], depth + 1)]}
        if name in _COMPARE:
            return self.compare(el, _COMPARE[name], args)
        if name == "PropertyIsLike":
            return self.like(el, args)
        if name == "PropertyIsBetween":
            return self.between(args)
        if name in ("PropertyIsNull", "PropertyIsNil"):
            return {"op": "isNull", "args": [self.prop(self.only(args, 1, name)[0])]}
        if name in ("BBOX", "Intersects", "DWithin"):
            return self.spatial(name, args)
        if name in _TEMPORAL:
            raise fail(f"不支持时间运算 {name}：要素没有自身的时间，请用 TIME 参数读取过去的状态",
                       f"temporal operator {name} is not supported: features carry no time of "
                       "their own; use the TIME parameter for past states")
        if name in _SPATIAL_UNSUPPORTED:
            raise fail(f"不支持空间运算 {name}（支持 BBOX、Intersects、DWithin）",
                       f"spatial operator {name} is not supported (BBOX, Intersects, DWithin)")
        if name in _ID_ELEMENTS:
            raise fail("ResourceId 不能与其他条件混用", "ResourceId cannot be mixed with "
                       "other operators")
        raise fail(f"不支持的运算 {name[:40]}", f"unsupported operator {name[:40]}")

    @staticmethod
    def only(args: list[Element], n: int, name: str) -> list[Element]:
        if len(args) != n:
            raise fail(f"{name} 需要 {n} 个操作数", f"{name} needs {n} operands")
        return args

    def prop(self, el: Element) -> dict[str, str]:
        if local(el.tag) not in ("ValueReference", "PropertyName"):
            raise fail(f"此处应为 ValueReference，而不是 {local(el.tag)[:40]}（不支持函数）",
                       f"expected ValueReference, not {local(el.tag)[:40]} (functions are not "
                       "supported)")
        return {"property": property_name(el.text or "", self.meta, "filter")}

    @staticmethod
    def literal(el: Element) -> str:
        if local(el.tag) != "Literal":
            raise fail(f"此处应为 Literal，而不是 {local(el.tag)[:40]}",
                       f"expected Literal, not {local(el.tag)[:40]}")
        if children(el):
            raise fail("Literal 只能是文本值", "Literal must be a text value")
        return el.text or ""

    def compare(self, el: Element, op: str, args: list[Element]) -> dict[str, Any]:
        a, b = self.only(args, 2, local(el.tag))
        if local(a.tag) == "Literal":
            a, b = b, a
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        prop, value = self.prop(a), self.literal(b)
        if el.get("matchCase", "true").lower() == "false" and op in ("=", "<>") and not any(
                c in value for c in LIKE_SPECIAL) and prop["property"] in self.meta.fields \
                and self.meta.fields[prop["property"]].value == "string":
            like = {"op": "like", "args": [prop, value]}
            return like if op == "=" else {"op": "not", "args": [like]}
        return {"op": op, "args": [prop, value]}

    def like(self, el: Element, args: list[Element]) -> dict[str, Any]:
        a, b = self.only(args, 2, "PropertyIsLike")
        wild = el.get("wildCard")
        single = el.get("singleChar")
        escape = el.get("escapeChar") or el.get("escape")
        if not wild or not single or escape is None:
            raise fail("PropertyIsLike 需要 wildCard、singleChar 和 escapeChar",
                       "PropertyIsLike needs wildCard, singleChar and escapeChar")
        prop, pattern = self.prop(a), like_pattern(self.literal(b), wild, single, escape)
        if pattern is None:  # only literal characters, some of them % or _
            return {"op": "=", "args": [prop, unescape(self.literal(b), escape)]}
        return {"op": "like", "args": [prop, pattern]}

    def between(self, args: list[Element]) -> dict[str, Any]:
        a, lo, hi = self.only(args, 3, "PropertyIsBetween")
        if local(lo.tag) != "LowerBoundary" or local(hi.tag) != "UpperBoundary":
            raise fail("PropertyIsBetween 需要 LowerBoundary 和 UpperBoundary",
                       "PropertyIsBetween needs LowerBoundary and UpperBoundary")
        return {"op": "between", "args": [self.prop(a), self.literal(self.only(children(lo), 1,
                                          "LowerBoundary")[0]),
                                          self.literal(self.only(children(hi), 1,
                                                                 "UpperBoundary")[0])]}

    def spatial(self, name: str, args: list[Element]) -> dict[str, Any]:
        refs = [a for a in args if local(a.tag) in ("ValueReference", "PropertyName")]
        rest = [a for a in args if a not in refs]
        prop = self.prop(refs[0]) if refs else {"property": GEOMETRY}
        if prop["property"] != GEOMETRY:
            raise fail(f"{name} 只能用于几何属性", f"{name} applies to the geometry property")
        distance = None
        if name == "DWithin":
            dist = [a for a in rest if local(a.tag) == "Distance"]
            if len(dist) != 1:
                raise fail("DWithin 需要 Distance", "DWithin needs a Distance")
            rest.remove(dist[0])
            distance = metres(dist[0])
        if len(refs) > 1 or len(rest) != 1:
            raise fail(f"{name} 需要一个几何", f"{name} needs one geometry")
        geom = read_geometry(rest[0], self.crs, self.version)
        if name == "BBOX":
            geom = shapely.box(*geom.bounds)
        if distance is not None:
            geom = buffer_metres(geom, distance)
        return {"op": "s_intersects", "args": [prop, mapping(geom)]}


def metres(el: Element) -> float:
    """A Distance element in metres (uom m or km)."""
    uom = (el.get("uom") or el.get("units") or "m").strip().lower()
    try:
        value = float(el.text or "")
    except ValueError:
        raise fail("Distance 必须是数值", "Distance must be a number") from None
    if uom in _KM:
        value *= 1000.0
    elif uom not in _METRES:
        raise fail(f"不支持的距离单位 {uom[:40]}（支持 m、km）",
                   f"unsupported distance unit {uom[:40]} (m, km)")
    if not math.isfinite(value) or value < 0 or value > MAX_DISTANCE_M:
        raise fail("Distance 超出范围（0 至 1000 km）", "Distance out of range (0 to 1000 km)")
    return value


def buffer_metres(geom: BaseGeometry, distance: float) -> BaseGeometry:
    """`geom` grown by `distance` metres, in a local equirectangular projection around it.

    The buffer polygon circumscribes the true circle (radius / cos(π/4n)), so DWithin never
    misses a feature that is within the distance; it may include one up to 0.2% beyond.
    Like `store.metric_distances`, accurate to well under 1% over tens of kilometres.
    """
    lon0, lat0 = geom.centroid.x, geom.centroid.y
    kx, ky = 111_320.0 * max(math.cos(math.radians(lat0)), 1e-6), 110_574.0

    def fwd(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - lon0) * kx, (xy[:, 1] - lat0) * ky])

    def back(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy[:, 0] / kx + lon0, xy[:, 1] / ky + lat0])

    segments = 16
    grown = shapely.transform(geom, fwd).buffer(distance / math.cos(math.pi / (4 * segments)),
                                                quad_segs=segments)
    return shapely.transform(grown, back)


def like_pattern(text: str, wild: str, single: str, escape: str) -> str | None:
    """A FES pattern as a SQL LIKE pattern. The store's LIKE has no escape character, so a
    literal % or _ can only be matched exactly: None when the pattern has no wildcards and
    such a character (compare with equality then); an error when it has both."""
    out: list[str] = []
    literal_special = False
    has_wild = False
    i = 0
    while i < len(text):
        if escape and text.startswith(escape, i) and i + len(escape) < len(text):
            i += len(escape)
            ch = text[i]
            literal_special |= ch in LIKE_SPECIAL
            out.append(ch)
            i += 1
        elif text.startswith(wild, i):
            out.append("%")
            has_wild = True
            i += len(wild)
        elif text.startswith(single, i):
            out.append("_")
            has_wild = True
            i += len(single)
        else:
            literal_special |= text[i] in LIKE_SPECIAL
            out.append(text[i])
            i += 1
    if literal_special and not has_wild:
        return None
    if literal_special:
        raise fail("LIKE 模式中不能同时有通配符和字面的 % 或 _",
                   "a LIKE pattern cannot combine wildcards with a literal % or _")
    return "".join(out)


def unescape(text: str, escape: str) -> str:
    if not escape:
        return text
    out, i = [], 0
    while i < len(text):
        if text.startswith(escape, i) and i + len(escape) < len(text):
            i += len(escape)
        out.append(text[i])
        i += 1
    return "".join(out)
