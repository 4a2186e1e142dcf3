"""WMS request parameters: names case-insensitive, values as WMS 1.3.0 / 1.1.1 define them.

Every error is an `InvalidParameter` whose context names the OGC exception code (`ogc_code`)
and the parameter (`parameter`), so the HTTP adapter can answer a ServiceExceptionReport.

Axis order: WMS 1.3.0 reads BBOX in the CRS's own axis order (EPSG:4490/4326 lat/lon,
EPSG:4547–4549 northing/easting, EPSG:3857 and CRS:84 x/y); WMS 1.1.1 is always x/y
(lon/lat for EPSG:4326). `MapQuery.bbox` is always x/y (easting/lon first).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from mapnode.errors import InvalidParameter

VERSIONS = ("1.1.1", "1.3.0")
SUPPORTED_EPSG = (4490, 4326, 3857, 4547, 4548, 4549)
NORTH_FIRST = {4490, 4326, 4547, 4548, 4549}  # EPSG axis order: latitude/northing first
CRS84 = "CRS:84"
FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}
FORMAT_ALIASES = {"png": "image/png", "image/png8": "image/png", "jpeg": "image/jpeg",
                  "jpg": "image/jpeg", "image/jpg": "image/jpeg", "webp": "image/webp"}
INFO_FORMATS = {"application/json": "json", "text/html": "html",
                "application/vnd.ogc.gml": "gml", "application/geo+json": "json",
                "text/xml": "gml", "application/gml+xml": "gml"}
REQUESTS = {"getcapabilities": "GetCapabilities", "capabilities": "GetCapabilities",
            "getmap": "GetMap", "map": "GetMap", "getfeatureinfo": "GetFeatureInfo",
            "feature_info": "GetFeatureInfo", "getlegendgraphic": "GetLegendGraphic"}
_HEX = re.compile(r"(?:0x|#)?([0-9a-fA-F]{6})")
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def fail(code: str, parameter: str | None, zh: str, en: str, **detail: object) -> InvalidParameter:
    context: dict[str, object] = {"ogc_code": code, **detail}
    if parameter:
        context["parameter"] = parameter
    return InvalidParameter(zh, en, context)


class Params:
    """Query parameters with case-insensitive names (the last value of a repeated name)."""

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]]) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._values = {k.upper(): v for k, v in pairs}

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._values.get(name.upper(), default)

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None or value.strip() == "":
            raise fail("MissingParameterValue", name, f"缺少参数 {name}",
                       f"missing parameter {name}")
        return value.strip()


def request_name(p: Params) -> str:
    """The REQUEST value (GetCapabilities, GetMap, GetFeatureInfo, GetLegendGraphic)."""
    service = p.get("SERVICE")
    if service and service.strip().upper() != "WMS":
        raise fail("InvalidParameterValue", "SERVICE", "服务类型必须是 WMS",
                   "SERVICE must be WMS", value=service)
    value = p.require("REQUEST")
    name = REQUESTS.get(value.lower())
    if name is None:
        raise fail("OperationNotSupported", "REQUEST", "不支持的操作", "unsupported request",
                   value=value, supported="GetCapabilities, GetMap, GetFeatureInfo, "
                   "GetLegendGraphic")
    return name


def _version_tuple(text: str, parameter: str) -> tuple[int, int, int]:
    m = _VERSION.fullmatch(text.strip())
    if not m:
        raise fail("InvalidParameterValue", parameter, "版本号格式错误",
                   "malformed version", value=text, supported=", ".join(VERSIONS))
    return int(m[1]), int(m[2]), int(m[3])


def negotiate(p: Params) -> str:
    """GetCapabilities version negotiation (WMS 1.3.0 §6.2.4): the highest we support that is
    not above the one asked for, or our lowest when the request is below it."""
    text = p.get("VERSION") or p.get("WMTVER")
    if not text:
        return VERSIONS[-1]
    asked = _version_tuple(text, "VERSION")
    below = [v for v in VERSIONS if _version_tuple(v, "VERSION") <= asked]
    return below[-1] if below else VERSIONS[0]


def version(p: Params) -> str:
    """VERSION for the operations other than GetCapabilities: required and supported."""
    text = p.get("VERSION") or p.get("WMTVER")
    if not text:
        raise fail("MissingParameterValue", "VERSION", "缺少参数 VERSION",
                   "missing parameter VERSION", supported=", ".join(VERSIONS))
    if text.strip() not in VERSIONS:
        _version_tuple(text, "VERSION")
        raise fail("InvalidParameterValue", "VERSION", "不支持的版本", "unsupported version",
                   value=text, supported=", ".join(VERSIONS))
    return text.strip()


@dataclass(frozen=True)
class MapCrs:
    """A CRS of the supported list: its WMS name, EPSG code and whether BBOX is north-first."""

    name: str
    epsg: int
    north_first: bool

    @property
    def render_crs(self) -> str:
        return f"EPSG:{self.epsg}"


def parse_crs(text: str, ver: str) -> MapCrs:
    """CRS (1.3.0) or SRS (1.1.1): EPSG:4490/4326/3857/4547/4548/4549 and CRS:84."""
    parameter = "CRS" if ver == "1.3.0" else "SRS"
    code = "InvalidCRS" if ver == "1.3.0" else "InvalidSRS"
    value = text.strip().upper()
    if value in (CRS84, "OGC:CRS84") and ver == "1.3.0":
        return MapCrs(CRS84, 4326, False)
    m = re.fullmatch(r"(?:EPSG:|URN:OGC:DEF:CRS:EPSG::)(\d+)", value)
    if m and int(m[1]) in SUPPORTED_EPSG:
        epsg = int(m[1])
        return MapCrs(f"EPSG:{epsg}", epsg, ver == "1.3.0" and epsg in NORTH_FIRST)
    raise fail(code, parameter, "不支持的坐标参照系", "unsupported CRS", value=text,
               supported=", ".join([*(f"EPSG:{c}" for c in SUPPORTED_EPSG), CRS84]))


def parse_bbox(text: str, crs: MapCrs) -> tuple[float, float, float, float]:
    """BBOX in the request's axis order → (minx, miny, maxx, maxy) in x/y order."""
    parts = [s.strip() for s in text.split(",")]
    if len(parts) != 4:
        raise fail("InvalidParameterValue", "BBOX", "BBOX 必须是 4 个数",
                   "BBOX must have 4 numbers", value=text)
    try:
        nums = [float(s) for s in parts]
    except ValueError:
        raise fail("InvalidParameterValue", "BBOX", "BBOX 含非数字", "BBOX has a non-number",
                   value=text) from None
    if not all(math.isfinite(n) for n in nums):
        raise fail("InvalidParameterValue", "BBOX", "BBOX 必须是有限数", "BBOX must be finite",
                   value=text)
    a0, b0, a1, b1 = nums
    if a0 >= a1 or b0 >= b1:
        raise fail("InvalidParameterValue", "BBOX", "BBOX 的最小值必须小于最大值",
                   "BBOX minimum must be less than maximum", value=text)
    box = (b0, a0, b1, a1) if crs.north_first else (a0, b0, a1, b1)
    if crs.epsg in (4490, 4326) and not (box[0] >= -180 and box[2] <= 180
                                         and box[1] >= -90 and box[3] <= 90):
        raise fail("InvalidParameterValue", "BBOX", "BBOX 超出经纬度范围（注意轴序）",
                   "BBOX outside longitude/latitude limits (check the axis order)", value=text,
                   axis_order="lat,lon" if crs.north_first else "lon,lat")
    return box


def parse_size(p: Params, name: str, maximum: int) -> int:
    text = p.require(name)
    if not re.fullmatch(r"\+?[0-9]{1,9}", text) or int(text) < 1:
        raise fail("InvalidParameterValue", name, f"{name} 必须是正整数",
                   f"{name} must be a positive integer", value=text)
    if int(text) > maximum:
        raise fail("InvalidParameterValue", name, f"{name} 超过上限 {maximum}",
                   f"{name} exceeds the maximum {maximum}", value=text, maximum=maximum)
    return int(text)


def parse_format(text: str, parameter: str = "FORMAT") -> str:
    """FORMAT → png | jpeg | webp (media type parameters such as `; mode=8bit` ignored)."""
    value = text.strip().lower().split(";")[0].strip()
    value = FORMAT_ALIASES.get(value, value)
    if value not in FORMATS:
        raise fail("InvalidFormat", parameter, "不支持的图像格式", "unsupported image format",
                   value=text, supported=", ".join(FORMATS))
    return FORMATS[value]


def parse_info_format(text: str | None) -> str:
    if text is None or not text.strip():
        return "html"
    value = text.strip().lower().split(";")[0].strip()
    if value not in INFO_FORMATS:
        raise fail("InvalidFormat", "INFO_FORMAT", "不支持的信息格式",
                   "unsupported INFO_FORMAT", value=text,
                   supported="application/json, text/html, application/vnd.ogc.gml")
    return INFO_FORMATS[value]


def parse_bool(p: Params, name: str) -> bool:
    text = (p.get(name) or "FALSE").strip().upper()
    if text not in ("TRUE", "FALSE", "1", "0"):
        raise fail("InvalidParameterValue", name, f"{name} 必须是 TRUE 或 FALSE",
                   f"{name} must be TRUE or FALSE", value=text)
    return text in ("TRUE", "1")


def parse_bgcolor(text: str | None) -> str | None:
    """BGCOLOR 0xRRGGBB → "#rrggbb"."""
    if text is None or not text.strip():
        return None
    m = _HEX.fullmatch(text.strip())
    if not m:
        raise fail("InvalidParameterValue", "BGCOLOR", "BGCOLOR 必须形如 0xRRGGBB",
                   "BGCOLOR must look like 0xRRGGBB", value=text)
    return "#" + m[1].lower()


def parse_time(text: str | None) -> datetime | None:
    """TIME: one ISO 8601 instant (a date is 00:00 UTC; no offset is UTC); `current` = now."""
    if text is None or not text.strip() or text.strip().lower() in ("current", "now"):
        return None
    value = text.strip()
    if "/" in value or "," in value:
        raise fail("InvalidDimensionValue", "TIME", "TIME 只接受一个时刻",
                   "TIME takes a single instant", value=text)
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise fail("InvalidDimensionValue", "TIME", "TIME 不是 ISO 8601 时刻",
                   "TIME is not an ISO 8601 instant", value=text) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def split_list(text: str | None) -> list[str]:
    if text is None or text.strip() == "":
        return []
    return [s.strip() for s in text.split(",")]


def parse_styles(text: str | None, count: int) -> None:
    """STYLES: empty, or one entry per layer, each empty or `default`."""
    styles = split_list(text)
    if not styles:
        return
    if len(styles) != count:
        raise fail("InvalidParameterValue", "STYLES", "STYLES 的个数必须与 LAYERS 相同",
                   "STYLES must name one style per layer", value=text, layers=count)
    for s in styles:
        if s not in ("", "default"):
            raise fail("StyleNotDefined", "STYLES", "样式不存在", "style not defined", value=s)
