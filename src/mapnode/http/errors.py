"""Map domain errors to HTTP responses in the protocol's own form.

The native API answers RFC 9457 problem JSON. A 500 carries a correlation id, never the
exception text.
"""

from __future__ import annotations

import logging
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mapnode.errors import (
    Conflict,
    Forbidden,
    InvalidData,
    InvalidParameter,
    MapnodeError,
    NotFound,
    TimedOut,
)

log = logging.getLogger("mapnode.http")

STATUS = {NotFound: 404, InvalidParameter: 400, InvalidData: 400, Conflict: 409, Forbidden: 403,
          TimedOut: 503}


def status_of(exc: MapnodeError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500


def problem(exc: MapnodeError) -> Response:
    status = status_of(exc)
    body = {"type": f"urn:mapnode:error:{exc.code}", "title": exc.message_zh,
            "title_en": exc.message_en, "status": status,
            "detail": {k: str(v) for k, v in exc.context.items()}}
    if isinstance(exc, InvalidData):
        body["problems"] = [str(p) for p in exc.problems]
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def handle_mapnode_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MapnodeError)
    return problem(exc)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    correlation = uuid.uuid4().hex[:12]
    log.exception("unhandled error %s on %s", correlation, request.url.path)
    return JSONResponse({"type": "urn:mapnode:error:internal", "title": "服务器内部错误",
                         "title_en": "internal server error", "status": 500,
                         "correlation_id": correlation}, status_code=500,
                        media_type="application/problem+json")
