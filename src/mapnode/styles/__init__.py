"""The map styles (MapLibre style spec v8), one for the browser and the server renderer.

- `basemap` (like 天地图 vec): land, landuse, water, roads by class with casing, boundaries,
  POI icons and every label, from the vector base map `/tiles/basemap/WebMercatorQuad/…`;
- `labels` (like 天地图 cva): only the symbol layers, on a transparent background;
- `imagery` (like 天地图 img): every raster layer the caller may see (by name), as raster
  sources of `/tiles/{layer}/WebMercatorQuad/{z}/{x}/{y}.png`.

A style is built per caller from `store.layers(actor)`: it names only layers the caller may
see, and a style layer whose source layer is absent is left out. URLs are absolute, built from
the request's base URL, and keep a `tk` key (`query`).
"""

from __future__ import annotations

from typing import Any

from mapnode.errors import NotFound
from mapnode.model import Actor, LayerKind, LayerMeta
from mapnode.store import VersionedStore
from mapnode.styles import palette
from mapnode.styles.layers import SOURCE, geometry_layers, label_key, label_layers, order_key

STYLES: dict[str, tuple[str, str]] = {
    "basemap": ("矢量底图", "Vector base map"),
    "labels": ("注记", "Labels"),
    "imagery": ("影像", "Imagery"),
}
ICONS = palette.ICONS
FONTS = [palette.FONT, palette.FONT_BOLD]


def check_style(style_id: str) -> None:
    if style_id not in STYLES:
        raise NotFound("样式不存在", "style not found",
                       {"style": style_id, "known": ", ".join(STYLES)})


def vector_layers(metas: list[LayerMeta]) -> list[LayerMeta]:
    return sorted((m for m in metas if m.kind is LayerKind.VECTOR), key=order_key)


def raster_layers(metas: list[LayerMeta]) -> list[LayerMeta]:
    return sorted((m for m in metas if m.kind is LayerKind.RASTER and m.raster_path),
                  key=lambda m: m.name)


def style_layers(metas: list[LayerMeta], style_id: str) -> list[dict[str, Any]]:
    """The style's layers for these store layers (background first, labels last)."""
    check_style(style_id)
    if style_id == "imagery":
        return ([{"id": "background", "type": "background",
                  "paint": {"background-color": "#dfe3e6"}}]
                + [{"id": f"{m.name}-raster", "type": "raster", "source": f"raster-{m.name}",
                    "raster-layer": m.name, "paint": {"raster-opacity": 1.0}}
                   for m in raster_layers(metas)])
    vectors = vector_layers(metas)
    labels = [lyr for m in sorted(vectors, key=label_key) for lyr in label_layers(m)]
    if style_id == "labels":
        return labels
    background = {"id": "background", "type": "background",
                  "paint": {"background-color": palette.LAND}}
    return [background, *(lyr for m in vectors for lyr in geometry_layers(m)), *labels]


def build_style(metas: list[LayerMeta], style_id: str, base_url: str,
                query: str = "") -> dict[str, Any]:
    """The style JSON for these (visible) layers; `base_url` has no trailing slash; `query`
    (e.g. `?tk=…`) is added to every URL."""
    layers = style_layers(metas, style_id)
    zh, en = STYLES[style_id]
    sources: dict[str, Any] = {}
    if style_id == "imagery":
        for m in raster_layers(metas):
            src: dict[str, Any] = {
                "type": "raster", "tileSize": 256, "minzoom": 0, "maxzoom": 18,
                "tiles": [f"{base_url}/tiles/{m.name}/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png{query}"],
                "attribution": m.attribution}
            bbox = m.extra.get("bbox_lonlat")
            if bbox:
                src["bounds"] = [max(-180.0, bbox[0]), max(-85.05, bbox[1]),
                                 min(180.0, bbox[2]), min(85.05, bbox[3])]
            sources[f"raster-{m.name}"] = src
    elif layers:
        sources[SOURCE] = {
            "type": "vector", "minzoom": 0, "maxzoom": 18,
            "tiles": [f"{base_url}/tiles/basemap/WebMercatorQuad/{{z}}/{{x}}/{{y}}.mvt{query}"],
            "attribution": " · ".join(sorted({m.attribution for m in metas
                                             if m.attribution and m.kind is LayerKind.VECTOR}))}
    for lyr in layers:
        lyr.pop("raster-layer", None)
    return {
        "version": 8,
        "name": f"{zh} / {en}",
        "metadata": {"mapnode:style": style_id, "mapnode:title_zh": zh, "mapnode:title_en": en},
        "center": [120.155, 30.25],
        "zoom": 12,
        "sources": sources,
        "sprite": f"{base_url}/sprites/mapnode{query}",
        "glyphs": f"{base_url}/fonts/{{fontstack}}/{{range}}.pbf{query}",
        "layers": layers,
    }


def style_for(store: VersionedStore, actor: Actor, style_id: str, base_url: str,
              query: str = "") -> dict[str, Any]:
    """The style as this actor may see it."""
    check_style(style_id)
    return build_style(store.layers(actor), style_id, base_url, query)


def style_list(base_url: str, query: str = "") -> list[dict[str, str]]:
    return [{"id": sid, "title": zh, "title_en": en,
             "url": f"{base_url}/styles/{sid}.json{query}"} for sid, (zh, en) in STYLES.items()]


__all__ = ["FONTS", "ICONS", "STYLES", "build_style", "check_style", "style_for", "style_layers",
           "style_list"]
