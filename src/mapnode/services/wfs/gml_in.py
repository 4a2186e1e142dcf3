"""GML geometries inside filters (GML 3.2, GML 3.1.1 and the GML 2 forms older clients send),
read into shapely geometries in storage coordinates (lon/lat).

Elements are matched by local name. `srsName` on the geometry (or an enclosing one) decides
the CRS and its axis order (see `crs.py`); without one the query's CRS applies.
Supported: Point, LineString, LinearRing, Polygon, Envelope, Box, MultiPoint, MultiLineString,
MultiCurve, MultiPolygon, MultiSurface (members as `*Member` or `*Members`).
"""

from __future__ import annotations

import math
from typing import Any
from xml.etree.ElementTree import Element

import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.services.wfs.crs import WfsCrs, parse_srs
from mapnode.services.wfs.errors import WfsError, invalid

MAX_DEPTH = 16


def local(tag: Any) -> str:
    """The local part of an element's tag (`{ns}name` → `name`)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def read_geometry(el: Element, crs: WfsCrs, version: str) -> BaseGeometry:
    """A GML geometry element as a valid-enough shapely geometry in storage coordinates."""
    srs = el.get("srsName")
    if srs:
        crs = parse_srs(srs, version, "filter")
    try:
        geom = _geometry(el, 0)
    except WfsError:
        raise
    except (ValueError, TypeError, IndexError, shapely.errors.ShapelyError):
        raise _bad(local(el.tag)) from None
    if geom.is_empty or not all(math.isfinite(v) for v in geom.bounds):
        raise _bad(local(el.tag))
    return crs.to_storage(geom)


def _bad(name: str) -> WfsError:
    return invalid("filter", f"GML 几何 {name[:40]} 无效", f"invalid GML geometry {name[:40]}")


def _geometry(el: Element, depth: int) -> BaseGeometry:
    if depth > MAX_DEPTH:
        raise _bad("(too deep)")
    name = local(el.tag)
    if name == "Point":
        return shapely.Point(_coords(el)[0])
    if name in ("LineString", "LinearRing"):
        return shapely.LineString(_coords(el))
    if name == "Polygon":
        return _polygon(el)
    if name == "Envelope":
        lo = _numbers(_child(el, "lowerCorner").text)
        hi = _numbers(_child(el, "upperCorner").text)
        return _box(lo[:2] + hi[:2])
    if name == "Box":
        pts = _coords(el)
        return _box([pts[0][0], pts[0][1], pts[1][0], pts[1][1]])
    if name in ("MultiPoint", "MultiLineString", "MultiCurve", "MultiPolygon", "MultiSurface"):
        parts = [_geometry(g, depth + 1) for g in _members(el)]
        if name == "MultiPoint":
            return shapely.MultiPoint(parts)
        if name in ("MultiLineString", "MultiCurve"):
            return shapely.MultiLineString(parts)
        return shapely.MultiPolygon(parts)
    raise invalid("filter", f"不支持的 GML 几何类型 {name[:40]}",
                  f"unsupported GML geometry type {name[:40]}")


def _box(v: list[float]) -> BaseGeometry:
    if v[0] > v[2] or v[1] > v[3]:
        raise invalid("filter", "Envelope 下角大于上角", "Envelope lowerCorner above upperCorner")
    return shapely.box(v[0], v[1], v[2], v[3])


def _child(el: Element, name: str) -> Element:
    for c in children(el):
        if local(c.tag) == name:
            return c
    raise _bad(f"{local(el.tag)} (no {name})")


def _members(el: Element) -> list[Element]:
    out = []
    for m in children(el):
        if local(m.tag).endswith("Member"):
            out.extend(children(m)[:1])
        elif local(m.tag).endswith("Members"):
            out.extend(children(m))
    if not out:
        raise _bad(local(el.tag))
    return out


def _polygon(el: Element) -> BaseGeometry:
    shell, holes = None, []
    for c in children(el):
        ring = children(c)
        if not ring:
            continue
        coords = _coords(ring[0])
        if local(c.tag) in ("exterior", "outerBoundaryIs"):
            shell = coords
        elif local(c.tag) in ("interior", "innerBoundaryIs"):
            holes.append(coords)
    if shell is None:
        raise _bad("Polygon (no exterior)")
    return shapely.Polygon(shell, holes)


def _numbers(text: str | None) -> list[float]:
    values = [float(t) for t in (text or "").split()]
    if len(values) < 2:
        raise _bad("(coordinates)")
    return values


def _coords(el: Element) -> list[tuple[float, float]]:
    """Coordinates of a simple geometry from pos, posList, coordinates or coord children."""
    pos = [c for c in children(el) if local(c.tag) == "pos"]
    if pos:
        return [_pair(_numbers(p.text)) for p in pos]
    for c in children(el):
        name = local(c.tag)
        if name == "posList":
            dim = int(c.get("srsDimension") or c.get("dimension") or 2)
            if dim not in (2, 3):
                raise _bad("posList (srsDimension)")
            values = _numbers(c.text)
            if len(values) % dim:
                raise _bad("posList")
            return [(values[i], values[i + 1]) for i in range(0, len(values), dim)]
        if name == "coordinates":
            cs, ts = c.get("cs") or ",", c.get("ts") or " "
            tuples = [t for t in (c.text or "").strip().split(ts) if t.strip()]
            return [_pair([float(v) for v in t.split(cs)]) for t in tuples]
    coord = [c for c in children(el) if local(c.tag) == "coord"]
    if coord:
        return [(float(_child(c, "X").text or ""), float(_child(c, "Y").text or ""))
                for c in coord]
    raise _bad(f"{local(el.tag)} (no coordinates)")


def _pair(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        raise _bad("(coordinates)")
    return values[0], values[1]
