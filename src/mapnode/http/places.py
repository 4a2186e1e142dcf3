"""Place names over HTTP: search, suggest, geocode, reverse geocode and divisions.

Each route parses its parameters (a bad one is a 400 problem naming it), calls the place-name
service with the request's Actor and renders JSON or GeoJSON. One `PlacesService` per app,
made on first use; it follows the store's log, so what is published is found at once.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import orjson
import shapely
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import InvalidParameter
from mapnode.http.auth import actor_of
from mapnode.services.search import Hit, PlacesService, Query, batch
from mapnode.services.search.config import KINDS
from mapnode.services.search.service import bad

_LOCK = threading.Lock()
T = TypeVar("T")
MAX_POLYGON_CHARS = 100_000
MAX_BATCH_BYTES = 2_000_000
MAX_BATCH_ROWS = 5_000


def routes() -> list[BaseRoute]:
    return [
        Route("/api/search", search),
        Route("/api/suggest", suggest),
        Route("/api/geocode", geocode),
        Route("/api/geocode/batch", geocode_batch, methods=["POST"]),
        Route("/api/reverse", reverse),
        Route("/api/admin", admin_lookup),
        Route("/api/admin/{code}", admin),
        Route("/api/places/openapi.json", openapi),
    ]


async def in_worker(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run a place-name call in a worker thread, at most `MAPNODE_SEARCH_THREADS` at a time
    (the rest wait on the event loop). With one thread per concurrent request instead, 32
    clients made half the searches per second one client does (GIL and SQLite contention);
    bench/README.md, nominatim_bench."""
    state = request.app.state
    limiter = getattr(state, "places_limiter", None)
    if limiter is None:
        limiter = state.places_limiter = anyio.CapacityLimiter(state.settings.search_threads)
    return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=limiter)


def service_of(request: Request) -> PlacesService:
    svc = getattr(request.app.state, "places", None)
    if svc is None:
        with _LOCK:
            svc = getattr(request.app.state, "places", None)
            if svc is None:
                svc = PlacesService(request.app.state.store)
                request.app.state.places = svc
    return svc


def _json(body: Any, media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(body), media_type=media_type)


# ---------------------------------------------------------------------- parameters
def _float(request: Request, name: str) -> float | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise bad(name, f"{name} 必须是数值", f"{name} must be a number", text) from None
    if not math.isfinite(value):
        raise bad(name, f"{name} 必须是有限数值", f"{name} must be finite", text)
    return value


def _int(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise bad(name, f"{name} 必须是整数", f"{name} must be an integer", text) from None


def _point(request: Request, required: bool = False) -> tuple[float, float] | None:
    lon, lat = _float(request, "lon"), _float(request, "lat")
    if lon is None and lat is None and not required:
        return None
    if lon is None or lat is None:
        missing = "lon" if lon is None else "lat"
        raise bad(missing, "须同时给出 lon 和 lat", "lon and lat go together")
    return lon, lat


def _bbox(request: Request) -> tuple[float, float, float, float] | None:
    text = request.query_params.get("bbox")
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise bad("bbox", "bbox 应为 minx,miny,maxx,maxy", "bbox must be minx,miny,maxx,maxy",
                  text) from None
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise bad("bbox", "bbox 应为四个有限数值", "bbox must be 4 finite numbers", text)
    return parts[0], parts[1], parts[2], parts[3]


def _polygon(request: Request) -> Any:
    text = request.query_params.get("polygon")
    if not text:
        return None
    if len(text) > MAX_POLYGON_CHARS:
        raise bad("polygon", "polygon 过大", "polygon too large")
    try:
        geom = (shapely.from_geojson(text) if text.lstrip().startswith("{")
                else shapely.from_wkt(text))
    except Exception:  # shapely raises several kinds for malformed input
        raise bad("polygon", "polygon 应为 GeoJSON 或 WKT 面", "polygon must be GeoJSON or WKT",
                  text) from None
    return geom


def _list(request: Request, name: str) -> tuple[str, ...]:
    text = request.query_params.get(name) or ""
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _query(request: Request, svc: PlacesService) -> Query:
    p = request.query_params
    raw = p.get("q", p.get("keyword"))
    bbox, point, polygon = _bbox(request), _point(request), _polygon(request)
    categories, kinds = _list(request, "category"), _list(request, "kind")
    for k in kinds:
        if k not in KINDS:
            raise bad("kind", f"kind 应为 {', '.join(KINDS)} 之一", f"kind must be one of {KINDS}", k)
    filtered = any(x is not None for x in (bbox, point, polygon, p.get("admin"))) or categories
    text = svc.keyword(raw, required=not filtered)
    return Query(text=text, bbox=bbox, point=point, radius_m=_float(request, "radius"),
                 admin=p.get("admin") or None, polygon=polygon, categories=categories,
                 kinds=kinds, prefer_admin=p.get("prefer_admin") or None,
                 limit=_int(request, "limit", 10), offset=_int(request, "offset", 0))


# ---------------------------------------------------------------------- rendering
def hit_feature(h: Hit, svc: PlacesService) -> dict[str, Any]:
    geometry = None if h.lon is None else {"type": "Point", "coordinates": [h.lon, h.lat]}
    props = {"name": h.name, "kind": h.kind, "layer": h.layer, "category": h.category,
             "admin_code": h.admin_code, "admin_name": svc.admin_name(h.admin_code),
             "match": h.match, "bbox": list(h.bbox) if h.bbox else None,
             "fids": h.info.get("fids"), "admin_how": h.info.get("admin_how")}
    if h.distance_m is not None:
        props["distance_m"] = h.distance_m
    if h.housenumber:
        props["address"] = {"street": h.info.get("street_name"), "housenumber": h.housenumber}
    return {"type": "Feature", "id": h.key, "geometry": geometry, "properties": props}


# ---------------------------------------------------------------------- routes
async def search(request: Request) -> Response:
    svc = service_of(request)
    actor = actor_of(request)
    q = _query(request, svc)
    counts = request.query_params.get("counts") in ("1", "true", "admin")
    page = await in_worker(request, svc.search, actor, q, counts)
    body: dict[str, Any] = {"type": "FeatureCollection",
                            "features": [hit_feature(h, svc) for h in page.hits],
                            "numberMatched": page.total, "numberReturned": len(page.hits),
                            "limit": q.limit, "offset": q.offset}
    if counts:
        body["counts"] = [{"admin_code": c.ljust(6, "0"), "admin_name": svc.admin_name(c),
                           "count": n} for c, n in page.counts.items()]
    return _json(body, "application/geo+json")


async def suggest(request: Request) -> Response:
    svc = service_of(request)
    text = svc.keyword(request.query_params.get("q"), required=True)
    limit = _int(request, "limit", 10)
    items = await in_worker(request, svc.suggest, actor_of(request), text, limit, _point(request))
    return _json({"query": request.query_params.get("q"), "suggestions": items})


async def geocode(request: Request) -> Response:
    svc = service_of(request)
    p = request.query_params
    raw = p.get("address", p.get("q"))
    svc.keyword(raw, required=True, parameter="address")
    assert raw is not None
    r = await in_worker(request, svc.geocode, actor_of(request), raw)
    geometry = None if r.lon is None else {"type": "Point", "coordinates": [r.lon, r.lat]}
    return _json({"type": "Feature", "geometry": geometry,
                  "properties": {"address": raw, "level": r.level, "confidence": r.confidence,
                                 "name": r.name, "admin_code": r.admin_code,
                                 "admin_name": svc.admin_name(r.admin_code),
                                 "parsed": r.parsed}}, "application/geo+json")


async def geocode_batch(request: Request) -> Response:
    """POST a CSV (text/csv; `address_column` names the column, default 地址) → the CSV with
    lon, lat, level, confidence, matched_name, admin_code; or a JSON list of addresses (strings
    or {"address": …}) → a JSON list of results. At most MAX_BATCH_BYTES and MAX_BATCH_ROWS."""
    svc, actor = service_of(request), actor_of(request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BATCH_BYTES:
            return _too_large(f"请求体超过 {MAX_BATCH_BYTES // 1_000_000} MB",
                              f"body larger than {MAX_BATCH_BYTES // 1_000_000} MB")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise bad("body", "请求体不是有效的 JSON", "body is not valid JSON") from None
        if not isinstance(items, list) or not all(
                isinstance(i, str) or (isinstance(i, dict) and isinstance(i.get("address"), str))
                for i in items):
            raise bad("body", "应为地址列表（字符串或 {\"address\": …}）",
                      "must be a list of addresses (strings or {\"address\": …})")
        if len(items) > MAX_BATCH_ROWS:
            return _too_large(f"超过 {MAX_BATCH_ROWS} 条", f"more than {MAX_BATCH_ROWS} addresses")
        addresses = [i if isinstance(i, str) else i["address"] for i in items]
        results = await run_in_threadpool(batch.geocode_all, svc, actor, addresses)
        return _json({"results": [{"address": a, **r} for a, r in zip(addresses, results,
                                                                       strict=True)]})
    if kind not in ("text/csv", "text/plain", "application/csv", ""):
        raise bad("content-type", "请求体应为 text/csv 或 application/json",
                  "body must be text/csv or application/json", kind)
    table = batch.read_table(body, request.query_params.get("address_column"), "body")
    if len(table.rows) > MAX_BATCH_ROWS:
        return _too_large(f"超过 {MAX_BATCH_ROWS} 行", f"more than {MAX_BATCH_ROWS} rows")
    results = await run_in_threadpool(batch.geocode_all, svc, actor,
                                      [r[table.column] for r in table.rows])
    return Response(batch.write_table(table, results), media_type="text/csv; charset=utf-8")


def _too_large(zh: str, en: str) -> Response:
    return Response(orjson.dumps({"type": "urn:mapnode:error:too_large", "title": zh,
                                  "title_en": en, "status": 413}), status_code=413,
                    media_type="application/problem+json")


async def reverse(request: Request) -> Response:
    svc = service_of(request)
    point = _point(request, required=True)
    assert point is not None
    radius = _float(request, "radius") or 1000.0
    body = await in_worker(request, svc.reverse, actor_of(request), point[0], point[1], radius)
    return _json(body)


async def admin(request: Request) -> Response:
    svc = service_of(request)
    body = await in_worker(request, svc.admin, actor_of(request), request.path_params["code"])
    return _json(body)


async def admin_lookup(request: Request) -> Response:
    svc = service_of(request)
    keyword = request.query_params.get("keyword", request.query_params.get("q"))
    items = await in_worker(request, svc.admin_lookup, actor_of(request), keyword or "",
                                    _int(request, "limit", 10))
    return _json({"keyword": keyword, "divisions": items})


def _op(summary: str, params: list[tuple[str, str, str, bool]]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": [
        {"name": n, "in": "path" if n == "code" else "query", "required": req,
         "schema": {"type": t}, "description": d} for n, t, d, req in params],
        "responses": {"200": {"description": "OK"},
                      "400": {"description": "问题 JSON / problem JSON (RFC 9457), names the parameter"}}}}


_Q = ("q", "string", "关键词（≤100 字）/ keyword", False)
_PAGING = [("limit", "integer", "1–300", False), ("offset", "integer", "0–10000", False)]
_POINT = [("lon", "number", "经度 / longitude", False), ("lat", "number", "纬度 / latitude", False)]
PATHS: dict[str, Any] = {
    "/api/search": _op("地名搜索 / search places (GeoJSON)", [
        _Q, ("bbox", "string", "minx,miny,maxx,maxy", False), *_POINT,
        ("radius", "number", "米，≤50000 / metres", False),
        ("admin", "string", "行政区划代码 / division code", False),
        ("polygon", "string", "GeoJSON 或 WKT 面 / polygon", False),
        ("category", "string", "类别，逗号分隔 / categories", False),
        ("kind", "string", "admin,poi,road", False),
        ("prefer_admin", "string", "优先的区划 / preferred division", False),
        ("counts", "boolean", "按区划计数 / counts per division", False), *_PAGING]),
    "/api/suggest": _op("输入提示 / suggest (prefix, pinyin, initials)",
                        [_Q, ("limit", "integer", "1–300", False), *_POINT]),
    "/api/geocode": _op("地理编码 / geocode", [("address", "string", "地址 / address", True)]),
    "/api/geocode/batch": {"post": {
        "summary": "批量地理编码 / batch geocode (CSV or JSON list; ≤2 MB, ≤5000 rows)",
        "parameters": [{"name": "address_column", "in": "query", "required": False,
                        "schema": {"type": "string"}, "description": "地址列 / column (地址)"}],
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}},
                                    "application/json": {"schema": {"type": "array"}}}},
        "responses": {"200": {"description": "CSV or JSON"},
                      "400": {"description": "problem JSON"}, "413": {"description": "too large"}}}},
    "/api/reverse": _op("逆地理编码 / reverse geocode", [
        ("lon", "number", "经度", True), ("lat", "number", "纬度", True),
        ("radius", "number", "米 / metres", False)]),
    "/api/admin": _op("行政区划查询 / divisions by name",
                      [("keyword", "string", "名称、简称、拼音 / name", True)]),
    "/api/admin/{code}": _op("行政区划 / division by code",
                             [("code", "string", "2–12 位代码 / code", True)]),
}


async def openapi(request: Request) -> Response:
    return _json({"openapi": "3.1.0", "info": {"title": "mapnode place names", "version": "1"},
                  "paths": PATHS})


__all__ = ["InvalidParameter", "routes"]
