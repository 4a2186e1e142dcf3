"""GetFeatureInfo on both backends: the feature under a pixel in 4490 (lat/lon), 3857 and
1.1.1 EPSG:4326, nearest first; JSON, HTML and GML; TIME; the caller's edition."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from lxml import etree
from pyproj import Transformer

from tests.store import hz
from tests.wms.conftest import GOV_KEY, LAKE_POINT, ROAD_NAME, Served, water

W, H, CI, CJ = 200, 100, 20, 70  # a click away from the centre of a non-square map
MERC = Transformer.from_crs(4490, 3857, always_xy=True)


def _box(x: float, y: float, res: float) -> tuple[float, float, float, float]:
    """A W × H map with (x, y) at the centre of pixel (I, J)."""
    minx, maxy = x - (CI + 0.5) * res, y + (CJ + 0.5) * res
    return minx, maxy - H * res, minx + W * res, maxy


def info(served: Served, lon: float, lat: float, *, crs: str = "EPSG:4490",
         version: str = "1.3.0", layers: str = "roads", fmt: str = "application/json",
         **extra: str) -> Any:
    if crs == "EPSG:3857":
        x, y = MERC.transform(lon, lat)
        box = _box(x, y, 2.0)
    else:
        box = _box(lon, lat, 2e-5)
    if version == "1.3.0" and crs == "EPSG:4490":
        box = (box[1], box[0], box[3], box[2])  # lat/lon
    params = {"SERVICE": "WMS", "VERSION": version, "REQUEST": "GetFeatureInfo",
              "LAYERS": layers, "QUERY_LAYERS": layers, "STYLES": "",
              "CRS" if version == "1.3.0" else "SRS": crs, "BBOX": ",".join(map(str, box)),
              "WIDTH": str(W), "HEIGHT": str(H), "INFO_FORMAT": fmt,
              "I" if version == "1.3.0" else "X": str(CI),
              "J" if version == "1.3.0" else "Y": str(CJ), **extra}
    r = served.client.get("/wms", params=params)
    assert r.status_code == 200, r.text
    if fmt == "application/json":
        assert r.headers["content-type"] == "application/json"
        return r.json()
    return r


def road_point() -> tuple[str, float, float]:
    road = hz.roads().named(ROAD_NAME)[0]
    p = road.geometry.interpolate(0.5, normalized=True)
    return road.fid, p.x, p.y


def test_the_road_under_the_click_in_each_crs_and_version(served: Served) -> None:
    fid, lon, lat = road_point()
    for crs, version in (("EPSG:4490", "1.3.0"), ("EPSG:3857", "1.3.0"),
                         ("EPSG:4326", "1.1.1"), ("EPSG:3857", "1.1.1")):
        body = info(served, lon, lat, crs=crs, version=version)
        assert [f["id"] for f in body["features"]] == [fid], (crs, version)
        assert body["features"][0]["properties"]["name"] == ROAD_NAME + "（新）"
        assert body["features"][0]["layer"] == "roads"


def test_a_swapped_axis_order_finds_nothing_there(served: Served) -> None:
    fid, lon, lat = road_point()
    moved = info(served, lon + 0.003, lat - 0.0002)  # 300 m away: another place
    assert fid not in [f["id"] for f in moved["features"]]


def test_feature_count_orders_nearest_first(served: Served) -> None:
    fid, lon, lat = road_point()
    body = info(served, lon, lat, FEATURE_COUNT="5", BUFFER="50")
    feats = body["features"]
    assert 1 < len(feats) <= 5 and feats[0]["id"] == fid
    local = Transformer.from_crs(4490, 4549, always_xy=True)  # metres (CGCS2000 GK 120°E)
    here = shapely.Point(local.transform(lon, lat))
    dists = [shapely.transform(shapely.geometry.shape(f["geometry"]),
                               lambda xy: np.column_stack(local.transform(xy[:, 0], xy[:, 1])))
             .distance(here) for f in feats]
    assert dists == sorted(dists)


def test_polygon_under_the_click_and_nothing_in_the_lake_for_roads(served: Served) -> None:
    lake = next(r.fid for r in water().rows if r.geometry.contains(shapely.Point(*LAKE_POINT)))
    body = info(served, *LAKE_POINT, layers="water")
    assert [f["id"] for f in body["features"]] == [lake]
    assert info(served, *LAKE_POINT)["features"] == []


def test_html_and_gml(served: Served) -> None:
    fid, lon, lat = road_point()
    page = info(served, lon, lat, fmt="text/html")
    assert page.headers["content-type"].startswith("text/html")
    assert ROAD_NAME + "（新）" in page.text and fid in page.text
    gml = info(served, lon, lat, fmt="application/vnd.ogc.gml")
    assert gml.headers["content-type"] == "application/vnd.ogc.gml"
    root = etree.fromstring(gml.content)
    (feature,) = root.iter("roads_feature")
    assert feature.get("fid") == fid and feature.findtext("name") == ROAD_NAME + "（新）"


def test_time_answers_the_old_name(served: Served) -> None:
    _, lon, lat = road_point()
    body = info(served, lon, lat, TIME=served.before.isoformat())
    assert body["features"][0]["properties"]["name"] == ROAD_NAME


def test_government_layer_only_for_a_government_key(served: Served) -> None:
    poi = hz.amenities().rows[0]
    body = info(served, poi.geometry.x, poi.geometry.y, layers="gov_pois", tk=GOV_KEY)
    assert body["features"][0]["id"] == poi.fid
    r = served.client.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetFeatureInfo", "LAYERS": "roads",
        "QUERY_LAYERS": "gov_pois", "STYLES": "", "CRS": "EPSG:4490",
        "BBOX": "30.2,120.1,30.3,120.2", "WIDTH": "10", "HEIGHT": "10", "I": "5", "J": "5",
        "INFO_FORMAT": "application/json"})
    assert r.status_code == 400 and b"gov_pois" in r.content
    assert b"LayerNotDefined" in r.content
