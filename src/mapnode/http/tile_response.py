"""One tile answer for every tile URL (`/tiles`, WMTS KVP, REST and 天地图 shapes, and the fast
path of `http.fast_tiles`), so headers and bytes are the same whichever path served it:
ETag, Cache-Control (public only for the public scope; immutable for past states), Vary,
`X-Cache`, `X-Seq`; 304 on If-None-Match, 204 for an empty tile; gzip MVT sent as
`Content-Encoding: gzip` when accepted, else decompressed."""

from __future__ import annotations

import gzip

from starlette.responses import Response

from mapnode.services.tiles import TileResult

VARY = "Accept-Encoding, Authorization, X-API-Key"


def tile_response(r: TileResult, if_none_match: str, accept_encoding: str,
                  media: str | None = None) -> Response:
    """The response for a tile; `media` overrides the result's media type (WMTS names it)."""
    media = media or r.media_type
    cache_control = "max-age=31536000, immutable" if r.immutable else "no-cache"
    headers = {"ETag": r.etag, "Cache-Control": ("public, " if r.public else "private, ")
               + cache_control, "Vary": VARY, "X-Cache": r.cache, "X-Seq": str(r.seq)}
    if etag_matches(if_none_match, r.etag):
        return Response(status_code=304, headers=headers)
    if not r.data:
        return Response(status_code=204, headers=headers)
    if not r.gzipped:
        return Response(r.data, media_type=media, headers=headers)
    if accepts_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        return Response(r.data, media_type=media, headers=headers)
    return Response(gzip.decompress(r.data), media_type=media, headers=headers)


def accepts_gzip(accept_encoding: str) -> bool:
    return "gzip" in accept_encoding


def etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]
    return "*" in tags or etag in tags
