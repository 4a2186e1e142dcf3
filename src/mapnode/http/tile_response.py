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
    if etag_matches(if_none_match, r.etag):
        response = Response(status_code=304)
        response.raw_headers = _common(r)
    elif not r.data:
        response = Response(status_code=204)
        response.raw_headers = _common(r)
    elif r.gzipped and not accepts_gzip(accept_encoding):
        body = gzip.decompress(r.data)
        response = Response(body)
        response.raw_headers = [*_common(r), *_content(body, media or r.media_type)]
    else:
        response = Response(r.data)
        response.raw_headers = ok_headers(r, media)
    return response


def ok_headers(r: TileResult, media: str | None = None) -> list[tuple[bytes, bytes]]:
    """The raw headers of a 200 answer with the tile's bytes as they are (gzip MVT to a client
    that accepts gzip, or an image): also sent as such by the fast path (`http.fast_tiles`)."""
    encoding = [(b"content-encoding", b"gzip")] if r.gzipped else []
    return [*_common(r), *encoding, *_content(r.data, media or r.media_type)]


def _common(r: TileResult) -> list[tuple[bytes, bytes]]:
    """The headers every tile answer carries (200, 304, 204)."""
    return [(b"etag", r.etag.encode("latin-1")),
            (b"cache-control", _CACHE_CONTROL[r.public, r.immutable]), (b"vary", _VARY),
            (b"x-cache", r.cache.encode("latin-1")), (b"x-seq", str(r.seq).encode())]


def _content(body: bytes, media: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(len(body)).encode()), (b"content-type", media.encode("latin-1"))]


_VARY = VARY.encode()
_CACHE_CONTROL = {(public, immutable): ("public, " if public else "private, ").encode()
                  + (b"max-age=31536000, immutable" if immutable else b"no-cache")
                  for public in (True, False) for immutable in (True, False)}


def accepts_gzip(accept_encoding: str) -> bool:
    return "gzip" in accept_encoding


def etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]
    return "*" in tags or etag in tags
