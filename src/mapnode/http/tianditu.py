"""天地图-compatible routes: `/v2/search`, `/geocoder`, `/v2/administrative`.

Same parameters and response shapes as 天地图's published API, so 天地图 clients can point at a
mapnode node. The key is `tk=` (read by the auth middleware like every other key). Each route
reads its parameters and calls `mapnode.services.search.tianditu`, which answers in 天地图's
shape; a parameter error answers 天地图's error body (search: `status.infocode` 2001–2007;
geocoder: `status` "1"; divisions: `status` 400) with HTTP 400, "no result" answers 200 with
infocode 3000 / status "404", and an unexpected error answers 500 with infocode 3001.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import InvalidParameter
from mapnode.http.auth import actor_of
from mapnode.http.places import in_worker, service_of
from mapnode.services.search import tianditu as tdt

log = logging.getLogger("mapnode.http.tianditu")


def routes() -> list[BaseRoute]:
    return [Route("/v2/search", search), Route("/geocoder", geocoder),
            Route("/v2/administrative", administrative)]


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _search_error(e: tdt.TdtError) -> dict[str, Any]:
    return {"status": {"infocode": e.code, "cndesc": e.zh, "endesc": e.en}, "resultType": 1,
            "count": 0, "parameter": e.parameter}


def _geocoder_error(e: tdt.TdtError) -> dict[str, Any]:
    return {"msg": e.zh, "msg_en": e.en, "status": str(e.code), "parameter": e.parameter}


def _admin_error(e: tdt.TdtError) -> dict[str, Any]:
    return {"status": e.code, "message": e.zh, "message_en": e.en, "parameter": e.parameter}


async def _answer(request: Request, call: Callable[[], dict[str, Any]],
                  shape: Callable[[tdt.TdtError], dict[str, Any]], bad: int,
                  broken: int) -> Response:
    """Run `call` off the event loop; errors answer in this service's 天地图 shape: `bad` for
    a parameter, `broken` (HTTP 500, logged with a correlation id, no exception text) else."""
    try:
        return _json(await in_worker(request, call))
    except tdt.TdtError as e:
        return _json(shape(e), 400)
    except InvalidParameter as e:  # a check inside the service (e.g. a reverse radius)
        return _json(shape(tdt.TdtError(bad, e.message_zh, e.message_en,
                                        str(e.context.get("parameter", "")))), 400)
    except Exception:
        correlation = uuid.uuid4().hex[:12]
        log.exception("天地图 call failed %s", correlation)
        return _json(shape(tdt.TdtError(broken, *tdt.INFO[3001], parameter=correlation)), 500)


async def search(request: Request) -> Response:
    svc, actor, p = service_of(request), actor_of(request), request.query_params
    return await _answer(request,
                         lambda: tdt.search_v2(svc, actor, p.get("postStr"), p.get("type")),
                         _search_error, 2007, 3001)


async def geocoder(request: Request) -> Response:
    svc, actor, p = service_of(request), actor_of(request), request.query_params
    if p.get("ds") is not None:
        return await _answer(request, lambda: tdt.geocode_ds(svc, actor, p.get("ds")),
                             _geocoder_error, 1, 404)
    if p.get("postStr") is not None:
        return await _answer(request,
                             lambda: tdt.reverse_post(svc, actor, p.get("postStr"), p.get("type")),
                             _geocoder_error, 1, 404)
    return _json(_geocoder_error(tdt.fail(1, "ds", "须给出 ds（地理编码）或 postStr（逆地理编码）",
                                          "give ds (geocode) or postStr (reverse)")), 400)


async def administrative(request: Request) -> Response:
    svc, actor, p = service_of(request), actor_of(request), request.query_params
    return await _answer(request, lambda: tdt.administrative(
        svc, actor, p.get("keyword"), p.get("childLevel"), p.get("extensions")),
                         _admin_error, 400, 500)
