"""天地图-compatible place-name calls: 天地图's parameters in, 天地图's response shapes out.

Domain code only (no HTTP): `search_v2` (地名搜索 V2.0, `postStr` with `queryType`),
`geocode_ds` (地理编码, `ds`), `reverse_post` (逆地理编码, `postStr` + `type=geocode`) and
`administrative` (行政区划 V2). Bad input raises `TdtError`, which carries 天地图's own
code (`infocode` for search, `status` for the geocoder and the division service) and the
parameter it is about. Division codes are 天地图's 9-digit `156` + GB/T 2260 form.

Search info codes (天地图 lists 1000, 2001–2007, 3000, 3001; the meaning of each parameter
code below is mapnode's reading, one code per parameter family):
1000 正常 · 2001 postStr 缺失或不是 JSON · 2002 queryType 错误 · 2003 keyWord 错误 ·
2004 mapBound / polygon 错误 · 2005 pointLonlat 错误 · 2006 queryRadius 超出范围 ·
2007 start / count / level / specify / dataTypes 错误 · 3000 无结果 · 3001 服务内部错误.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson
import shapely

from mapnode import __version__
from mapnode.errors import InvalidParameter
from mapnode.model import Actor
from mapnode.places import Division, Level
from mapnode.services.search.config import ADMIN, POI
from mapnode.services.search.query import Hit, Query
from mapnode.services.search.service import PlacesService

INFO = {1000: ("正常", "OK"),
        2001: ("postStr 参数缺失或不是有效的 JSON", "postStr is missing or not valid JSON"),
        2002: ("queryType 参数错误", "queryType is missing or not supported"),
        2003: ("keyWord 参数错误", "keyWord is missing, empty, too long or has ' or &"),
        2004: ("mapBound / polygon 范围参数错误", "mapBound / polygon is invalid"),
        2005: ("pointLonlat 坐标参数错误", "pointLonlat is invalid or out of range"),
        2006: ("queryRadius 半径参数错误", "queryRadius is invalid or beyond the limit"),
        2007: ("start / count / level / specify / dataTypes 参数错误",
               "start / count / level / specify / dataTypes is invalid"),
        3000: ("没有查询到结果", "no result"),
        3001: ("服务内部错误", "internal error")}
QUERY_TYPES = (1, 2, 3, 4, 7, 10, 12, 13, 14)
MAX_RADIUS_M = 10_000.0  # 天地图: 周边搜索 within 10 km
MAX_START, MAX_COUNT = 300, 300
MAX_KEYWORD = 100
COUNTRY = "156000000"
# 天地图 category names (分类编码表 names) → the categories the gazetteer holds (OSM tags)
DATA_TYPES = {"医院": "hospital", "诊所": "clinic", "药店": "pharmacy", "银行": "bank",
              "学校": "school", "大学": "university", "幼儿园": "kindergarten",
              "餐馆": "restaurant", "中餐馆": "restaurant", "快餐": "fast_food", "咖啡": "cafe",
              "加油站": "fuel", "停车场": "parking", "公共厕所": "toilets", "厕所": "toilets",
              "邮局": "post_office", "警察局": "police", "派出所": "police", "图书馆": "library",
              "宾馆": "hotel", "酒店": "hotel", "公交站": "bus_stop", "火车站": "station",
              "电影院": "cinema", "剧院": "theatre", "自行车租赁": "bicycle_rental"}
LEVEL_ZH = {"poi": "兴趣点", "door": "门址", "road": "道路", "village": "村庄", "township": "乡镇",
            "county": "区县", "city": "城市", "province": "省", "none": ""}
AREA_ZOOM = {Level.PROVINCE: 7, Level.CITY: 10, Level.COUNTY: 12, Level.TOWNSHIP: 14,
             Level.VILLAGE: 15}


@dataclass
class TdtError(Exception):
    """A 天地图-shaped error: `code` is the infocode (search) or status (geocoder)."""

    code: int
    zh: str
    en: str
    parameter: str = ""

    def __str__(self) -> str:
        return f"{self.code} {self.zh} / {self.en}"


def fail(code: int, parameter: str, zh: str = "", en: str = "") -> TdtError:
    base_zh, base_en = INFO.get(code, ("参数错误", "invalid parameter"))
    return TdtError(code, f"{base_zh}：{zh}" if zh else base_zh, f"{base_en}: {en}" if en else base_en,
                    parameter)


# ---------------------------------------------------------------------- parameters
def loads(text: str | None, code: int, parameter: str) -> dict[str, Any]:
    """A JSON object from a query parameter; 天地图's own examples use single quotes
    ({'lon':116.37,'lat':39.92}), so that form is read too."""
    if text is None or not text.strip():
        raise fail(code, parameter, f"缺少 {parameter}", f"{parameter} is missing")
    for candidate in (text, text.replace("'", '"') if '"' not in text else None):
        if candidate is None:
            continue
        try:
            value = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise fail(code, parameter, f"{parameter} 不是 JSON 对象", f"{parameter} is not a JSON object")


def _number(value: Any, code: int, parameter: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise fail(code, parameter, f"{parameter} 必须是数值", f"{parameter} must be a number") from None
    if not math.isfinite(number):
        raise fail(code, parameter, f"{parameter} 必须是有限数值", f"{parameter} must be finite")
    return number


def _int(post: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    raw = post.get(name)
    if raw in (None, ""):
        return default
    value = _number(raw, 2007, name)
    if value != int(value) or not lo <= value <= hi:
        raise fail(2007, name, f"{name} 应为 {lo}–{hi} 的整数", f"{name} must be an integer {lo}–{hi}")
    return int(value)


def _lonlat(lon: float, lat: float, code: int, parameter: str) -> tuple[float, float]:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        swapped = -90 <= lon <= 90 and -180 <= lat <= 180
        raise fail(code, parameter,
                   "经纬度超出范围" + ("（经纬度可能颠倒，应为 经度,纬度）" if swapped else ""),
                   "lon/lat out of range" + (" (swapped? the order is lon,lat)" if swapped else ""))
    return lon, lat


def _coords(text: Any, code: int, parameter: str) -> list[float]:
    if not isinstance(text, str) or not text.strip():
        raise fail(code, parameter, f"缺少 {parameter}", f"{parameter} is missing")
    return [_number(p, code, parameter) for p in text.replace(" ", ",").split(",") if p != ""]


def map_bound(text: Any) -> tuple[float, float, float, float]:
    c = _coords(text, 2004, "mapBound")
    if len(c) != 4:
        raise fail(2004, "mapBound", "应为 minx,miny,maxx,maxy", "must be minx,miny,maxx,maxy")
    _lonlat(c[0], c[1], 2004, "mapBound")
    _lonlat(c[2], c[3], 2004, "mapBound")
    if c[0] > c[2] or c[1] > c[3]:
        raise fail(2004, "mapBound", "最小值大于最大值", "min greater than max")
    return c[0], c[1], c[2], c[3]


def point_lonlat(text: Any) -> tuple[float, float]:
    c = _coords(text, 2005, "pointLonlat")
    if len(c) != 2:
        raise fail(2005, "pointLonlat", "应为 经度,纬度", "must be lon,lat")
    return _lonlat(c[0], c[1], 2005, "pointLonlat")


def polygon(text: Any) -> Any:
    c = _coords(text, 2004, "polygon")
    if len(c) < 8 or len(c) % 2 or len(c) > 2000:
        raise fail(2004, "polygon", "应为 x1,y1,x2,y2,…（至少三个点，最多 1000 个）",
                   "must be x1,y1,x2,y2,… (3 to 1000 points)")
    pts = [_lonlat(c[i], c[i + 1], 2004, "polygon") for i in range(0, len(c), 2)]
    geom = shapely.Polygon(pts)
    if geom.is_empty or not geom.is_valid or geom.area == 0:
        raise fail(2004, "polygon", "不是有效的面", "not a valid polygon")
    return geom


def keyword(svc: PlacesService, post: dict[str, Any], required: bool) -> str:
    raw = post.get("keyWord", post.get("keyword"))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise fail(2003, "keyWord", "缺少关键字", "keyWord is missing")
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    if len(raw) > MAX_KEYWORD:
        raise fail(2003, "keyWord", f"关键字过长（最多 {MAX_KEYWORD} 个字符）",
                   f"too long (at most {MAX_KEYWORD} characters)")
    if "'" in raw or "&" in raw:  # 天地图: 不支持 ' 与 & 符号
        raise fail(2003, "keyWord", "不支持 ' 与 & 符号", "' and & are not supported")
    try:
        return svc.keyword(raw, required=True)
    except InvalidParameter:
        raise fail(2003, "keyWord", "关键字为空", "keyWord is empty") from None


def specify(svc: PlacesService, value: Any) -> Division | None:
    """天地图's `specify`: a 9-digit code (156110000), a GB/T 2260 code or a division name;
    None for the whole country."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    div = svc.gazetteer.divisions
    if text.isdigit():
        code = text[3:] if len(text) == 9 and text.startswith("156") else text
        if code == "000000":
            return None
        d = div.find(code) if len(code) in (2, 4, 6, 9, 12) else None
    else:
        found = div.lookup(text, fuzzy=False) if len(text) <= 50 else []
        d = found[0].division if found else None
    if d is None:
        raise fail(2007, "specify", "没有这个行政区划", "no such division")
    return d


def data_types(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if len(parts) > 20 or any(len(p) > 30 for p in parts):
        raise fail(2007, "dataTypes", "分类过多或过长", "too many or too long")
    return tuple(DATA_TYPES.get(p, p) for p in parts)


def gb9(code: str | None) -> str:
    """天地图's 9-digit division code: 156 + the 6-digit GB/T 2260 code (longer codes kept)."""
    if not code:
        return ""
    return "156" + (code.ljust(6, "0") if len(code) <= 6 else code)


# ---------------------------------------------------------------------- search V2
def search_v2(svc: PlacesService, actor: Actor, post_str: str | None,
              type_: str | None) -> dict[str, Any]:
    if type_ not in (None, "", "query"):
        raise fail(2001, "type", "type 应为 query", "type must be query")
    post = loads(post_str, 2001, "postStr")
    qt_raw = post.get("queryType")
    try:
        qt = int(str(qt_raw))
    except ValueError:
        raise fail(2002, "queryType", "缺少或不是整数", "missing or not an integer") from None
    if qt not in QUERY_TYPES:
        raise fail(2002, "queryType", f"应为 {QUERY_TYPES} 之一", f"must be one of {QUERY_TYPES}")
    start = _int(post, "start", 0, 0, MAX_START)
    count = _int(post, "count", 10, 1, MAX_COUNT)
    if post.get("level") not in (None, ""):
        _int(post, "level", 12, 1, 20)
    area = specify(svc, post.get("specify", post.get("specifyAdminCode")))
    cats = data_types(post.get("dataTypes"))
    if qt == 13 and not cats:
        raise fail(2007, "dataTypes", "分类搜索须给出 dataTypes", "category search needs dataTypes")
    text = keyword(svc, post, required=qt not in (13,))
    q = Query(text=text, limit=count, offset=start, categories=cats,
              admin=area.code if area else None)
    if qt in (1, 7) and post.get("mapBound") not in (None, ""):
        box = map_bound(post.get("mapBound"))  # the view: checked, and preferred when no area
        if area is None:
            q.point = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    if qt == 2:
        q.bbox = map_bound(post.get("mapBound"))
    elif qt == 3:
        q.point = point_lonlat(post.get("pointLonlat"))
        radius = _number(post.get("queryRadius"), 2006, "queryRadius") \
            if post.get("queryRadius") not in (None, "") else None
        if radius is None or not 0 < radius <= MAX_RADIUS_M:
            raise fail(2006, "queryRadius", f"应在 0 到 {MAX_RADIUS_M:.0f} 米之间",
                       f"must be > 0 and at most {MAX_RADIUS_M:.0f} m")
        q.radius_m = radius
    elif qt == 10:
        q.polygon = polygon(post.get("polygon"))
    elif qt == 13 and post.get("mapBound") not in (None, ""):
        q.bbox = map_bound(post.get("mapBound"))
    elif qt == 12 and area is None:
        raise fail(2007, "specify", "行政区划区域搜索须给出 specify", "queryType 12 needs specify")
    if qt == 7:
        q.kinds = (POI, ADMIN)  # 纯地名搜索: places, no bus lines
    if qt == 4:
        return _suggests(svc, actor, text, q)
    if qt == 14:
        return _statistics(svc, actor, q, area, post)
    page = svc.search(actor, q)
    if qt in (1, 7) and text and not cats and start == 0:
        exact = _admin_exact(svc, page.hits)
        if exact is not None:
            return _area(svc, exact, post)
    return _pois(svc, page.hits, page.total, post, with_distance=qt == 3, area=area)


def _status(code: int) -> dict[str, Any]:
    zh, en = INFO[code]
    return {"infocode": code, "cndesc": zh, "endesc": en}


def _keyword(post: dict[str, Any]) -> str:
    return str(post.get("keyWord", post.get("keyword", "")) or "")


def _pois(svc: PlacesService, hits: list[Hit], total: int, post: dict[str, Any],
          with_distance: bool, area: Division | None) -> dict[str, Any]:
    body: dict[str, Any] = {"resultType": 1, "count": total, "keyWord": _keyword(post),
                            "pois": [_poi(svc, h, with_distance) for h in hits],
                            "status": _status(1000 if total else 3000)}
    if area is not None:
        body["prompt"] = [{"type": 4, "admins": [{"name": area.name, "adminCode": gb9(area.code)}],
                           "keyword": _keyword(post)}]
    return body


def _poi(svc: PlacesService, h: Hit, with_distance: bool) -> dict[str, Any]:
    div = svc.gazetteer.divisions
    chain = {d.level: d for d in div.chain(h.admin_code)} if h.admin_code and \
        h.admin_code in div else {}
    where = "".join(d.name for d in chain.values())
    street = h.info.get("street_name") or ""
    address = where + (f"{street}{h.housenumber}号" if street and h.housenumber else "")
    out: dict[str, Any] = {
        "name": h.name, "address": address, "lonlat": _lonlat_text(h.lon, h.lat),
        "hotPointID": h.key, "phone": "", "poiType": "102" if h.category == "bus_stop" else "101",
        "eaddress": "", "ename": "", "typeName": h.category or h.kind, "typeCode": h.category or "",
        "source": h.layer}
    for level, key in ((Level.PROVINCE, "province"), (Level.CITY, "city"), (Level.COUNTY, "county")):
        d = chain.get(level)
        out[key], out[f"{key}Code"] = (d.name, gb9(d.code)) if d else ("", "")
    if with_distance and h.distance_m is not None:
        out["distance"] = f"{h.distance_m:.0f}m" if h.distance_m < 1000 else \
            f"{h.distance_m / 1000:.2f}km"
    return out


def _lonlat_text(lon: float | None, lat: float | None) -> str:
    return "" if lon is None or lat is None else f"{lon:.6f},{lat:.6f}"


def _admin_exact(svc: PlacesService, hits: list[Hit]) -> Division | None:
    """The division the keyword names exactly (杭州, 西湖区), among the best-tier hits (an
    exact name ranks first; the caller may see the hit, so it may see the division)."""
    for h in hits:
        if h.match != "exact":
            break
        if h.kind == ADMIN and h.admin_code:
            return svc.gazetteer.divisions.find(h.admin_code)
    return None


def _area(svc: PlacesService, d: Division, post: dict[str, Any]) -> dict[str, Any]:
    geom = boundary(svc, d.code)
    bound = ",".join(f"{v:.6f}" for v in geom.bounds) if geom is not None else ""
    return {"resultType": 3, "count": 1, "keyWord": _keyword(post),
            "area": {"name": d.name, "bound": bound, "lonlat": _lonlat_text(*(d.seat or (None, None))),
                     "adminCode": int(gb9(d.code)), "level": AREA_ZOOM[d.level]},
            "status": _status(1000)}


def _suggests(svc: PlacesService, actor: Actor, text: str, q: Query) -> dict[str, Any]:
    items = svc.suggest(actor, text, limit=q.limit, point=q.point)
    div = svc.gazetteer.divisions
    suggests = [{"name": s["text"], "address": s["admin_name"] or "",
                 "gbCode": gb9(s["admin_code"]) if s["admin_code"] in div else ""} for s in items]
    return {"resultType": 4, "count": len(suggests), "keyWord": text, "suggests": suggests,
            "status": _status(1000 if suggests else 3000)}


def _statistics(svc: PlacesService, actor: Actor, q: Query, area: Division | None,
                post: dict[str, Any]) -> dict[str, Any]:
    """统计搜索: matches per division one level below `specify` (provinces for the country)."""
    counts = svc.search(actor, Query(text=q.text, admin=q.admin, categories=q.categories, limit=1),
                        with_counts=True).counts
    div = svc.gazetteer.divisions
    width = 2 if area is None else {Level.PROVINCE: 4}.get(area.level, 6)
    per: dict[str, int] = {}
    per_city: dict[str, int] = {}
    for code, n in counts.items():
        per[code[:width]] = per.get(code[:width], 0) + n
        per_city[code[:4]] = per_city.get(code[:4], 0) + n

    def item(code: str, n: int) -> dict[str, Any]:
        d = div.find(code)
        return {"name": d.name if d else "", "count": n, "adminCode": int(gb9(code)),
                "lonlat": _lonlat_text(*(d.seat or (None, None))) if d else "", "ename": "",
                "isleaf": bool(d is None or d.level >= Level.COUNTY)}

    all_admins = [item(c, n) for c, n in sorted(per.items(), key=lambda x: (-x[1], x[0]))]
    cities = [item(c, n) for c, n in sorted(per_city.items(), key=lambda x: (-x[1], x[0]))][:10]
    total = sum(counts.values())
    return {"resultType": 2, "count": total, "keyWord": _keyword(post),
            "statistics": {"count": total, "adminCount": len(all_admins),
                           "priorityCitys": cities, "allAdmins": all_admins},
            "status": _status(1000 if total else 3000)}


def boundary(svc: PlacesService, code: str) -> Any:
    """The published boundary polygon of a division, or None."""
    for index in getattr(svc.gazetteer.divisions, "_boundaries", []):
        if code in index.codes:
            return index.geometries[index.codes.index(code)]
    return None


# ---------------------------------------------------------------------- geocoder
def geocode_ds(svc: PlacesService, actor: Actor, ds: str | None) -> dict[str, Any]:
    post = loads(ds, 1, "ds")
    raw = post.get("keyWord", post.get("keyword"))
    if not isinstance(raw, str) or not raw.strip():
        raise fail(1, "keyWord", "缺少 keyWord", "keyWord is missing")
    if len(raw) > MAX_KEYWORD:
        raise fail(1, "keyWord", f"地址过长（最多 {MAX_KEYWORD} 个字符）",
                   f"too long (at most {MAX_KEYWORD} characters)")
    r = svc.geocode(actor, raw)
    if r.lon is None or r.lat is None:
        return {"msg": "无结果", "status": "404", "searchVersion": __version__}
    return {"msg": "ok", "status": "0", "searchVersion": __version__,
            "location": {"lon": round(r.lon, 6), "lat": round(r.lat, 6),
                         "score": round(100 * r.confidence), "level": LEVEL_ZH.get(r.level, r.level),
                         "keyWord": raw}}


def reverse_post(svc: PlacesService, actor: Actor, post_str: str | None,
                 type_: str | None) -> dict[str, Any]:
    if type_ != "geocode":
        raise fail(1, "type", "type 应为 geocode", "type must be geocode")
    post = loads(post_str, 1, "postStr")
    if post.get("lon") in (None, "") or post.get("lat") in (None, ""):
        raise fail(1, "lon" if post.get("lon") in (None, "") else "lat", "须给出 lon 和 lat",
                   "lon and lat are required")
    lon, lat = _number(post.get("lon"), 1, "lon"), _number(post.get("lat"), 1, "lat")
    _lonlat(lon, lat, 1, "lon")
    r = svc.reverse(actor, lon, lat)
    levels = {a["level"]: a for a in r["admin"]}

    def name(level: str) -> str:
        return str(levels[level]["name"]) if level in levels else ""

    def code(level: str) -> str:
        return gb9(levels[level]["code"]) if level in levels else ""

    road, poi, addr = r.get("road"), r.get("poi"), r.get("address")
    near = addr if addr is not None and addr.get("housenumber") else poi
    comp = {"nation": "中国", "province": name("province"), "province_code": code("province"),
            "city": name("city") or name("province"), "city_code": code("city") or code("province"),
            "county": name("county"), "county_code": code("county"), "town": "", "town_code": "",
            "road": road["name"] if road else "",
            "road_distance": round(road["distance_m"]) if road else 0,
            "poi": poi["name"] if poi else "",
            "poi_distance": round(poi["distance_m"]) if poi else 0,
            "poi_position": _position(poi, lon, lat),
            "address": near["name"] if near else "",
            "address_distance": round(near["distance_m"]) if near else 0,
            "address_position": _position(near, lon, lat)}
    return {"result": {"formatted_address": r["formatted_address"],
                       "location": {"lon": lon, "lat": lat}, "addressComponent": comp},
            "msg": "ok", "status": "0"}


def _position(place: dict[str, Any] | None, lon: float, lat: float) -> str:
    """Where the point lies seen from the place: 东, 东北, … (天地图's *_position)."""
    if not place or place.get("lon") is None:
        return ""
    dx = (lon - place["lon"]) * math.cos(math.radians(lat))
    dy = lat - place["lat"]
    if abs(dx) < 1e-7 and abs(dy) < 1e-7:
        return ""
    sector = round(math.degrees(math.atan2(dx, dy)) / 45) % 8
    return ("北", "东北", "东", "东南", "南", "西南", "西", "西北")[sector]


# ---------------------------------------------------------------------- divisions
def administrative(svc: PlacesService, actor: Actor, keyword_: str | None, child_level: str | None,
                   extensions: str | None) -> dict[str, Any]:
    if keyword_ is None or not keyword_.strip():
        raise fail(400, "keyword", "缺少 keyword", "keyword is missing")
    if len(keyword_) > MAX_KEYWORD:
        raise fail(400, "keyword", "keyword 过长", "keyword too long")
    if child_level not in (None, "", "0", "1", "2", "3"):
        raise fail(400, "childLevel", "childLevel 应为 0–3", "childLevel must be 0-3")
    if extensions not in (None, "", "true", "false"):
        raise fail(400, "extensions", "extensions 应为 true 或 false", "extensions must be true or false")
    depth = int(child_level or 0)
    with_boundary = extensions == "true"
    text = keyword_.strip()
    if text.isdigit() and len(text) == 9 and text.startswith("156"):
        text = text[3:]
    if text in ("中国", "中华人民共和国", "000000"):
        found = [_country(svc, actor, depth, with_boundary)]
        return {"status": 200, "message": "成功", "data": {
            "suggestion": {"total": 0, "district": []}, "district": found}}
    matches = svc.admin_lookup(actor, text, limit=20)
    div = svc.gazetteer.divisions
    exact = [m for m in matches if m["match"] not in ("fuzzy", "prefix", "contains")]
    district = [_district(svc, actor, div.get(m["code"]), depth, with_boundary) for m in exact]
    rest = [m for m in matches if m not in exact]
    suggestion = [{"gb": gb9(m["code"]), "name": m["name"], "level": _LEVEL[m["level"]]}
                  for m in rest]
    return {"status": 200, "message": "成功" if district else "无结果",
            "data": {"suggestion": {"total": len(suggestion), "district": suggestion},
                     "district": district}}


_LEVEL = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}


def _district(svc: PlacesService, actor: Actor, d: Division, depth: int,
              with_boundary: bool) -> dict[str, Any]:
    div = svc.gazetteer.divisions
    parent = div.parent(d.code)
    while parent is not None and parent.is_pseudo:
        parent = div.parent(parent.code)
    out: dict[str, Any] = {"gb": gb9(d.code), "pgb": gb9(parent.code) if parent else COUNTRY,
                           "name": d.name, "level": int(d.level),
                           "center": {"lng": d.seat[0], "lat": d.seat[1]} if d.seat else None}
    if with_boundary:
        geom = boundary(svc, d.code)
        out["boundary"] = shapely.to_wkt(geom, rounding_precision=6) if geom is not None else ""
    children = []
    if depth > 0:
        children = [_district(svc, actor, c, depth - 1, with_boundary)
                    for c in div.children(d.code, load=False) if svc.visible_level(actor, c.level)]
    out["children"] = children
    return out


def _country(svc: PlacesService, actor: Actor, depth: int, with_boundary: bool) -> dict[str, Any]:
    div = svc.gazetteer.divisions
    children = [_district(svc, actor, c, depth - 1, with_boundary) for c in div.children(None)
                if svc.visible_level(actor, c.level)] if depth > 0 else []
    return {"gb": COUNTRY, "pgb": "", "name": "中华人民共和国", "level": 0,
            "center": {"lng": 116.3912757, "lat": 39.906217}, "children": children}
