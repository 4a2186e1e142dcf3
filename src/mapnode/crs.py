"""Coordinate reference systems.

Everything is stored as lon/lat in CGCS2000 (EPSG:4490, equal to WGS84 at metre level).
Projected inputs (3857, CGCS2000 3° Gauss–Krüger 4547–4549, any EPSG code pyproj knows) are
transformed with `always_xy=True`. The Chinese obfuscated systems GCJ-02 and BD-09 are not
EPSG systems: they are converted here only when the user names them explicitly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from mapnode.errors import InvalidParameter

STORAGE_EPSG = 4490
GCJ02 = "GCJ02"
BD09 = "BD09"
_OFFSET_ALIASES = {
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj_02": GCJ02, "火星坐标": GCJ02,
    "bd09": BD09, "bd-09": BD09, "bd_09": BD09, "bd09ll": BD09, "百度坐标": BD09,
}

Coords = np.ndarray
CoordFn = Callable[[Coords], Coords]


@dataclass(frozen=True)
class SourceCRS:
    """A CRS as the user or file named it: an EPSG/WKT CRS, or GCJ-02 / BD-09."""

    label: str
    crs: CRS | None  # None for GCJ-02 / BD-09 (lon/lat with an offset)
    offset_system: str | None = None

    @property
    def is_storage(self) -> bool:
        return self.offset_system is None and self.crs is not None and _is_lonlat_wgs(self.crs)


def _is_lonlat_wgs(crs: CRS) -> bool:
    epsg = crs.to_epsg(min_confidence=70)
    return epsg in (4490, 4326, 4979, 4480) or crs.name in ("WGS 84", "CGCS2000") or (
        crs.is_geographic and "WGS" in crs.datum.name.upper() and "84" in crs.datum.name)


def parse_crs(text: str | int | CRS | None) -> SourceCRS:
    """Parse a user-supplied CRS. Raises InvalidParameter naming the value when unknown."""
    if text is None or text == "":
        raise InvalidParameter("缺少坐标系", "missing CRS", {"crs": text})
    if isinstance(text, CRS):
        return SourceCRS(text.to_string(), text)
    key = str(text).strip()
    if key.lower() in _OFFSET_ALIASES:
        return SourceCRS(_OFFSET_ALIASES[key.lower()], None, _OFFSET_ALIASES[key.lower()])
    if key.isdigit():
        key = f"EPSG:{key}"
    try:
        crs = CRS.from_user_input(key)
    except CRSError as exc:
        raise InvalidParameter("无法识别的坐标系", "unknown CRS", {"crs": text}) from exc
    epsg = crs.to_epsg(min_confidence=70)
    label = f"EPSG:{epsg}" if epsg else crs.name
    return SourceCRS(label, crs)


@lru_cache(maxsize=64)
def _transformer(src_wkt: str, dst_epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src_wkt), CRS.from_epsg(dst_epsg), always_xy=True)


def to_storage_fn(src: SourceCRS) -> CoordFn | None:
    """A vectorised function mapping an (n, 2) array of source coordinates to lon/lat 4490.

    Returns None when no change is needed (the source already is CGCS2000/WGS84 lon/lat).
    """
    if src.offset_system == GCJ02:
        return gcj02_to_wgs84
    if src.offset_system == BD09:
        return lambda xy: gcj02_to_wgs84(bd09_to_gcj02(xy))
    assert src.crs is not None
    if src.is_storage:
        return None
    tr = _transformer(src.crs.to_wkt(), STORAGE_EPSG)

    def project(xy: Coords) -> Coords:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return project


def from_storage_fn(dst: SourceCRS) -> CoordFn | None:
    """Inverse of `to_storage_fn`: lon/lat 4490 to the target CRS (for output and bbox-crs)."""
    if dst.offset_system == GCJ02:
        return wgs84_to_gcj02
    if dst.offset_system == BD09:
        return lambda xy: gcj02_to_bd09(wgs84_to_gcj02(xy))
    assert dst.crs is not None
    if dst.is_storage:
        return None
    tr = Transformer.from_crs(CRS.from_epsg(STORAGE_EPSG), dst.crs, always_xy=True)

    def project(xy: Coords) -> Coords:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return project


def transform_geometries(geoms: np.ndarray, fn: CoordFn | None) -> np.ndarray:
    """Apply a coordinate function to an array of shapely geometries (vectorised)."""
    if fn is None:
        return geoms
    return shapely.transform(geoms, fn)


def transform_geometry(geom: BaseGeometry, fn: CoordFn | None) -> BaseGeometry:
    if fn is None:
        return geom
    return shapely.transform(geom, fn)


# --- GCJ-02 / BD-09 -------------------------------------------------------------------------
# The published GCJ-02 forward formula; the inverse is solved by fixed-point iteration
# (converges to < 1e-7° in a few steps). Outside China GCJ-02 equals WGS84.

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(xy: Coords) -> Coords:
    lon, lat = xy[:, 0], xy[:, 1]
    dlon, dlat = _delta(lon, lat)
    out = _out_of_china(lon, lat)
    return np.column_stack([np.where(out, lon, lon + dlon), np.where(out, lat, lat + dlat)])


def gcj02_to_wgs84(xy: Coords) -> Coords:
    """Exact inverse by iteration: find p with wgs84_to_gcj02(p) == xy."""
    guess = xy.copy()
    for _ in range(8):
        err = wgs84_to_gcj02(guess) - xy
        guess = guess - err
        if np.nanmax(np.abs(err), initial=0.0) < 1e-9:
            break
    return guess


def gcj02_to_bd09(xy: Coords) -> Coords:
    x, y = xy[:, 0], xy[:, 1]
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return np.column_stack([z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006])


def _bd09_to_gcj02_approx(xy: Coords) -> Coords:
    """The published inverse formula (off by up to ~1e-6°, about 0.1 m)."""
    x, y = xy[:, 0] - 0.0065, xy[:, 1] - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return np.column_stack([z * np.cos(theta), z * np.sin(theta)])


def bd09_to_gcj02(xy: Coords) -> Coords:
    """Exact inverse of `gcj02_to_bd09`: the published formula refined by iteration."""
    guess = _bd09_to_gcj02_approx(xy)
    for _ in range(8):
        err = gcj02_to_bd09(guess) - xy
        guess = guess - err
        if np.nanmax(np.abs(err), initial=0.0) < 1e-10:
            break
    return guess
