"""CRS for OGC API Features Part 2: the supported list, URI parsing and axis order.

Coordinates are stored as lon/lat (EPSG:4490). OGC URIs name a CRS with its authority's axis
order: EPSG:4490 and EPSG:4326 are lat/lon, EPSG:4547–4549 (CGCS2000 3° Gauss–Krüger) are
northing/easting, CRS84 and EPSG:3857 are x/y. So output in such a CRS swaps the axes, and a
`bbox-crs` or `filter-crs` in such a CRS is read in that order too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.crs import CoordFn, SourceCRS, from_storage_fn, parse_crs, to_storage_fn
from mapnode.errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
SUPPORTED_EPSG = (4490, 4326, 3857, 4547, 4548, 4549)
SUPPORTED = (CRS84, *(EPSG_URI.format(c) for c in SUPPORTED_EPSG))
STORAGE_CRS = EPSG_URI.format(4490)

_FORMS = [
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$"),
    re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:EPSG::(\d+)$", re.IGNORECASE),
]
_CRS84_FORMS = {CRS84, "https://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "OGC:CRS84",
                "[OGC:CRS84]", "urn:ogc:def:crs:OGC:1.3:CRS84"}


@dataclass(frozen=True)
class OgcCrs:
    """A CRS from the supported list: its URI, the CRS and whether its first axis is north."""

    uri: str
    source: SourceCRS
    north_first: bool

    @property
    def is_crs84(self) -> bool:
        return self.uri == CRS84


@cache
def _make(uri: str) -> OgcCrs:
    if uri == CRS84:
        return OgcCrs(uri, parse_crs("OGC:CRS84"), False)
    src = parse_crs(uri)
    assert src.crs is not None
    return OgcCrs(uri, src, src.crs.axis_info[0].direction in ("north", "south"))


def crs84() -> OgcCrs:
    return _make(CRS84)


def parse_ogc_crs(text: str | None, parameter: str) -> OgcCrs:
    """A CRS parameter (`crs`, `bbox-crs`, `filter-crs`) from the supported list, or a 400."""
    if text is None or text == "":
        return crs84()
    value = text.strip()
    if value in _CRS84_FORMS:
        return crs84()
    for form in _FORMS:
        m = form.match(value)
        if m and int(m.group(1)) in SUPPORTED_EPSG:
            return _make(EPSG_URI.format(int(m.group(1))))
    raise InvalidParameter("不支持的坐标系", "unsupported CRS",
                           {"parameter": parameter, "value": text, "supported": ", ".join(SUPPORTED)})


def output_fn(crs: OgcCrs) -> CoordFn | None:
    """A vectorised (n, 2) coordinate function from storage to `crs` in its axis order."""
    return _output_fn(crs.uri)


def input_fn(crs: OgcCrs) -> CoordFn | None:
    """A vectorised (n, 2) coordinate function from `crs` (its axis order) to storage."""
    return _input_fn(crs.uri)


@cache
def _output_fn(uri: str) -> CoordFn | None:
    crs = _make(uri)
    fn = None if crs.is_crs84 else from_storage_fn(crs.source)  # CGCS2000 ≈ WGS84: no change
    if not crs.north_first:
        return fn

    def swapped(xy: np.ndarray) -> np.ndarray:
        out = xy if fn is None else fn(xy)
        return out[:, ::-1].copy()

    return swapped


@cache
def _input_fn(uri: str) -> CoordFn | None:
    crs = _make(uri)
    fn = None if crs.is_crs84 else to_storage_fn(crs.source)
    if not crs.north_first:
        return fn

    def swapped(xy: np.ndarray) -> np.ndarray:
        flipped = xy[:, ::-1].copy()
        return flipped if fn is None else fn(flipped)

    return swapped


def to_output(geoms: list[BaseGeometry | None], crs: OgcCrs) -> list[BaseGeometry | None]:
    fn = output_fn(crs)
    if fn is None:
        return geoms
    arr = np.array(geoms, dtype=object)
    return list(shapely.transform(arr, fn))


def geometry_to_storage(geom: BaseGeometry, crs: OgcCrs) -> BaseGeometry:
    fn = input_fn(crs)
    return geom if fn is None else shapely.transform(geom, fn)


def _edge_points(bbox: tuple[float, float, float, float], n: int = 17) -> np.ndarray:
    """Points along the four edges of a bbox (a transformed box may bulge between corners)."""
    x0, y0, x1, y1 = bbox
    t = np.linspace(0.0, 1.0, n)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(n, x1), x1 - (x1 - x0) * t, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * t, np.full(n, y1), y1 - (y1 - y0) * t])
    return np.column_stack([xs, ys])


def _moved_bounds(bbox: tuple[float, float, float, float], fn: CoordFn) -> list[float]:
    with np.errstate(all="ignore"):
        xy = fn(_edge_points(bbox))
    return [float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()),
            float(xy[:, 1].max())]


def bbox_to_storage(bbox: tuple[float, float, float, float],
                    crs: OgcCrs) -> tuple[float, float, float, float]:
    """A bbox given in `crs` (its axis order) as a lon/lat bbox that covers it."""
    fn = input_fn(crs)
    if fn is None:
        return bbox
    bounds = _moved_bounds(bbox, fn)
    if not all(np.isfinite(bounds)) or not _round_trips(bbox, crs):
        raise InvalidParameter("bbox 超出坐标系范围", "bbox outside the CRS's area",
                               {"parameter": "bbox", "bbox-crs": crs.uri})
    return bounds[0], bounds[1], bounds[2], bounds[3]


def _round_trips(bbox: tuple[float, float, float, float], crs: OgcCrs) -> bool:
    """Whether the bbox corners survive storage and back (pyproj clamps points outside a
    projection's domain, e.g. 3857 beyond ±20,037 km, instead of failing)."""
    fn_in, fn_out = input_fn(crs), output_fn(crs)
    if fn_in is None or fn_out is None:
        return True
    corners = np.array([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], dtype=float)
    with np.errstate(all="ignore"):
        back = fn_out(fn_in(corners))
    return bool(np.allclose(back, corners, rtol=1e-6, atol=1e-3))


def bbox_from_storage(bbox: tuple[float, float, float, float], crs: OgcCrs) -> list[float]:
    """A lon/lat bbox in `crs` with its axis order (for extents and bbox members)."""
    fn = output_fn(crs)
    return list(bbox) if fn is None else _moved_bounds(bbox, fn)
