"""Checks of render_map's arguments (each error names its argument) and the map geometry:
the lon/lat area to read and the map's MapLibre zoom."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from pyproj import CRS, Transformer

from mapnode.errors import InvalidParameter
from mapnode.model.log import BBox
from mapnode.render import expressions as ex

CRSES = {"EPSG:3857": 3857, "EPSG:900913": 3857, "EPSG:4490": 4490, "EPSG:4326": 4326,
         "CRS:84": 4326, "OGC:CRS84": 4326, "EPSG:4547": 4547, "EPSG:4548": 4548,
         "EPSG:4549": 4549}
FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
MAX_SIZE = 4096


def parse_crs(crs: str) -> int:
    """The EPSG code of a supported map CRS (InvalidParameter otherwise)."""
    code = CRSES.get(str(crs).strip().upper())
    if code is None:
        raise InvalidParameter("不支持的坐标参考系", "unsupported CRS",
                               {"crs": crs, "supported": ", ".join(CRSES)})
    return code


def image_format(fmt: str) -> str:
    """png | jpeg | webp (jpg is jpeg); InvalidParameter otherwise."""
    out = FORMATS.get(str(fmt).lower())
    if out is None:
        raise InvalidParameter("不支持的图像格式", "unsupported image format",
                               {"format": fmt, "supported": "png, jpeg, webp"})
    return out


def check_size(width: int, height: int, scale: float) -> None:
    if not (isinstance(width, int) and isinstance(height, int)
            and 1 <= width <= MAX_SIZE and 1 <= height <= MAX_SIZE):
        raise InvalidParameter("图像尺寸超出范围", "image size out of range",
                               {"width": width, "height": height, "max": MAX_SIZE})
    if not (isinstance(scale, int | float) and 0.25 <= scale <= 4):
        raise InvalidParameter("缩放系数超出范围", "scale out of range", {"scale": scale})


def check_bbox(bbox: Sequence[float]) -> BBox:
    try:
        box = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or not (
            box[0] < box[2] and box[1] < box[3]):
        raise InvalidParameter("bbox 无效：须为四个有限数值且最小值小于最大值",
                               "bbox must be 4 finite numbers with min < max", {"bbox": bbox})
    return box  # type: ignore[return-value]


def check_colour(text: str) -> None:
    try:
        ex.parse_colour(text)
    except InvalidParameter:
        raise InvalidParameter("背景颜色无效", "bgcolor must be #rrggbb",
                               {"bgcolor": text}) from None


def map_zoom(lon_span: float, css_width: float) -> float:
    """MapLibre zoom of a map showing `lon_span` degrees over `css_width` CSS pixels."""
    return math.log2(360.0 / (512.0 * lon_span / css_width))


@cache
def _to_lonlat(srid: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(srid), CRS.from_epsg(4490), always_xy=True)


def lonlat_bbox(box: BBox, srid: int, width: int, buffer: int) -> tuple[BBox, float]:
    """The lon/lat bbox to read (the map plus its label buffer) and the map's lon span."""
    pad = (box[2] - box[0]) / width * buffer
    wide = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
    if srid in (4490, 4326):
        view = box[2] - box[0]
        lonlat = wide
    else:
        t = _to_lonlat(srid)
        lonlat = t.transform_bounds(*wide, densify_pts=21)
        cy = (box[1] + box[3]) / 2
        (lon0, lon1), _ = t.transform([box[0], box[2]], [cy, cy])
        view = lon1 - lon0
    lon0, lat0, lon1, lat1 = lonlat
    clamped = (max(-180.0, lon0), max(-90.0, lat0), min(180.0, lon1), min(90.0, lat1))
    if not (clamped[0] < clamped[2] and clamped[1] < clamped[3] and view > 0
            and all(math.isfinite(v) for v in clamped)):
        raise InvalidParameter("bbox 超出坐标参考系范围", "bbox outside the CRS's area",
                               {"bbox": box})
    return clamped, view
