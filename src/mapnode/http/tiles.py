"""Tile routes: parse, call `services.tiles`, render.

- `/tiles/{tileset}/{tms}/{z}/{x}/{y}.mvt` (or `.pbf`): tileset = a layer name or `basemap`;
  tms = WebMercatorQuad | CGCS2000Quad | WorldCRS84Quad, or 天地图's `w` / `c`.
  Optional `seq=` or `datetime=` (RFC 3339 instant) for the data as it was then.
  Gzip (decompressed for clients that do not accept it), ETag, Cache-Control, 304 on
  If-None-Match, `X-Cache: hit|miss|empty`; an empty tile is 204 and is not stored.
- `/tiles/{tileset}/{tms}/{z}/{x}/{y}.png` (`.jpg`, `.jpeg`, `.webp`; `{y}@2x.png` for 512 px):
  raster tiles rendered from the map style; tileset = `basemap`, `labels`, `imagery` or a
  layer. Same parameters and headers; an empty transparent tile is a real empty PNG.
- `/tiles/{tileset}/{tms}/tilejson.json`: TileJSON 3.0.0 (`format=png|jpg|webp` for raster
  tiles; `labels`, `imagery` and raster layers are raster tilesets).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import InvalidParameter
from mapnode.http.auth import actor_of
from mapnode.http.tile_response import VARY, tile_response
from mapnode.services.tile_cache import TileCache
from mapnode.services.tiles import FORMATS, TileService, check_format

_lock = threading.Lock()
_INT = re.compile(r"-?[0-9]{1,10}")


def routes() -> list[BaseRoute]:
    return [Route("/tiles/{tileset}/{tms}/tilejson.json", tilejson),
            Route("/tiles/{tileset}/{tms}/{z}/{x}/{tile}", tile)]


def service(request: Request) -> TileService:
    """One TileService (and so one cache follower) per application."""
    state = request.app.state
    with _lock:
        if getattr(state, "tiles", None) is None:
            settings = getattr(state, "settings", None)
            store = state.store
            cache = TileCache(store.data_dir / "tiles") if settings is None else TileCache(
                store.data_dir / "tiles", memory_bytes=int(settings.tile_memory_mb * 2**20),
                interval=settings.tile_follow_ms / 1000)
            state.tiles = TileService(store, cache)
    return state.tiles  # type: ignore[no-any-return]


async def tile(request: Request) -> Response:
    p = request.path_params
    y_text, _, fmt = str(p["tile"]).rpartition(".")
    check_format(fmt)
    scale = 1
    if y_text.endswith("@2x") and fmt not in FORMATS:
        y_text, scale = y_text.removesuffix("@2x"), 2
    z, x, y = _int("z", p["z"]), _int("x", p["x"]), _int("y", y_text)
    q = request.query_params
    seq = _int("seq", q["seq"]) if "seq" in q else None
    time = _instant(q["datetime"]) if "datetime" in q else None
    result = await run_in_threadpool(lambda: service(request).tile(
        actor_of(request), p["tileset"], p["tms"], z, x, y, seq=seq, time=time, fmt=fmt,
        scale=scale))
    return tile_response(result, request.headers.get("if-none-match", ""),
                         request.headers.get("accept-encoding", ""))


async def tilejson(request: Request) -> Response:
    p = request.path_params
    base = str(request.base_url).rstrip("/")
    tk = request.query_params.get("tk")
    query = "?" + urlencode({"tk": tk}) if tk else ""
    fmt = request.query_params.get("format")
    if fmt is not None:
        check_format(fmt)
    body = await run_in_threadpool(service(request).tilejson, actor_of(request), p["tileset"],
                                   p["tms"], base, query, fmt)
    return JSONResponse(body, headers={"Cache-Control": "no-cache", "Vary": VARY})


def _int(name: str, text: str) -> int:
    if not _INT.fullmatch(text):
        raise InvalidParameter("参数必须是整数", "parameter must be an integer",
                               {"parameter": name, "value": text})
    return int(text)


def _instant(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise InvalidParameter("datetime 必须是带时区的 RFC 3339 时刻",
                               "datetime must be an RFC 3339 instant with an offset",
                               {"parameter": "datetime", "value": text})
    return t
