"""The OpenAPI 3.0 document of the OGC API, for the caller: one set of paths per collection the
caller may see (a public caller's document never names a government layer), each items path
with that layer's queryables as query parameters."""

from __future__ import annotations

from typing import Any

from mapnode import __version__
from mapnode.config import Settings
from mapnode.model import LayerMeta
from mapnode.services.features import JSON_TYPES
from mapnode.services.features_crs import SUPPORTED

PROBLEM = {"description": "问题 / problem (RFC 9457)",
           "content": {"application/problem+json": {"schema": {"type": "object"}}}}
FORMATS = {"application/json": {"schema": {"type": "object"}},
           "text/html": {"schema": {"type": "string"}}}
GEO = {"application/geo+json": {"schema": {"type": "object"}},
       "text/html": {"schema": {"type": "string"}}}


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "style": "form", "explode": False, "description": description, **extra}


def parameters(max_limit: int) -> dict[str, Any]:
    crs = {"type": "string", "format": "uri", "enum": list(SUPPORTED)}
    return {
        "f": _param("f", {"type": "string", "enum": ["json", "html"]}, "输出格式 / format"),
        "bbox": _param("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                                "items": {"type": "number"}},
                       "范围 / bounding box (minx,miny,maxx,maxy in bbox-crs)"),
        "bbox-crs": _param("bbox-crs", crs, "bbox 的坐标系 / CRS of bbox"),
        "crs": _param("crs", crs, "输出坐标系 / output CRS"),
        "datetime": _param("datetime", {"type": "string"},
                           "时刻：返回数据在该时刻的状态 / an instant: the data as of that time"),
        "limit": _param("limit", {"type": "integer", "minimum": 1, "maximum": max_limit,
                                  "default": min(10, max_limit)}, "每页要素数 / page size"),
        "offset": _param("offset", {"type": "integer", "minimum": 0, "default": 0},
                         "跳过的要素数 / features to skip"),
        "filter": _param("filter", {"type": "string"}, "CQL2 过滤条件 / CQL2 filter"),
        "filter-lang": _param("filter-lang", {"type": "string",
                                              "enum": ["cql2-text", "cql2-json"]},
                              "过滤语言 / filter language"),
        "filter-crs": _param("filter-crs", crs, "过滤几何的坐标系 / CRS of filter geometries"),
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _get(summary: str, params: list[Any], content: dict[str, Any], op_id: str,
         found: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "成功 / OK", "content": content},
                                 "400": PROBLEM, "406": PROBLEM}
    if found:
        responses["404"] = PROBLEM
    return {"get": {"summary": summary, "operationId": op_id, "parameters": params,
                    "responses": responses}}


def _collection_paths(meta: LayerMeta) -> dict[str, Any]:
    c = f"/collections/{meta.name}"
    queryables = [_param(name, {"type": JSON_TYPES[t]} if JSON_TYPES[t] != "object"
                         else {"type": "string"}, f"属性等于 / property equals: {name}")
                  for name, t in meta.fields.items()]
    item_params = [_ref(n) for n in ("f", "bbox", "bbox-crs", "crs", "datetime", "limit",
                                     "offset", "filter", "filter-lang", "filter-crs")]
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "要素标识 / feature id"}
    title = meta.title_zh or meta.name
    op = meta.name
    return {
        c: _get(f"集合 / collection: {title}", [_ref("f")], FORMATS, f"collection_{op}",
                True),
        c + "/items": _get(f"要素 / items: {title}", [*item_params, *queryables], GEO,
                           f"items_{op}", True),
        c + "/items/{featureId}": _get(f"单个要素 / feature: {title}",
                                       [fid, _ref("f"), _ref("crs"), _ref("datetime")], GEO,
                                       f"item_{op}", True),
        c + "/queryables": _get(f"可查询属性 / queryables: {title}", [_ref("f")],
                                {"application/schema+json": {"schema": {"type": "object"}},
                                 "text/html": {"schema": {"type": "string"}}},
                                f"queryables_{op}", True),
    }


MVT = {"application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}}
JSON_ONLY = {"application/json": {"schema": {"type": "object"}}}


def _path(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def _tile_paths(prefix: str, op: str, title: str) -> dict[str, Any]:
    """OGC API Tiles paths of the base map (prefix "") or of one collection."""
    tms = _path("tileMatrixSetId", "瓦片矩阵集 / tile matrix set",
                {"type": "string", "enum": ["WebMercatorQuad", "CGCS2000Quad", "WorldCRS84Quad"]})
    tile = [tms, *(_path(n, d, {"type": "integer", "minimum": 0})
                   for n, d in (("tileMatrix", "级别 / level"), ("tileRow", "行 / row"),
                                ("tileCol", "列 / column")))]
    tile_get = _get(f"矢量瓦片 / vector tile: {title}",
                    [*tile, _param("f", {"type": "string", "enum": ["mvt"]}, "格式 / format"),
                     _ref("datetime")], MVT, f"tile_{op}", True)
    tile_get["get"]["responses"]["204"] = {"description": "空瓦片 / empty tile"}
    return {
        prefix + "/tiles": _get(f"瓦片集 / tilesets: {title}", [], JSON_ONLY, f"tilesets_{op}",
                                True),
        prefix + "/tiles/{tileMatrixSetId}": _get(f"瓦片集 / tileset: {title}", [tms], JSON_ONLY,
                                                  f"tileset_{op}", True),
        prefix + "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": tile_get,
    }


def openapi(base: str, metas: list[LayerMeta], settings: Settings) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("首页 / landing page", [_ref("f")], FORMATS, "landing"),
        "/conformance": _get("符合性声明 / conformance", [_ref("f")], FORMATS, "conformance"),
        "/api": _get("本文档 / this document", [_ref("f")],
                     {"application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}},
                      "text/html": {"schema": {"type": "string"}}}, "api"),
        "/collections": _get("要素集合 / collections", [_ref("f")], FORMATS, "collections"),
    }
    paths["/tileMatrixSets"] = _get("瓦片矩阵集 / tile matrix sets", [], JSON_ONLY,
                                    "tile_matrix_sets")
    paths["/tileMatrixSets/{tileMatrixSetId}"] = _get(
        "瓦片矩阵集 / tile matrix set",
        [_path("tileMatrixSetId", "瓦片矩阵集 / tile matrix set", {"type": "string"})],
        JSON_ONLY, "tile_matrix_set", True)
    paths.update(_tile_paths("", "basemap", "底图 / base map"))
    for meta in metas:
        paths.update(_collection_paths(meta))
        if meta.geometry_type.value != "none":
            paths.update(_tile_paths(f"/collections/{meta.name}", meta.name,
                                     meta.title_zh or meta.name))
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{settings.node_title_zh} · OGC API Features & Tiles",
                 "description": settings.node_title_en, "version": __version__,
                 "license": {"name": "Apache-2.0"}},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": parameters(settings.ogcapi_max_limit)},
    }
