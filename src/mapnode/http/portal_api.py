"""Small JSON helpers the portal needs: footer config, the log, diffs in view, downloads.

- `/api/config`: node titles, operator, 审图号 and the attributions of the visible layers.
- `/api/log?since=&limit=`: the store's log as the caller may see it (`store.log(actor)`).
- `/api/diff?from=&to=&layer=&bbox=&limit=`: what changed between two seqs or instants
  (变化提取), per visible layer, only layers whose log entries touched the view.
- `/api/layers/{name}/download?f=gpkg|geojson|shp|csv`: the layer's published data.
Access is the store's: hidden layers are absent from every list and NotFound when named.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from mapnode import __version__
from mapnode.config import Settings
from mapnode.errors import InvalidParameter
from mapnode.http.auth import actor_of
from mapnode.model import Actor, Feature, LayerKind
from mapnode.model.log import BBox
from mapnode.portal.export import FORMATS, check_format, export_layer, temp_directory
from mapnode.store import VersionedStore

OSM = "© OpenStreetMap contributors"
MAX_DIFF_ITEMS = 1000
NAME_KEYS = ("name_zh", "name", "title", "名称", "ref", "code")
_SEQ = re.compile(r"[0-9]{1,12}")


def routes() -> list[BaseRoute]:
    return [Route("/api/config", config), Route("/api/log", log),
            Route("/api/diff", diff), Route("/api/layers/{name}/download", download)]


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-cache"})


def _store(request: Request) -> VersionedStore:
    return request.app.state.store  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- parameters
def _bad(name: str, zh: str, en: str, value: str = "") -> InvalidParameter:
    return InvalidParameter(zh, en, {"parameter": name, "value": value})


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", text) or not low <= int(text) <= high:
        raise _bad(name, f"{name} 应为 {low}–{high} 的整数",
                   f"{name} must be an integer from {low} to {high}", text)
    return int(text)


def as_of(name: str, text: str) -> int | datetime:
    """A seq (digits) or an RFC 3339 instant with an offset."""
    if _SEQ.fullmatch(text):
        return int(text)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise _bad(name, f"{name} 应为序号或带时区的 RFC 3339 时刻",
                   f"{name} must be a seq or an RFC 3339 instant with an offset", text)
    return t


def _bbox(request: Request) -> BBox | None:
    text = request.query_params.get("bbox")
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if (len(parts) != 4 or not all(math.isfinite(p) for p in parts)
            or parts[0] > parts[2] or parts[1] > parts[3]):
        raise _bad("bbox", "bbox 应为 minx,miny,maxx,maxy", "bbox must be minx,miny,maxx,maxy",
                   text)
    return parts[0], parts[1], parts[2], parts[3]


# ---------------------------------------------------------------------- routes
async def config(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    store = _store(request)
    metas = await run_in_threadpool(store.layers, actor_of(request))
    seq = await run_in_threadpool(store.current_seq)
    return _json(config_body(settings, [m.attribution for m in metas], seq))


def config_body(settings: Settings, attributions: list[str], seq: int) -> dict[str, Any]:
    """The footer facts: what Chinese public-map rules ask a map page to show."""
    found = sorted({a for a in attributions if a})
    return {"title_zh": settings.node_title_zh, "title_en": settings.node_title_en,
            "operator": settings.operator, "map_review_number": settings.map_review_number,
            "attributions": found, "osm": any(OSM in a for a in found),
            "version": __version__, "seq": seq}


async def log(request: Request) -> Response:
    since = _int(request, "since", 0, 0, 10**12)
    limit = _int(request, "limit", 1000, 1, 10_000)
    entries = await run_in_threadpool(_store(request).log, actor_of(request), since, limit)
    return _json({"entries": [{"seq": e.seq, "time": e.time.isoformat(), "author": e.author,
                               "message": e.message, "source": e.source,
                               "layers": {k: v.to_dict() for k, v in e.layers.items()}}
                              for e in entries]})


async def diff(request: Request) -> Response:
    q = request.query_params
    if not q.get("from"):
        raise _bad("from", "缺少 from（序号或时刻）", "from (a seq or an instant) is required")
    a = as_of("from", q["from"])
    b = as_of("to", q["to"]) if q.get("to") else None
    names = [n.strip() for n in (q.get("layer") or "").split(",") if n.strip()]
    limit = _int(request, "limit", 100, 1, MAX_DIFF_ITEMS)
    body = await run_in_threadpool(diff_body, _store(request), actor_of(request), a, b,
                                   names, _bbox(request), limit)
    return _json(body)


def diff_body(store: VersionedStore, actor: Actor, a: int | datetime, b: int | datetime | None,
              names: list[str], bbox: BBox | None, limit: int) -> dict[str, Any]:
    """Per-layer added/changed/removed between two states, at most `limit` items per list."""
    lo, hi = sorted((store.resolve(a), store.resolve(b)))
    metas = {m.name: m for m in store.layers(actor) if m.kind is not LayerKind.RASTER}
    for n in names:
        store.layer(actor, n)  # NotFound for an unknown or hidden layer
    wanted = names or list(metas)
    touched = _touched(store, actor, lo, hi, bbox)
    layers = []
    for name in wanted:
        if name not in touched:
            continue
        d = store.diff(actor, name, lo, hi, bbox)
        if not any(d.counts.values()):
            continue
        meta = metas.get(name) or store.layer(actor, name)
        layers.append({"layer": name, "title_zh": meta.title_zh, "title_en": meta.title_en,
                       "counts": d.counts,
                       "added": [_item(f, None, bbox) for f in d.added[:limit]],
                       "changed": [_item(c.new, c.old, bbox) for c in d.changed[:limit]],
                       "removed": [_item(f, None, bbox) for f in d.removed[:limit]]})
    return {"from_seq": lo, "to_seq": hi, "bbox": list(bbox) if bbox else None,
            "limit": limit, "layers": layers}


def _touched(store: VersionedStore, actor: Actor, lo: int, hi: int, bbox: BBox | None) -> set[str]:
    """Layers whose log entries in (lo, hi] changed something meeting the bbox."""
    found: set[str] = set()
    since = lo
    while since < hi:
        entries = store.log(actor, since, min(1000, hi - since))
        if not entries:
            break
        for e in entries:
            for name, change in e.layers.items():
                # with a view, a change with no geometry (a table row) is not in it
                if bbox is None or (change.bbox is not None and _meets(change.bbox, bbox)):
                    found.add(name)
        since = entries[-1].seq
    return found


def _meets(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _item(f: Feature, old: Feature | None, bbox: BBox | None) -> dict[str, Any]:
    item: dict[str, Any] = {"fid": f.fid, "version": f.version, "name": feature_name(f),
                            "geometry": _shown(f.geometry, bbox)}
    if old is not None:
        keys = set(f.properties) | set(old.properties)
        item["changed_fields"] = sorted(k for k in keys
                                        if f.properties.get(k) != old.properties.get(k))
        item["geometry_changed"] = (f.geometry is None) != (old.geometry is None) or (
            f.geometry is not None and old.geometry is not None
            and not f.geometry.equals_exact(old.geometry, 0.0))
        item["old_name"] = feature_name(old)
    return item


def _shown(geom: BaseGeometry | None, bbox: BBox | None) -> dict[str, Any] | None:
    """The geometry as GeoJSON, clipped to the view and a margin (long lines stay small)."""
    if geom is None:
        return None
    if bbox is not None and geom.geom_type != "Point":
        dx, dy = (bbox[2] - bbox[0]) / 2, (bbox[3] - bbox[1]) / 2
        clipped = shapely.clip_by_rect(geom, bbox[0] - dx, bbox[1] - dy, bbox[2] + dx, bbox[3] + dy)
        geom = geom if clipped.is_empty else clipped
    return mapping(geom)  # type: ignore[no-any-return]


def feature_name(f: Feature) -> str:
    for key in NAME_KEYS:
        value = f.properties.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


async def download(request: Request) -> Response:
    name = request.path_params["name"]
    f = request.query_params.get("f", "geojson")
    fmt = check_format(f)
    q = request.query_params
    when = as_of("datetime", q["datetime"]) if q.get("datetime") else None
    tmp = temp_directory()
    try:
        path: Path = await run_in_threadpool(export_layer, _store(request), actor_of(request),
                                             name, f, Path(tmp.name), when)
    except BaseException:
        tmp.cleanup()
        raise
    return FileResponse(path, media_type=fmt.media_type, filename=path.name,
                        headers={"Cache-Control": "no-cache"},
                        background=BackgroundTask(tmp.cleanup))


__all__ = ["FORMATS", "config_body", "diff_body", "routes"]
