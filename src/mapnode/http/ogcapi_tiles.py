"""OGC API Tiles under /ogcapi: tile matrix sets, the base map's tilesets (`/tiles`) and each
collection's tilesets (`/collections/{id}/tiles`), vector tiles (MVT) in every grid.

Tiles come from the same `TileService` (and disk cache) as `/tiles/...`; a tile URL here is
`{tileMatrix}/{tileRow}/{tileCol}` (row before column, as OGC API Tiles orders them), with
`datetime=` for the data as of a past instant. Mounted by `mapnode.http.ogcapi.routes`, which
imports this module lazily because this one imports from it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import InvalidParameter
from mapnode.grids import GRIDS, grid
from mapnode.http import tiles as tile_routes
from mapnode.http.auth import actor_of
from mapnode.http.ogcapi import JSON, _base, _not_acceptable, wants
from mapnode.http.ogcapi import _json as as_json
from mapnode.http.tile_response import tile_response
from mapnode.model import LayerMeta
from mapnode.services import tilesets as ts
from mapnode.services.tiles import BASEMAP, tileset_layers
from mapnode.store import VersionedStore

BASEMAP_TITLE = "底图 / base map"
TILE_PARAMS = {"f", "datetime", "tk"}


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(prefix + "/tileMatrixSets", tile_matrix_sets),
        Route(prefix + "/tileMatrixSets/{tms}", tile_matrix_set),
        Route(prefix + "/tiles", dataset_tilesets),
        Route(prefix + "/tiles/{tms}", dataset_tileset),
        Route(prefix + "/tiles/{tms}/{z}/{y}/{x}", dataset_tile),
        Route(prefix + "/collections/{cid}/tiles", collection_tilesets),
        Route(prefix + "/collections/{cid}/tiles/{tms}", collection_tileset),
        Route(prefix + "/collections/{cid}/tiles/{tms}/{z}/{y}/{x}", collection_tile),
    ]


def _query(request: Request) -> str:
    tk = request.query_params.get("tk")
    return "?" + urlencode({"tk": tk}) if tk else ""


def _json(request: Request, body: dict[str, Any]) -> Response:
    if wants(request) == "none":
        return _not_acceptable()
    return as_json(body, JSON)


def _grid_id(name: str) -> str:
    return grid(name).id


# ---------------------------------------------------------------------- tile matrix sets
async def tile_matrix_sets(request: Request) -> Response:
    base, q = _base(request), _query(request)
    body = {"tileMatrixSets": [ts.tile_matrix_set_summary(g, f"{base}/tileMatrixSets/{g.id}{q}")
                               for g in GRIDS.values()],
            "links": [{"href": f"{base}/tileMatrixSets{q}", "rel": "self",
                       "type": "application/json", "title": "瓦片矩阵集 / tile matrix sets"}]}
    return _json(request, body)


async def tile_matrix_set(request: Request) -> Response:
    return _json(request, ts.tile_matrix_set(grid(request.path_params["tms"])))


# ---------------------------------------------------------------------- tilesets
def _store(request: Request) -> VersionedStore:
    return request.app.state.store  # type: ignore[no-any-return]


async def _layers(request: Request, tileset: str) -> list[LayerMeta]:
    return await run_in_threadpool(tileset_layers, _store(request), actor_of(request), tileset)


def _list(request: Request, url: str, title: str) -> dict[str, Any]:
    base, q = _base(request), _query(request)
    return {"tilesets": [ts.tileset_summary(g, title, f"{url}/{g.id}",
                                            f"{base}/tileMatrixSets/{g.id}", q)
                         for g in GRIDS.values()],
            "links": [{"href": url + q, "rel": "self", "type": "application/json",
                       "title": title}]}


async def dataset_tilesets(request: Request) -> Response:
    await _layers(request, BASEMAP)
    return _json(request, _list(request, f"{_base(request)}/tiles", BASEMAP_TITLE))


async def collection_tilesets(request: Request) -> Response:
    cid = request.path_params["cid"]
    metas = await _layers(request, cid)
    url = f"{_base(request)}/collections/{cid}/tiles"
    return _json(request, _list(request, url, metas[0].title_zh or cid))


async def dataset_tileset(request: Request) -> Response:
    metas = await _layers(request, BASEMAP)
    return _json(request, _tileset(request, metas, f"{_base(request)}/tiles", BASEMAP_TITLE))


async def collection_tileset(request: Request) -> Response:
    cid = request.path_params["cid"]
    metas = await _layers(request, cid)
    url = f"{_base(request)}/collections/{cid}/tiles"
    return _json(request, _tileset(request, metas, url, metas[0].title_zh or cid))


def _tileset(request: Request, metas: list[LayerMeta], url: str, title: str) -> dict[str, Any]:
    g = grid(request.path_params["tms"])
    base = _base(request)
    return ts.tileset(g, metas, title, f"{url}/{g.id}", f"{base}/tileMatrixSets/{g.id}",
                      _query(request))


# ---------------------------------------------------------------------- tiles
async def dataset_tile(request: Request) -> Response:
    return await _tile(request, BASEMAP)


async def collection_tile(request: Request) -> Response:
    return await _tile(request, request.path_params["cid"])


async def _tile(request: Request, tileset: str) -> Response:
    p, q = request.path_params, request.query_params
    unknown = sorted(set(q) - TILE_PARAMS)
    if unknown:
        raise InvalidParameter("未知的查询参数", "unknown query parameter",
                               {"parameters": ", ".join(unknown)})
    if q.get("f", "mvt") not in ("mvt", "pbf"):
        raise InvalidParameter("不支持的瓦片格式", "unsupported tile format (mvt)",
                               {"parameter": "f", "value": q["f"]})
    z = tile_routes._int("tileMatrix", p["z"])
    y = tile_routes._int("tileRow", p["y"])
    x = tile_routes._int("tileCol", p["x"])
    time = tile_routes._instant(q["datetime"]) if "datetime" in q else None
    result = await run_in_threadpool(tile_routes.service(request).tile, actor_of(request),
                                     tileset, _grid_id(p["tms"]), z, x, y, time=time)
    return tile_response(result, request.headers.get("if-none-match", ""),
                         request.headers.get("accept-encoding", ""))
