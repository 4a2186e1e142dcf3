"""Server-side rendering of the map style (mapnode.styles) with mapnik, natively in any CRS.

`render_map` turns the style's layers, evaluated at the map's zoom, into mapnik XML
(mapnode.render.mapnik_xml, planned in mapnode.render.plan), feeds each store layer as a
datasource read with the caller's actor as of a seq (mapnode.render.data) and
raster layers through mapnik's `gdal` datasource (a single-band raster such as a DEM gets a
hypsometric tint), and renders in the requested CRS: EPSG:3857, 4490, 4326, 4547/4548/4549
(a 4490 map is drawn in 4490, never stretched from 3857).

The map's zoom is MapLibre's: z = log2(360° / (512 px × degrees of longitude per CSS pixel)),
so a 256 px WebMercatorQuad (or CGCS2000Quad) tile of level L is drawn as MapLibre draws zoom
L − 1, the same ground resolution. Labels use mapnik's collision detection over a buffer of
`BUFFER_PX` around the map, so a label near a tile edge is placed the same way in both tiles
(and shows whole, split across them). Symbol layers are placed top layer first, like MapLibre.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapnode.model import Actor
from mapnode.render.data import datasource
from mapnode.render.params import CRSES, FORMATS, image_format, map_zoom, parse_crs
from mapnode.render.plan import BUFFER_PX, MapPlan, draw, plan_map
from mapnode.store import VersionedStore

MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


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


def render_image(store: VersionedStore, actor: Actor, *, style: str, layers: Sequence[str] | None,
                 bbox: Sequence[float], crs: str, width: int, height: int, fmt: str,
                 transparent: bool, bgcolor: str | None, as_of: int | None,
                 scale: float, buffer_px: int = BUFFER_PX, avoid_edges: bool = False) -> Any:
    """The mapnik image (see render_map; `buffer_px` and `avoid_edges`: see plan_map);
    `is_solid()` tells an empty transparent map."""
    plan = plan_map(store, actor, style=style, layers=layers, bbox=bbox, crs=crs, width=width,
                    height=height, fmt=fmt, transparent=transparent, bgcolor=bgcolor,
                    as_of=as_of, scale=scale, buffer_px=buffer_px, avoid_edges=avoid_edges)
    return draw(plan, read_layers(store, actor, plan))


def read_layers(store: VersionedStore, actor: Actor, plan: MapPlan) -> dict[str, Any]:
    """A datasource per store layer the plan draws (none when it has nothing there)."""
    out = {}
    for src, fields in plan.fields.items():
        ds = datasource(store, actor, src, plan.lonlat, plan.px_deg, plan.seq, fields,
                        plan.filters[src])
        if ds is not None:
            out[src] = ds
    return out


def encode(image: Any, fmt: str, transparent: bool) -> bytes:
    if fmt == "png":
        return bytes(image.to_string("png32" if transparent else "png8:m=h"))
    if fmt == "jpeg":
        return bytes(image.to_string("jpeg85"))
    return bytes(image.to_string("webp:quality=85"))


def legend_image(store: VersionedStore, actor: Actor, *, style: str, layer: str,
                 width: int = 20, height: int = 20, fmt: str = "png") -> bytes:
    """A swatch of the layer's symbolizers (WMS GetLegendGraphic)."""
    from mapnode.render.legend import legend

    return legend(store, actor, style=style, layer=layer, width=width, height=height, fmt=fmt)


def media_type(fmt: str) -> str:
    return MEDIA_TYPES[image_format(fmt)]


__all__ = ["BUFFER_PX", "CRSES", "FORMATS", "MEDIA_TYPES", "encode", "image_format",
           "legend_image", "map_zoom", "media_type", "parse_crs", "render_image", "render_map"]
