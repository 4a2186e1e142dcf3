"""Searching the gazetteer: keyword, area filters, paging, counts, suggestions.

Ranking: exact name > other name > name prefix > name contains; when none of these match,
one wrong or missing character
(rapidfuzz over candidates sharing two characters with the query); pinyin that ends in a
place-type word the name lacks (…zhan). Within a tier: entries with a point first, nearer
first when a point is given, then entries in the preferred admin area, then importance
(divisions, stations, roads, POIs), shorter names, id. Access: only entries of layers whose
edition the actor may see, filtered in SQL against the catalogue's current edition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import orjson
import shapely
from rapidfuzz.distance import Levenshtein
from shapely.geometry.base import BaseGeometry

from mapnode.access import policy
from mapnode.model import Actor
from mapnode.places import normalise_code
from mapnode.services.search.text import ascii_key, bigrams, has_han, like_escape

SELECT = ("e.id, e.key, e.layer, e.kind, e.name, e.category, e.admin_code, e.lon, e.lat, e.minx, "
          "e.miny, e.maxx, e.maxy, e.street, e.housenumber, e.info, e.norm, e.alt")
TIERS = ("exact", "alias", "prefix", "contains", "fuzzy")
KY = 110_574.0
# pinyin of the place-type words people add to names (站 路 街 区 市 县 镇 村 道 乡 桥 门),
# longest first
TYPE_WORDS = ("zhan", "xiang", "zhen", "xian", "jie", "cun", "dao", "shi", "qu", "lu")


@dataclass
class Query:
    """A search. `text` is normalised already; everything else optional."""

    text: str = ""
    bbox: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None
    radius_m: float | None = None
    admin: str | None = None
    polygon: BaseGeometry | None = None
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    prefer_admin: str | None = None
    near_admin: tuple[str, ...] = ()  # county codes accepted besides `admin`
    limit: int = 10
    offset: int = 0
    fuzzy: bool = True


@dataclass
class Hit:
    id: int
    key: str
    layer: str
    kind: str
    name: str
    category: str | None
    admin_code: str | None
    lon: float | None
    lat: float | None
    bbox: tuple[float, float, float, float] | None
    street: str | None
    housenumber: str | None
    info: dict[str, Any]
    match: str = "exact"
    distance_m: float | None = None


@dataclass
class Page:
    hits: list[Hit]
    total: int
    counts: dict[str, int] = field(default_factory=dict)


class Searcher:
    def __init__(self, store: Any, backend: Any) -> None:
        self.store = store
        self.backend = backend
        self._names: dict[tuple[Any, ...], frozenset[str]] = {}

    def exact_names(self, actor: Actor, kind: str, version: tuple[int, int]) -> frozenset[str]:
        """The normalised names of the entries of `kind` the actor may see: a name is in it
        exactly when a search for it among that kind finds an exact match (Chinese text; a
        Latin-letter query also matches pinyin). Kept per edition scope and `version` (the
        index's seq and the catalogue version, read before this call: the names read here
        are never older than the version they are kept under)."""
        editions = tuple(sorted(policy.visible_editions(actor)))
        key = (editions, kind, version)
        names = self._names.get(key)
        if names is None:
            marks = ",".join("?" * len(editions))
            names = frozenset(r[0] for r in self.store.query(
                f"SELECT DISTINCT e.norm FROM search_entries e WHERE e.kind = ? AND e.layer IN "
                f"(SELECT name FROM layers WHERE edition IN ({marks}))", [kind, *editions]))
            if len(self._names) > 16:
                self._names.clear()
            self._names[key] = names
        return names

    # ------------------------------------------------------------------ SQL pieces
    def _filters(self, actor: Actor, q: Query) -> tuple[list[str], list[Any]]:
        editions = policy.visible_editions(actor)
        marks = ",".join("?" * len(editions))
        # the layer's edition as the catalogue has it now (a layer made public or restricted
        # later needs no re-index); `e.edition` keeps the edition seen at index time
        where = [f"e.layer IN (SELECT name FROM layers WHERE edition IN ({marks}))"]
        args: list[Any] = [*editions]
        if q.bbox is not None:
            where.append("e.maxx >= ? AND e.minx <= ? AND e.maxy >= ? AND e.miny <= ?")
            args += [q.bbox[0], q.bbox[2], q.bbox[1], q.bbox[3]]
        if q.polygon is not None:
            b = q.polygon.bounds
            where.append("e.lon >= ? AND e.lon <= ? AND e.lat >= ? AND e.lat <= ?")
            args += [b[0], b[2], b[1], b[3]]
        if q.point is not None and q.radius_m is not None:
            lon, lat = q.point
            kx = _kx(lat)
            dlon, dlat = q.radius_m / kx, q.radius_m / KY
            where.append("e.lon >= ? AND e.lon <= ? AND e.lat >= ? AND e.lat <= ?")
            args += [lon - dlon, lon + dlon, lat - dlat, lat + dlat]
            dist, dargs = _dist_sql(lon, lat)
            where.append(f"{dist} <= ?")
            args += [*dargs, q.radius_m ** 2]
        if q.admin:
            near = ",".join("?" * len(q.near_admin))
            where.append(f"(e.admin_code LIKE ? OR e.admin_code IN ({near}))" if near
                         else "e.admin_code LIKE ?")
            args += [normalise_code(q.admin) + "%", *q.near_admin]
        if q.categories:
            where.append(f"e.category IN ({','.join('?' * len(q.categories))})")
            args += list(q.categories)
        if q.kinds:
            where.append(f"e.kind IN ({','.join('?' * len(q.kinds))})")
            args += list(q.kinds)
        return where, args

    def _text(self, text: str) -> tuple[str, list[Any], str, list[Any]]:
        """(match clause, args, tier expression, args) for a normalised query."""
        esc = like_escape(text)
        match, margs = self.backend.contains(text)
        # an admin short name (西湖 for 西湖区) is as good as its name; other aliases come next
        tier = ("CASE WHEN e.norm = ? OR (e.kind = 'admin' AND e.alt LIKE ? ESCAPE '\\') THEN 0 "
                "WHEN e.alt LIKE ? ESCAPE '\\' THEN 1 "
                "WHEN e.norm LIKE ? ESCAPE '\\' OR e.alt LIKE ? ESCAPE '\\' THEN 2 ELSE 3 END")
        targs: list[Any] = [text, f"%|{esc}|%", f"%|{esc}|%", f"{esc}%", f"%|{esc}%"]
        key = ascii_key(text)
        if not has_han(text) and key:
            hi = key + "\x7f"
            match = (f"({match} OR (e.pinyin >= ? AND e.pinyin < ?) "
                     "OR (e.initials >= ? AND e.initials < ?))")
            margs = [*margs, key, hi, key, hi]
            tier = ("CASE WHEN e.norm = ? OR e.pinyin = ? OR e.initials = ? THEN 0 WHEN "
                    "e.norm LIKE ? ESCAPE '\\' OR e.pinyin >= ? AND e.pinyin < ? OR "
                    "e.initials >= ? AND e.initials < ? THEN 2 ELSE 3 END")
            targs = [text, key, key, f"{esc}%", key, hi, key, hi]
        return match, margs, tier, targs

    # ------------------------------------------------------------------ search
    def search(self, actor: Actor, q: Query) -> Page:
        where, args = self._filters(actor, q)
        order: list[str] = []
        tier_sql, targs = "0", []
        if q.text:
            match, margs, tier_sql, targs = self._text(q.text)
            where.append(match)
            args += margs
            order.append("tier")
        if q.point is not None:
            dist, dargs = _dist_sql(*q.point)
            order.append("CASE WHEN e.lon IS NULL THEN 1 ELSE 0 END")
            order.append(dist)
            oargs_tail = dargs
        else:
            oargs_tail = []
            order.append("CASE WHEN e.lon IS NULL THEN 1 ELSE 0 END")  # a place with a point first
        if q.prefer_admin:
            order.insert(1 if q.text else 0, "CASE WHEN e.admin_code LIKE ? THEN 0 ELSE 1 END")
        order += ["e.rank", "LENGTH(e.norm)", "e.id"]
        sql_where = " AND ".join(where)
        total = int(self.store.query(f"SELECT COUNT(*) FROM search_entries e WHERE {sql_where}",
                                     args)[0][0])
        prefer_args = [normalise_code(q.prefer_admin) + "%"] if q.prefer_admin else []
        sql = (f"SELECT {SELECT}, {tier_sql} AS tier FROM search_entries e WHERE {sql_where} "
               f"ORDER BY {', '.join(order)}")
        # the tier expression is in the SELECT list, before WHERE; ORDER BY args come last
        params = [*targs, *args, *prefer_args, *oargs_tail]
        if q.polygon is None:
            sql += " LIMIT ? OFFSET ?"
            params += [q.limit, q.offset]
            hits = [self._hit(r, q) for r in self.store.query(sql, params)]
        else:
            shapely.prepare(q.polygon)
            rows = [r for r in self.store.query(sql + " LIMIT 20000", params)
                    if r[7] is not None and q.polygon.covers(shapely.Point(r[7], r[8]))]
            total = len(rows)
            hits = [self._hit(r, q) for r in rows[q.offset:q.offset + q.limit]]
        if q.text and q.fuzzy and q.polygon is None and not has_han(q.text) and q.offset == 0 \
                and (total == 0 or hits[0].match not in ("exact", "alias")):
            typed = self._pinyin_type_word(actor, q)
            keys = {h.key for h in typed}
            hits = (typed + [h for h in hits if h.key not in keys])[:q.limit]
            total += len(typed)
        if q.text and q.fuzzy and q.polygon is None and total == 0:
            fuzzy = self._fuzzy(actor, q)
            start = max(0, q.offset - total)
            hits += fuzzy[start:start + q.limit - len(hits)]
            total += len(fuzzy)
        return Page(hits, total)

    def _pinyin_type_word(self, actor: Actor, q: Query) -> list[Hit]:
        """Pinyin with a place-type word the name lacks ("hangzhou dongzhan" for the station
        杭州东, "wulinmenzhan"): the pinyin counterpart of one missing character. Only names
        that the rest matches exactly count (a prefix would be "zhonghebeiluzhang…")."""
        key = ascii_key(q.text)
        for word in TYPE_WORDS:
            if key.endswith(word) and len(key) - len(word) >= 6:
                page = self.search(actor, replace(q, text=key[:-len(word)], fuzzy=False, offset=0))
                exact = [h for h in page.hits if h.match in ("exact", "alias")]
                for h in exact:
                    h.match = "fuzzy"
                return exact
        return []

    def _fuzzy(self, actor: Actor, q: Query) -> list[Hit]:
        """One wrong, missing or extra character: candidates share a 2-character piece."""
        text = q.text
        if len(text) < 3 or not has_han(text):
            return []
        where, args = self._filters(actor, q)
        pieces = bigrams(text)
        marks = ",".join("?" * len(pieces))
        cands = self.store.query(
            f"SELECT e.id, e.norm, e.alt FROM search_entries e WHERE {' AND '.join(where)} "
            f"AND e.id IN (SELECT g.id FROM search_grams g WHERE g.gram IN ({marks})) LIMIT 20000",
            [*args, *pieces])
        close = []
        for entry_id, norm, alt in cands:
            for n in (norm, *alt.split("|")):
                if len(n) >= len(text) - 1 and (
                        Levenshtein.distance(text, n, score_cutoff=1) <= 1
                        or Levenshtein.distance(text, n[:len(text)], score_cutoff=1) <= 1):
                    close.append(int(entry_id))
                    break
        if not close:
            return []
        close = close[:500]
        rows = self.store.query(
            f"SELECT {SELECT}, 4 AS tier FROM search_entries e "
            f"WHERE e.id IN ({','.join('?' * len(close))})", close)
        hits = [self._hit(r, q) for r in rows]
        for h in hits:
            h.match = "fuzzy"
        hits.sort(key=lambda h: (h.distance_m or 0.0, len(h.name), h.id))
        return hits

    def _hit(self, r: tuple[Any, ...], q: Query) -> Hit:
        bbox = None if r[9] is None else (float(r[9]), float(r[10]), float(r[11]), float(r[12]))
        hit = Hit(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6],
                  None if r[7] is None else float(r[7]), None if r[8] is None else float(r[8]),
                  bbox, r[13], r[14], orjson.loads(r[15]), TIERS[min(int(r[18]), 4)])
        if q.point is not None and hit.lon is not None and hit.lat is not None:
            hit.distance_m = round(_metres(q.point, (hit.lon, hit.lat)), 1)
        return hit

    # ------------------------------------------------------------------ counts
    def counts(self, actor: Actor, q: Query) -> dict[str, int]:
        """Matches per admin area one level below `q.admin` (per county without it)."""
        where, args = self._filters(actor, q)
        if q.text:
            match, margs, _, _ = self._text(q.text)
            where.append(match)
            args += margs
        length = {2: 4, 4: 6}.get(len(normalise_code(q.admin)) if q.admin else 0, 6)
        rows = self.store.query(
            f"SELECT SUBSTR(e.admin_code, 1, {length}) AS area, COUNT(*) FROM search_entries e "
            f"WHERE {' AND '.join(where)} AND e.admin_code IS NOT NULL GROUP BY area ORDER BY area",
            args)
        return {str(r[0]): int(r[1]) for r in rows}


def _kx(lat: float) -> float:
    return 111_320.0 * max(float(np.cos(np.radians(lat))), 1e-6)


def _dist_sql(lon: float, lat: float) -> tuple[str, list[Any]]:
    """Squared local-metric distance from (lon, lat) to an entry's point, as SQL."""
    kx = _kx(lat)
    return ("((e.lon - ?) * ?) * ((e.lon - ?) * ?) + ((e.lat - ?) * ?) * ((e.lat - ?) * ?)",
            [lon, kx, lon, kx, lat, KY, lat, KY])


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(np.hypot((a[0] - b[0]) * _kx(a[1]), (a[1] - b[1]) * KY))
