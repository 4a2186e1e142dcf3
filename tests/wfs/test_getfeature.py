"""GetFeature, GetPropertyValue and DescribeFeatureType on both backends: answers compared
with what the store itself holds (feature ids, counts, coordinates)."""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
import pytest
import shapely
from pyproj import Transformer
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor
from tests.wfs.conftest import NS, Served, exception, xml

GF20 = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature"}
GF11 = {"SERVICE": "WFS", "VERSION": "1.1.0", "REQUEST": "GetFeature"}
BOX = (120.14, 30.24, 120.16, 30.26)  # lon/lat


def _gml_id(e) -> str:  # type: ignore[no-untyped-def]
    return e.get(f"{{{NS['gml']}}}id").split(".", 1)[1]


def test_gml32_collection_holds_every_current_feature(served: Served) -> None:
    doc = xml(served.get(**GF20, TYPENAMES="mapnode:roads", COUNT="5000"))
    members = doc.findall("wfs:member/m:roads", NS)
    assert sorted(_gml_id(m) for m in members) == sorted(served.fids())
    assert doc.get("numberMatched") == str(served.store.count(Actor.system(), "roads"))
    assert doc.get("numberReturned") == str(len(members)) and doc.get("next") is None
    by_id = {_gml_id(m): m for m in members}
    assert by_id[served.renamed].findtext("m:name", namespaces=NS) == "北山街（新）"
    assert served.deleted not in by_id


def test_default_crs_is_cgcs2000_lat_lon(served: Served) -> None:
    doc = xml(served.get(**GF20, TYPENAMES="roads", RESOURCEID=f"roads.{served.renamed}"))
    assert doc.find(".//gml:MultiCurve", NS).get("srsName") == "urn:ogc:def:crs:EPSG::4490"
    line = doc.find(".//gml:MultiCurve/gml:curveMember/gml:LineString", NS)
    values = [float(v) for v in line.findtext("gml:posList", namespaces=NS).split()]
    stored = served.store.feature(Actor.system(), "roads", served.renamed).geometry
    x, y = stored.coords[0]
    assert values[:2] == pytest.approx([y, x], abs=1e-8)  # lat first


@pytest.mark.parametrize("srs,epsg,north_first", [
    ("EPSG:3857", 3857, False),
    ("urn:ogc:def:crs:EPSG::4547", 4547, True),
    ("http://www.opengis.net/def/crs/EPSG/0/4549", 4549, True),
])
def test_srsname_reprojects_in_the_authority_axis_order(served: Served, srs: str, epsg: int,
                                                        north_first: bool) -> None:
    doc = xml(served.get(**GF20, TYPENAMES="roads", RESOURCEID=f"roads.{served.renamed}",
                         SRSNAME=srs))
    values = [float(v) for v in doc.findtext(".//gml:posList", namespaces=NS).split()]
    x, y = served.store.feature(Actor.system(), "roads", served.renamed).geometry.coords[0]
    ex, ny = Transformer.from_crs(4490, epsg, always_xy=True).transform(x, y)
    assert values[:2] == pytest.approx([ny, ex] if north_first else [ex, ny], abs=0.01)


def test_geojson_output_is_lon_lat_with_counts(served: Served) -> None:
    r = served.get(**GF20, TYPENAMES="roads", OUTPUTFORMAT="application/json", COUNT="10")
    assert r.headers["content-type"].startswith("application/json")
    body = orjson.loads(r.content)
    assert body["numberReturned"] == 10
    assert body["numberMatched"] == served.store.count(Actor.system(), "roads")
    first = body["features"][0]
    stored = served.store.feature(Actor.system(), "roads", first["id"].split(".", 1)[1])
    assert first["geometry"]["coordinates"][0] == pytest.approx(list(stored.geometry.coords[0]))
    assert first["properties"]["fclass"] == stored.properties["fclass"]


@pytest.mark.parametrize("version,bbox", [
    ("2.0.0", "30.24,120.14,30.26,120.16"),  # default CRS EPSG:4490: lat/lon
    ("2.0.0", "30.24,120.14,30.26,120.16,urn:ogc:def:crs:EPSG::4326"),
    ("2.0.0", "30.24,120.14,30.26,120.16,EPSG:4326"),  # 2.0.0: EPSG:n in authority order
    ("2.0.0", "120.14,30.24,120.16,30.26,urn:ogc:def:crs:OGC:1.3:CRS84"),
    ("1.1.0", "30.24,120.14,30.26,120.16"),
    ("1.1.0", "120.14,30.24,120.16,30.26,EPSG:4326"),  # 1.1.0: EPSG:n is x/y
    ("1.1.0", "30.24,120.14,30.26,120.16,urn:ogc:def:crs:EPSG::4490"),
])
def test_bbox_axis_order_per_version_and_crs_form(served: Served, version: str,
                                                  bbox: str) -> None:
    want = sorted(served.fids(intersects=shapely.box(*BOX)))
    if version == "2.0.0":
        got = served.features(TYPENAMES="roads", BBOX=bbox, COUNT="5000")
    else:
        doc = xml(served.get(**GF11, TYPENAME="roads", BBOX=bbox, MAXFEATURES="5000"))
        got = [m.get(f"{{{NS['gml311']}}}id").split(".", 1)[1]
               for m in doc.findall("gml311:featureMember/m:roads", NS)]
        assert doc.get("numberOfFeatures") == str(len(got))
    assert len(want) > 100 and sorted(got) == want


def test_bbox_in_a_projected_crs(served: Served) -> None:
    to_3857 = Transformer.from_crs(4490, 3857, always_xy=True)
    x0, y0 = to_3857.transform(BOX[0], BOX[1])
    x1, y1 = to_3857.transform(BOX[2], BOX[3])
    got = served.features(TYPENAMES="roads", BBOX=f"{x0},{y0},{x1},{y1},EPSG:3857", COUNT="5000")
    want = served.fids(intersects=shapely.box(*BOX))
    assert abs(len(got) - len(want)) <= 2 and len(set(got) ^ set(want)) <= 4


def test_paging_with_next_and_previous_links(served: Served) -> None:
    seen: list[str] = []
    url = "/wfs?" + "&".join(f"{k}={v}" for k, v in {**GF20, "TYPENAMES": "roads",
                                                        "COUNT": "1000"}.items())
    pages = 0
    while url:
        doc = xml(served.client.get(url))
        members = doc.findall("wfs:member/m:roads", NS)
        seen += [_gml_id(m) for m in members]
        pages += 1
        if pages > 1:
            prev = urlsplit(doc.get("previous"))
            assert "STARTINDEX=" + str((pages - 2) * 1000) in prev.query
        nxt = doc.get("next")
        url = f"{urlsplit(nxt).path}?{urlsplit(nxt).query}" if nxt else ""
    assert pages == 3 and seen == sorted(served.fids())  # the store's order, no gaps, no repeats


def test_hits_report_the_count_only(served: Served) -> None:
    total = served.store.count(Actor.system(), "roads")
    doc = xml(served.get(**GF20, TYPENAMES="roads", RESULTTYPE="hits"))
    assert doc.get("numberMatched") == str(total) and doc.get("numberReturned") == "0"
    assert doc.find("wfs:member", NS) is None
    doc = xml(served.get(**GF11, TYPENAME="roads", RESULTTYPE="hits"))
    assert doc.get("numberOfFeatures") == str(total)
    box = "30.24,120.14,30.26,120.16"
    doc = xml(served.get(**GF20, TYPENAMES="roads", RESULTTYPE="hits", BBOX=box))
    assert doc.get("numberMatched") == str(len(served.fids(intersects=shapely.box(*BOX))))


def test_resource_ids_and_the_get_feature_by_id_stored_query(served: Served) -> None:
    ids = f"roads.{served.renamed},roads.{served.deleted},roads.nope"
    assert served.features(RESOURCEID=ids) == [served.renamed]  # the deleted one is gone now
    r = served.get(**GF20, STOREDQUERY_ID="urn:ogc:def:query:OGC-WFS::GetFeatureById",
                   ID=f"roads.{served.renamed}")
    doc = xml(r)
    assert doc.tag == f"{{{NS['m']}}}roads" and _gml_id(doc) == served.renamed
    r = served.get(404, **GF20, STOREDQUERY_ID="urn:ogc:def:query:OGC-WFS::GetFeatureById",
                   ID=f"roads.{served.deleted}")
    assert exception(r)[0] == "NotFound"


def test_time_reads_the_past_state(served: Served) -> None:
    at = served.before.isoformat()
    ids = f"roads.{served.renamed},roads.{served.deleted},roads.{served.added[0]}"
    doc = xml(served.get(**GF20, RESOURCEID=ids, TIME=at))
    members = {_gml_id(m): m for m in doc.findall("wfs:member/m:roads", NS)}
    assert set(members) == {served.renamed, served.deleted}
    assert members[served.renamed].findtext("m:name", namespaces=NS) == "北山街"
    r = served.get(400, **GF20, TYPENAMES="roads", TIME="yesterday")
    assert exception(r)[:2] == ("InvalidParameterValue", "time")


def test_max_features_caps_the_page_and_links_the_rest(served: Served) -> None:
    settings = Settings(store=served.store.url, wfs_max_features=100)
    with TestClient(create_app(settings, store=served.store)) as client:
        r = client.get("/wfs", params={**GF20, "TYPENAMES": "roads", "COUNT": "500"})
        doc = xml(r)
        assert doc.get("numberReturned") == "100"
        assert doc.get("numberMatched") == str(served.store.count(Actor.system(), "roads"))
        assert "COUNT=100" in doc.get("next") and "STARTINDEX=100" in doc.get("next")
        doc = xml(client.get("/wfs", params={**GF11, "TYPENAME": "roads"}))
        assert doc.get("numberOfFeatures") == "100"
        caps = xml(client.get("/wfs", params={"SERVICE": "WFS", "REQUEST": "GetCapabilities"}))
        assert caps.findtext(".//ows:Constraint[@name='CountDefault']/ows:DefaultValue",
                             namespaces=NS) == "100"


def test_post_xml_get_feature_equals_kvp(served: Served) -> None:
    body = f"""<wfs:GetFeature service="WFS" version="2.0.0" count="50"
      xmlns:wfs="{NS['wfs']}" xmlns:fes="{NS['fes']}" xmlns:mapnode="{NS['m']}">
      <wfs:Query typeNames="mapnode:roads"><fes:Filter><fes:PropertyIsEqualTo>
        <fes:ValueReference>fclass</fes:ValueReference><fes:Literal>primary</fes:Literal>
      </fes:PropertyIsEqualTo></fes:Filter></wfs:Query></wfs:GetFeature>"""
    r = served.client.post("/wfs", content=body.encode(), headers={"content-type": "text/xml"})
    assert r.status_code == 200, r.text
    doc = xml(r)
    got = [_gml_id(m) for m in doc.findall("wfs:member/m:roads", NS)]
    want = [f.fid for f in served.store.features(Actor.system(), "roads")
            if f.properties.get("fclass") == "primary"]
    assert got == want[:50] and doc.get("numberMatched") == str(len(want))
    if len(want) > 50:  # the next link of a POST query is the same query as KVP
        nxt = urlsplit(doc.get("next"))
        page2 = xml(served.client.get(f"{nxt.path}?{nxt.query}"))
        assert [_gml_id(m) for m in page2.findall("wfs:member/m:roads", NS)] == want[50:100]


def test_property_names_select_the_output(served: Served) -> None:
    doc = xml(served.get(**GF20, TYPENAMES="roads", PROPERTYNAME="name", COUNT="20"))
    for m in doc.findall("wfs:member/m:roads", NS):
        assert {etree_local(c) for c in m} <= {"name"}


def etree_local(e) -> str:  # type: ignore[no-untyped-def]
    return e.tag.rsplit("}", 1)[-1]


def test_get_property_value(served: Served) -> None:
    doc = xml(served.get(SERVICE="WFS", VERSION="2.0.0", REQUEST="GetPropertyValue",
                         TYPENAMES="roads", VALUEREFERENCE="name", COUNT="200"))
    got = [m.text for m in doc.findall("wfs:member", NS)]
    page = list(served.store.features(Actor.system(), "roads", limit=200))
    assert got == [f.properties["name"] for f in page if f.properties.get("name") is not None]
    assert doc.get("numberMatched") == str(served.store.count(Actor.system(), "roads"))
    doc = xml(served.get(SERVICE="WFS", VERSION="2.0.0", REQUEST="GetPropertyValue",
                         RESOURCEID=f"roads.{served.renamed}", VALUEREFERENCE="geometry"))
    # a line layer's schema says MultiCurve: a single line is a MultiCurve of one member
    assert doc.find("wfs:member/gml:MultiCurve/gml:curveMember/gml:LineString", NS) is not None


def test_describe_feature_type_follows_the_field_schema(served: Served) -> None:
    doc = xml(served.get(SERVICE="WFS", VERSION="2.0.0", REQUEST="DescribeFeatureType",
                         TYPENAMES="mapnode:roads"))
    assert doc.get("targetNamespace") == NS["m"]
    elements = {e.get("name"): e.get("type") for e in
                doc.findall("xsd:complexType/xsd:complexContent/xsd:extension/xsd:sequence/"
                            "xsd:element", NS)}
    meta = served.store.layer(Actor.system(), "roads")
    assert list(elements) == ["geometry", *meta.fields]
    assert elements["osm_id"] == "xsd:long" and elements["name"] == "xsd:string"
    assert elements["geometry"].startswith("gml:")
    assert doc.find("xsd:import", NS).get("namespace") == NS["gml"]
    doc11 = xml(served.get(SERVICE="WFS", VERSION="1.1.0", REQUEST="DescribeFeatureType",
                           TYPENAME="roads"))
    assert doc11.find("xsd:import", NS).get("namespace") == NS["gml311"]
    assert doc11.find("xsd:element", NS).get("substitutionGroup") == "gml:_Feature"


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0"])
def test_a_line_layer_is_multicurve_in_the_schema_and_the_features(served: Served,
                                                                   version: str) -> None:
    """The schema types the layer for QGIS and GDAL, so it must fit every feature: a line
    layer mixes LineStrings and MultiLineStrings, so it is MultiCurve and a single line is a
    MultiCurve of one member (the schema said LineString and QGIS typed the layer so)."""
    name = "TYPENAMES" if version == "2.0.0" else "TYPENAME"
    schema = xml(served.get(SERVICE="WFS", VERSION=version, REQUEST="DescribeFeatureType",
                            **{name: "mapnode:roads"}))
    geometry = schema.find(".//xsd:element[@name='geometry']", NS)
    assert geometry.get("type") == "gml:MultiCurvePropertyType"
    doc = xml(served.get(SERVICE="WFS", VERSION=version, REQUEST="GetFeature",
                         **{name: "mapnode:roads"}, COUNT="50", MAXFEATURES="50"))
    gml = NS["gml"] if version == "2.0.0" else NS["gml311"]
    tops = [g[0] for g in doc.iter(f"{{{NS['m']}}}geometry")]
    assert len(tops) == 50 and {g.tag for g in tops} == {f"{{{gml}}}MultiCurve"}
    single = [f for f in served.store.features(Actor.system(), "roads", limit=50)
              if f.geometry.geom_type == "LineString"]
    assert single  # the data has single lines, written as one-member MultiCurves


def _post(served: Served, body: str):  # type: ignore[no-untyped-def]
    r = served.client.post("/wfs", content=body.encode(), headers={"content-type": "text/xml"})
    assert r.status_code == 200, r.text
    return xml(r)


def test_post_xml_for_the_other_operations(served: Served) -> None:
    caps = _post(served, f'<GetCapabilities xmlns="{NS["wfs"]}" service="WFS"><AcceptVersions '
                         f'xmlns="http://www.opengis.net/ows/1.1"><Version>1.1.0</Version>'
                         "</AcceptVersions></GetCapabilities>")
    assert caps.get("version") == "1.1.0"
    schema = _post(served, f'<wfs:DescribeFeatureType xmlns:wfs="{NS["wfs"]}" service="WFS" '
                           'version="2.0.0"><wfs:TypeName>mapnode:roads</wfs:TypeName>'
                           "</wfs:DescribeFeatureType>")
    assert schema.find("xsd:element", NS).get("name") == "roads"
    values = _post(served, f'<wfs:GetPropertyValue xmlns:wfs="{NS["wfs"]}" service="WFS" '
                           'version="2.0.0" valueReference="fclass" count="5">'
                           '<wfs:Query typeNames="roads"/></wfs:GetPropertyValue>')
    page = list(served.store.features(Actor.system(), "roads", limit=5))
    assert [m.text for m in values.findall("wfs:member", NS)] == [
        f.properties["fclass"] for f in page]
    by_id = _post(served, f'<wfs:GetFeature xmlns:wfs="{NS["wfs"]}" service="WFS" '
                          'version="2.0.0"><wfs:StoredQuery id="urn:ogc:def:query:OGC-WFS::'
                          f'GetFeatureById"><wfs:Parameter name="ID">roads.{served.renamed}'
                          "</wfs:Parameter></wfs:StoredQuery></wfs:GetFeature>")
    assert _gml_id(by_id) == served.renamed
    form = served.client.post("/wfs", data={"SERVICE": "WFS", "VERSION": "2.0.0",
                                            "REQUEST": "GetFeature", "TYPENAMES": "roads",
                                            "RESULTTYPE": "hits"})
    assert xml(form).get("numberMatched") == str(served.store.count(Actor.system(), "roads"))


def test_spatial_pages_before_the_last_say_number_matched_unknown(served: Served) -> None:
    box = "30.24,120.14,30.26,120.16"
    want = sorted(served.fids(intersects=shapely.box(*BOX)))
    doc = xml(served.get(**GF20, TYPENAMES="roads", BBOX=box, COUNT="100"))
    assert doc.get("numberMatched") == "unknown" and doc.get("next")
    last = xml(served.get(**GF20, TYPENAMES="roads", BBOX=box, COUNT="100",
                          STARTINDEX=str(len(want) - 5)))
    assert last.get("numberMatched") == str(len(want)) and last.get("next") is None
    assert [_gml_id(m) for m in last.findall("wfs:member/m:roads", NS)] == want[-5:]


def test_sortby_orders_pages(served: Served) -> None:
    feats = list(served.store.features(Actor.system(), "roads"))
    named = sorted((f for f in feats if f.properties.get("name")),
                   key=lambda f: (f.properties["name"], int(f.fid)), reverse=True)
    want = [f.fid for f in named] + sorted(
        (f.fid for f in feats if not f.properties.get("name")), key=lambda fid: -int(fid))
    want_osm = sorted(feats, key=lambda f: f.properties["osm_id"], reverse=True)
    assert [f.fid for f in want_osm][:5] == served.features(TYPENAMES="roads", COUNT="5",
                                                            SORTBY="osm_id DESC")
    got = served.features(TYPENAMES="roads", COUNT="300", SORTBY="name DESC,osm_id DESC")
    assert got == want[:300]
    doc = xml(served.get(**GF20, TYPENAMES="roads", COUNT="300", STARTINDEX="300",
                         SORTBY="mapnode:name D,osm_id D"))
    assert [_gml_id(m) for m in doc.findall("wfs:member/m:roads", NS)] == want[300:600]
    assert "SORTBY=" in doc.get("next")
    caps = xml(served.get(SERVICE="WFS", REQUEST="GetCapabilities"))
    assert caps.findtext(".//fes:Constraint[@name='ImplementsSorting']/ows:DefaultValue",
                         namespaces=NS) == "TRUE"


def test_sortby_needs_a_query_within_the_limit(served: Served) -> None:
    settings = Settings(store=served.store.url, wfs_max_features=100)
    with TestClient(create_app(settings, store=served.store)) as client:
        r = client.get("/wfs", params={**GF20, "TYPENAMES": "roads", "SORTBY": "name"})
        assert r.status_code == 400 and exception(r)[:2] == ("InvalidParameterValue", "sortBy")
        r = client.get("/wfs", params={**GF20, "TYPENAMES": "roads", "SORTBY": "osm_id DESC",
                                       "FILTER": '<Filter xmlns="http://www.opengis.net/fes/2.0">'
                                       "<PropertyIsEqualTo><ValueReference>fclass</ValueReference>"
                                       "<Literal>primary</Literal></PropertyIsEqualTo></Filter>"})
        got = [_gml_id(m) for m in xml(r).findall("wfs:member/m:roads", NS)]
        primary = [f for f in served.store.features(Actor.system(), "roads")
                   if f.properties["fclass"] == "primary"]
        assert got == [f.fid for f in sorted(primary, key=lambda f: -f.properties["osm_id"])]


def test_request_time_limit_is_an_exception_report(served: Served) -> None:
    settings = Settings(store=served.store.url, request_timeout=0.001)
    with TestClient(create_app(settings, store=served.store)) as slow:
        r = slow.get("/wfs", params={**GF20, "TYPENAMES": "roads", "COUNT": "1000"})
    assert r.status_code == 503
    assert exception(r)[0] == "OperationProcessingFailed"
    assert "0.001" in r.text
