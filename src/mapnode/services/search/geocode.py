"""Geocoding (address → point) and reverse geocoding (point → address) over the gazetteer.

Geocode: the address parser finds the divisions (with codes), road, door number and POI;
then the most precise part that the index holds wins: POI, door number (an address point
whose addr:street and addr:housenumber match), road, then the deepest division (its seat).
Confidence is the parser's confidence times how well the name matched.

Reverse: the county from boundaries where published, else from the nearest county seat (the
answer says which); the nearest named road from the road layers (exact line distance), the
nearest POI and the nearest address point from the index, all in metres.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mapnode.errors import NotFound
from mapnode.model import Actor
from mapnode.places import Level, normalise_code, parse_address
from mapnode.services.search.config import ADMIN, POI, ROAD
from mapnode.services.search.index import Gazetteer
from mapnode.services.search.query import SELECT, Hit, Query, Searcher, _dist_sql
from mapnode.services.search.text import has_han, normalise, street_key
from mapnode.store.filters import AttrFilter

MATCH_FACTOR = {"exact": 1.0, "alias": 0.95, "prefix": 0.9, "contains": 0.8, "fuzzy": 0.7}
TIER = {"exact": 0, "alias": 1, "prefix": 2, "contains": 3, "fuzzy": 4}
NEAR_AREA_M = 150_000.0  # how far from an area's seat a place named exactly may lie
_TRAILING_DOOR = re.compile(r"(\d+)号$")
LEVEL_OF_KIND = {"province": "province", "city": "city", "district": "county",
                 "township": "township", "community": "village"}


class _RoadNames:
    """`name in roads` for the parser: an exact lookup of road entries the actor may see
    (the parser asks about every substring: a set of the names for Chinese text, a search
    for Latin letters, which may also be pinyin)."""

    def __init__(self, searcher: Searcher, actor: Actor, gz: Gazetteer) -> None:
        self.searcher, self.actor, self.gz = searcher, actor, gz
        self._names: frozenset[str] | None = None
        self._cache: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name:
            return False
        text = normalise(name)
        if has_han(text):
            if self._names is None:
                version = (self.gz.indexed_seq(), self.gz.store.state().catalogue)
                self._names = self.searcher.exact_names(self.actor, ROAD, version)
            return text in self._names
        if name not in self._cache:
            page = self.searcher.search(self.actor, Query(text=text, kinds=(ROAD,), limit=1,
                                                          fuzzy=False))
            self._cache[name] = bool(page.hits) and page.hits[0].match == "exact"
        return self._cache[name]


@dataclass
class GeocodeResult:
    level: str  # poi | door | road | township | county | city | province | none
    confidence: float
    lon: float | None
    lat: float | None
    name: str
    admin_code: str | None
    parsed: dict[str, Any]
    hit: Hit | None = None


def geocode(gz: Gazetteer, searcher: Searcher, actor: Actor, text: str) -> GeocodeResult:
    div = gz.divisions
    parsed = parse_address(text, div, roads=_RoadNames(searcher, actor, gz))
    code = parsed.admin_code
    area = normalise_code(code[:6]) if code else None
    conf = parsed.confidence

    def find(name: str, kind: str) -> Hit | None:
        """The best entry for `name` or for the same text with the last division name in front
        of it (浙江大学 is read as 浙江 + 大学, 西湖大道 as 西湖 + 大道): the better match wins,
        the longer text on a tie. Inside the parsed area first; then, unless that found the
        name itself, anywhere in the same province, preferring the area (an entry's county
        comes from the nearest seat where no boundary is published, which can be the wrong
        side of a border): the name elsewhere beats a mere part of it inside (九堡派出所 is
        not 站前派出所); failing that, the exact name within 150 km of the area's seat, nearest
        first (a place by a province border can take the county of a seat across it). An answer
        outside the area counts as an alias, or a contains match."""

        def best(**scope: Any) -> Hit | None:
            found: Hit | None = None
            for text in _variants(parsed, name):
                page = searcher.search(actor, Query(text=normalise(text), kinds=(kind,), limit=1,
                                                    **scope))
                if page.hits and (found is None or TIER[page.hits[0].match] <= TIER[found.match]):
                    found = page.hits[0]
            return found

        inside = best(admin=area)
        if area is None or (inside is not None and inside.match in ("exact", "alias")):
            return inside
        outside = best(admin=area[:2], prefer_admin=area)
        seat = next((d.seat for d in reversed(div.chain(area)) if d.seat), None)
        if seat is not None and (outside is None or outside.match not in ("exact", "alias")):
            anywhere = best(point=seat, radius_m=NEAR_AREA_M)
            if anywhere is not None and anywhere.match in ("exact", "alias"):
                outside = anywhere
        if outside is None or (inside is not None and TIER[inside.match] <= TIER[outside.match]):
            return inside
        if not (outside.admin_code or "").startswith(area):
            outside.match = "alias" if outside.match == "exact" else \
                "fuzzy" if outside.match == "fuzzy" else "contains"
        return outside

    road, door, poi = parsed.value("road"), parsed.value("door"), parsed.value("poi")
    rest = _after_admin(parsed)
    trailing = _TRAILING_DOOR.search(rest)
    if (road and door and not poi) or trailing:  # a door address: an address point
        for street, number in _door_queries(parsed, rest):
            points = _address_points(searcher, actor, street_key(street), number, area)
            if points:
                return _result("door", conf, points[0], parsed)
    # the whole rest as a POI name, unless it is just the road (文三路 names a road and a stop);
    # also as written (the parser drops brackets: 简诺咖啡(南宋御街店))
    for whole_text in dict.fromkeys([rest, _raw_rest(text, parsed)]):
        whole = find(whole_text, POI) if whole_text and whole_text not in (poi, road) else None
        if whole is not None and whole.match in ("exact", "alias"):
            return _result("poi", conf * MATCH_FACTOR[whole.match], whole, parsed)
    if rest and rest != road:  # the rest, with a township name before it, names a road (东洲大桥)
        hit = find(rest, ROAD)
        if hit is not None and hit.match in ("exact", "alias"):
            return _result("road", conf * MATCH_FACTOR[hit.match], hit, parsed)
    if poi:
        hit = find(poi, POI)
        if hit is not None and hit.match not in ("exact", "alias") and not road:
            # a road (or bridge) named exactly so beats a place whose name only starts so
            # (西兴大桥 is the bridge, not 西兴大桥换乘点…自行车租赁点)
            named = find(poi, ROAD)
            if named is not None and named.match in ("exact", "alias"):
                return _result("road", conf * MATCH_FACTOR[named.match], named, parsed)
        if hit is not None:
            return _result("poi", conf * MATCH_FACTOR[hit.match], hit, parsed)
    if road and door:
        number = door.removesuffix("号")
        rows = _address_points(searcher, actor, street_key(road), number, area)
        if rows:
            return _result("door", conf, rows[0], parsed)
    if road:
        hit = find(road, ROAD)
        if hit is not None:
            factor = MATCH_FACTOR[hit.match] * (0.8 if door else 1.0)
            return _result("road", conf * factor, hit, parsed)
        if rest == road:  # read as a road by its ending (卤儿道道) but no road has the name
            hit = find(rest, POI)
            if hit is not None and hit.match in ("exact", "alias", "prefix"):
                return _result("poi", conf * MATCH_FACTOR[hit.match], hit, parsed)
    for kind in ("community", "township", "district", "city", "province"):
        c = parsed.components.get(kind)
        if c is None or not c.code:
            continue
        d = div.find(c.code)
        seat = d.seat if d is not None else None
        if seat is None and d is not None and d.level >= Level.TOWNSHIP:
            # no point for a township or village: a place of exactly that name in the county
            # (朝晖 station for 杭州市朝晖), else the county's seat
            hit = find(c.text, POI) if c.text and not rest else None
            if hit is not None and hit.match in ("exact", "alias"):
                return _result("poi", conf * 0.8 * MATCH_FACTOR[hit.match], hit, parsed)
            continue
        return GeocodeResult(LEVEL_OF_KIND[kind], round(conf * (1.0 if seat else 0.5), 3),
                             seat[0] if seat else None, seat[1] if seat else None,
                             div.full_name(c.code), c.code.ljust(6, "0") if len(c.code) < 6
                             else c.code, parsed.to_dict())
    if code is None:  # no address structure at all: the text may be a place name
        page = searcher.search(actor, Query(text=normalise(text), kinds=(POI, ROAD, ADMIN), limit=1))
        if page.hits:
            hit = page.hits[0]
            level = hit.kind if hit.kind != ADMIN else str(hit.category or "county")
            return _result(level, 0.6 * MATCH_FACTOR[hit.match], hit, parsed)
    return GeocodeResult("none", 0.0, None, None, "", code, parsed.to_dict())


def _after_admin(parsed: Any) -> str:
    """The text after the last division name (the whole place name when the parser split it
    into road, door and POI: 江城路307号自行车租赁点)."""
    text = parsed.normalised
    end = 0
    for kind in ("province", "city", "district", "township", "community"):
        c = parsed.components.get(kind)
        if c is not None and c.text:
            at = text.find(c.text, end)
            if at >= 0:
                end = at + len(c.text)
    return text[end:]


def _raw_rest(text: str, parsed: Any) -> str:
    """The text after the leading division names, normalised as names are (brackets kept)."""
    raw = normalise(text)
    at = 0
    for kind in ("province", "city", "district", "township", "community"):
        c = parsed.components.get(kind)
        if c is not None and c.text and raw.startswith(c.text, at):
            at += len(c.text)
    return raw[at:]


def _variants(parsed: Any, name: str) -> list[str]:
    """`name`, then the same text with the division names right before it in front, one more
    at a time (大关西一社区自行车租赁点 is read as 大关 + 西一社区 + 自行车租赁点); in the text as
    normalised for parsing or, for names with brackets, as written."""
    out = [name]
    for text in (parsed.normalised, normalise(parsed.text)):
        at = text.find(name)
        if at < 0:
            continue
        start = at
        for kind in ("community", "township", "district", "city", "province"):
            c = parsed.components.get(kind)
            if c is not None and c.text and text.rfind(c.text, 0, start) >= 0 and \
                    text.rfind(c.text, 0, start) + len(c.text) == start:
                start = text.rfind(c.text, 0, start)
                out.append(text[start:at + len(name)])
        break
    return out[:3]


def _door_queries(parsed: Any, rest: str) -> list[tuple[str, str]]:
    """(street, number) pairs to look up among address points: the parsed road and door, then
    the text between the divisions and a final door number as the street, also with the last
    division name in front (西直街1号 read as 西 + 直街 1号, 上城埭195号 as 上城 + 埭195号)."""
    road, door = parsed.value("road"), parsed.value("door")
    out = [(road, door.removesuffix("号"))] if road and door else []
    m = _TRAILING_DOOR.search(rest)
    if m and m.start() > 0:
        out += [(street, m.group(1)) for street in _variants(parsed, rest[:m.start()])]
    return list(dict.fromkeys(out))


def _address_points(searcher: Searcher, actor: Actor, street: str, number: str,
                    area: str | None) -> list[Hit]:
    """Address points (entries with addr:street + addr:housenumber), in the area first."""
    found = _address_points_in(searcher, actor, street, number, area)
    if not found and area is not None:
        found = _address_points_in(searcher, actor, street, number, None)
    return found


def _address_points_in(searcher: Searcher, actor: Actor, street: str, number: str,
                       area: str | None) -> list[Hit]:
    q = Query(kinds=(POI,), admin=area, limit=5)
    where, args = searcher._filters(actor, q)
    where.append("e.street = ? AND (e.housenumber = ? OR e.housenumber = ?)")
    args += [street, number, number + "号"]
    rows = searcher.store.query(f"SELECT {SELECT}, 0 AS tier FROM search_entries e WHERE "
                                f"{' AND '.join(where)} ORDER BY e.id LIMIT 5", args)
    return [searcher._hit(r, q) for r in rows]


def _result(level: str, conf: float, hit: Hit, parsed: Any) -> GeocodeResult:
    return GeocodeResult(level, round(max(0.05, min(conf, 1.0)), 3), hit.lon, hit.lat, hit.name,
                         hit.admin_code, parsed.to_dict(), hit)


def reverse(gz: Gazetteer, searcher: Searcher, actor: Actor, lon: float, lat: float,
            radius_m: float = 1000.0) -> dict[str, Any]:
    div = gz.divisions
    located = gz.locator.county_at(lon, lat)
    chain = div.chain(located.code) if located.code else ()
    admin = [{"level": d.level.name.lower(), "code": d.adcode, "name": d.name} for d in chain]
    road = _nearest_road(gz, actor, lon, lat, radius_m)
    near = Query(point=(lon, lat), radius_m=radius_m, kinds=(POI,), limit=1)
    poi_page = searcher.search(actor, near)
    poi = poi_page.hits[0] if poi_page.hits else None
    addr = _nearest_address(searcher, actor, lon, lat, radius_m)
    formatted = "".join(d.name for d in chain)
    if addr is not None and addr.street and (addr.distance_m or 0) <= 100:
        formatted += f"{addr.info.get('street_name') or addr.street}{addr.housenumber}号"
    elif road is not None:
        formatted += road["name"]
    if poi is not None:
        formatted += f"{poi.name}附近"
    return {"lon": lon, "lat": lat, "formatted_address": formatted, "admin": admin,
            "admin_how": located.how, "road": road, "poi": _near_json(poi),
            "address": _near_json(addr)}


def _nearest_road(gz: Gazetteer, actor: Actor, lon: float, lat: float,
                  radius_m: float) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    for spec in gz.config.sources:
        if spec.kind != ROAD:
            continue
        try:
            found = gz.store.nearest(actor, spec.layer, lon, lat, k=1, max_distance_m=radius_m,
                                     filters=[AttrFilter("name", "notnull")])
        except NotFound:
            continue
        if found and (best is None or found[0][1] < best["distance_m"]):
            f, dist = found[0]
            best = {"name": f.properties.get("name"), "layer": spec.layer, "fid": f.fid,
                    "category": f.properties.get(spec.category_field or ""),
                    "distance_m": round(dist, 1)}
    return best


def _nearest_address(searcher: Searcher, actor: Actor, lon: float, lat: float,
                     radius_m: float) -> Hit | None:
    q = Query(point=(lon, lat), radius_m=radius_m, kinds=(POI,), limit=1)
    where, args = searcher._filters(actor, q)
    dist, dargs = _dist_sql(lon, lat)
    rows = searcher.store.query(
        f"SELECT {SELECT}, 0 AS tier FROM search_entries e WHERE {' AND '.join(where)} "
        f"AND e.housenumber IS NOT NULL ORDER BY {dist} LIMIT 1", [*args, *dargs])
    return searcher._hit(rows[0], q) if rows else None


def _near_json(hit: Hit | None) -> dict[str, Any] | None:
    if hit is None:
        return None
    return {"name": hit.name, "layer": hit.layer, "category": hit.category, "lon": hit.lon,
            "lat": hit.lat, "street": hit.street, "housenumber": hit.housenumber,
            "distance_m": hit.distance_m}
