"""Server-side rendering of the map style (mapnode.styles) with mapnik, natively in any CRS.

`render_map` turns the style's layers, evaluated at the map's zoom, into mapnik XML
(mapnode.render.mapnik_xml), feeds each store layer as an inline GeoJSON datasource read with
the caller's actor as of a seq (mapnode.render.data) and raster layers through mapnik's `gdal`
datasource, and renders in the requested CRS: EPSG:3857, 4490, 4326, 4547/4548/4549 (a 4490
map is drawn in 4490, never stretched from 3857).

The map's zoom is MapLibre's: z = log2(360° / (512 px × degrees of longitude per CSS pixel)),
so a 256 px WebMercatorQuad (or CGCS2000Quad) tile of level L is drawn as MapLibre draws zoom
L − 1, the same ground resolution. Labels use mapnik's collision detection over a buffer of
`BUFFER_PX` around the map, so a label near a tile edge is placed the same way in both tiles
(and shows whole, split across them). Symbol layers are placed top layer first, like MapLibre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from pyproj import CRS, Transformer

from mapnode.errors import InvalidParameter, NotFound
from mapnode.model import Actor, LayerKind, LayerMeta
from mapnode.model.log import BBox
from mapnode.render import expressions as ex
from mapnode.render.data import geojson
from mapnode.render.env import mapnik
from mapnode.render.mapnik_xml import MapLayer, colorizer, map_xml, style_xml
from mapnode.store import VersionedStore
from mapnode.styles import check_style, style_layers

CRSES = {"EPSG:3857": 3857, "EPSG:900913": 3857, "EPSG:4490": 4490, "EPSG:4326": 4326,
         "CRS:84": 4326, "OGC:CRS84": 4326, "EPSG:4547": 4547, "EPSG:4548": 4548,
         "EPSG:4549": 4549}
FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_SIZE = 4096
BUFFER_PX = 128
_GEOMETRY = {"fill": "polygon", "line": "line", "circle": "point", "symbol": "point",
             "raster": "raster", "background": "none"}


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


def map_zoom(lon_span: float, css_width: float) -> float:
    """MapLibre zoom of a map showing `lon_span` degrees over `css_width` CSS pixels."""
    return math.log2(360.0 / (512.0 * lon_span / css_width))


def render_map(store: VersionedStore, actor: Actor, *, style: str = "basemap",
               layers: Sequence[str] | None = None, bbox: tuple[float, float, float, float],
               crs: str, width: int, height: int, fmt: str = "png",
               transparent: bool = False, bgcolor: str | None = None,
               as_of: int | None = None, scale: float = 1.0) -> bytes:
    """An image of the map: `bbox` (minx, miny, maxx, maxy) in the CRS's x/y order;
    `layers` None = the whole style, else store layer names (a raster layer draws itself);
    `as_of` a resolved seq; `scale` 2 for retina. Invalid arguments are InvalidParameter,
    hidden or unknown layers NotFound."""
    image = render_image(store, actor, style=style, layers=layers, bbox=bbox, crs=crs,
                         width=width, height=height, fmt=fmt, transparent=transparent,
                         bgcolor=bgcolor, as_of=as_of, scale=scale)
    return encode(image, image_format(fmt), transparent)


def encode(image: Any, fmt: str, transparent: bool) -> bytes:
    if fmt == "png":
        return bytes(image.to_string("png32" if transparent else "png8:m=h"))
    if fmt == "jpeg":
        return bytes(image.to_string("jpeg85"))
    return bytes(image.to_string("webp:quality=85"))


def render_image(store: VersionedStore, actor: Actor, *, style: str, layers: Sequence[str] | None,
                 bbox: tuple[float, float, float, float], crs: str, width: int, height: int,
                 fmt: str, transparent: bool, bgcolor: str | None, as_of: int | None,
                 scale: float) -> Any:
    """The mapnik image (see render_map); `is_solid()` tells an empty transparent map."""
    m = mapnik()
    srid, fmt = parse_crs(crs), image_format(fmt)
    _check_size(width, height, scale)
    box = _check_bbox(bbox)
    check_style(style)
    if bgcolor is not None:
        _check_colour(bgcolor)
    seq = store.resolve(as_of)
    chosen = _style_layers(store, actor, style, layers)
    buffer = round(BUFFER_PX * scale)
    lonlat, view_lon_span = _lonlat_bbox(box, srid, width, buffer)
    zoom = map_zoom(view_lon_span, width / scale)
    px_deg = (lonlat[2] - lonlat[0]) / (width + 2 * buffer)
    background = None if transparent and fmt != "jpeg" else (bgcolor or "#ffffff")
    geometry, symbols, rasters = [], [], {m_.name: m_ for m_ in _raster_metas(store, actor)}
    for i, lyr in enumerate(chosen):
        if not lyr.get("minzoom", 0) <= zoom < lyr.get("maxzoom", 99):
            continue
        if lyr["type"] == "background":
            if not transparent and bgcolor is None:
                background = str(ex.at_zoom(lyr["paint"]["background-color"], zoom))
            continue
        (symbols if lyr["type"] == "symbol" else geometry).append((i, lyr))
    metas = {mt.name: mt for mt in store.layers(actor)}
    ordered = geometry + symbols[::-1]  # the top symbol layer is placed first
    map_layers, needed = [], {}
    for i, lyr in ordered:
        name = f"l{i}"
        if lyr["type"] == "raster":
            meta = rasters[lyr["raster-layer"]]
            path = str(store.data_dir / str(meta.raster_path))
            srs, value_range = raster_info(path)
            tint = colorizer(*value_range) if value_range else ""
            map_layers.append(MapLayer(name, None, path, srs,
                                       style_xml(name, lyr, zoom, "raster", tint),
                                       1 if tint else None))
            continue
        src = lyr["source-layer"]
        geom = metas[src].geometry_type.value if src in metas else _GEOMETRY[lyr["type"]]
        map_layers.append(MapLayer(name, src, None, None, style_xml(name, lyr, zoom, geom)))
        needed.setdefault(src, set()).update(_fields(lyr))
    data = {}
    for src, fields in needed.items():
        text, n = geojson(store, actor, src, lonlat, px_deg, seq, fields)
        if n:
            data[src] = m.Datasource(type="geojson", inline=text)
    map_layers = [ml for ml in map_layers if ml.raster_file or ml.source_layer in data]
    mp = m.Map(width, height)
    m.load_map_from_string(mp, map_xml(f"epsg:{srid}", background, map_layers, buffer))
    for ml, layer in zip(map_layers, mp.layers, strict=True):
        if ml.source_layer:
            layer.datasource = data[ml.source_layer]
    mp.aspect_fix_mode = m.aspect_fix_mode.RESPECT
    mp.zoom_to_box(m.Box2d(*box))
    image = m.Image(width, height)
    m.render(mp, image, scale)
    return image


def _style_layers(store: VersionedStore, actor: Actor, style: str,
                  layers: Sequence[str] | None) -> list[dict[str, Any]]:
    visible = store.layers(actor)
    if layers is None:
        return style_layers(visible, style)
    if isinstance(layers, str) or not layers:
        raise InvalidParameter("图层列表无效", "layers must be a non-empty list of names",
                               {"layers": str(layers)})
    chosen: list[LayerMeta] = []
    for name in layers:
        meta = store.layer(actor, name)  # NotFound for unknown and hidden layers
        if meta.kind is LayerKind.TABLE or (meta.kind is LayerKind.RASTER
                                            and not meta.raster_path):
            raise NotFound("该图层不能绘制", "this layer cannot be drawn", {"layer": name})
        chosen.append(meta)
    out: list[dict[str, Any]] = []
    vectors = [mt for mt in chosen if mt.kind is LayerKind.VECTOR]
    rasters = [mt for mt in chosen if mt.kind is LayerKind.RASTER]
    if rasters:
        out += [lyr for lyr in style_layers(rasters, "imagery") if lyr["type"] == "raster"]
    if vectors:
        base = style_layers(vectors, "labels" if style == "labels" else "basemap")
        out += [lyr for lyr in base if lyr["type"] != "background"]
    if style != "labels":
        out.insert(0, style_layers([], "basemap")[0])  # the land colour (unless transparent)
    return out


def _raster_metas(store: VersionedStore, actor: Actor) -> list[LayerMeta]:
    return [mt for mt in store.layers(actor) if mt.kind is LayerKind.RASTER]


def _fields(layer: dict[str, Any]) -> set[str]:
    """Property names a style layer reads (get/has), so only those are sent to mapnik."""
    out: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, list):
            if len(v) == 2 and v[0] in ("get", "has", "!has") and isinstance(v[1], str):
                out.add(v[1])
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk([layer.get("filter"), layer.get("paint"), layer.get("layout")])
    return out


def _check_size(width: int, height: int, scale: float) -> None:
    if not (isinstance(width, int) and isinstance(height, int)
            and 1 <= width <= MAX_SIZE and 1 <= height <= MAX_SIZE):
        raise InvalidParameter("图像尺寸超出范围", "image size out of range",
                               {"width": width, "height": height, "max": MAX_SIZE})
    if not (isinstance(scale, int | float) and 0.25 <= scale <= 4):
        raise InvalidParameter("缩放系数超出范围", "scale out of range", {"scale": scale})


def _check_bbox(bbox: Sequence[float]) -> BBox:
    try:
        box = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or not (
            box[0] < box[2] and box[1] < box[3]):
        raise InvalidParameter("bbox 无效：须为四个有限数值且最小值小于最大值",
                               "bbox must be 4 finite numbers with min < max", {"bbox": bbox})
    return box  # type: ignore[return-value]


def _check_colour(text: str) -> None:
    try:
        ex.parse_colour(text)
    except InvalidParameter:
        raise InvalidParameter("背景颜色无效", "bgcolor must be #rrggbb",
                               {"bgcolor": text}) from None


@cache
def _to_lonlat(srid: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(srid), CRS.from_epsg(4490), always_xy=True)


def _lonlat_bbox(box: BBox, srid: int, width: int, buffer: int) -> tuple[BBox, float]:
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
    if not (clamped[0] < clamped[2] and clamped[1] < clamped[3] and view > 0):
        raise InvalidParameter("bbox 超出坐标参考系范围", "bbox outside the CRS's area",
                               {"bbox": box})
    return clamped, view


@cache
def raster_info(path: str) -> tuple[str, tuple[float, float] | None]:
    """A raster file's srs for mapnik, and for a single band that is not 8-bit (a DEM) the
    value range its hypsometric tint spans (from the coarsest overview)."""
    import numpy as np
    import rasterio

    with rasterio.open(path) as ds:
        epsg = ds.crs.to_epsg() if ds.crs else None
        srs = f"epsg:{epsg}" if epsg else ds.crs.to_proj4()
        if ds.count != 1 or ds.dtypes[0] == "uint8":
            return srs, None
        factors = ds.overviews(1)
        shape = (max(1, ds.height // (factors[-1] if factors else 1)),
                 max(1, ds.width // (factors[-1] if factors else 1)))
        band = ds.read(1, out_shape=shape, masked=True).compressed()
        if band.size == 0:
            return srs, None
        return srs, (float(np.percentile(band, 1)), float(np.percentile(band, 99)))


def legend_image(store: VersionedStore, actor: Actor, *, style: str, layer: str,
                 width: int = 20, height: int = 20, fmt: str = "png") -> bytes:
    """A swatch of the layer's symbolizers (WMS GetLegendGraphic)."""
    from mapnode.render.legend import legend

    return legend(store, actor, style=style, layer=layer, width=width, height=height, fmt=fmt)


def media_type(fmt: str) -> str:
    return MEDIA_TYPES[image_format(fmt)]


__all__ = ["CRSES", "FORMATS", "image_format", "legend_image", "map_zoom", "media_type",
           "parse_crs", "render_image", "render_map"]
