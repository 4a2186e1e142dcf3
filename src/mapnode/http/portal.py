"""The portal: the web map page at `/`, the developer page at `/docs`, their static files.

The page is rendered here with what works without JavaScript (the layer catalogue, the footer
with attribution, 审图号 and operator) and a JSON bootstrap the scripts read: node config and
which optional services this node mounts (styles, glyphs, WMS, WMTS, …), so the page never
requests a URL that is not there. Everything else is plain JS modules in
`mapnode/portal/static/` (no build step) and the vendored MapLibre GL JS.
"""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from mapnode.config import Settings
from mapnode.errors import NotFound
from mapnode.http.auth import actor_of
from mapnode.http.portal_api import config_body
from mapnode.model import LayerMeta
from mapnode.store import VersionedStore

PORTAL = Path(str(files("mapnode.portal")))
STATIC = PORTAL / "static"
STATIC_URL = "/portal/static"

# Optional services, probed by route path prefix: the page shows them only when mounted.
OPTIONAL = {"styles": "/styles/", "fonts": "/fonts/", "sprites": "/sprites/", "wms": "/wms",
            "wfs": "/wfs", "wmts": "/wmts", "staticimage": "/staticimage",
            "tianditu_wmts": "/{layer}_{grid}/wmts", "tianditu_search": "/v2/search",
            "tianditu_geocoder": "/geocoder", "tianditu_admin": "/v2/administrative",
            "ogcapi": "/ogcapi"}


def routes() -> list[BaseRoute]:
    return [Route("/", index), Route("/docs", docs),
            Route(STATIC_URL + "/{path:path}", static)]


def mounted(request: Request) -> dict[str, bool]:
    """Which optional services this app has, from its route table (exact or prefix match)."""
    paths = [getattr(r, "path", "") for r in request.app.routes]
    found = {}
    for key, prefix in OPTIONAL.items():
        found[key] = any(p == prefix.rstrip("/") or p.startswith(prefix) for p in paths)
    if not found["tianditu_wmts"]:
        found["tianditu_wmts"] = any(p.endswith("/wmts") and p != "/wmts" for p in paths)
    return found


async def static(request: Request) -> Response:
    """A file of the portal, gzipped for clients that accept it, with ETag and 304."""
    path: str = request.path_params["path"]
    file = _static_file(path)
    gz = "gzip" in request.headers.get("accept-encoding", "") and file.gzipped is not None
    headers = {"ETag": file.etag, "Vary": "Accept-Encoding",
               "Cache-Control": "public, max-age=86400" if path.startswith("vendor/")
               else "no-cache"}
    if request.headers.get("if-none-match") == file.etag:
        return Response(status_code=304, headers=headers)
    if gz:
        headers["Content-Encoding"] = "gzip"
    return Response(file.gzipped if gz else file.data, media_type=file.media_type,
                    headers=headers)


@dataclass(frozen=True)
class StaticFile:
    data: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


TYPES = {"": "text/plain; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".json": "application/json",
         ".svg": "image/svg+xml", ".png": "image/png", ".html": "text/html; charset=utf-8"}


@lru_cache(maxsize=128)
def _static_file(path: str) -> StaticFile:
    """Read (and gzip once) a file under STATIC; anything else, or a missing file, is 404."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC.resolve()) or not target.is_file() \
            or target.suffix not in TYPES:
        raise NotFound("文件不存在", "no such file", {"path": path})
    data = target.read_bytes()
    packed = gzip.compress(data, 9, mtime=0) if target.suffix != ".png" else None
    etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    return StaticFile(data, packed, TYPES[target.suffix], etag)


def _template(name: str) -> Template:
    return Template((PORTAL / name).read_text(encoding="utf-8"))


async def index(request: Request) -> Response:
    store: VersionedStore = request.app.state.store
    settings: Settings = request.app.state.settings
    actor = actor_of(request)
    metas = await run_in_threadpool(store.layers, actor)
    seq = await run_in_threadpool(store.current_seq)
    config = config_body(settings, [m.attribution for m in metas], seq)
    boot = {"config": config, "services": mounted(request), "static": STATIC_URL}
    page = _template("index.html").substitute(
        title=html.escape(settings.node_title_zh), title_en=html.escape(settings.node_title_en),
        static=STATIC_URL, boot=_script_json(boot), catalogue=catalogue_html(metas),
        footer=footer_html(config))
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


async def docs(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    boot = {"services": mounted(request), "static": STATIC_URL}
    page = _template("docs.html").substitute(
        title=html.escape(settings.node_title_zh), static=STATIC_URL, boot=_script_json(boot))
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


def _script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json">."""
    return orjson.dumps(value).decode().replace("<", "\\u003c")


def catalogue_html(metas: list[LayerMeta]) -> str:
    """The layer table the resource centre starts from (readable without JavaScript)."""
    rows = "\n".join(
        f'<tr data-layer="{html.escape(m.name)}"><td>{html.escape(m.title_zh or m.name)}'
        f'<br><small>{html.escape(m.title_en)}</small></td><td><code>{html.escape(m.name)}</code>'
        f"</td><td>{m.geometry_type.value}</td><td>{html.escape(m.attribution)}</td></tr>"
        for m in metas)
    return (f'<h2 data-count="{len(metas)}">图层 / Layers ({len(metas)})</h2>\n'
            '<table class="catalogue"><thead><tr><th>名称 / Title</th><th>标识 / Id</th>'
            '<th>几何 / Geometry</th><th>署名 / Attribution</th></tr></thead>\n'
            f"<tbody>{rows}</tbody></table>")


def footer_html(config: dict[str, Any]) -> str:
    parts = [f'<span class="attribution">{html.escape(a)}</span>'
             for a in config["attributions"]]
    if config["map_review_number"]:
        parts.append(f'<span class="review">审图号：{html.escape(config["map_review_number"])}'
                     "</span>")
    if config["operator"]:
        parts.append(f'<span class="operator">运营单位 / Operator：'
                     f'{html.escape(config["operator"])}</span>')
    parts.append(f'<span class="version">mapnode {html.escape(config["version"])} · '
                 f'seq {config["seq"]}</span>')
    return " · ".join(parts)
