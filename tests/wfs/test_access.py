"""A public caller never sees the government layer anywhere in WFS; a government key does."""

from __future__ import annotations

from mapnode.model import Actor
from tests.wfs.conftest import GOV_KEY, NS, Served, exception, xml

OPS = {"SERVICE": "WFS", "VERSION": "2.0.0"}


def _names(doc, tag: str = "wfs:FeatureType/wfs:Name") -> list[str]:  # type: ignore[no-untyped-def]
    return [e.text for e in doc.findall(f"wfs:FeatureTypeList/{tag}", NS)]


def test_capabilities_per_edition(served: Served) -> None:
    for version, ns in (("2.0.0", "wfs"), ("1.1.0", "wfs11")):
        public = served.get(SERVICE="WFS", REQUEST="GetCapabilities", ACCEPTVERSIONS=version)
        assert "amenities" not in public.text
        names = [e.text for e in xml(public).findall(
            f"{ns}:FeatureTypeList/{ns}:FeatureType/{ns}:Name", NS)]
        assert names == ["mapnode:roads"]
        gov = served.get(SERVICE="WFS", REQUEST="GetCapabilities", ACCEPTVERSIONS=version,
                         tk=GOV_KEY)
        assert [e.text for e in xml(gov).findall(
            f"{ns}:FeatureTypeList/{ns}:FeatureType/{ns}:Name", NS)] == [
            "mapnode:amenities", "mapnode:roads"]
        assert f"tk={GOV_KEY}" in gov.text  # operation URLs keep the caller's key


def test_capabilities_describe_each_layer(served: Served) -> None:
    doc = xml(served.get(SERVICE="WFS", REQUEST="GetCapabilities"))
    ft = doc.find("wfs:FeatureTypeList/wfs:FeatureType", NS)
    assert ft.findtext("wfs:Title", namespaces=NS) == "测试 roads"
    assert ft.findtext("wfs:DefaultCRS", namespaces=NS) == "urn:ogc:def:crs:EPSG::4490"
    others = [e.text for e in ft.findall("wfs:OtherCRS", NS)]
    assert {f"urn:ogc:def:crs:EPSG::{c}" for c in (4326, 3857, 4547, 4548, 4549)} == set(others)
    lower = [float(v) for v in ft.findtext("ows:WGS84BoundingBox/ows:LowerCorner",
                                           namespaces=NS).split()]
    upper = [float(v) for v in ft.findtext("ows:WGS84BoundingBox/ows:UpperCorner",
                                           namespaces=NS).split()]
    bbox, _ = served.store.extent(Actor.system(), "roads")
    assert lower + upper == list(bbox)
    spatial = [e.get("name") for e in doc.findall(".//fes:SpatialOperator", NS)]
    assert spatial == ["BBOX", "Intersects", "DWithin"]


def test_public_callers_get_no_government_data(served: Served) -> None:
    fid = next(iter(served.store.features(Actor.system(), "amenities"))).fid
    requests = [
        {**OPS, "REQUEST": "GetFeature", "TYPENAMES": "amenities"},
        {**OPS, "REQUEST": "GetFeature", "TYPENAMES": "mapnode:amenities", "RESULTTYPE": "hits"},
        {**OPS, "REQUEST": "GetFeature", "RESOURCEID": f"amenities.{fid}"},
        {**OPS, "REQUEST": "GetFeature", "STOREDQUERY_ID":
         "urn:ogc:def:query:OGC-WFS::GetFeatureById", "ID": f"amenities.{fid}"},
        {**OPS, "REQUEST": "GetPropertyValue", "TYPENAMES": "amenities",
         "VALUEREFERENCE": "name"},
        {**OPS, "REQUEST": "DescribeFeatureType", "TYPENAMES": "amenities"},
        {"SERVICE": "WFS", "VERSION": "1.1.0", "REQUEST": "GetFeature", "TYPENAME": "amenities"},
    ]
    unknown = exception(served.get(400, **OPS, REQUEST="GetFeature", TYPENAMES="nosuch"))
    for params in requests:
        r = served.client.get("/wfs", params=params)
        assert r.status_code == 400, params
        code, locator, text = exception(r)
        assert (code, locator) == unknown[:2]  # exactly as for a layer that does not exist
        assert text.startswith("要素类型不存在") and "<gml:" not in r.text
    describe_all = served.get(**OPS, REQUEST="DescribeFeatureType")
    assert "amenities" not in describe_all.text
    listed = served.get(**OPS, REQUEST="ListStoredQueries")
    assert "amenities" not in listed.text and "mapnode:roads" in listed.text


def test_a_government_key_reads_the_government_layer(served: Served) -> None:
    doc = xml(served.get(**OPS, REQUEST="GetFeature", TYPENAMES="amenities", tk=GOV_KEY,
                         RESULTTYPE="hits"))
    assert doc.get("numberMatched") == str(served.store.count(Actor.system(), "amenities"))
    assert "tk=gov-key" in doc.get("next", "tk=gov-key")
    doc = xml(served.get(**OPS, REQUEST="GetFeature", TYPENAMES="amenities", tk=GOV_KEY,
                         COUNT="10"))
    assert len(doc.findall("wfs:member/m:amenities", NS)) == 10
    assert "tk=gov-key" in doc.get("next")
