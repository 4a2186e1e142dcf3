"""WMS 1.3.0 and 1.1.1 at `/wms`: parse, call `services.wms`, answer.

Every error is a ServiceExceptionReport (1.3.0 `text/xml`, 1.1.1
`application/vnd.ogc.se_xml`) with status 400: WMS clients read the report, and most of them
treat 404 as "no service here". A render that exceeds `wms_render_timeout` answers 503, an
unexpected failure 500 with a correlation id, both as reports. GetMap with
`EXCEPTIONS=BLANK` (or `application/vnd.ogc.se_blank`) answers an empty image instead, and
`INIMAGE` an image with the message drawn on it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.config import Settings
from mapnode.errors import MapnodeError, TimedOut
from mapnode.http.auth import actor_of
from mapnode.http.limits import within
from mapnode.http.ogc_xml import OgcError, wms_exception_response
from mapnode.model import Actor
from mapnode.services.wms import capabilities as caps
from mapnode.services.wms import feature_info as info
from mapnode.services.wms import maps
from mapnode.services.wms.inimage import message_image
from mapnode.services.wms.layers import wms_layers
from mapnode.services.wms.params import Params, negotiate, request_name, version
from mapnode.store import VersionedStore

log = logging.getLogger("mapnode.http.wms")
VARY = "Authorization, X-API-Key"


def routes() -> list[BaseRoute]:
    return [Route("/wms", wms)]


def _error_version(p: Params) -> str:
    text = (p.get("VERSION") or p.get("WMTVER") or "").strip()
    return "1.1.1" if text.startswith(("1.1", "1.0")) else "1.3.0"


def _limits(settings: Settings) -> maps.Limits:
    return maps.Limits(settings.wms_max_width, settings.wms_max_height,
                       settings.wms_max_pixels)


async def wms(request: Request) -> Response:
    p = Params(list(request.query_params.multi_items()))
    err_version = _error_version(p)
    query: maps.MapQuery | None = None
    try:
        name = request_name(p)
        if name == "GetCapabilities":
            return await _capabilities(request, negotiate(p))
        ver = version(p)
        err_version = ver
        store: VersionedStore = request.app.state.store
        actor = actor_of(request)
        settings: Settings = request.app.state.settings
        if name == "GetMap":
            query = maps.parse_map(p, ver, _limits(settings))
            body = await _timed(settings, maps.get_map, store, actor, query)
            return _image(body, maps.MEDIA[query.fmt], query)
        if name == "GetFeatureInfo":
            q = info.parse_info(p, ver, _limits(settings))
            feats = await run_in_threadpool(info.feature_info, store, actor, q)
            body, media = info.render_info(feats, q.fmt)
            return Response(body, media_type=media, headers={"Vary": VARY})
        body, media = await run_in_threadpool(maps.get_legend, store, actor, p)
        return Response(body, media_type=media, headers={"Vary": VARY})
    except MapnodeError as exc:
        return _exception(OgcError.from_domain(exc, status=400), err_version, p, query)
    except OgcError as exc:
        return _exception(exc, err_version, p, query)


async def _timed(settings: Settings, fn: Callable[..., bytes], *args: Any) -> bytes:
    try:
        return await within(settings.wms_render_timeout, fn, *args)
    except TimedOut:
        raise OgcError("NoApplicableCode", f"出图超过 {settings.wms_render_timeout:g} 秒",
                       f"rendering took longer than {settings.wms_render_timeout:g} s",
                       status=503) from None
    except MapnodeError:
        raise
    except Exception:
        correlation = uuid.uuid4().hex[:12]
        log.exception("WMS render failed %s", correlation)
        raise OgcError("NoApplicableCode", "出图失败", "rendering failed",
                       status=500, extra={"correlation_id": correlation}) from None


def _image(body: bytes, media: str, q: maps.MapQuery) -> Response:
    past = q.time is not None and q.time < datetime.now(UTC)  # a future TIME is still "now"
    headers = {"Vary": VARY, "Cache-Control": "private, max-age=3600" if past else "no-cache"}
    return Response(body, media_type=media, headers=headers)


def _exception(err: OgcError, ver: str, p: Params, q: maps.MapQuery | None) -> Response:
    mode = (p.get("EXCEPTIONS") or "").strip().lower().rsplit("_", 1)[-1].rsplit(".", 1)[-1]
    if q is not None and mode in ("blank", "inimage"):
        body = maps.blank(q) if mode == "blank" else message_image(q, err.text)
        return Response(body, media_type=maps.MEDIA[q.fmt], headers={"Vary": VARY})
    if err.status is None or err.status < 500:
        err.status = 400
    return wms_exception_response(err, ver)


async def _capabilities(request: Request, ver: str) -> Response:
    store: VersionedStore = request.app.state.store
    settings: Settings = request.app.state.settings
    actor: Actor = actor_of(request)
    layers = await run_in_threadpool(wms_layers, store, actor)
    service = caps.ServiceInfo(settings.node_title_zh, settings.node_title_en, settings.operator,
                               settings.map_review_number, settings.wms_max_width,
                               settings.wms_max_height)
    body = caps.capabilities(layers, service, _base_url(request), ver, datetime.now(UTC))
    media = "text/xml" if ver == "1.3.0" else "application/vnd.ogc.wms_xml"
    return Response(body, media_type=media, headers={"Vary": VARY, "Cache-Control": "no-cache"})


def _base_url(request: Request) -> str:
    """The service address for OnlineResource links, keeping the caller's `tk` key."""
    base = str(request.url.replace(query="")).split("?")[0]
    tk = request.query_params.get("tk")
    return base + "?" + (urlencode({"tk": tk}) + "&" if tk else "")
