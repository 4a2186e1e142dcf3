"""Glyph and sprite routes: MapLibre styles served by mapnode need no outside server.

- `/fonts/{fontstack}/{start}-{end}.pbf`: SDF glyph PBF (`mapnode.assets.glyphs`); a
  comma-separated fontstack picks its first known font, an unknown one falls back to
  `Noto Sans CJK SC Regular`; a malformed range is a 400 problem.
- `/sprites/mapnode.json|png`, `/sprites/mapnode@2x.json|png`: the sprite sheet.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.assets.glyphs import GlyphCache
from mapnode.assets.sprites import SpriteCache
from mapnode.errors import NotFound

PBF_TYPE = "application/x-protobuf"
CACHE = "public, max-age=86400"
_lock = threading.Lock()


def routes() -> list[BaseRoute]:
    return [Route("/fonts/{fontstack}/{range}.pbf", glyphs),
            Route("/sprites/{name}.{ext}", sprite)]


def _state(request: Request, name: str, make: type) -> object:
    """One cache per application: `data_dir/{name}`, or for fonts `glyph_cache_dir` if set."""
    state = request.app.state
    with _lock:
        if getattr(state, name, None) is None:
            shared = state.settings.glyph_cache_dir if name == "fonts" else ""
            setattr(state, name, make(Path(shared) if shared else state.store.data_dir / name))
    return getattr(state, name)


def _etag(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


def _respond(request: Request, data: bytes, media_type: str, *, gzipped: bool = False) -> Response:
    etag = _etag(data)
    headers = {"ETag": etag, "Cache-Control": CACHE, "Access-Control-Allow-Origin": "*"}
    if gzipped:
        headers["Vary"] = "Accept-Encoding"
    if etag in [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "")
                .split(",")]:
        return Response(status_code=304, headers=headers)
    if gzipped:
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            data = gzip.decompress(data)
    return Response(data, media_type=media_type, headers=headers)


async def glyphs(request: Request) -> Response:
    cache = _state(request, "fonts", GlyphCache)
    assert isinstance(cache, GlyphCache)
    p = request.path_params
    data = await run_in_threadpool(cache.get, p["fontstack"], p["range"])
    return _respond(request, data, PBF_TYPE, gzipped=True)


async def sprite(request: Request) -> Response:
    cache = _state(request, "sprites", SpriteCache)
    assert isinstance(cache, SpriteCache)
    name, ext = request.path_params["name"], request.path_params["ext"]
    base, _, ratio = name.partition("@")
    if base != "mapnode" or ratio not in ("", "2x") or ext not in ("json", "png"):
        raise NotFound("精灵图不存在", "sprite not found", {"sprite": f"{name}.{ext}"})
    data = await run_in_threadpool(cache.get, 2 if ratio else 1, ext)
    return _respond(request, data, "application/json" if ext == "json" else "image/png")
