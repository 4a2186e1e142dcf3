"""Static map images shaped like 天地图's static map API:

`/staticimage?center=lon,lat&zoom=z&width=w&height=h&layers=vec_c,cva_c&markers=…&paths=…`

- `center` lon,lat (CGCS2000) and `zoom` (天地图 levels 1–18) give the view; `width`,
  `height` in pixels (1–`MAX_SIDE`, default 400×300).
- `layers`: comma-separated 天地图 names `vec|cva|img|cia` + `_w` (Web Mercator) or `_c`
  (CGCS2000 lon/lat), drawn bottom to top; all in one grid (default `vec_c,cva_c`); `cia`
  (天地图's imagery labels) draws the same label overlay as `cva`.
- `markers`: `lon,lat|lon,lat…` (at most `MAX_MARKERS`), a pin whose tip is on the point.
- `paths`: `lon,lat;lon,lat;…|…` (at most `MAX_PATHS` paths, `MAX_PATH_POINTS` points in
  all); a path whose last point equals its first is a polygon (filled). `pathStyles`:
  `color,width,fillColor|…` per path (colours `0xRRGGBB[AA]` or `#RRGGBB[AA]`).
- `format` png (default) or jpeg/jpg; `datetime` an RFC 3339 instant: the data as of then.

The map is `mapnode.render.render_map` of each layer's style (vec = basemap, cva = labels,
img = imagery) composited with Pillow; overlays are drawn with Pillow at 4× and scaled down
(anti-aliased). Errors are RFC 9457 problem JSON (400 naming the parameter, 404 for a layer
the caller may not see). Parsing and drawing need no HTTP; only `staticimage` does.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageDraw
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode import render
from mapnode.errors import InvalidParameter
from mapnode.grids import EARTH_RADIUS, TILE_SIZE, from_lonlat
from mapnode.http.auth import actor_of
from mapnode.model import Actor
from mapnode.store import VersionedStore

MAX_SIDE = 1024
MAX_MARKERS = 50
MAX_PATHS = 10
MAX_PATH_POINTS = 1000
ZOOMS = (1, 18)
STYLES = {"vec": "basemap", "cva": "labels", "img": "imagery", "cia": "labels"}
CRS = {"w": "EPSG:3857", "c": "EPSG:4490"}
KNOWN = {"center", "zoom", "width", "height", "layers", "markers", "paths", "pathstyles",
         "format", "datetime", "tk"}
SUPERSAMPLE = 4
Colour = tuple[int, int, int, int]


@dataclass(frozen=True)
class PathStyle:
    colour: Colour = (0x33, 0x66, 0xFF, 230)
    width: float = 3.0
    fill: Colour = (0x33, 0x66, 0xFF, 64)


@dataclass(frozen=True)
class StaticMap:
    center: tuple[float, float]
    zoom: int
    width: int
    height: int
    styles: tuple[str, ...]
    grid: str  # w or c
    markers: tuple[tuple[float, float], ...]
    paths: tuple[tuple[tuple[float, float], ...], ...]
    path_styles: tuple[PathStyle, ...]
    fmt: str  # png or jpeg
    time: datetime | None

    @property
    def crs(self) -> str:
        return CRS[self.grid]

    def resolution(self) -> float:
        """CRS units per pixel at this zoom (天地图 levels: same ground size as the tiles)."""
        if self.grid == "w":
            return 2 * math.pi * EARTH_RADIUS / TILE_SIZE / 2 ** self.zoom
        return 0.703125 / 2 ** (self.zoom - 1)

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        return from_lonlat(lon, lat) if self.grid == "w" else (lon, lat)

    def bbox(self) -> tuple[float, float, float, float]:
        cx, cy = self.project(*self.center)
        r = self.resolution()
        return (cx - self.width / 2 * r, cy - self.height / 2 * r,
                cx + self.width / 2 * r, cy + self.height / 2 * r)

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        """Image pixel (x right, y down) of a lon/lat."""
        minx, _, _, maxy = self.bbox()
        x, y = self.project(lon, lat)
        r = self.resolution()
        return (x - minx) / r, (maxy - y) / r


def bad(name: str, value: str, zh: str, en: str, **extra: Any) -> InvalidParameter:
    return InvalidParameter(zh, en, {"parameter": name, "value": value[:200], **extra})


def _number(name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise bad(name, text, "参数必须是数字", "parameter must be a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise bad(name, text, "参数超出范围", "parameter out of range", min=low, max=high)
    return value


def _integer(name: str, text: str, low: int, high: int) -> int:
    if not text.strip().lstrip("-").isdigit():
        raise bad(name, text, "参数必须是整数", "parameter must be an integer")
    return int(_number(name, text, low, high))


def _point(name: str, text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise bad(name, text, "坐标应为 经度,纬度", "a point is lon,lat")
    return _number(name, parts[0], -180, 180), _number(name, parts[1], -90, 90)


def colour(name: str, text: str) -> Colour:
    raw = text.strip().lower().removeprefix("0x").removeprefix("#")
    if len(raw) not in (6, 8) or any(c not in "0123456789abcdef" for c in raw):
        raise bad(name, text, "颜色应为 0xRRGGBB 或 0xRRGGBBAA", "a colour is 0xRRGGBB[AA]")
    value = bytes.fromhex(raw)
    return (value[0], value[1], value[2], value[3] if len(value) == 4 else 255)


def parse(query: dict[str, str]) -> StaticMap:
    """Check every parameter; each error names its parameter."""
    unknown = sorted(set(query) - KNOWN)
    if unknown:
        raise bad(unknown[0], query[unknown[0]], "未知参数", "unknown parameter",
                  known=", ".join(sorted(KNOWN)))
    for name in ("center", "zoom"):
        if not query.get(name):
            raise bad(name, "", "缺少参数", "missing parameter")
    center = _point("center", query["center"])
    zoom = _integer("zoom", query["zoom"], *ZOOMS)
    width = _integer("width", query.get("width", "400"), 1, MAX_SIDE)
    height = _integer("height", query.get("height", "300"), 1, MAX_SIDE)
    styles, grids = [], set()
    for name in (query.get("layers") or "vec_c,cva_c").split(","):
        layer, _, g = name.strip().rpartition("_")
        if layer not in STYLES or g not in CRS:
            raise bad("layers", name, "不支持的图层", "unsupported layer",
                      supported="vec_w, cva_w, img_w, cia_w, vec_c, cva_c, img_c, cia_c")
        styles.append(STYLES[layer])
        grids.add(g)
    if len(grids) != 1:
        raise bad("layers", query["layers"], "图层须同属 _w 或 _c", "layers must all be _w or _c")
    markers = tuple(_point("markers", p) for p in query.get("markers", "").split("|") if p)
    if len(markers) > MAX_MARKERS:
        raise bad("markers", query["markers"], "标注点过多", "too many markers", max=MAX_MARKERS)
    paths = tuple(tuple(_point("paths", p) for p in path.split(";") if p)
                  for path in query.get("paths", "").split("|") if path)
    if len(paths) > MAX_PATHS or sum(len(p) for p in paths) > MAX_PATH_POINTS:
        raise bad("paths", query["paths"], "路径过多或点数过多", "too many paths or points",
                  max_paths=MAX_PATHS, max_points=MAX_PATH_POINTS)
    if any(len(p) < 2 for p in paths):
        raise bad("paths", query["paths"], "路径至少需要两个点", "a path needs two points at least")
    path_styles = tuple(_path_style(s) for s in query.get("pathstyles", "").split("|") if s)
    fmt = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg"}.get(query.get("format", "png").lower())
    if fmt is None:
        raise bad("format", query["format"], "不支持的图像格式", "unsupported image format",
                  supported="png, jpeg")
    return StaticMap(center, zoom, width, height, tuple(styles), grids.pop(), markers, paths,
                     path_styles, fmt, _instant(query.get("datetime")))


def _path_style(text: str) -> PathStyle:
    parts = [p.strip() for p in text.split(",")]
    base = PathStyle()
    return PathStyle(colour("pathStyles", parts[0]) if parts[0] else base.colour,
                     _number("pathStyles", parts[1], 0.5, 20) if len(parts) > 1 and parts[1]
                     else base.width,
                     colour("pathStyles", parts[2]) if len(parts) > 2 and parts[2] else base.fill)


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad("datetime", text, "datetime 必须是 RFC 3339 时刻",
                  "datetime must be an RFC 3339 instant") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def draw(store: VersionedStore, actor: Actor, sm: StaticMap) -> bytes:
    """The image: each layer rendered, composited, then paths and markers drawn over it."""
    seq = store.resolve(sm.time) if sm.time is not None else None
    base: Image.Image | None = None
    for i, style in enumerate(sm.styles):
        data = render.render_map(store, actor, style=style, bbox=sm.bbox(), crs=sm.crs,
                                 width=sm.width, height=sm.height, fmt="png",
                                 transparent=i > 0 or style == "labels", as_of=seq)
        layer = Image.open(io.BytesIO(data)).convert("RGBA")
        base = layer if base is None else Image.alpha_composite(base, layer)
    assert base is not None
    overlay = _overlay(sm)
    image = Image.alpha_composite(base, overlay)
    out = io.BytesIO()
    if sm.fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=88)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _overlay(sm: StaticMap) -> Image.Image:
    """Paths and markers at SUPERSAMPLE× size, scaled down for smooth edges."""
    k = SUPERSAMPLE
    layer = Image.new("RGBA", (sm.width * k, sm.height * k), (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    for i, path in enumerate(sm.paths):
        style = sm.path_styles[i] if i < len(sm.path_styles) else (
            sm.path_styles[-1] if sm.path_styles else PathStyle())
        points = [tuple(v * k for v in sm.pixel(*p)) for p in path]
        if len(path) > 2 and path[0] == path[-1]:
            pen.polygon(points, fill=style.fill)
        pen.line(points, fill=style.colour, width=max(1, round(style.width * k)), joint="curve")
    for lon, lat in sm.markers:
        x, y = (v * k for v in sm.pixel(lon, lat))
        _pin(pen, x, y, k)
    return layer.resize((sm.width, sm.height), Image.Resampling.LANCZOS)


def _pin(pen: ImageDraw.ImageDraw, x: float, y: float, k: int) -> None:
    """A red map pin (25 px tall) whose tip is at (x, y)."""
    r = 8 * k
    cy = y - 17 * k
    pen.polygon([(x, y), (x - r * 0.8, cy + r * 0.45), (x + r * 0.8, cy + r * 0.45)],
                fill=(0xE0, 0x30, 0x30, 255))
    pen.ellipse([x - r, cy - r, x + r, cy + r], fill=(0xE0, 0x30, 0x30, 255),
                outline=(0x90, 0x10, 0x10, 255), width=k)
    dot = 3 * k
    pen.ellipse([x - dot, cy - dot, x + dot, cy + dot], fill=(255, 255, 255, 255))


def routes() -> list[BaseRoute]:
    return [Route("/staticimage", staticimage)]


async def staticimage(request: Request) -> Response:
    query = {k.strip().lower(): v for k, v in request.query_params.items()}
    sm = parse(query)
    data = await run_in_threadpool(draw, request.app.state.store, actor_of(request), sm)
    return Response(data, media_type=render.MEDIA_TYPES[sm.fmt],
                    headers={"Cache-Control": "private, max-age=60",
                             "Vary": "Authorization, X-API-Key"})
