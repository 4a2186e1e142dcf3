"""The place-name service: one object per store, every call takes an Actor.

Each call first follows the sequence log (`Gazetteer.catch_up`), so a published changeset is
searchable by the next request. Inputs are checked here and errors name the parameter.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from shapely.geometry.base import BaseGeometry

from mapnode.errors import InvalidParameter, NotFound
from mapnode.model import Actor
from mapnode.places import Level, normalise_code
from mapnode.services.search.config import ADMIN, KINDS, SearchConfig
from mapnode.services.search.geocode import GeocodeResult, geocode, reverse
from mapnode.services.search.index import Gazetteer
from mapnode.services.search.query import Page, Query, Searcher
from mapnode.services.search.text import normalise


def bad(parameter: str, zh: str, en: str, value: Any = None) -> InvalidParameter:
    context: dict[str, Any] = {"parameter": parameter}
    if value is not None:
        context["value"] = str(value)[:200]
    return InvalidParameter(zh, en, context)


def check_point(lon: float, lat: float, prefix: str = "") -> tuple[float, float]:
    """A lon/lat pair; a swapped pair (lat 120, lon 30) is named as such."""
    names = (f"{prefix}lon", f"{prefix}lat")
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise bad(names[0], "经纬度必须是有限数值", "lon/lat must be finite numbers")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        swapped = -90 <= lon <= 90 and -180 <= lat <= 180
        hint = "（经纬度可能颠倒：lon 为经度，lat 为纬度）" if swapped else ""
        hint_en = " (lon and lat may be swapped: lon is longitude, lat latitude)" if swapped else ""
        raise bad(names[1] if not -90 <= lat <= 90 else names[0],
                  "经纬度超出范围" + hint, "lon/lat out of range" + hint_en, f"{lon},{lat}")
    return lon, lat


class PlacesService:
    def __init__(self, store: Any, config: SearchConfig | None = None) -> None:
        self.config = config or SearchConfig()
        self.gazetteer = Gazetteer(store, self.config)
        self.searcher = Searcher(store, self.gazetteer.backend)
        self.store = store

    # ------------------------------------------------------------------ checks
    def keyword(self, text: str | None, *, required: bool, parameter: str = "q") -> str:
        if text is None:
            if required:
                raise bad(parameter, "缺少关键词", "keyword is missing")
            return ""
        if len(text) > self.config.max_keyword:
            raise bad(parameter, f"关键词过长（最多 {self.config.max_keyword} 个字符）",
                      f"keyword too long (at most {self.config.max_keyword} characters)")
        norm = normalise(text, self.gazetteer.divisions.normaliser)
        if not norm:
            raise bad(parameter, "关键词为空", "keyword is empty")
        return norm

    def check_query(self, q: Query) -> Query:
        c = self.config
        if not 1 <= q.limit <= c.max_limit:
            raise bad("limit", f"limit 应在 1 到 {c.max_limit} 之间",
                      f"limit must be between 1 and {c.max_limit}", q.limit)
        if not 0 <= q.offset <= c.max_offset:
            raise bad("offset", f"offset 应在 0 到 {c.max_offset} 之间",
                      f"offset must be between 0 and {c.max_offset}", q.offset)
        if q.point is not None:
            check_point(*q.point)
        if q.radius_m is not None:
            if q.point is None:
                raise bad("radius", "给出半径时须同时给出 lon 和 lat", "radius needs lon and lat")
            if not (math.isfinite(q.radius_m) and 0 < q.radius_m <= c.max_radius_m):
                raise bad("radius", f"半径应在 0 到 {c.max_radius_m:.0f} 米之间",
                          f"radius must be > 0 and at most {c.max_radius_m:.0f} m", q.radius_m)
        if q.bbox is not None:
            x0, y0, x1, y1 = q.bbox
            check_point(x0, y0)
            check_point(x1, y1)
            if x0 > x1 or y0 > y1:
                raise bad("bbox", "bbox 最小值大于最大值", "bbox min greater than max", q.bbox)
        for code in (q.admin, q.prefer_admin):
            if code is not None:
                try:
                    normalise_code(code)
                except InvalidParameter as exc:
                    raise bad("admin", exc.message_zh, exc.message_en, code) from exc
        if q.polygon is not None:
            _check_polygon(q.polygon)
        return q

    # ------------------------------------------------------------------ calls
    def search(self, actor: Actor, q: Query, with_counts: bool = False) -> Page:
        self.check_query(q)
        self.gazetteer.catch_up()
        page = self._near_admin(actor, q, self.searcher.search(actor, q))
        if with_counts:
            page.counts = self.searcher.counts(actor, q)
        return page

    def _near_admin(self, actor: Actor, q: Query, page: Page) -> Page:
        """Without published boundaries a place's county is its nearest seat's, wrong near
        borders: when nothing in the county `admin` bears the name exactly, a place of that
        exact name in a neighbouring county (by seat) is the answer, the county's own first;
        when nothing inside matches at all, any match there (one wrong character)."""
        loc = self.gazetteer.locator
        if not q.text or not q.admin or len(normalise_code(q.admin)) != 6 or q.offset \
                or loc.has_boundaries or (page.hits and page.hits[0].match in ("exact", "alias")):
            return page
        near = loc.neighbours(normalise_code(q.admin))
        if not near:
            return page
        wider = self.searcher.search(actor, replace(q, near_admin=near, prefer_admin=q.admin))
        if wider.hits and (not page.hits or wider.hits[0].match in ("exact", "alias")):
            return wider
        return page

    def suggest(self, actor: Actor, text: str, limit: int = 10,
                point: tuple[float, float] | None = None) -> list[dict[str, Any]]:
        q = self.check_query(Query(text=text, limit=limit, point=point, fuzzy=False))
        self.gazetteer.catch_up()
        page = self.searcher.search(actor, q)
        out, seen = [], set()
        for h in page.hits:
            label = (h.name, h.admin_code)
            if label in seen:
                continue
            seen.add(label)
            out.append({"text": h.name, "kind": h.kind, "category": h.category,
                        "admin_code": h.admin_code, "admin_name": self.admin_name(h.admin_code),
                        "lon": h.lon, "lat": h.lat, "match": h.match})
        return out

    def geocode(self, actor: Actor, text: str) -> GeocodeResult:
        self.gazetteer.catch_up()
        return geocode(self.gazetteer, self.searcher, actor, text)

    def reverse(self, actor: Actor, lon: float, lat: float, radius_m: float = 1000.0) -> dict[str, Any]:
        check_point(lon, lat)
        self.check_query(Query(point=(lon, lat), radius_m=radius_m))
        self.gazetteer.catch_up()
        return reverse(self.gazetteer, self.searcher, actor, lon, lat, radius_m)

    # ------------------------------------------------------------------ divisions
    def admin_name(self, code: str | None) -> str | None:
        if not code:
            return None
        return self.gazetteer.divisions.full_name(code) if code in self.gazetteer.divisions else None

    def visible_level(self, actor: Actor, level: Level) -> bool:
        """Whether the actor may see the divisions of `level` (their layer's edition)."""
        return self._visible_level(actor, level)

    def _visible_level(self, actor: Actor, level: Level) -> bool:
        layers = self.config.admin_layers
        if level > len(layers):
            return False
        try:
            self.store.layer(actor, layers[level - 1])
        except NotFound:
            return False
        return True

    def admin(self, actor: Actor, code: str) -> dict[str, Any]:
        try:
            normalise_code(code)
        except InvalidParameter as exc:
            raise bad("code", exc.message_zh, exc.message_en, code) from exc
        self.gazetteer.catch_up()
        div = self.gazetteer.divisions
        d = div.find(code)
        if d is None or not self._visible_level(actor, d.level):
            raise NotFound("没有这个行政区划代码", "no division has this code", {"code": code})
        children = [c for c in div.children(d.code, load=False)
                    if self._visible_level(actor, c.level)]
        return {**_division(div, d), "chain": [_division(div, x) for x in div.chain(d.code)],
                "children": [_division(div, c) for c in children]}

    def admin_lookup(self, actor: Actor, keyword: str, limit: int = 10) -> list[dict[str, Any]]:
        text = self.keyword(keyword, required=True, parameter="keyword")
        self.gazetteer.catch_up()
        div = self.gazetteer.divisions
        out: list[dict[str, Any]] = []
        # pinyin through the index (the divisions' own pinyin table takes seconds to build)
        matches = div.lookup(text) if not (text.isascii() and not text.isdigit()) else []
        for m in matches:
            if self._visible_level(actor, m.division.level):
                out.append({**_division(div, m.division), "match": m.how})
            if len(out) >= limit:
                break
        if not out:  # prefixes and other names through the index
            page = self.searcher.search(actor, Query(text=text, kinds=(ADMIN,), limit=limit))
            for h in page.hits:
                d = div.find(h.admin_code or "")
                if d is not None:
                    out.append({**_division(div, d), "match": h.match})
        return out


def _division(div: Any, d: Any) -> dict[str, Any]:
    return {"code": d.adcode, "name": d.name, "short_name": d.short_name,
            "level": d.level.name.lower(), "full_name": div.full_name(d.code),
            "seat": list(d.seat) if d.seat else None}


def _check_polygon(geom: BaseGeometry) -> None:
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise bad("polygon", "polygon 须为有效的面", "polygon must be a valid (multi)polygon")
    x0, y0, x1, y1 = geom.bounds
    check_point(x0, y0)
    check_point(x1, y1)


__all__ = ["KINDS", "PlacesService", "check_point"]
