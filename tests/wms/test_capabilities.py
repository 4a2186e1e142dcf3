"""GetCapabilities 1.3.0 and 1.1.1: layers per caller, bounding boxes in each CRS's axis
order, formats, TIME, legends, version negotiation."""

from __future__ import annotations

import pytest
from lxml import etree
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.store import VersionedStore
from tests.wms.conftest import GOV_KEY, Served

NS = {"w": "http://www.opengis.net/wms", "xlink": "http://www.w3.org/1999/xlink"}
PARSER = etree.XMLParser(load_dtd=False, no_network=True)


def caps(client: TestClient, version: str | None = "1.3.0", **extra: str) -> etree._Element:
    params = {"SERVICE": "WMS", "REQUEST": "GetCapabilities", **extra}
    if version:
        params["VERSION"] = version
    r = client.get("/wms", params=params)
    assert r.status_code == 200, r.text
    return etree.fromstring(r.content, PARSER)


def names_130(root: etree._Element) -> list[str]:
    return root.xpath("//w:Layer/w:Name/text()", namespaces=NS)


def layer_130(root: etree._Element, name: str) -> etree._Element:
    (el,) = root.xpath(f"//w:Layer[w:Name='{name}']", namespaces=NS)
    return el


def test_130_lists_public_layers_with_chinese_metadata(served: Served) -> None:
    root = caps(served.client)
    assert root.tag == "{http://www.opengis.net/wms}WMS_Capabilities"
    assert root.get("version") == "1.3.0"
    assert names_130(root) == ["basemap", "labels", "roads", "water"]
    assert root.findtext("w:Service/w:Name", namespaces=NS) == "WMS"
    assert root.findtext("w:Service/w:Title", namespaces=NS).startswith("地理信息公共服务平台")
    assert layer_130(root, "basemap").findtext("w:Title", namespaces=NS).startswith("底图")
    roads = layer_130(root, "roads")
    assert roads.get("queryable") == "1" and layer_130(root, "basemap").get("queryable") == "0"
    assert roads.findtext("w:Title", namespaces=NS).startswith("测试 roads")
    assert "roads" in roads.xpath("w:KeywordList/w:Keyword/text()", namespaces=NS)
    fmts = root.xpath("//w:GetMap/w:Format/text()", namespaces=NS)
    assert fmts == ["image/png", "image/jpeg", "image/webp"]
    info = root.xpath("//w:GetFeatureInfo/w:Format/text()", namespaces=NS)
    assert info == ["application/json", "text/html", "application/vnd.ogc.gml"]
    crs = root.xpath("w:Capability/w:Layer/w:CRS/text()", namespaces=NS)
    assert crs == ["EPSG:4490", "EPSG:4326", "EPSG:3857", "EPSG:4547", "EPSG:4548",
                   "EPSG:4549", "CRS:84"]
    assert root.findtext("w:Service/w:MaxWidth", namespaces=NS) == "4096"


def test_130_bounding_boxes_follow_each_crs_axis_order(served: Served) -> None:
    from mapnode.model import Actor

    (x0, y0, x1, y1), _ = served.store.extent(Actor.system(), "roads")
    roads = layer_130(caps(served.client), "roads")
    geo = roads.find("w:EX_GeographicBoundingBox", NS)
    assert float(geo.findtext("w:westBoundLongitude", namespaces=NS)) == pytest.approx(x0)
    assert float(geo.findtext("w:northBoundLatitude", namespaces=NS)) == pytest.approx(y1)
    boxes = {b.get("CRS"): [float(b.get(k)) for k in ("minx", "miny", "maxx", "maxy")]
             for b in roads.findall("w:BoundingBox", NS)}
    assert boxes["EPSG:4490"] == pytest.approx([y0, x0, y1, x1])  # lat/lon
    assert boxes["CRS:84"] == pytest.approx([x0, y0, x1, y1])
    n0, e0, _, _ = boxes["EPSG:4549"]  # northing/easting, CM 120°E, false easting 500 km
    assert 3_340_000 < n0 < 3_360_000 and 505_000 < e0 < 515_000
    mx0, my0, _, _ = boxes["EPSG:3857"]
    assert mx0 == pytest.approx(x0 * 20037508.342789244 / 180)  # Web Mercator x/y
    assert 3_530_000 < my0 < 3_540_000


def test_130_time_dimension_and_legend_url_keep_the_key(served: Served) -> None:
    root = caps(served.client, tk=GOV_KEY)
    assert "gov_zones" in names_130(root) and "gov_pois" in names_130(root)
    water = layer_130(root, "water")
    dim = water.find("w:Dimension", NS)
    assert dim.get("name") == "time" and dim.get("units") == "ISO8601"
    start, end, _ = dim.text.split("/")
    assert start < end
    href = water.find("w:Style/w:LegendURL/w:OnlineResource", NS).get(
        f"{{{NS['xlink']}}}href")
    assert f"tk={GOV_KEY}" in href and "REQUEST=GetLegendGraphic" in href
    assert "LAYER=water" in href


def test_111_document(served: Served) -> None:
    r = served.client.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities",
                                          "VERSION": "1.1.1"})
    assert r.headers["content-type"].startswith("application/vnd.ogc.wms_xml")
    assert b"WMS_MS_Capabilities.dtd" in r.content
    root = etree.fromstring(r.content, PARSER)
    assert root.tag == "WMT_MS_Capabilities" and root.get("version") == "1.1.1"
    assert root.xpath("//Layer/Name/text()") == ["basemap", "labels", "roads", "water"]
    (roads,) = root.xpath("//Layer[Name='roads']")
    ll = roads.find("LatLonBoundingBox")
    b4326 = roads.find("BoundingBox[@SRS='EPSG:4326']")
    assert float(ll.get("minx")) == pytest.approx(float(b4326.get("minx")))  # x/y: lon first
    assert 120 < float(b4326.get("minx")) < 121
    assert roads.find("Extent[@name='time']") is not None
    assert "CRS:84" not in root.xpath("//SRS/text()")


@pytest.mark.parametrize(("asked", "answered"), [
    (None, "1.3.0"), ("1.3.0", "1.3.0"), ("2.0.0", "1.3.0"), ("1.2.0", "1.1.1"),
    ("1.1.1", "1.1.1"), ("1.0.0", "1.1.1")])
def test_version_negotiation(client: TestClient, asked: str | None, answered: str) -> None:
    root = caps(client, asked)
    assert root.get("version") == answered


def test_case_insensitive_parameter_names(client: TestClient) -> None:
    r = client.get("/wms?service=WMS&request=GetCapabilities&version=1.3.0")
    assert r.status_code == 200 and b"WMS_Capabilities" in r.content


def test_public_caller_never_sees_government_layers(served: Served) -> None:
    for version in ("1.3.0", "1.1.1"):
        r = served.client.get("/wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities",
                                              "VERSION": version})
        assert b"gov_" not in r.content and "政务 区域".encode() not in r.content


def test_catalogue_and_data_edits_show_at_once(store: VersionedStore) -> None:
    """Extents are cached per seq; the catalogue (and so access) never is."""
    from dataclasses import replace

    from shapely.geometry import Point

    from mapnode.model import Actor, Changeset, Edition
    from tests.store import hz

    system = Actor.system()
    rows = hz.roads().rows[:50]
    hz.load(store, system, "roads", hz.roads(), rows=rows)
    with TestClient(create_app(Settings(store=store.url), store=store)) as client:
        before = layer_130(caps(client), "roads").find("w:EX_GeographicBoundingBox", NS)
        east = float(before.findtext("w:eastBoundLongitude", namespaces=NS))
        store.apply(system, Changeset("editor", "far away").insert(
            "roads", "far", Point(121.5, 31.2).buffer(0.001).exterior, {"name": "远方"}))
        after = layer_130(caps(client), "roads").find("w:EX_GeographicBoundingBox", NS)
        assert east < 121 < float(after.findtext("w:eastBoundLongitude", namespaces=NS))
        meta = store.layer(system, "roads")
        store.update_layer(system, replace(meta, edition=Edition.GOVERNMENT))
        assert "roads" not in names_130(caps(client))
