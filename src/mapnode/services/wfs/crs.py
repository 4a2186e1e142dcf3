"""srsName forms and axis order for WFS.

Storage is lon/lat (EPSG:4490). Which axis comes first depends on how a CRS is named and, for
the short `EPSG:n` form, on the WFS version (as GeoServer and GDAL do):

| form | 2.0.0 | 1.1.0 |
|---|---|---|
| `urn:ogc:def:crs:EPSG::n`, `http://www.opengis.net/def/crs/EPSG/0/n` | authority order | authority order |
| `EPSG:n` | authority order | x/y (lon/lat, easting/northing) |
| `http://www.opengis.net/gml/srs/epsg.xml#n`, CRS84 forms | x/y | x/y |

Authority order: EPSG:4490 and 4326 are lat/lon, 4547–4549 northing/easting, 3857 x/y.
GeoJSON output is always x/y (lon/lat), whatever srsName says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.errors import InvalidParameter
from mapnode.services.features import parse_bbox
from mapnode.services.features_crs import (
    EPSG_URI,
    SUPPORTED_EPSG,
    OgcCrs,
    crs84,
    geometry_to_storage,
    parse_ogc_crs,
    to_output,
)
from mapnode.services.wfs.errors import WfsError, invalid

DEFAULT_EPSG = 4490
_AUTHORITY = [re.compile(r"^urn:(?:x-)?ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.I),
              re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$", re.I)]
_SHORT = re.compile(r"^EPSG:(\d+)$", re.I)
_XY = re.compile(r"^https?://www\.opengis\.net/gml/srs/epsg\.xml#(\d+)$", re.I)
_CRS84 = {"crs:84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84",
          "http://www.opengis.net/def/crs/ogc/1.3/crs84"}


@dataclass(frozen=True)
class WfsCrs:
    """A supported CRS as the request named it: EPSG code and whether the first axis is north."""

    epsg: int
    north_first: bool

    @property
    def urn(self) -> str:
        """How output names this CRS (a form whose axis order is unambiguous)."""
        if self.north_first or not _swaps(self.epsg):
            return f"urn:ogc:def:crs:EPSG::{self.epsg}"
        return f"http://www.opengis.net/gml/srs/epsg.xml#{self.epsg}"

    @property
    def _ogc(self) -> OgcCrs:
        """The OGC API CRS doing the work (authority order, or CRS84 for lon/lat)."""
        return _ogc(self.epsg, self.north_first)

    @property
    def swap(self) -> bool:
        """Whether coordinates must be swapped relative to `_ogc`'s axis order."""
        return _swaps(self.epsg) and not self.north_first and self.epsg not in (4490, 4326)

    def to_storage(self, geom: BaseGeometry) -> BaseGeometry:
        if self.swap:
            geom = _flip(geom)
        return geometry_to_storage(geom, self._ogc)

    def from_storage(self, geoms: list[BaseGeometry | None]) -> list[BaseGeometry | None]:
        out = to_output(geoms, self._ogc)
        return [_flip(g) if g is not None else None for g in out] if self.swap else out

    def bbox_to_storage(self, values: list[float], locator: str) -> tuple[float, ...]:
        """A bbox of 4 numbers in this CRS's axis order as a lon/lat bbox covering it."""
        if self.swap:
            values = [values[1], values[0], values[3], values[2]]
        text = ",".join(repr(v) for v in values)
        try:
            return parse_bbox(text, self._ogc)
        except InvalidParameter as exc:
            raise invalid(locator, exc.message_zh, exc.message_en) from None


def default_crs() -> WfsCrs:
    return WfsCrs(DEFAULT_EPSG, True)


def parse_srs(text: str | None, version: str, locator: str) -> WfsCrs:
    """A srsName / CRS value; `None` or empty means the default (urn EPSG:4490, lat/lon)."""
    if text is None or not text.strip():
        return default_crs()
    value = text.strip()
    if value.lower() in _CRS84:
        return WfsCrs(4326, False)
    for form in _AUTHORITY:
        m = form.match(value)
        if m:
            return _make(int(m.group(1)), None, value, locator)
    m = _SHORT.match(value)
    if m:
        return _make(int(m.group(1)), None if version.startswith("2") else False, value, locator)
    m = _XY.match(value)
    if m:
        return _make(int(m.group(1)), False, value, locator)
    raise _unsupported(value, locator)


def _make(epsg: int, north: bool | None, value: str, locator: str) -> WfsCrs:
    if epsg not in SUPPORTED_EPSG:
        raise _unsupported(value, locator)
    authority = _ogc(epsg, True).north_first
    return WfsCrs(epsg, authority if north is None else (north and authority))


def _unsupported(value: str, locator: str) -> WfsError:
    names = ", ".join(f"EPSG:{c}" for c in SUPPORTED_EPSG)
    return invalid(locator, f"不支持的坐标系 {value[:100]}（支持 {names}）",
                   f"unsupported CRS {value[:100]} (supported: {names})")


def _swaps(epsg: int) -> bool:
    return _ogc(epsg, True).north_first


@cache
def _ogc(epsg: int, north_first: bool) -> OgcCrs:
    if not north_first and epsg in (4490, 4326):
        return crs84()
    return parse_ogc_crs(EPSG_URI.format(epsg), "srsName")


def _flip(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.ascontiguousarray(xy[:, ::-1]))
