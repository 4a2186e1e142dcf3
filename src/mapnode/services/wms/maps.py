"""GetMap and GetLegendGraphic: parse the map parameters, resolve layers, call the renderer.

Layers are drawn in the order named. Consecutive store layers are one `render_map` call
(style `basemap`, `layers=[…]`); `basemap` and `labels` each draw their whole style. Several
groups are rendered transparent and composited over the first one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image

from mapnode.model import Actor
from mapnode.services.wms.layers import BASEMAP, resolve_layer
from mapnode.services.wms.params import (
    MapCrs,
    Params,
    fail,
    parse_bbox,
    parse_bgcolor,
    parse_bool,
    parse_crs,
    parse_format,
    parse_size,
    parse_styles,
    parse_time,
    split_list,
)
from mapnode.store import VersionedStore

MEDIA = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class Limits:
    max_width: int = 4096
    max_height: int = 4096
    max_pixels: int = 4096 * 4096
    max_layers: int = 32


@dataclass(frozen=True)
class MapQuery:
    """A parsed GetMap (or the map part of GetFeatureInfo); `bbox` is x/y in `crs`."""

    version: str
    layers: list[str]
    crs: MapCrs
    bbox: tuple[float, float, float, float]
    width: int
    height: int
    fmt: str
    transparent: bool
    bgcolor: str | None
    time: datetime | None


def parse_map(p: Params, version: str, limits: Limits, *, need_format: bool = True) -> MapQuery:
    """Parse LAYERS, STYLES, CRS/SRS, BBOX, WIDTH, HEIGHT, FORMAT, TRANSPARENT, BGCOLOR, TIME."""
    layers = split_list(p.require("LAYERS"))
    if any(not name for name in layers):
        raise fail("LayerNotDefined", "LAYERS", "图层名为空", "empty layer name",
                   value=p.get("LAYERS"))
    if len(layers) > limits.max_layers:
        raise fail("InvalidParameterValue", "LAYERS", f"图层数超过上限 {limits.max_layers}",
                   f"more than {limits.max_layers} layers", value=len(layers))
    parse_styles(p.get("STYLES"), len(layers))
    crs = parse_crs(p.require("CRS" if version == "1.3.0" else "SRS"), version)
    bbox = parse_bbox(p.require("BBOX"), crs)
    width = parse_size(p, "WIDTH", limits.max_width)
    height = parse_size(p, "HEIGHT", limits.max_height)
    if width * height > limits.max_pixels:
        raise fail("InvalidParameterValue", "WIDTH", f"图像像素数超过上限 {limits.max_pixels}",
                   f"image exceeds the maximum of {limits.max_pixels} pixels",
                   width=width, height=height)
    fmt = parse_format(p.require("FORMAT")) if need_format else "png"
    return MapQuery(version, layers, crs, bbox, width, height, fmt,
                    parse_bool(p, "TRANSPARENT"), parse_bgcolor(p.get("BGCOLOR")),
                    parse_time(p.get("TIME")))


def as_of(store: VersionedStore, q: MapQuery) -> int | None:
    """TIME → the store's seq at that instant (None: now)."""
    return None if q.time is None else store.resolve(q.time)


def groups(store: VersionedStore, actor: Actor, names: list[str],
           parameter: str = "LAYERS") -> list[tuple[str, list[str] | None]]:
    """(style, store layers or None) per render call, in drawing order."""
    out: list[tuple[str, list[str] | None]] = []
    for name in names:
        meta = resolve_layer(store, actor, name, parameter)
        if meta is None:
            out.append((name, None))
        elif out and out[-1][1] is not None:
            out[-1][1].append(name)  # type: ignore[union-attr]
        else:
            out.append((BASEMAP, [name]))
    return out


def get_map(store: VersionedStore, actor: Actor, q: MapQuery) -> bytes:
    """The map image in `q.fmt`."""
    parts = groups(store, actor, q.layers)
    from mapnode.render import render_map

    seq = as_of(store, q)

    def draw(style: str, layers: list[str] | None, fmt: str, transparent: bool,
             bgcolor: str | None) -> bytes:
        return render_map(store, actor, style=style, layers=layers, bbox=q.bbox,
                          crs=q.crs.render_crs, width=q.width, height=q.height, fmt=fmt,
                          transparent=transparent, bgcolor=bgcolor, as_of=seq)

    if len(parts) == 1:
        return draw(*parts[0], q.fmt, q.transparent, q.bgcolor)
    images = [Image.open(io.BytesIO(draw(style, layers, "png", q.transparent or i > 0,
                                         q.bgcolor if i == 0 else None))).convert("RGBA")
              for i, (style, layers) in enumerate(parts)]
    out = images[0]
    for im in images[1:]:
        out = Image.alpha_composite(out, im)
    return encode(out, q.fmt, q.transparent)


def encode(image: Image.Image, fmt: str, transparent: bool) -> bytes:
    buf = io.BytesIO()
    if fmt == "jpeg" or not transparent:
        image = image.convert("RGB")
    image.save(buf, format={"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt],
               **({"quality": 85} if fmt in ("jpeg", "webp") else {}))
    return buf.getvalue()


def blank(q: MapQuery) -> bytes:
    """EXCEPTIONS=BLANK: an empty image (transparent or the background colour)."""
    colour = q.bgcolor or "#ffffff"
    rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    image = Image.new("RGBA", (q.width, q.height), (*rgb, 0 if q.transparent else 255))
    return encode(image, q.fmt, q.transparent)


def get_legend(store: VersionedStore, actor: Actor, p: Params) -> tuple[bytes, str]:
    """GetLegendGraphic: LAYER, FORMAT (png by default), optional WIDTH/HEIGHT (20 px)."""
    name = p.require("LAYER")
    meta = resolve_layer(store, actor, name, "LAYER")
    from mapnode.render import legend_image

    style = p.get("STYLE") or ""
    if style not in ("", "default"):
        raise fail("StyleNotDefined", "STYLE", "样式不存在", "style not defined", value=style)
    fmt = parse_format(p.get("FORMAT") or "image/png")
    width = parse_size(p, "WIDTH", 512) if p.get("WIDTH") else 20
    height = parse_size(p, "HEIGHT", 512) if p.get("HEIGHT") else 20
    if meta is None:
        from mapnode.services.wms.legend import style_legend

        return style_legend(store, actor, name, fmt), MEDIA[fmt]
    data = legend_image(store, actor, style=BASEMAP, layer=name, width=width, height=height,
                        fmt=fmt)
    return data, MEDIA[fmt]
