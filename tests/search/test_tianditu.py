"""天地图-compatible endpoints on both backends with real Hangzhou data: /v2/search (every
queryType), /geocoder (geocode and reverse), /v2/administrative; 天地图's error bodies for bad
input; a government layer never reaches a public caller."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import shapely
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Edition
from mapnode.store import VersionedStore
from mapnode.store.base import metric_distances
from tests.search import data
from tests.search.conftest import Loaded
from tests.search.test_search import named_pois, source


@pytest.fixture(scope="module")
def tdt(places: Loaded) -> Any:
    settings = Settings(store=places.store.url,
                        api_keys={"gov-key": {"name": "规划局", "edition": "government"}})
    with TestClient(create_app(settings, store=places.store)) as c:
        yield c


def search(c: TestClient, status: int = 200, **post: Any) -> dict[str, Any]:
    r = c.get("/v2/search", params={"postStr": json.dumps(post, ensure_ascii=False),
                                    "type": "query"})
    assert r.status_code == status, r.text
    return r.json()


def point(lonlat: str) -> shapely.Point:
    lon, lat = (float(v) for v in lonlat.split(","))
    return shapely.Point(lon, lat)


def test_normal_search_finds_real_pois_with_their_place(places: Loaded, tdt: TestClient) -> None:
    pois = [p for p in named_pois(places) if p["geometry"].geom_type == "Point"]
    names = Counter(p["name"] for p in pois)
    unique = [p for p in pois if names[p["name"]] == 1 and len(p["name"]) >= 4][:5]
    assert len(unique) == 5
    for p in unique:
        body = search(tdt, keyWord=p["name"], queryType=1, level=12, start=0, count=10,
                      mapBound="120.0,30.1,120.3,30.4")
        assert body["status"] == {"infocode": 1000, "cndesc": "正常", "endesc": "OK"}
        assert body["resultType"] == 1 and body["count"] >= 1 and body["keyWord"] == p["name"]
        first = body["pois"][0]
        assert first["name"] == p["name"]
        assert point(first["lonlat"]).distance(p["geometry"]) < 1e-5
        assert {"address", "hotPointID", "phone", "poiType", "eaddress", "province",
                "provinceCode", "city", "cityCode", "county", "countyCode"} <= set(first)
        assert first["province"] == "浙江省" and first["cityCode"] == "156330100"
        assert first["countyCode"].startswith("1563301") and len(first["countyCode"]) == 9


def test_division_name_answers_an_area(tdt: TestClient) -> None:
    body = search(tdt, keyWord="杭州市", queryType=1, level=10, start=0, count=10,
                  mapBound="118,29,121,31")
    assert body["resultType"] == 3 and body["area"]["adminCode"] == 156330100
    assert body["area"]["name"] == "杭州市"
    lon, lat = (float(v) for v in body["area"]["lonlat"].split(","))
    assert 119.5 < lon < 120.5 and 29.9 < lat < 30.6  # 杭州's seat


def test_view_radius_polygon_and_area_filters(places: Loaded, tdt: TestClient) -> None:
    view = search(tdt, keyWord="银行", queryType=2, level=15, mapBound="120.15,30.25,120.17,30.27",
                  start=0, count=100)
    assert view["count"] > 0
    box = shapely.box(120.15, 30.25, 120.17, 30.27)
    assert all(box.buffer(1e-6).covers(point(p["lonlat"])) for p in view["pois"])
    near = search(tdt, keyWord="医院", queryType=3, pointLonlat="120.16,30.26", queryRadius=1500,
                  start=0, count=100)
    assert near["count"] > 0
    for p in near["pois"]:
        metres = float(metric_distances(120.16, 30.26, [point(p["lonlat"])])[0])
        assert metres <= 1501
        shown = float(p["distance"].removesuffix("km")) * 1000 if p["distance"].endswith("km") \
            else float(p["distance"].removesuffix("m"))
        assert abs(shown - metres) < 15
    ring = [(120.12, 30.24), (120.18, 30.24), (120.15, 30.29), (120.12, 30.24)]
    poly = shapely.Polygon(ring)
    inside = search(tdt, keyWord="学", queryType=10, start=0, count=100,
                    polygon=",".join(f"{x},{y}" for x, y in ring))
    assert inside["count"] > 0 and all(poly.covers(point(p["lonlat"])) for p in inside["pois"])
    xihu = search(tdt, keyWord="学", queryType=12, specify="156330106", start=0, count=100)
    assert xihu["count"] > 0 and all(p["countyCode"] == "156330106" for p in xihu["pois"])
    assert xihu["prompt"][0]["admins"][0]["adminCode"] == "156330106"
    by_name = search(tdt, keyWord="学", queryType=12, specify="西湖区", start=0, count=1)
    assert by_name["count"] == xihu["count"]
    paged = search(tdt, keyWord="学", queryType=12, specify="156330106", start=10, count=10)
    assert [p["hotPointID"] for p in paged["pois"]] == \
        [p["hotPointID"] for p in xihu["pois"][10:20]]


def test_category_and_statistics(places: Loaded, tdt: TestClient) -> None:
    hospitals = search(tdt, queryType=13, dataTypes="医院", start=0, count=300)
    expected = [p for p in named_pois(places) if p.get("amenity") == "hospital"]
    assert hospitals["count"] == len(expected) > 0
    assert {p["name"] for p in hospitals["pois"]} == {p["name"] for p in expected}
    stats = search(tdt, keyWord="银行", queryType=14, specify="156330100")
    assert stats["resultType"] == 2
    s = stats["statistics"]
    assert s["count"] == stats["count"] == sum(a["count"] for a in s["allAdmins"]) > 0
    assert all(str(a["adminCode"]).startswith("1563301") for a in s["allAdmins"])
    counted = tdt.get("/api/search", params={"q": "银行", "admin": "3301", "limit": 1}).json()
    assert s["count"] == counted["numberMatched"]
    assert s["priorityCitys"][0]["adminCode"] == 156330100


def test_suggest_and_pinyin(tdt: TestClient) -> None:
    body = search(tdt, keyWord="hz", queryType=4, start=0, count=5)
    assert body["resultType"] == 4 and body["suggests"][0]["name"] == "杭州市"
    assert body["suggests"][0]["gbCode"] == "156330100"


def test_geocoder(places: Loaded, tdt: TestClient) -> None:
    r = tdt.get("/geocoder", params={"ds": json.dumps({"keyWord": "浙江省杭州市西湖区"})})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "0" and body["msg"] == "ok"
    loc = body["location"]
    assert loc["level"] == "区县" and loc["keyWord"] == "浙江省杭州市西湖区" and 0 < loc["score"] <= 100
    seat = places.service.gazetteer.divisions.get("330106").seat
    assert seat and abs(loc["lon"] - seat[0]) < 1e-5 and abs(loc["lat"] - seat[1]) < 1e-5
    assert "searchVersion" in body
    poi = next(p for p in named_pois(places) if p["name"] == "浙江大学医学院附属第一医院"
               ) if any(p["name"] == "浙江大学医学院附属第一医院" for p in named_pois(places)) else None
    if poi is not None:
        hit = tdt.get("/geocoder", params={"ds": json.dumps({"keyWord": "杭州市" + poi["name"]},
                                                            ensure_ascii=False)}).json()
        assert hit["location"]["level"] == "兴趣点"
    none = tdt.get("/geocoder", params={"ds": '{"keyWord":"qqqqzzzz"}'}).json()
    assert none["status"] == "404" and "location" not in none


def test_reverse_geocoder_single_quoted_post_str(tdt: TestClient) -> None:
    r = tdt.get("/geocoder", params={"postStr": "{'lon':120.13,'lat':30.26,'ver':1}",
                                     "type": "geocode"})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "0"
    comp = body["result"]["addressComponent"]
    assert comp["province"] == "浙江省" and comp["province_code"] == "156330000"
    assert comp["city"] == "杭州市" and comp["city_code"] == "156330100"
    assert comp["county_code"].startswith("1563301") and comp["nation"] == "中国"
    assert comp["road"] and isinstance(comp["road_distance"], int)
    assert comp["poi"] and comp["poi_position"] in ("北", "东北", "东", "东南", "南", "西南", "西",
                                                    "西北", "")
    assert body["result"]["formatted_address"].startswith("浙江省杭州市")
    assert body["result"]["location"] == {"lon": 120.13, "lat": 30.26}


def test_administrative(tdt: TestClient) -> None:
    body = tdt.get("/v2/administrative", params={"keyword": "杭州市", "childLevel": "1",
                                                "extensions": "false"}).json()
    assert body["status"] == 200
    hz = body["data"]["district"][0]
    assert hz["gb"] == "156330100" and hz["pgb"] == "156330000" and hz["level"] == 2
    kids = {c["name"]: c for c in hz["children"]}
    assert kids["西湖区"]["gb"] == "156330106" and kids["西湖区"]["children"] == []
    assert "boundary" not in hz
    deep = tdt.get("/v2/administrative", params={"keyword": "156330100", "childLevel": "2",
                                                "extensions": "true"}).json()
    xihu = next(c for c in deep["data"]["district"][0]["children"] if c["name"] == "西湖区")
    assert any(t["name"] == "西湖街道" and t["level"] == 4 for t in xihu["children"])
    assert "boundary" in xihu
    fuzzy = tdt.get("/v2/administrative", params={"keyword": "杭洲市"}).json()
    assert fuzzy["data"]["district"] == []
    assert fuzzy["data"]["suggestion"]["district"][0]["gb"] == "156330100"


BAD_SEARCH = [
    ({}, 2001, "postStr"),
    ({"postStr": "{not json"}, 2001, "postStr"),
    ({"postStr": '{"keyWord":"医院","queryType":5}'}, 2002, "queryType"),
    ({"postStr": '{"keyWord":"医院"}'}, 2002, "queryType"),
    ({"postStr": '{"queryType":1}'}, 2003, "keyWord"),
    ({"postStr": json.dumps({"queryType": 1, "keyWord": "杭" * 101})}, 2003, "keyWord"),
    ({"postStr": json.dumps({"queryType": 1, "keyWord": "杭州' OR 1=1 --"})}, 2003, "keyWord"),
    ({"postStr": '{"queryType":2,"keyWord":"医院","mapBound":"120,30,119"}'}, 2004, "mapBound"),
    ({"postStr": '{"queryType":10,"keyWord":"医院","polygon":"120,30,121,31"}'}, 2004, "polygon"),
    ({"postStr": '{"queryType":3,"keyWord":"医院","pointLonlat":"30.26,120.16","queryRadius":500}'},
     2005, "pointLonlat"),
    ({"postStr": '{"queryType":3,"keyWord":"医院","pointLonlat":"200,30","queryRadius":500}'},
     2005, "pointLonlat"),
    ({"postStr": '{"queryType":3,"keyWord":"医院","pointLonlat":"120.16,30.26","queryRadius":20000}'},
     2006, "queryRadius"),
    ({"postStr": '{"queryType":1,"keyWord":"医院","count":301}'}, 2007, "count"),
    ({"postStr": '{"queryType":1,"keyWord":"医院","start":-1}'}, 2007, "start"),
    ({"postStr": '{"queryType":12,"keyWord":"医院","specify":"156999999"}'}, 2007, "specify"),
    ({"postStr": '{"queryType":12,"keyWord":"医院"}'}, 2007, "specify"),
    ({"postStr": '{"queryType":13}'}, 2007, "dataTypes"),
]


@pytest.mark.parametrize(("params", "code", "parameter"), BAD_SEARCH)
def test_bad_search_input_answers_tianditu_error(tdt: TestClient, params: dict[str, str],
                                                 code: int, parameter: str) -> None:
    r = tdt.get("/v2/search", params={**params, "type": "query"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"]["infocode"] == code and body["status"]["cndesc"], body
    assert body["parameter"] == parameter
    if "30.26,120.16" in params.get("postStr", ""):
        assert "颠倒" in body["status"]["cndesc"]


def test_bad_geocoder_and_division_input(tdt: TestClient) -> None:
    for params, parameter in (({}, "ds"), ({"ds": "{bad"}, "ds"), ({"ds": "{}"}, "keyWord"),
                              ({"postStr": "{'lon':120.1}", "type": "geocode"}, "lat"),
                              ({"postStr": "{'lon':120.1,'lat':95}", "type": "geocode"}, "lon"),
                              ({"postStr": "{'lon':120.1,'lat':30}"}, "type")):
        r = tdt.get("/geocoder", params=params)
        assert r.status_code == 400 and r.json()["status"] == "1", (params, r.text)
        assert r.json()["parameter"] == parameter
    for params, parameter in (({}, "keyword"), ({"keyword": "杭州", "childLevel": "5"}, "childLevel"),
                              ({"keyword": "杭州", "extensions": "yes"}, "extensions")):
        r = tdt.get("/v2/administrative", params=params)
        assert r.status_code == 400 and r.json()["status"] == 400 and r.json()["parameter"] == parameter
    # a keyword with SQL in it is plain text: no result, nothing dropped
    before = tdt.get("/api/search", params={"q": "杭州"}).json()["numberMatched"]
    body = search(tdt, keyWord="杭州; DROP TABLE search_entries --", queryType=1)
    assert body["status"]["infocode"] in (1000, 3000)
    assert tdt.get("/api/search", params={"q": "杭州"}).json()["numberMatched"] == before


def test_government_layer_never_reaches_a_public_caller(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=("admin_provinces", "admin_cities", "admin_counties",
                                             "admin_seats", "poi_points"))
    data.load(store, system, slices, layers=("stations",), stations={"edition": Edition.GOVERNMENT})
    station = next(f.properties["name"] for f in store.features(system, "stations")
                   if f.properties.get("name"))
    where = next(f.geometry for f in store.features(system, "stations")
                 if f.properties.get("name") == station)
    settings = Settings(store=store.url, api_keys={"gov-key": {"name": "规划局",
                                                               "edition": "government"}})
    post = json.dumps({"keyWord": station, "queryType": 1, "start": 0, "count": 50},
                      ensure_ascii=False)
    near = json.dumps({"keyWord": station[:2], "queryType": 3, "queryRadius": 3000,
                       "pointLonlat": f"{where.x},{where.y}", "count": 300}, ensure_ascii=False)
    with TestClient(create_app(settings, store=store)) as c:
        for p in (post, near):
            public = c.get("/v2/search", params={"postStr": p, "type": "query"}).json()
            gov = c.get("/v2/search", params={"postStr": p, "type": "query", "tk": "gov-key"}).json()
            assert all(x["source"] != "stations" for x in public.get("pois", []))
            assert any(x["source"] == "stations" and x["name"] == station for x in gov["pois"])
        sugg = json.dumps({"keyWord": station, "queryType": 4}, ensure_ascii=False)
        public = c.get("/v2/search", params={"postStr": sugg, "type": "query"}).json()
        assert station not in [s["name"] for s in public.get("suggests", [])] or any(
            p["properties"]["layer"] != "stations" for p in c.get(
                "/api/search", params={"q": station}).json()["features"])
        assert c.get("/v2/search", params={"postStr": post, "tk": "wrong"}).status_code == 401


def test_source_slices_hold_the_roads_reverse_needs(places: Loaded) -> None:
    roads = [r for r in source(places.files["roads"]) if r.get("name")]
    assert any(r["geometry"].distance(shapely.Point(120.13, 30.26)) < 0.01 for r in roads)
