"""create_app(settings): the ASGI application. Nothing is built at import time."""

from __future__ import annotations

import html
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mapnode import __version__
from mapnode.config import Settings
from mapnode.errors import MapnodeError
from mapnode.http.auth import AuthMiddleware, actor_of, actors_from_settings
from mapnode.http.errors import handle_mapnode_error, handle_unexpected
from mapnode.store import VersionedStore, open_store


def create_app(settings: Settings | None = None, store: VersionedStore | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = store or open_store(settings.store)
        app.state.settings = settings
        yield
        if store is None:
            app.state.store.close()

    routes: list[BaseRoute] = [
        Route("/", landing),
        Route("/health", health),
        Route("/api/layers", layers_json),
    ]
    for module_name in PROTOCOL_MODULES:
        routes.extend(importlib.import_module(module_name).routes())
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(AuthMiddleware,
                                            actors=actors_from_settings(settings.api_keys))],
                     exception_handlers={MapnodeError: handle_mapnode_error,
                                         Exception: handle_unexpected})


# One module per protocol; each exports `routes() -> list[BaseRoute]`, parses requests, calls
# one service and renders. Add a module here to mount it.
PROTOCOL_MODULES: list[str] = ["mapnode.http.ogcapi", "mapnode.http.tiles", "mapnode.http.places",
                               "mapnode.http.assets", "mapnode.http.wmts", "mapnode.http.styles",
                               "mapnode.http.tianditu", "mapnode.http.wms", "mapnode.http.wfs"]


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` (used by `mapnode serve`)."""
    return create_app(Settings())


async def health(request: Request) -> Response:
    store: VersionedStore = request.app.state.store
    seq = await run_in_threadpool(store.current_seq)
    return JSONResponse({"status": "ok", "version": __version__, "seq": seq,
                         "store": type(store).__name__})


async def layers_json(request: Request) -> Response:
    store: VersionedStore = request.app.state.store
    metas = await run_in_threadpool(store.layers, actor_of(request))
    return JSONResponse({"layers": [m.to_dict() for m in metas]})


async def landing(request: Request) -> Response:
    store: VersionedStore = request.app.state.store
    settings: Settings = request.app.state.settings
    metas = await run_in_threadpool(store.layers, actor_of(request))
    seq = await run_in_threadpool(store.current_seq)
    rows = "\n".join(
        f"<tr><td>{html.escape(m.title_zh or m.name)}</td><td><code>{html.escape(m.name)}</code>"
        f"</td><td>{m.geometry_type.value}</td><td>{html.escape(m.attribution)}</td></tr>"
        for m in metas)
    attributions = sorted({m.attribution for m in metas if m.attribution})
    footer = " · ".join(html.escape(a) for a in attributions)
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(settings.node_title_zh)} · mapnode</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem}}
footer{{margin-top:2rem;color:#555;font-size:.9rem}}</style></head>
<body><h1>{html.escape(settings.node_title_zh)}</h1>
<p>{html.escape(settings.node_title_en)} · mapnode {__version__} · 数据序号 / seq {seq}</p>
<h2>图层 / Layers ({len(metas)})</h2>
<table><tr><th>名称 / Title</th><th>标识 / Id</th><th>几何 / Geometry</th><th>署名 / Attribution</th></tr>
{rows}</table>
<p><a href="/health">/health</a> · <a href="/api/layers">/api/layers</a></p>
<footer>{footer}</footer></body></html>"""
    return HTMLResponse(page)
