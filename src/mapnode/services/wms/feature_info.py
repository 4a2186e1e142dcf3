"""GetFeatureInfo: the features under a pixel, nearest first, as JSON, HTML or GML.

The click (I/J in 1.3.0, X/Y in 1.1.1, from the top-left corner) is turned into a box of
`tolerance` pixels around the pixel centre in the map CRS, read from the store in lon/lat
(the caller's edition applies, and TIME selects the data as it stood then), and ordered by
distance to the click point.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import orjson
import shapely
from pyproj import Transformer
from shapely.geometry import Point

from mapnode.model import Actor, Feature
from mapnode.services.wms.layers import resolve_layer
from mapnode.services.wms.maps import Limits, MapQuery, as_of, parse_map
from mapnode.services.wms.params import Params, fail, parse_info_format, split_list

DEFAULT_TOLERANCE = 5  # pixels
MAX_FEATURE_COUNT = 50
MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8",
         "gml": "application/vnd.ogc.gml"}


@dataclass(frozen=True)
class InfoQuery:
    map: MapQuery
    query_layers: list[str]
    i: int
    j: int
    fmt: str
    count: int
    tolerance: int


def _pixel(p: Params, name: str, size: int) -> int:
    text = p.require(name)
    try:
        value = int(text)
    except ValueError:
        raise fail("InvalidPoint", name, f"{name} 必须是整数", f"{name} must be an integer",
                   value=text) from None
    if not 0 <= value < size:
        raise fail("InvalidPoint", name, f"{name} 不在图像范围内",
                   f"{name} is outside the image", value=text, size=size)
    return value


def _small_int(p: Params, name: str, default: int, lo: int, hi: int) -> int:
    text = p.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise fail("InvalidParameterValue", name, f"{name} 必须在 {lo}–{hi} 之间",
                   f"{name} must be between {lo} and {hi}", value=text)
    return value


def parse_info(p: Params, version: str, limits: Limits) -> InfoQuery:
    q = parse_map(p, version, limits, need_format=False)
    layers = split_list(p.require("QUERY_LAYERS"))
    i_name, j_name = ("I", "J") if version == "1.3.0" else ("X", "Y")
    i = _pixel(p, i_name, q.width)
    j = _pixel(p, j_name, q.height)
    return InfoQuery(q, layers, i, j, parse_info_format(p.get("INFO_FORMAT")),
                     _small_int(p, "FEATURE_COUNT", 1, 1, MAX_FEATURE_COUNT),
                     _small_int(p, "BUFFER", DEFAULT_TOLERANCE, 0, 50))


@cache
def _to_lonlat(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4490, always_xy=True)


def _search_area(q: InfoQuery) -> tuple[tuple[float, float], tuple[float, float, float, float]]:
    """The click point and the tolerance box, both in lon/lat."""
    minx, miny, maxx, maxy = q.map.bbox
    rx, ry = (maxx - minx) / q.map.width, (maxy - miny) / q.map.height
    x, y = minx + (q.i + 0.5) * rx, maxy - (q.j + 0.5) * ry
    tx, ty = (q.tolerance + 0.5) * rx, (q.tolerance + 0.5) * ry
    tr = _to_lonlat(q.map.crs.epsg)
    lon, lat = tr.transform(x, y)
    box = tr.transform_bounds(x - tx, y - ty, x + tx, y + ty, densify_pts=5)
    return (lon, lat), tuple(box)  # type: ignore[return-value]


def feature_info(store: Any, actor: Actor, q: InfoQuery) -> list[Feature]:
    """The features under the click, nearest first, at most FEATURE_COUNT in all."""
    for name in q.map.layers:
        resolve_layer(store, actor, name, "LAYERS")
    for name in q.query_layers:
        if name not in q.map.layers:
            raise fail("LayerNotDefined", "QUERY_LAYERS", "查询图层不在 LAYERS 中",
                       "query layer is not in LAYERS", value=name)
    metas = [resolve_layer(store, actor, name, "QUERY_LAYERS") for name in q.query_layers]
    for name, meta in zip(q.query_layers, metas, strict=True):
        if meta is None or meta.geometry_type.value == "none" or meta.kind.value != "vector":
            raise fail("LayerNotQueryable", "QUERY_LAYERS", "该图层不可查询",
                       "layer is not queryable", value=name)
    (lon, lat), box = _search_area(q)
    seq = as_of(store, q.map)
    found: list[tuple[float, Feature]] = []
    here = Point(lon, lat)
    scale = math.cos(math.radians(lat))
    for name in q.query_layers:
        feats = [f for f in store.features(actor, name, bbox=box, as_of=seq)
                 if f.geometry is not None]
        if not feats:
            continue
        geoms = np.array([f.geometry for f in feats], dtype=object)
        shifted = shapely.transform(geoms, lambda xy: xy * np.array([scale, 1.0]))
        dists = shapely.distance(shapely.transform(here, lambda xy: xy * np.array([scale, 1.0])),
                                 shifted)
        found.extend((float(d), f) for d, f in zip(dists, feats, strict=True))
    found.sort(key=lambda t: t[0])
    return [f for _, f in found[:q.count]]


def render_info(features: list[Feature], fmt: str) -> tuple[bytes, str]:
    """The answer body and its media type."""
    if fmt == "json":
        body = orjson.dumps({"type": "FeatureCollection", "features": [
            {**f.to_geojson(), "layer": f.layer} for f in features]})
    elif fmt == "html":
        body = _html(features).encode()
    else:
        body = _gml(features).encode()
    return body, MEDIA[fmt]


def _html(features: list[Feature]) -> str:
    parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
             "<title>要素信息 / Feature info</title></head><body>"]
    if not features:
        parts.append("<p>此处没有要素 / no features here</p>")
    for f in features:
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_text(v))}</td></tr>"
                       for k, v in f.properties.items())
        parts.append(f"<h3>图层 / layer {html.escape(f.layer)} · 要素 / feature "
                     f"{html.escape(f.fid)}</h3><table>{rows}</table>")
    return "".join(parts) + "</body></html>"


def _text(v: Any) -> str:
    text = "" if v is None else v if isinstance(v, str) else orjson.dumps(v).decode()
    return _NOT_XML.sub("\ufffd", text)


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _gml(features: list[Feature]) -> str:
    """GML 2 in the shape MapServer's msGMLOutput uses: {layer}_layer/{layer}_feature."""
    layers: dict[str, list[Feature]] = {}
    for f in features:
        layers.setdefault(f.layer, []).append(f)
    out = ['<?xml version="1.0" encoding="UTF-8"?><msGMLOutput '
           'xmlns:gml="http://www.opengis.net/gml" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">']
    for name, feats in layers.items():
        tag = _xml_name(name)
        out.append(f"<{tag}_layer><gml:name>{escape(name)}</gml:name>")
        for f in feats:
            out.append(f"<{tag}_feature fid={quoteattr(f.fid)}>")
            if f.geometry is not None:
                b = f.geometry.bounds
                out.append('<gml:boundedBy><gml:Box srsName="EPSG:4326"><gml:coordinates>'
                           f"{b[0]},{b[1]} {b[2]},{b[3]}</gml:coordinates></gml:Box>"
                           "</gml:boundedBy>")
            for k, v in f.properties.items():
                key = _xml_name(str(k))
                out.append(f"<{key}>{escape(_text(v))}</{key}>")
            out.append(f"</{tag}_feature>")
        out.append(f"</{tag}_layer>")
    return "".join(out) + "</msGMLOutput>"


def _xml_name(text: str) -> str:
    name = "".join(c if c.isalnum() or c in "_-." else "_" for c in text)
    return name if name and (name[0].isalpha() or name[0] == "_") else "_" + name
