"""Map styles (MapLibre style JSON, spec v8): `GET /styles` lists them, `GET /styles/{id}.json`
answers one, built for the caller (only layers they may see), with absolute URLs that keep a
`tk` key. Unknown ids are 404 problem JSON."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import NotFound
from mapnode.http.auth import actor_of
from mapnode.styles import style_for, style_list

VARY = "Authorization, X-API-Key"


def routes() -> list[BaseRoute]:
    return [Route("/styles", styles), Route("/styles/{name}", style)]


def _base_and_query(request: Request) -> tuple[str, str]:
    tk = request.query_params.get("tk")
    return str(request.base_url).rstrip("/"), ("?" + urlencode({"tk": tk}) if tk else "")


async def styles(request: Request) -> Response:
    base, query = _base_and_query(request)
    return JSONResponse({"styles": style_list(base, query)},
                        headers={"Cache-Control": "no-cache", "Vary": VARY})


async def style(request: Request) -> Response:
    name = str(request.path_params["name"])
    if not name.endswith(".json"):
        raise NotFound("样式不存在", "style not found", {"style": name})
    base, query = _base_and_query(request)
    body = await run_in_threadpool(style_for, request.app.state.store, actor_of(request),
                                   name.removesuffix(".json"), base, query)
    return JSONResponse(body, headers={"Cache-Control": "no-cache", "Vary": VARY})
