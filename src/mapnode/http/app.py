"""create_app(settings): the ASGI application. Nothing is built at import time."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from mapnode import __version__
from mapnode.config import Settings
from mapnode.errors import MapnodeError
from mapnode.http.auth import AuthMiddleware, actor_of, actors_from_settings
from mapnode.http.errors import handle_mapnode_error, handle_unexpected
from mapnode.http.fast_answers import FastAnswers, cacheable
from mapnode.http.fast_tiles import FastTiles
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
        Route("/health", health),
        Route("/api/layers", layers_json),
    ]
    for module_name in PROTOCOL_MODULES:
        routes.extend(importlib.import_module(module_name).routes())
    actors = actors_from_settings(settings.api_keys)
    app = MapnodeApp(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(AuthMiddleware, actors=actors)],
                     exception_handlers={MapnodeError: handle_mapnode_error,
                                         Exception: handle_unexpected})
    if settings.tile_fast_path:
        app.fast_tiles = FastTiles(app.state, actors)
    if settings.answer_memory_mb > 0:
        app.answers = FastAnswers(app.state, actors, int(settings.answer_memory_mb * 2**20),
                                  settings.tile_follow_ms / 1000)
    return app


class MapnodeApp(Starlette):
    """Starlette with two fast paths in front of its middleware: hot tiles
    (`http.fast_tiles`) and remembered place-name answers (`http.fast_answers`)."""

    fast_tiles: FastTiles | None = None
    answers: FastAnswers | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self
            if self.fast_tiles is not None and await self.fast_tiles(scope, receive, send):
                return
            if self.answers is not None and cacheable(scope):
                await self.answers(scope, receive, send, super().__call__)
                return
        await super().__call__(scope, receive, send)


# One module per protocol; each exports `routes() -> list[BaseRoute]`, parses requests, calls
# one service and renders. Add a module here to mount it.
PROTOCOL_MODULES: list[str] = ["mapnode.http.ogcapi", "mapnode.http.tiles", "mapnode.http.places",
                               "mapnode.http.assets", "mapnode.http.wmts", "mapnode.http.styles",
                               "mapnode.http.staticimage",
                               "mapnode.http.tianditu", "mapnode.http.wms", "mapnode.http.wfs",
                               "mapnode.http.portal_api", "mapnode.http.portal"]


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
