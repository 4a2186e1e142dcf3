"""The fast path for hot tiles: a raw ASGI check that runs before Starlette's middleware and
router and answers a tile that is in memory (`TileService.hot`) on the event loop, with no
thread-pool hop and no I/O. Anything else — a miss, a past state (`seq`, `datetime`, `TIME`),
HEAD, an unknown key, a malformed or unusual request, a client without gzip for an MVT —
falls through to the normal routes, which answer it exactly as they always do. When memory
cannot answer only because the follower's last look at the store is too old (a commit here,
or a starved poller on a busy machine), one look is taken in the thread pool for all the
requests waiting on it, and memory is asked again.

Handled URLs (the same routes `http.tiles` and `http.wmts` serve):
- `/tiles/{tileset}/{tms}/{z}/{x}/{y}.{mvt|pbf|png|jpg|jpeg|webp}` (and `{y}@2x.png`);
- `/wmts/1.0.0/{layer}/{style}/{tms}/{matrix}/{row}/{col}.{ext}`;
- `/{layer}_{w|c}/wmts?SERVICE=WMTS&REQUEST=GetTile&…` (天地图 shape).

Access is resolved by `http.auth.resolve`, the function the auth middleware uses, so the
caller's scope is exactly the one the normal path would use; the memory is keyed by that
scope. The answer is built by `http.tile_response.tile_response`, as on the normal path.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import Receive, Scope, Send

from mapnode.http.auth import resolve
from mapnode.http.shared_look import SharedLook
from mapnode.http.tile_response import accepts_gzip, etag_matches, ok_headers, tile_response
from mapnode.model import Actor
from mapnode.services import wmts
from mapnode.services.tiles import FORMATS, TileResult, TileService

_INT = re.compile(r"-?[0-9]{1,10}")
_PAST = ("seq", "datetime")


class FastTiles:
    """Answers hot tile requests; `__call__` returns False when it did not answer."""

    def __init__(self, state: Any, actors: dict[str, Actor]) -> None:
        self.state = state  # the application's state: `tiles` is made by http.tiles
        self.actors = actors
        self.served = 0
        self._shared_look: SharedLook[int] = SharedLook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> bool:
        if scope["method"] != "GET" or scope.get("root_path"):
            return False
        tiles: TileService | None = getattr(self.state, "tiles", None)
        if tiles is None:
            return False
        try:
            found = self._lookup(tiles, scope)
            if found is None and self._stale(tiles, scope):
                await self._look(tiles)
                found = self._lookup(tiles, scope)
        except Exception:  # anything unusual is the normal path's to answer
            return False
        if found is None:
            return False
        result, media = found
        if_none_match, accept_encoding = _headers(scope)
        if result.gzipped and not accepts_gzip(accept_encoding):
            return False
        self.served += 1
        if result.data and not etag_matches(if_none_match, result.etag):
            # the usual answer, sent without building a Response (a fifth of the time here)
            await send({"type": "http.response.start", "status": 200,
                        "headers": ok_headers(result, media)})
            await send({"type": "http.response.body", "body": result.data})
            return True
        response = tile_response(result, if_none_match, accept_encoding, media)
        await response(scope, receive, send)
        return True

    def _stale(self, tiles: TileService, scope: Scope) -> bool:
        """A tile URL that memory could not answer only because the follower's last look is
        too old (a busy machine can starve the poller thread)."""
        return (tiles.cache.state is not None and not tiles.cache.fresh()
                and _shape(scope["path"]) is not None)

    async def _look(self, tiles: TileService) -> None:
        """Let the follower look at the store once, in the thread pool, for every request
        waiting on it (instead of each taking the normal path and asking the store)."""
        await self._shared_look(tiles.cache.follow, tiles.store)

    def _lookup(self, tiles: TileService, scope: Scope) -> tuple[TileResult, str | None] | None:
        path: str = scope["path"]
        parts = path.split("/")
        shape = _shape(path)
        if shape == "tiles":
            return self._tiles(tiles, scope, parts)
        if shape == "wmts":
            return self._wmts_rest(tiles, scope, parts)
        if shape == "tianditu":
            return self._tianditu(tiles, scope, parts[1])
        return None

    def _actor(self, scope: Scope) -> Actor | None:
        return resolve(scope, self.actors)  # None: an unknown key, answered 401 by the app

    def _tiles(self, tiles: TileService, scope: Scope,
               parts: list[str]) -> tuple[TileResult, str | None] | None:
        _, _, tileset, tms, z, x, tile = parts
        y_text, _, fmt = tile.rpartition(".")
        scale = 1
        if y_text.endswith("@2x") and fmt not in FORMATS:
            y_text, scale = y_text.removesuffix("@2x"), 2
        if not (tileset and tms and _INT.fullmatch(z) and _INT.fullmatch(x)
                and _INT.fullmatch(y_text)):
            return None
        if scope["query_string"]:
            query = QueryParams(scope["query_string"])
            if any(name in query for name in _PAST):
                return None
        actor = self._actor(scope)
        if actor is None:
            return None
        found = tiles.hot(actor, tileset, tms, int(z), int(x), int(y_text), fmt, scale)
        return None if found is None else (found, None)

    def _wmts_rest(self, tiles: TileService, scope: Scope,
                   parts: list[str]) -> tuple[TileResult, str | None] | None:
        if not all(parts[3:]):
            return None
        if scope["query_string"] and "TIME" in wmts.kvp(QueryParams(scope["query_string"])):
            return None
        req = wmts.rest_request(*parts[3:])
        return self._wmts_tile(tiles, scope, req)

    def _tianditu(self, tiles: TileService, scope: Scope,
                  shape: str) -> tuple[TileResult, str | None] | None:
        layer, _, alias = shape.rpartition("_")
        if not layer or alias not in wmts.GRID_IDS:
            return None
        params = wmts.kvp(QueryParams(scope["query_string"]))
        if wmts.operation(params) != "GetTile":
            return None
        req = wmts.tile_request(params, path_layer=layer, path_grid=alias)
        return self._wmts_tile(tiles, scope, req)

    def _wmts_tile(self, tiles: TileService, scope: Scope,
                   req: wmts.TileRequest) -> tuple[TileResult, str | None] | None:
        if req.time is not None:
            return None
        wmts.check_format(req)
        actor = self._actor(scope)
        if actor is None:
            return None
        found = tiles.hot(actor, req.tileset, req.grid.id, req.z, req.col, req.row, req.fmt)
        return None if found is None else (found, wmts.MEDIA_OF[req.fmt])


def _shape(path: str) -> str | None:
    """Which tile URL shape a path has, if any."""
    parts = path.split("/")
    if len(parts) == 7 and parts[1] == "tiles":
        return "tiles"
    if len(parts) == 9 and parts[1] == "wmts" and parts[2] == "1.0.0":
        return "wmts"
    if len(parts) == 3 and parts[2] == "wmts" and parts[1][-2:] in ("_w", "_c"):
        return "tianditu"
    return None


def _headers(scope: Scope) -> tuple[str, str]:
    """If-None-Match and Accept-Encoding as Starlette's `request.headers.get` reads them
    (the first of repeated headers)."""
    if_none_match: str | None = None
    accept_encoding: str | None = None
    for k, v in scope["headers"]:
        if k == b"if-none-match" and if_none_match is None:
            if_none_match = v.decode("latin-1")
        elif k == b"accept-encoding" and accept_encoding is None:
            accept_encoding = v.decode("latin-1")
    return if_none_match or "", accept_encoding or ""
