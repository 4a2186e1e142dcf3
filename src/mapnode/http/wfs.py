"""WFS 2.0.0 and 1.1.0 at /wfs: KVP (GET, or a form POST) and XML (POST) requests.

Parsing and the operations live in `mapnode.services.wfs`; this module reads the request
(the body capped at `wfs_max_request_bytes`), runs the operation in a worker thread and writes
every error as an `ows:ExceptionReport` (`mapnode.http.ogc_xml`), never a traceback.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.config import Settings
from mapnode.errors import MapnodeError
from mapnode.http.auth import actor_of
from mapnode.http.limits import within
from mapnode.http.ogc_xml import OgcError, ows_exception_response
from mapnode.services.wfs import service
from mapnode.services.wfs.capabilities import Service
from mapnode.services.wfs.errors import WfsError, from_domain
from mapnode.services.wfs.request import WfsRequest, parse_kvp, parse_post

PATH = "/wfs"


def routes() -> list[BaseRoute]:
    return [Route(PATH, wfs, methods=["GET", "POST"])]


def _context(request: Request) -> service.Context:
    settings: Settings = request.app.state.settings
    key = request.query_params.get("tk")
    url = str(request.base_url).rstrip("/") + PATH
    if key:
        url += "?" + urlencode({"tk": key})
    svc = Service(url, settings.node_title_zh, settings.node_title_en, settings.operator,
                  settings.wfs_max_features)
    return service.Context(request.app.state.store, actor_of(request), svc, key)


def _version_hint(pairs: list[tuple[str, str]]) -> str:
    """The version to write an early error in (before the request is fully parsed)."""
    for k, v in pairs:
        if k.upper() in ("VERSION", "ACCEPTVERSIONS") and v.strip().startswith("1.1"):
            return "1.1.0"
    return "2.0.0"


def _error(err: WfsError | OgcError, version: str) -> Response:
    if isinstance(err, WfsError):
        err = OgcError(err.code, err.zh, err.en, err.locator, err.status)
    ows = "1.1.0" if version == "2.0.0" else "1.0.0"
    return ows_exception_response(err, version, ows)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_big = WfsError("OperationParsingFailed", "request", f"请求体超过 {limit} 字节",
                       f"request body larger than {limit} bytes")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def wfs(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    pairs = list(request.query_params.multi_items())
    version = _version_hint(pairs)
    try:
        req: WfsRequest
        if request.method == "POST":
            body = await _body(request, settings.wfs_max_request_bytes)
            media = request.headers.get("content-type", "").lower()
            if media.startswith("application/x-www-form-urlencoded"):
                form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                version = _version_hint(form)
                req = parse_kvp(form)
            else:
                if b'version="1.1' in body[:2000]:
                    version = "1.1.0"
                req = parse_post(body)
        else:
            req = parse_kvp(pairs)
        version = req.version
        reply = await within(settings.request_timeout, service.handle, _context(request), req)
    except (WfsError, OgcError) as err:
        return _error(err, version)
    except MapnodeError as exc:
        return _error(from_domain(exc, "request"), version)
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type)
