"""Legend swatches (WMS GetLegendGraphic): a layer's style drawn on a sample feature.

The sample is a square (polygons), a horizontal line (lines) or a point (points) on a
transparent square map in lon/lat; data-driven colours show their first class. Symbol layers
draw their icon only (no text); raster layers show a grey swatch.
"""

from __future__ import annotations

from typing import Any

import orjson

from mapnode.model import Actor, GeometryType, LayerKind
from mapnode.render.env import mapnik
from mapnode.render.mapnik_xml import MapLayer, map_xml, style_xml
from mapnode.render.params import check_size, image_format
from mapnode.render.plan import style_layers_of
from mapnode.store import VersionedStore

LEGEND_ZOOM = 16.0
_SAMPLES = {
    GeometryType.POLYGON: {"type": "Polygon", "coordinates": [[[0.1, 0.1], [0.9, 0.1], [0.9, 0.9],
                                                               [0.1, 0.9], [0.1, 0.1]]]},
    GeometryType.LINE: {"type": "LineString", "coordinates": [[0.05, 0.5], [0.95, 0.5]]},
    GeometryType.POINT: {"type": "Point", "coordinates": [0.5, 0.5]},
}


def _sample_props(value: Any, out: dict[str, Any]) -> None:
    """Property values that select the first class of every `match` in a style value."""
    if isinstance(value, list):
        if (len(value) > 3 and value[0] == "match" and isinstance(value[1], list)
                and value[1][:1] == ["get"]):
            first = value[2][0] if isinstance(value[2], list) else value[2]
            out.setdefault(value[1][1], first)
        for v in value:
            _sample_props(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _sample_props(v, out)


def legend(store: VersionedStore, actor: Actor, *, style: str, layer: str, width: int,
           height: int, fmt: str) -> bytes:
    from mapnode.render import encode

    fmt = image_format(fmt)
    check_size(width, height, 1.0)
    meta = store.layer(actor, layer)
    m = mapnik()
    mp = m.Map(width, height)
    if meta.kind is LayerKind.RASTER:
        m.load_map_from_string(mp, map_xml("epsg:4490", "#b8c4cc", [], 0))
    else:
        chosen = [lyr for lyr in style_layers_of(store, actor, style, [layer])
                  if lyr["type"] not in ("background", "raster")]
        props: dict[str, Any] = {}
        map_layers = []
        for i, lyr in enumerate(chosen):
            _sample_props([lyr.get("filter"), lyr.get("paint"), lyr.get("layout")], props)
            if lyr["type"] == "symbol":
                layout = {k: v for k, v in (lyr.get("layout") or {}).items()
                          if not k.startswith("text-")}
                if "icon-image" not in layout:
                    continue
                lyr = {**lyr, "layout": layout}
            lyr = {k: v for k, v in lyr.items() if k not in ("minzoom", "maxzoom")}
            map_layers.append(MapLayer(f"l{i}", layer, None, None,
                                       style_xml(f"l{i}", lyr, LEGEND_ZOOM,
                                                 meta.geometry_type.value)))
        props.setdefault("name", "")
        sample = _SAMPLES.get(meta.geometry_type)
        m.load_map_from_string(mp, map_xml("epsg:4490", None, map_layers if sample else [], 0))
        if sample:
            text = orjson.dumps({"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": sample, "properties": props}]}).decode()
            ds = m.Datasource(type="geojson", inline=text)
            for lyr in mp.layers:
                lyr.datasource = ds
    mp.zoom_to_box(m.Box2d(0, 0, 1, 1))
    image = m.Image(width, height)
    m.render(mp, image)
    return encode(image, fmt, True)
