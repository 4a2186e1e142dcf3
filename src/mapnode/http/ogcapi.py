"""OGC API Features under /ogcapi: parse the request, call `services.features`, render.

Formats: `f=json|html`, otherwise the Accept header (406 when nothing we offer is acceptable).
Errors are problem JSON (the app's handler). Links keep the caller's `tk` key so a client can
follow them with the same access.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from mapnode.errors import InvalidParameter, NotFound
from mapnode.http import ogcapi_html as html
from mapnode.http.auth import actor_of
from mapnode.http.limits import within
from mapnode.http.ogcapi_openapi import openapi
from mapnode.services import features as svc
from mapnode.services.features_crs import CRS84
from mapnode.services.tilesets import (
    TILES_CONFORMANCE,
    TILESETS_VECTOR_REL,
    TILING_SCHEMES_REL,
    TMS_CONFORMANCE,
)
from mapnode.store import VersionedStore

PREFIX = "/ogcapi"
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    *TILES_CONFORMANCE,
    *TMS_CONFORMANCE,
]

Handler = Callable[[Request], Awaitable[Response]]


def routes() -> list[BaseRoute]:
    from mapnode.http import ogcapi_tiles

    return [
        Route(PREFIX, landing), Route(PREFIX + "/", landing),
        Route(PREFIX + "/conformance", conformance),
        Route(PREFIX + "/api", api),
        Route(PREFIX + "/collections", collections),
        Route(PREFIX + "/collections/{cid}", collection),
        Route(PREFIX + "/collections/{cid}/items", items),
        Route(PREFIX + "/collections/{cid}/items/{fid}", item),
        Route(PREFIX + "/collections/{cid}/queryables", queryables),
        *ogcapi_tiles.routes(PREFIX),
        Route(PREFIX + "/{rest:path}", not_found),
    ]


# ---------------------------------------------------------------------- request helpers
def _store(request: Request) -> VersionedStore:
    return request.app.state.store  # type: ignore[no-any-return]


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _key(request: Request) -> str:
    tk = request.query_params.get("tk")
    return f"?{urlencode({'tk': tk})}" if tk else ""


def _with(request: Request, url: str, **extra: str) -> str:
    """`url` with the caller's key and `extra` parameters."""
    params = {**({"tk": request.query_params["tk"]} if "tk" in request.query_params else {}),
              **extra}
    return f"{url}?{urlencode(params)}" if params else url


def wants(request: Request) -> str:
    """'json' or 'html' from `f`, else from Accept; 400 for an unknown f, 406 when unacceptable."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "html"):
            raise InvalidParameter("不支持的输出格式", "unsupported format (json, html)",
                                   {"parameter": "f", "value": f})
        return f
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return "json"
    ranges = []
    for part in accept.split(","):
        media, *opts = [p.strip() for p in part.split(";")]
        q = 1.0
        for o in opts:
            if o.startswith("q="):
                try:
                    q = float(o[2:])
                except ValueError:
                    q = 0.0
        ranges.append((q, media.lower()))
    for q, media in sorted(ranges, key=lambda r: -r[0]):
        if q <= 0:
            continue
        if media == "text/html":
            return "html"
        if media in ("*/*", "application/*") or (media.startswith("application/")
                                                  and "json" in media):
            return "json"
    return "none"


def _json(body: Any, media: str, status: int = 200, headers: dict[str, str] | None = None,
          ) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=headers)


def _not_acceptable() -> Response:
    return _json({"type": "urn:mapnode:error:not_acceptable", "title": "无法提供所要求的格式",
                  "title_en": "none of the acceptable media types can be produced",
                  "status": 406, "detail": {"available": "application/json, text/html"}},
                 "application/problem+json", 406)


def _render(request: Request, body: dict[str, Any], media: str, page: Callable[[], str],
            headers: dict[str, str] | None = None) -> Response:
    fmt = wants(request)
    if fmt == "html":
        return HTMLResponse(page(), headers=headers)
    if fmt == "none":
        return _not_acceptable()
    return _json(body, media, headers=headers)


def _links(request: Request, url: str, media: str, title: str) -> list[dict[str, str]]:
    fmt = wants(request)
    html_self = fmt == "html"
    return [
        {"href": _with(request, url, f="html" if html_self else "json"), "rel": "self",
         "type": "text/html" if html_self else media, "title": title},
        {"href": _with(request, url, f="json" if html_self else "html"), "rel": "alternate",
         "type": media if html_self else "text/html", "title": title},
    ]


# ---------------------------------------------------------------------- routes
async def landing(request: Request) -> Response:
    settings = request.app.state.settings
    base = _base(request)
    body = {
        "title": settings.node_title_zh, "description": settings.node_title_en,
        "links": [
            *_links(request, base + "/", JSON, "本页 / this document"),
            {"href": _with(request, base + "/api"), "rel": "service-desc", "type": OPENAPI,
             "title": "OpenAPI 文档 / API definition"},
            {"href": _with(request, base + "/api", f="html"), "rel": "service-doc",
             "type": "text/html", "title": "API 文档 / API documentation"},
            {"href": _with(request, base + "/conformance"), "rel": "conformance", "type": JSON,
             "title": "符合性声明 / conformance"},
            {"href": _with(request, base + "/collections"), "rel": "data", "type": JSON,
             "title": "要素集合 / collections"},
            {"href": _with(request, base + "/tiles"), "rel": TILESETS_VECTOR_REL, "type": JSON,
             "title": "底图矢量瓦片 / base map vector tilesets"},
            {"href": _with(request, base + "/tileMatrixSets"), "rel": TILING_SCHEMES_REL,
             "type": JSON, "title": "瓦片矩阵集 / tile matrix sets"},
        ],
    }
    return _render(request, body, JSON, lambda: html.landing(body, _key(request)))


async def conformance(request: Request) -> Response:
    body = {"conformsTo": CONFORMANCE}
    return _render(request, body, JSON, lambda: html.conformance(CONFORMANCE))


async def api(request: Request) -> Response:
    metas = await run_in_threadpool(svc.feature_layers, _store(request), actor_of(request))
    doc = openapi(_base(request), metas, request.app.state.settings)
    return _render(request, doc, OPENAPI, lambda: html.api(doc))


def _collection_body(request: Request, described: dict[str, Any]) -> dict[str, Any]:
    url = f"{_base(request)}/collections/{described['id']}"
    return {**described, "links": [
        *_links(request, url, JSON, described["title"]),
        {"href": _with(request, url + "/items"), "rel": "items", "type": GEOJSON,
         "title": "要素 / items"},
        {"href": _with(request, url + "/items", f="html"), "rel": "items", "type": "text/html",
         "title": "要素 / items"},
        {"href": _with(request, url + "/queryables"), "type": SCHEMA,
         "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
         "title": "可查询属性 / queryables"},
        *([{"href": _with(request, url + "/tiles"), "rel": TILESETS_VECTOR_REL, "type": JSON,
            "title": "矢量瓦片 / vector tilesets"}] if described["geometryType"] != "none" else []),
    ]}


async def collections(request: Request) -> Response:
    store, actor = _store(request), actor_of(request)

    def read() -> list[dict[str, Any]]:
        return [svc.describe(store, actor, m) for m in svc.feature_layers(store, actor)]

    described = await run_in_threadpool(read)
    body = {"collections": [_collection_body(request, d) for d in described],
            "links": _links(request, _base(request) + "/collections", JSON,
                            "要素集合 / collections"),
            "crs": [CRS84]}
    return _render(request, body, JSON, lambda: html.collections(body, _key(request)))


async def collection(request: Request) -> Response:
    store, actor, cid = _store(request), actor_of(request), request.path_params["cid"]

    def read() -> dict[str, Any]:
        return svc.describe(store, actor, svc.feature_layer(store, actor, cid))

    body = _collection_body(request, await run_in_threadpool(read))
    return _render(request, body, JSON, lambda: html.collection(body, _key(request)))


async def items(request: Request) -> Response:
    store, actor, cid = _store(request), actor_of(request), request.path_params["cid"]
    max_limit = request.app.state.settings.ogcapi_max_limit
    params = _params(request)
    wants(request)  # a bad `f` is a 400 before any work

    def read() -> svc.ItemsPage:
        meta = svc.feature_layer(store, actor, cid)
        return svc.items(store, actor, cid, svc.parse_items_query(meta, params, max_limit))

    page = await within(request.app.state.settings.request_timeout, read)
    url = f"{_base(request)}/collections/{cid}/items"
    fmt = wants(request)
    here, there = ("text/html", GEOJSON) if fmt == "html" else (GEOJSON, "text/html")
    same = {k: v for k, v in params.items() if k != "offset"}

    def href(**extra: Any) -> str:
        return f"{url}?{urlencode({**same, **extra})}"

    links = [
        {"href": href(offset=page.offset), "rel": "self", "type": here, "title": "本页 / this page"},
        {"href": href(f="json" if fmt == "html" else "html", offset=page.offset),
         "rel": "alternate", "type": there, "title": "本页 / this page"},
    ]
    if page.has_next:
        links.append({"href": href(offset=page.offset + page.limit), "rel": "next", "type": here,
                      "title": "下一页 / next page"})
    if page.offset > 0:
        links.append({"href": href(offset=max(page.offset - page.limit, 0)), "rel": "prev",
                      "type": here, "title": "上一页 / previous page"})
    links.append({"href": _with(request, f"{_base(request)}/collections/{cid}"),
                  "rel": "collection", "type": JSON, "title": "集合 / collection"})
    body: dict[str, Any] = {"type": "FeatureCollection", "features": page.features,
                            "links": links, "numberReturned": page.number_returned,
                            "timeStamp": svc.now_iso()}
    if page.number_matched is not None:
        body["numberMatched"] = page.number_matched
    queryables_link = {"href": _with(request, f"{_base(request)}/collections/{cid}/queryables"),
                       "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": SCHEMA}
    headers = {"Content-Crs": f"<{page.crs.uri}>",
               "Link": link_header([*links, queryables_link])}
    return _render(request, body, GEOJSON, lambda: html.items(cid, body, _key(request)),
                   headers)


def link_header(links: list[dict[str, str]]) -> str:
    """RFC 8288 Link header (the ogctests filtering suite reads self/alternate from it)."""
    return ", ".join(f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"'
                     for link in links)


async def item(request: Request) -> Response:
    store, actor = _store(request), actor_of(request)
    cid, fid = request.path_params["cid"], request.path_params["fid"]
    wants(request)
    params = _params(request)
    feature, crs = await within(request.app.state.settings.request_timeout, svc.item, store,
                                actor, cid, fid, params)
    url = f"{_base(request)}/collections/{cid}/items/{fid}"
    feature["links"] = [
        *_links(request, url, GEOJSON, str(fid)),
        {"href": _with(request, f"{_base(request)}/collections/{cid}"), "rel": "collection",
         "type": JSON, "title": "集合 / collection"},
    ]
    return _render(request, feature, GEOJSON, lambda: html.item(cid, feature, _key(request)),
                   {"Content-Crs": f"<{crs.uri}>"})


async def queryables(request: Request) -> Response:
    store, actor, cid = _store(request), actor_of(request), request.path_params["cid"]
    meta = await run_in_threadpool(svc.feature_layer, store, actor, cid)
    body = {**svc.queryables(meta), "$id": f"{_base(request)}/collections/{cid}/queryables"}
    return _render(request, body, SCHEMA, lambda: html.queryables(cid, body))


async def not_found(request: Request) -> Response:
    raise NotFound("没有该资源", "no such resource", {"path": request.url.path})
