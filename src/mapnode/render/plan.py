"""One map: which style layers show at its zoom, as mapnik layers (`plan_map`), and drawing
it once each store layer has a datasource (`draw`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mapnode.errors import InvalidParameter, NotFound
from mapnode.model import Actor, LayerKind, LayerMeta
from mapnode.model.log import BBox
from mapnode.render import expressions as ex
from mapnode.render.env import mapnik
from mapnode.render.mapnik_xml import MapLayer, colorizer, map_xml, style_xml
from mapnode.render.params import (
    check_bbox,
    check_colour,
    check_size,
    image_format,
    lonlat_bbox,
    map_zoom,
    parse_crs,
)
from mapnode.store import VersionedStore
from mapnode.styles import check_style, style_layers

BUFFER_PX = 64
_GEOMETRY = {"fill": "polygon", "line": "line", "circle": "point", "symbol": "point"}


@dataclass
class MapPlan:
    """A map ready to draw: its mapnik layers and what to read for them."""

    srid: int
    box: BBox
    width: int
    height: int
    scale: float
    background: str | None
    buffer: int
    zoom: float
    lonlat: BBox  # the area to read, buffer included
    px_deg: float  # one output pixel in degrees (for generalisation)
    seq: int
    layers: list[MapLayer] = field(default_factory=list)
    fields: dict[str, set[str]] = field(default_factory=dict)  # store layer → properties used
    filters: dict[str, list[Any]] = field(default_factory=dict)  # store layer → style filters


def plan_map(store: VersionedStore, actor: Actor, *, style: str, layers: Sequence[str] | None,
             bbox: Sequence[float], crs: str, width: int, height: int, fmt: str,
             transparent: bool, bgcolor: str | None, as_of: int | None,
             scale: float, buffer_px: int = BUFFER_PX, avoid_edges: bool = False) -> MapPlan:
    """The map's mapnik layers and reads. `buffer_px` (CSS px) is the margin read around the
    map for label placement; `avoid_edges` drops labels that would cross the map's edge (a
    metatile is drawn with no buffer and `avoid_edges`, so no label is ever cut)."""
    srid, fmt = parse_crs(crs), image_format(fmt)
    check_size(width, height, scale)
    box = check_bbox(bbox)
    check_style(style)
    if bgcolor is not None:
        check_colour(bgcolor)
    seq = store.resolve(as_of)
    visible = {m.name: m for m in store.layers(actor)}
    chosen = style_layers_of(store, actor, style, layers, visible)
    buffer = round(buffer_px * scale)
    lonlat, view_lon_span = lonlat_bbox(box, srid, width, buffer)
    zoom = map_zoom(view_lon_span, width / scale)
    background = None if transparent and fmt != "jpeg" else (bgcolor or "#ffffff")
    plan = MapPlan(srid, box, width, height, scale, background, buffer, zoom, lonlat,
                   (lonlat[2] - lonlat[0]) / (width + 2 * buffer), seq)
    geometry, symbols = [], []
    for i, lyr in enumerate(chosen):
        if not lyr.get("minzoom", 0) <= zoom < lyr.get("maxzoom", 99):
            continue
        if lyr["type"] == "background":
            if not transparent and bgcolor is None:
                plan.background = str(ex.at_zoom(lyr["paint"]["background-color"], zoom))
            continue
        (symbols if lyr["type"] == "symbol" else geometry).append((i, lyr))
    for i, lyr in geometry + symbols[::-1]:  # the top symbol layer is placed first
        name = f"l{i}"
        if lyr["type"] == "raster":
            path = str(store.data_dir / str(visible[lyr["raster-layer"]].raster_path))
            srs, value_range = raster_info(path)
            tint = colorizer(*value_range) if value_range else ""
            plan.layers.append(MapLayer(name, None, path, srs,
                                        style_xml(name, lyr, zoom, "raster", tint),
                                        1 if tint else None))
            continue
        src = lyr["source-layer"]
        geom = visible[src].geometry_type.value if src in visible else _GEOMETRY[lyr["type"]]
        plan.layers.append(MapLayer(name, src, None, None,
                                    style_xml(name, lyr, zoom, geom, avoid_edges=avoid_edges)))
        plan.fields.setdefault(src, set()).update(_fields(lyr))
        plan.filters.setdefault(src, []).append(ex.at_zoom(lyr["filter"], zoom)
                                                if "filter" in lyr else None)
    return plan


def draw(plan: MapPlan, datasources: dict[str, Any]) -> Any:
    """Render the plan; a vector layer without a datasource (nothing there) is switched off,
    so that the map's XML depends only on style, zoom, CRS and size, and a parsed map is
    reused for the next tile of the same level (`_loaded`)."""
    m = mapnik()
    mp = _loaded(map_xml(f"epsg:{plan.srid}", plan.background, plan.layers, plan.buffer),
                 plan.width, plan.height)
    for ml, layer in zip(plan.layers, mp.layers, strict=True):
        if ml.source_layer:
            ds = datasources.get(ml.source_layer)
            layer.active = ds is not None
            if ds is not None:
                layer.datasource = ds
    mp.aspect_fix_mode = m.aspect_fix_mode.RESPECT
    mp.zoom_to_box(m.Box2d(*plan.box))
    image = m.Image(plan.width, plan.height)
    m.render(mp, image, plan.scale)
    return image


_local = threading.local()
MAPS_PER_THREAD = 24


def _loaded(xml: str, width: int, height: int) -> Any:
    """A mapnik Map of this XML and size: parsed once per thread and kept (LRU), since
    parsing costs 30-40 ms a map. Maps are not shared between threads."""
    cache: OrderedDict[tuple[str, int, int], Any] = getattr(_local, "maps", None) or OrderedDict()
    _local.maps = cache
    key = (xml, width, height)
    mp = cache.get(key)
    if mp is None:
        m = mapnik()
        mp = m.Map(width, height)
        m.load_map_from_string(mp, xml)
        cache[key] = mp
        while len(cache) > MAPS_PER_THREAD:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return mp


def style_layers_of(store: VersionedStore, actor: Actor, style: str,
                    layers: Sequence[str] | None,
                    visible: dict[str, LayerMeta] | None = None) -> list[dict[str, Any]]:
    """The style's layers, or those of the named store layers (NotFound when hidden)."""
    if visible is None:
        visible = {m.name: m for m in store.layers(actor)}
    if layers is None:
        return style_layers(list(visible.values()), style)
    if isinstance(layers, str) or not layers:
        raise InvalidParameter("图层列表无效", "layers must be a non-empty list of names",
                               {"layers": str(layers)})
    chosen: list[LayerMeta] = []
    for name in layers:
        meta = visible.get(name) or store.layer(actor, name)  # NotFound when hidden
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


@cache
def raster_info(path: str) -> tuple[str, tuple[float, float] | None]:
    """A raster file's srs for mapnik, and for a single band that is not 8-bit (a DEM) the
    value range its hypsometric tint spans (1st-99th percentile of the coarsest overview)."""
    import numpy as np
    import rasterio

    with rasterio.open(path) as ds:
        epsg = ds.crs.to_epsg() if ds.crs else None
        srs = f"epsg:{epsg}" if epsg else ds.crs.to_proj4()
        if ds.count != 1 or ds.dtypes[0] == "uint8":
            return srs, None
        factor = (ds.overviews(1) or [1])[-1]
        shape = (max(1, ds.height // factor), max(1, ds.width // factor))
        band = ds.read(1, out_shape=shape, masked=True).compressed()
        if band.size == 0:
            return srs, None
        return srs, (float(np.percentile(band, 1)), float(np.percentile(band, 99)))
