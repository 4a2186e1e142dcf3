"""OGC API Tiles as domain values: tile matrix set documents (OGC 2D-TMS 2.0 JSON) and tileset
metadata for the base map and for each layer, in the grids of `mapnode.grids`.

CGCS2000Quad keeps 天地图's level numbering in its tile matrix ids ("1" … "20"), so an OGC API
Tiles URL `/tiles/CGCS2000Quad/{tileMatrix}/{tileRow}/{tileCol}` names the same tile as
`/tiles/basemap/c/{z}/{x}/{y}.mvt`. Its point of origin is written in the CRS's axis order
(EPSG:4490 is latitude first), as 2D-TMS requires.
"""

from __future__ import annotations

from typing import Any

from mapnode.grids import GRIDS, Grid
from mapnode.model import GeometryType, LayerMeta

TMS_CONFORMANCE = [
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
TILES_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
]
TILING_SCHEME_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILESETS_VECTOR_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
MVT = "application/vnd.mapbox-vector-tile"
_DIMENSION = {GeometryType.POINT: 0, GeometryType.LINE: 1, GeometryType.POLYGON: 2}


def tile_matrix_set(g: Grid) -> dict[str, Any]:
    """The 2D-TMS 2.0 JSON document of a grid, tile matrix ids in the grid's URL levels."""
    doc = g.tms.model_dump(exclude_none=True, mode="json")
    doc["id"] = g.id
    doc["title"] = g.title
    if g.level_offset:
        matrices = []
        for m in doc["tileMatrices"]:
            level = int(m["id"]) + g.level_offset
            if g.minzoom <= level <= g.maxzoom:
                matrices.append({**m, "id": str(level)})
        doc["tileMatrices"] = matrices
    if g.srid == 4490:
        doc.setdefault("orderedAxes", ["Lat", "Lon"])
    return doc


def tile_matrix_set_summary(g: Grid, url: str) -> dict[str, Any]:
    crs = g.tms.model_dump(mode="json")["crs"]
    return {"id": g.id, "title": g.title, "crs": crs,
            "links": [{"href": url, "rel": "self", "type": "application/json",
                       "title": g.title}]}


def tileset(g: Grid, metas: list[LayerMeta], title: str, tiles_url: str, tms_url: str,
            query: str = "") -> dict[str, Any]:
    """Tileset metadata for vector tiles of `metas` in grid `g`; `tiles_url` ends with the grid
    id and `query` (`?tk=…`) is kept on the links."""
    crs = g.tms.model_dump(mode="json")["crs"]
    return {
        "title": title,
        "dataType": "vector",
        "crs": crs,
        "tileMatrixSetURI": g.tms.model_dump(mode="json").get("uri", tms_url),
        "tileMatrixSetLimits": [{"tileMatrix": str(z), "minTileRow": 0, "minTileCol": 0,
                                 "maxTileRow": _size(g, z)[1] - 1,
                                 "maxTileCol": _size(g, z)[0] - 1}
                                for z in range(g.minzoom, min(g.maxzoom, 18) + 1)],
        "layers": [{"id": m.name, "title": m.title_zh or m.name, "dataType": "vector",
                    "geometryDimension": _DIMENSION.get(m.geometry_type, 2),
                    "minTileMatrix": str(g.minzoom), "maxTileMatrix": str(g.maxzoom),
                    "propertiesSchema": {"type": "object", "properties": {
                        name: {"type": _json_type(t.value)} for name, t in m.fields.items()}}}
                   for m in metas],
        "links": [
            {"href": tiles_url + query, "rel": "self", "type": "application/json",
             "title": title},
            {"href": tms_url + query, "rel": TILING_SCHEME_REL, "type": "application/json",
             "title": g.title},
            {"href": tiles_url + "/{tileMatrix}/{tileRow}/{tileCol}" + (query or "?")
             + ("&" if query else "") + "f=mvt", "rel": "item", "type": MVT,
             "templated": True, "title": "矢量瓦片 / vector tiles (MVT)"},
        ],
    }


def tileset_summary(g: Grid, title: str, tiles_url: str, tms_url: str,
                    query: str = "") -> dict[str, Any]:
    crs = g.tms.model_dump(mode="json")["crs"]
    return {"title": title, "dataType": "vector", "crs": crs,
            "tileMatrixSetURI": g.tms.model_dump(mode="json").get("uri", tms_url),
            "links": [{"href": tiles_url + query, "rel": "self", "type": "application/json",
                       "title": f"{title} · {g.id}"},
                      {"href": tms_url + query, "rel": TILING_SCHEME_REL,
                       "type": "application/json", "title": g.title}]}


def _size(g: Grid, z: int) -> tuple[int, int]:
    _, _, _, width, height = g._matrix(z)
    return width, height


def _json_type(ftype: str) -> str:
    return {"integer": "integer", "real": "number", "boolean": "boolean"}.get(ftype, "string")


__all__ = ["GRIDS", "MVT", "TILESETS_VECTOR_REL", "TILES_CONFORMANCE", "TILING_SCHEMES_REL",
           "TMS_CONFORMANCE", "tile_matrix_set", "tile_matrix_set_summary", "tileset",
           "tileset_summary"]
