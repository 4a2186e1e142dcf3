"""Style layers (MapLibre style spec v8) for each kind of store layer.

A store layer gets a *role* from its name and geometry type (`role_of`): roads, water,
landuse, poi, station, coastline, river, admin, or a generic one per geometry type. Each role
has a list of style layers whose `source-layer` is that store layer. Only the expressions the
server renderer (mapnode.render) understands are used: `interpolate`/`step` on zoom, `match`
on a property, `get`, `has`, `all`, `any`, `!`, `==`, `!=`.
"""

from __future__ import annotations

from typing import Any

from mapnode.model import GeometryType, LayerMeta
from mapnode.styles import palette as p

Layer = dict[str, Any]
SOURCE = "mapnode"


def role_of(meta: LayerMeta) -> str:
    """The role of a vector layer, from its name and geometry family."""
    name, g = meta.name.lower(), meta.geometry_type
    rules = [
        ("road", GeometryType.LINE, "road"), ("water", GeometryType.POLYGON, "water"),
        ("landuse", GeometryType.POLYGON, "landuse"), ("poi", GeometryType.POINT, "poi"),
        ("poi", GeometryType.POLYGON, "poi_area"), ("station", GeometryType.POINT, "station"),
        ("coast", GeometryType.LINE, "coastline"), ("river", GeometryType.LINE, "river"),
        ("admin", GeometryType.POLYGON, "admin"), ("admin", GeometryType.LINE, "admin"),
    ]
    for word, geom, role in rules:
        if word in name and g is geom:
            return role
    return {GeometryType.POINT: "generic_point", GeometryType.LINE: "generic_line",
            GeometryType.POLYGON: "generic_polygon"}.get(g, "none")


def zoomed(stops: list[tuple[int, float]], base: float = 1.5) -> list[Any]:
    expr: list[Any] = ["interpolate", ["exponential", base], ["zoom"]]
    for z, v in stops:
        expr += [z, v]
    return expr


def is_in(field: str, values: list[str]) -> list[Any]:
    return ["match", ["get", field], values, True, False]


def match(field: str, table: list[tuple[list[str], Any]], default: Any) -> list[Any]:
    expr: list[Any] = ["match", ["get", field]]
    for values, out in table:
        expr += [values, out]
    return [*expr, default]


def _base(layer: str, suffix: str, kind: str, **rest: Any) -> Layer:
    out: Layer = {"id": f"{layer}-{suffix}", "type": kind, "source": SOURCE,
                  "source-layer": layer}
    out.update({k.replace("_", "-"): v for k, v in rest.items()})
    return out


def _label(size: list[tuple[int, float]] | float, colour: str = p.TEXT,
           font: str = p.FONT, **layout: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    lay = {"text-field": ["get", "name"], "text-font": [font],
           "text-size": zoomed(size, 1.2) if isinstance(size, list) else size}
    lay.update({k.replace("_", "-"): v for k, v in layout.items()})
    paint = {"text-color": colour, "text-halo-color": p.HALO, "text-halo-width": 1.5}
    return lay, paint


def geometry_layers(meta: LayerMeta) -> list[Layer]:
    """The fill/line/circle layers of a store layer (drawn below every label)."""
    n, role = meta.name, role_of(meta)
    if role == "landuse":
        return [_base(n, "fill", "fill", minzoom=8, paint={
            "fill-color": match("fclass", p.LANDUSE_COLOURS, p.LANDUSE_DEFAULT)})]
    if role == "water":
        return [_base(n, "fill", "fill", paint={"fill-color": p.WATER}),
                _base(n, "outline", "line", minzoom=12, paint={
                    "line-color": p.WATER_LINE, "line-width": zoomed([(12, 0.3), (16, 0.8)])})]
    if role in ("coastline", "river"):
        return [_base(n, "line", "line", paint={
            "line-color": p.COAST if role == "coastline" else p.WATER_LINE,
            "line-width": zoomed([(5, 0.5), (12, 1.2), (16, 2.5)])})]
    if role == "poi_area":
        return [_base(n, "fill", "fill", minzoom=13, paint={"fill-color": "#efe6dc",
                                                            "fill-opacity": 0.6})]
    if role == "admin":
        return [_base(n, "boundary", "line", paint={
            "line-color": p.BOUNDARY, "line-width": zoomed([(4, 0.6), (10, 1.2), (14, 2.0)]),
            "line-dasharray": [3, 2]})]
    if role == "road":
        return _road_layers(n)
    if role == "generic_polygon":
        return [_base(n, "fill", "fill", paint={"fill-color": "#d9d3e8", "fill-opacity": 0.7,
                                                "fill-outline-color": "#8f7fb8"})]
    if role == "generic_line":
        return [_base(n, "line", "line", paint={"line-color": "#7a64a8", "line-width": 1.5})]
    if role == "generic_point":
        return [_base(n, "circle", "circle", paint={
            "circle-color": "#c8553d", "circle-radius": zoomed([(8, 2.0), (16, 5.0)]),
            "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.0})]
    return []


def _road_layers(n: str) -> list[Layer]:
    casings, fills = [], []
    for gid, classes, minzoom, fill, casing, widths in p.ROAD_GROUPS:
        flt = is_in("fclass", classes)
        layout = {"line-join": "round", "line-cap": "round"}
        if gid != "path":
            casings.append(_base(n, f"{gid}-casing", "line", minzoom=max(minzoom, 11),
                                 filter=flt, layout=layout, paint={
                                     "line-color": casing,
                                     "line-width": zoomed([(z, w + 1.6) for z, w in widths])}))
        paint: dict[str, Any] = {"line-color": fill if gid != "path" else "#c7bfb0",
                                 "line-width": zoomed(widths)}
        if gid == "path":
            paint["line-dasharray"] = [2, 1.5]
        fills.append(_base(n, gid, "line", minzoom=minzoom, filter=flt, layout=layout,
                           paint=paint))
    return casings + fills


def label_layers(meta: LayerMeta) -> list[Layer]:
    """The symbol layers (labels and icons) of a store layer."""
    n, role = meta.name, role_of(meta)
    if role == "road":
        lay, paint = _label([(13, 11.0), (17, 14.0)], symbol_placement="line",
                            symbol_spacing=300, text_max_angle=30)
        major = is_in("fclass", [c for _, cs, _, _, _, _ in p.ROAD_GROUPS[2:] for c in cs])
        return [_base(n, "label-major", "symbol", minzoom=12,
                      filter=["all", ["has", "name"], major], layout=lay, paint=paint),
                _base(n, "label-minor", "symbol", minzoom=15,
                      filter=["all", ["has", "name"], ["!", major]], layout=lay, paint=paint)]
    if role == "water":
        lay, paint = _label([(11, 11.0), (16, 15.0)], p.WATER_TEXT)
        return [_base(n, "label", "symbol", minzoom=11, filter=["has", "name"], layout=lay,
                      paint=paint)]
    if role == "poi":
        lay, paint = _label(12.0, p.TEXT_SOFT, text_anchor="top", text_offset=[0, 0.8],
                            text_max_width=8)
        lay["icon-image"] = match("amenity", p.AMENITY_ICONS, "poi-default")
        lay["icon-size"] = 1.0
        return [_base(n, "icon", "symbol", minzoom=15, filter=["has", "name"], layout=lay,
                      paint=paint)]
    if role == "station":
        lay, paint = _label([(12, 11.0), (16, 13.0)], "#2b4f80", p.FONT_BOLD,
                            text_anchor="top", text_offset=[0, 0.8])
        lay["icon-image"] = "station-rail"
        return [_base(n, "icon", "symbol", minzoom=12, filter=["has", "name"], layout=lay,
                      paint=paint)]
    if role in ("poi_area", "admin"):
        lay, paint = _label(12.0, p.TEXT_SOFT if role == "poi_area" else "#7a5e99")
        return [_base(n, "label", "symbol", minzoom=14 if role == "poi_area" else 8,
                      filter=["has", "name"], layout=lay, paint=paint)]
    if role == "generic_point":
        lay, paint = _label(12.0, p.TEXT_SOFT, text_anchor="top", text_offset=[0, 0.6])
        return [_base(n, "label", "symbol", minzoom=14, filter=["has", "name"], layout=lay,
                      paint=paint)]
    return []


def order_key(meta: LayerMeta) -> tuple[int, str]:
    """Drawing order of the geometry layers: areas, then water, lines, roads, points."""
    rank = {"landuse": 0, "generic_polygon": 1, "poi_area": 2, "water": 3, "coastline": 4,
            "river": 4, "admin": 5, "generic_line": 6, "road": 7, "station": 8, "poi": 9,
            "generic_point": 9}
    return rank.get(role_of(meta), 10), meta.name


def label_key(meta: LayerMeta) -> tuple[int, str]:
    """Order of the label layers: the last is placed first (MapLibre places the top layer's
    symbols first; mapnode.render does the same), so stations and road names win."""
    rank = {"water": 0, "poi_area": 1, "admin": 2, "generic_point": 3, "poi": 4, "road": 5,
            "station": 6}
    return rank.get(role_of(meta), 0), meta.name
