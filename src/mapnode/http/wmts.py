"""WMTS 1.0.0 routes: parse, call `services.wmts` / `services.tiles`, render.

- `/wmts?SERVICE=WMTS&REQUEST=GetCapabilities|GetTile&…` (KVP; names case-insensitive);
- `/wmts/1.0.0/WMTSCapabilities.xml` and
  `/wmts/1.0.0/{layer}/{style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.{ext}`
  (RESTful; `?TIME=` selects a past state);
- 天地图 shapes: `/{vec|cva|img}_{w|c}/wmts?SERVICE=WMTS&REQUEST=GetTile&…&FORMAT=tiles&tk=…`
  and `…/wmts?request=GetCapabilities&service=wmts` (any tileset name works before `_w`/`_c`).

Errors are `ows:ExceptionReport`s (mapnode.http.ogc_xml): MissingParameterValue,
InvalidParameterValue, TileOutOfRange (400), OperationNotSupported (501); an unknown or hidden
layer is 404. Tiles carry ETag, Cache-Control, `X-Cache` and `X-Seq`; 304 on If-None-Match; an
empty vector tile is 204.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import InvalidParameter, MapnodeError, NotFound
from mapnode.http.auth import actor_of
from mapnode.http.errors import status_of
from mapnode.http.ogc_xml import OgcError, ows_exception_response
from mapnode.http.tile_response import VARY, tile_response
from mapnode.http.tiles import service as tile_service
from mapnode.services import wmts

Handler = Callable[[Request], Awaitable[Response]]


def routes() -> list[BaseRoute]:
    return [Route("/wmts", _guarded(kvp_endpoint)),
            Route("/wmts/1.0.0/WMTSCapabilities.xml", _guarded(rest_capabilities)),
            Route("/wmts/1.0.0/{layer}/{style}/{tms}/{matrix}/{row}/{col}",
                  _guarded(rest_tile)),
            Route("/{shape}/wmts", _guarded(tianditu_endpoint))]


def _guarded(handler: Handler) -> Handler:
    """Answer every domain error as an ows:ExceptionReport."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except wmts.WmtsError as exc:
            err = OgcError(exc.ows_code, exc.message_zh, exc.message_en, exc.locator,
                           extra={k: str(v) for k, v in exc.context.items()
                                  if k != "parameter"})
        except NotFound as exc:
            err = OgcError.from_domain(exc, code="InvalidParameterValue", locator="LAYER",
                                       status=404)
        except InvalidParameter as exc:
            err = OgcError.from_domain(exc, code="InvalidParameterValue")
        except MapnodeError as exc:
            err = OgcError.from_domain(exc, status=status_of(exc))
        return ows_exception_response(err, version=wmts.VERSION)

    return run


async def kvp_endpoint(request: Request) -> Response:
    params = wmts.kvp(request.query_params)
    if wmts.operation(params) == "GetCapabilities":
        return await _capabilities(request, "wmts")
    return await _tile(request, wmts.tile_request(params))


async def rest_capabilities(request: Request) -> Response:
    return await _capabilities(request, "wmts")


async def rest_tile(request: Request) -> Response:
    p = request.path_params
    params = wmts.kvp(request.query_params)
    req = wmts.rest_request(p["layer"], p["style"], p["tms"], p["matrix"], p["row"], p["col"],
                            params.get("TIME"))
    return await _tile(request, req)


async def tianditu_endpoint(request: Request) -> Response:
    shape = str(request.path_params["shape"])
    layer, _, alias = shape.rpartition("_")
    if not layer or alias not in wmts.GRID_IDS:
        raise NotFound("服务不存在", "no such service", {"path": request.url.path,
                                                          "expected": "/{layer}_{w|c}/wmts"})
    params = wmts.kvp(request.query_params)
    if wmts.operation(params) == "GetCapabilities":
        return await _capabilities(request, f"{shape}/wmts", only=layer, tianditu=alias)
    return await _tile(request, wmts.tile_request(params, path_layer=layer, path_grid=alias))


async def _capabilities(request: Request, path: str, only: str | None = None,
                        tianditu: str | None = None) -> Response:
    base = str(request.base_url).rstrip("/")
    tk = request.query_params.get("tk")
    kvp_url = f"{base}/{path}?" + (urlencode({"tk": tk}) + "&" if tk else "")
    query = "?" + urlencode({"tk": tk}) if tk else ""
    settings = request.app.state.settings
    store = request.app.state.store
    found = await run_in_threadpool(wmts.layers, store, actor_of(request), only,
                                    tianditu is not None)
    body = wmts.capabilities(found, wmts.matrix_sets(tianditu), kvp_url=kvp_url,
                             rest_url=f"{base}/wmts/1.0.0", query=query,
                             title_zh=f"{settings.node_title_zh} 瓦片地图服务",
                             title_en=f"{settings.node_title_en} WMTS",
                             operator=settings.operator)
    return Response(body, media_type="application/xml",
                    headers={"Cache-Control": "no-cache", "Vary": VARY})


async def _tile(request: Request, req: wmts.TileRequest) -> Response:
    wmts.check_format(req)
    tiles = tile_service(request)
    result = await run_in_threadpool(lambda: tiles.tile(
        actor_of(request), req.tileset, req.grid.id, req.z, req.col, req.row, time=req.time,
        fmt=req.fmt))
    return tile_response(result, request.headers.get("if-none-match", ""),
                         request.headers.get("accept-encoding", ""), wmts.MEDIA_OF[req.fmt])
