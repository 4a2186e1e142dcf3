"""Style layers (evaluated at one zoom) → mapnik XML: one `<Style>` and one `<Layer>` each.

Translation (MapLibre → mapnik):
- `fill` → PolygonSymbolizer (`fill-color`, `fill-opacity`; `fill-outline-color` → a 1 px
  LineSymbolizer);
- `line` → LineSymbolizer (`line-color`, `line-width`, `line-opacity`, `line-dasharray` in line
  widths, `line-cap`, `line-join`);
- `circle` → MarkersSymbolizer ellipse (`circle-radius`, `-color`, `-stroke-color`,
  `-stroke-width`), overlapping like MapLibre's circles;
- `symbol` → TextSymbolizer (`text-field`, `text-font`, `text-size`, `text-color`,
  `text-halo-color`/`-width`, `symbol-placement: line` → line placement with `symbol-spacing`
  and `text-max-angle`, `text-offset`, `text-max-width`), with `icon-image` → ShieldSymbolizer
  (icon and text placed, or dropped, together) or a PointSymbolizer without text. Mapnik's
  label collision detector keeps labels apart across layers;
- `raster` → RasterSymbolizer (`raster-opacity`, bilinear) over a `gdal` datasource.
Data-driven values (`match`/`case`) become one rule per branch (expressions.combine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from mapnode.errors import InvalidParameter
from mapnode.render import expressions as ex
from mapnode.render.icons import ICON_TRANSFORM, icon_file
from mapnode.styles import palette

FONTS = {palette.FONT, palette.FONT_BOLD}


@dataclass
class MapLayer:
    """One mapnik layer to add: its XML, and the store layer (or raster file) it reads."""

    name: str
    source_layer: str | None  # store layer (vector) read into an inline GeoJSON datasource
    raster_file: str | None  # GeoTIFF path with its srs
    raster_srs: str | None
    style_xml: str
    raster_band: int | None = None  # read one band's values (for a colorizer)


RAMP = ["#6fa36b", "#b5cf86", "#e9e2a4", "#d2ad76", "#a9825d", "#f4f1ec"]  # low → high


def colorizer(low: float, high: float) -> str:
    """A hypsometric tint for single-band (elevation-like) rasters, `low`…`high` linearly."""
    step = (high - low) / (len(RAMP) - 1) if high > low else 1.0
    stops = "".join(f'<stop value="{low + i * step:.3f}" color="{c}"/>'
                    for i, c in enumerate(RAMP))
    return (f'<RasterColorizer default-mode="linear" default-color="transparent">{stops}'
            "</RasterColorizer>")


def _attrs(**values: Any) -> str:
    out = []
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, float):
            v = f"{v:.3f}".rstrip("0").rstrip(".")
        out.append(f"{k.replace('_', '-')}={quoteattr(str(v))}")
    return " ".join(out)


def _tag(name: str, **values: Any) -> str:
    return f"<{name} {_attrs(**values)}/>"


def symbolizers(kind: str, paint: dict[str, Any], layout: dict[str, Any],
                geometry: str, avoid_edges: bool = False) -> list[str]:
    """The mapnik symbolizers of one rule (constant values only)."""
    if kind == "fill":
        out = [_tag("PolygonSymbolizer", fill=paint.get("fill-color", "#000000"),
                    fill_opacity=float(paint.get("fill-opacity", 1.0)), gamma=0.7)]
        if "fill-outline-color" in paint:
            out.append(_tag("LineSymbolizer", stroke=paint["fill-outline-color"],
                            stroke_width=0.6))
        return out
    if kind == "line":
        width = float(paint.get("line-width", 1.0))
        dash = paint.get("line-dasharray")
        dashes = (",".join(f"{max(0.5, d * width):.2f}" for d in dash) if dash else None)
        return [_tag("LineSymbolizer", stroke=paint.get("line-color", "#000000"),
                     stroke_width=width, stroke_opacity=float(paint.get("line-opacity", 1.0)),
                     stroke_dasharray=dashes, stroke_linecap=layout.get("line-cap", "butt"),
                     stroke_linejoin=layout.get("line-join", "miter"))]
    if kind == "circle":
        r = float(paint.get("circle-radius", 5.0))
        return [_tag("MarkersSymbolizer", marker_type="ellipse", width=2 * r, height=2 * r,
                     fill=paint.get("circle-color", "#000000"),
                     fill_opacity=float(paint.get("circle-opacity", 1.0)),
                     stroke=paint.get("circle-stroke-color", "#000000"),
                     stroke_width=float(paint.get("circle-stroke-width", 0.0)),
                     allow_overlap="true", ignore_placement="true", placement="point")]
    if kind == "symbol":
        return _symbol(paint, layout, geometry, avoid_edges)
    if kind == "raster":
        return [_tag("RasterSymbolizer", opacity=float(paint.get("raster-opacity", 1.0)),
                     scaling="bilinear")]
    raise InvalidParameter("不支持的样式图层类型", "unsupported style layer type", {"type": kind})


def _symbol(paint: dict[str, Any], layout: dict[str, Any], geometry: str,
            avoid_edges: bool) -> list[str]:
    text = ex.text_of(layout.get("text-field"))
    icon = layout.get("icon-image")
    if text is None and not icon:
        return []
    size = float(layout.get("text-size", 16.0))
    font = (layout.get("text-font") or [palette.FONT])[0]
    line = layout.get("symbol-placement") == "line"
    placement = "line" if line else ("interior" if geometry == "polygon" else "point")
    offset = layout.get("text-offset") or [0, 0]
    common = dict(
        face_name=font if font in FONTS else palette.FONT, size=size,
        fill=paint.get("text-color", "#000000"), halo_fill=paint.get("text-halo-color"),
        halo_radius=float(paint.get("text-halo-width", 0.0)) or None, placement=placement,
        margin=2.0, avoid_edges="true" if avoid_edges else "false")
    if line:
        common.update(spacing=float(layout.get("symbol-spacing", 250.0)),
                      max_char_angle_delta=float(layout.get("text-max-angle", 45.0)),
                      repeat_distance=float(layout.get("symbol-spacing", 250.0)))
    else:
        common.update(wrap_width=float(layout.get("text-max-width", 10)) * size,
                      dx=float(offset[0]) * size, dy=float(offset[1]) * size)
    if icon and text:
        common.update(file=icon_file(str(icon)), unlock_image="true",
                      transform=ICON_TRANSFORM)
        return [f"<ShieldSymbolizer {_attrs(**common)}>{escape(text)}</ShieldSymbolizer>"]
    if icon:
        return [_tag("PointSymbolizer", file=icon_file(str(icon)), transform=ICON_TRANSFORM)]
    return [f"<TextSymbolizer {_attrs(**common)}>{escape(text or '')}</TextSymbolizer>"]


def style_xml(name: str, layer: dict[str, Any], zoom: float, geometry: str,
              raster_colorizer: str = "", avoid_edges: bool = False) -> str:
    """One `<Style>` for a style layer at `zoom` (its rules: filter × data-driven branches)."""
    paint = {k: ex.at_zoom(v, zoom) for k, v in (layer.get("paint") or {}).items()}
    layout = {k: ex.at_zoom(v, zoom) for k, v in (layer.get("layout") or {}).items()}
    base_filter = ex.filter_expr(ex.at_zoom(layer["filter"], zoom)) if "filter" in layer else None
    data = {f"p:{k}": v for k, v in paint.items() if ex.is_data(v)}
    data.update({f"l:{k}": v for k, v in layout.items() if ex.is_data(v)})
    rules = []
    for flt, values in ex.combine(data):
        p = {**paint, **{k[2:]: v for k, v in values.items() if k.startswith("p:")}}
        lay = {**layout, **{k[2:]: v for k, v in values.items() if k.startswith("l:")}}
        parts = [f for f in (base_filter, flt) if f]
        condition = (f"<Filter>{escape(' and '.join(parts))}</Filter>" if parts else "")
        body = "".join(symbolizers(layer["type"], p, lay, geometry, avoid_edges))
        if raster_colorizer and body.endswith("/>"):
            body = body[:-2] + ">" + raster_colorizer + "</RasterSymbolizer>"
        if body:
            rules.append(f"<Rule>{condition}{body}</Rule>")
    return f"<Style name={quoteattr(name)}>{''.join(rules)}</Style>"


def map_xml(srs: str, background: str | None, layers: list[MapLayer], buffer: int) -> str:
    parts = [f"<Map {_attrs(srs=srs, background_color=background, buffer_size=buffer)}>"]
    parts += [ml.style_xml for ml in layers]
    for ml in layers:
        if ml.raster_file:
            ds = ("<Datasource><Parameter name=\"type\">gdal</Parameter>"
                  f"<Parameter name=\"file\">{escape(ml.raster_file)}</Parameter>"
                  + (f"<Parameter name=\"band\">{ml.raster_band}</Parameter>"
                     if ml.raster_band else "") + "</Datasource>")
            parts.append(f"<Layer {_attrs(name=ml.name, srs=ml.raster_srs)}>"
                         f"<StyleName>{escape(ml.name)}</StyleName>{ds}</Layer>")
        else:
            parts.append(f"<Layer {_attrs(name=ml.name, srs='epsg:4490')}>"
                         f"<StyleName>{escape(ml.name)}</StyleName></Layer>")
    parts.append("</Map>")
    return "".join(parts)
