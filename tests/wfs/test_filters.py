"""FES 2.0 and OGC Filter 1.1 filters on both backends. Expected answers are computed here in
Python from the store's features, not with the filter code under test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.model import Actor, Feature
from mapnode.store.base import metric_distances
from tests.store import hz
from tests.wfs.conftest import NS, Served, exception, xml

FES = f'<fes:Filter xmlns:fes="{NS["fes"]}" xmlns:gml="{NS["gml"]}">{{}}</fes:Filter>'
OGC = f'<ogc:Filter xmlns:ogc="{NS["ogc"]}" xmlns:gml="{NS["gml311"]}">{{}}</ogc:Filter>'


def prop(name: str, value: Any, op: str = "PropertyIsEqualTo", attrs: str = "") -> str:
    return (f"<fes:{op}{attrs}><fes:ValueReference>{name}</fes:ValueReference>"
            f"<fes:Literal>{value}</fes:Literal></fes:{op}>")


def current(served: Served) -> list[Feature]:
    return list(served.store.features(Actor.system(), "roads"))


def expect(served: Served, test: Callable[[Feature], bool]) -> list[str]:
    return sorted(f.fid for f in current(served) if test(f))


def run(served: Served, inner: str, **extra: str) -> list[str]:
    return sorted(served.features(TYPENAMES="roads", FILTER=FES.format(inner), COUNT="5000",
                                  **extra))


def num(f: Feature, name: str) -> float | None:
    v = f.properties.get(name)
    return None if v is None else float(v)


CASES: list[tuple[str, Callable[[Feature], bool]]] = [
    (prop("fclass", "primary"), lambda f: f.properties.get("fclass") == "primary"),
    (prop("fclass", "footway", "PropertyIsNotEqualTo"),
     lambda f: f.properties.get("fclass") not in (None, "footway")),
    (prop("maxspeed", "40", "PropertyIsLessThan"), lambda f: (num(f, "maxspeed") or 0) < 40
     and num(f, "maxspeed") is not None),
    (prop("maxspeed", "40", "PropertyIsGreaterThanOrEqualTo"),
     lambda f: num(f, "maxspeed") is not None and num(f, "maxspeed") >= 40),  # type: ignore[operator]
    (prop("name", "*路", "PropertyIsLike", ' wildCard="*" singleChar="." escapeChar="!"'),
     lambda f: (f.properties.get("name") or "").endswith("路")),
    (prop("name", "北山街.*", "PropertyIsLike", ' wildCard="*" singleChar="." escapeChar="!"'),
     lambda f: (f.properties.get("name") or "").startswith("北山街")
     and len(f.properties["name"]) > 3),
    ("<fes:PropertyIsBetween><fes:ValueReference>maxspeed</fes:ValueReference>"
     "<fes:LowerBoundary><fes:Literal>10</fes:Literal></fes:LowerBoundary>"
     "<fes:UpperBoundary><fes:Literal>60</fes:Literal></fes:UpperBoundary>"
     "</fes:PropertyIsBetween>",
     lambda f: num(f, "maxspeed") is not None and 10 <= num(f, "maxspeed") <= 60),  # type: ignore[operator]
    ("<fes:PropertyIsNull><fes:ValueReference>name</fes:ValueReference></fes:PropertyIsNull>",
     lambda f: f.properties.get("name") is None),
    ("<fes:Or>" + prop("fclass", "primary") + prop("fclass", "secondary") + "</fes:Or>",
     lambda f: f.properties.get("fclass") in ("primary", "secondary")),
    ("<fes:And>" + prop("fclass", "primary") + "<fes:Not>" + prop("bridge", "T") +
     "</fes:Not></fes:And>",
     lambda f: f.properties.get("fclass") == "primary" and f.properties.get("bridge") not in
     (None, "T")),
    (prop("FCLASS", "x").replace("FCLASS", "mapnode:fclass").replace(">x<", ">PRIMARY<")
     .replace("<fes:PropertyIsEqualTo>", '<fes:PropertyIsEqualTo matchCase="false">'),
     lambda f: f.properties.get("fclass") == "primary"),
]


@pytest.mark.parametrize("inner,test", CASES, ids=[str(i) for i in range(len(CASES))])
def test_comparison_and_logical_operators(served: Served, inner: str,
                                          test: Callable[[Feature], bool]) -> None:
    want = expect(served, test)
    assert want, "the case must select something to prove anything"
    assert run(served, inner) == want
    hits = xml(served.get(SERVICE="WFS", VERSION="2.0.0", REQUEST="GetFeature",
                          TYPENAMES="roads", RESULTTYPE="hits", FILTER=FES.format(inner)))
    assert hits.get("numberMatched") == str(len(want))


def _intersecting(served: Served, geom: BaseGeometry) -> list[str]:
    return expect(served, lambda f: f.geometry is not None and f.geometry.intersects(geom))


def test_bbox_operator_with_a_lat_lon_envelope(served: Served) -> None:
    env = ('<fes:BBOX><fes:ValueReference>geometry</fes:ValueReference>'
           '<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4490"><gml:lowerCorner>30.24 120.14'
           '</gml:lowerCorner><gml:upperCorner>30.26 120.16</gml:upperCorner></gml:Envelope>'
           '</fes:BBOX>')
    want = _intersecting(served, shapely.box(120.14, 30.24, 120.16, 30.26))
    assert len(want) > 100 and run(served, env) == want
    both = "<fes:And>" + env + prop("fclass", "primary") + "</fes:And>"
    assert run(served, both) == sorted(set(want) & set(expect(
        served, lambda f: f.properties.get("fclass") == "primary")))


def test_intersects_with_the_west_lake_polygon(served: Served) -> None:
    lake = hz.west_lake()
    shell = max(lake.geoms, key=lambda g: g.area) if lake.geom_type == "MultiPolygon" else lake
    pos = " ".join(f"{y} {x}" for x, y in shell.exterior.coords)  # lat/lon for EPSG:4490
    inner = ('<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference>'
             f'<gml:Polygon gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4490"><gml:exterior>'
             f'<gml:LinearRing><gml:posList>{pos}</gml:posList></gml:LinearRing></gml:exterior>'
             '</gml:Polygon></fes:Intersects>')
    want = _intersecting(served, shapely.Polygon(shell.exterior))
    assert want and run(served, inner) == want


def test_dwithin_in_metres(served: Served) -> None:
    lon, lat = 120.1517, 30.2587  # 断桥残雪
    inner = ('<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference>'
             f'<gml:Point gml:id="p" srsName="urn:ogc:def:crs:EPSG::4490"><gml:pos>{lat} {lon}'
             '</gml:pos></gml:Point><fes:Distance uom="m">300</fes:Distance></fes:DWithin>')
    got = set(run(served, inner))
    feats = current(served)
    dist = dict(zip([f.fid for f in feats], metric_distances(lon, lat, [f.geometry for f in feats]),
                    strict=True))
    assert {fid for fid, d in dist.items() if d <= 299.0} <= got
    assert all(dist[fid] <= 301.0 for fid in got) and len(got) > 5
    km = inner.replace('uom="m">300', 'uom="km">0.3')
    assert set(run(served, km)) == got


def test_resource_id_filter(served: Served) -> None:
    inner = f'<fes:ResourceId rid="roads.{served.renamed}"/><fes:ResourceId rid="roads.x"/>'
    assert run(served, inner) == [served.renamed]


def test_filter_1_1_with_property_names_and_gml_3_1_1(served: Served) -> None:
    inner = ('<ogc:And><ogc:PropertyIsEqualTo><ogc:PropertyName>fclass</ogc:PropertyName>'
             '<ogc:Literal>primary</ogc:Literal></ogc:PropertyIsEqualTo>'
             '<ogc:BBOX><ogc:PropertyName>geometry</ogc:PropertyName>'
             '<gml:Envelope srsName="EPSG:4326"><gml:lowerCorner>120.14 30.24</gml:lowerCorner>'
             '<gml:upperCorner>120.16 30.26</gml:upperCorner></gml:Envelope></ogc:BBOX></ogc:And>')
    doc = xml(served.get(SERVICE="WFS", VERSION="1.1.0", REQUEST="GetFeature", TYPENAME="roads",
                         FILTER=OGC.format(inner), MAXFEATURES="5000"))
    got = sorted(m.get(f"{{{NS['gml311']}}}id").split(".", 1)[1]
                 for m in doc.findall("gml311:featureMember/m:roads", NS))
    box = shapely.box(120.14, 30.24, 120.16, 30.26)
    want = expect(served, lambda f: f.properties.get("fclass") == "primary"
                  and f.geometry.intersects(box))
    assert want and got == want
    fid_filter = OGC.format(f'<ogc:GmlObjectId gml:id="roads.{served.renamed}"/>')
    doc = xml(served.get(SERVICE="WFS", VERSION="1.1.0", REQUEST="GetFeature", TYPENAME="roads",
                         FILTER=fid_filter))
    assert doc.get("numberOfFeatures") == "1"


@pytest.mark.parametrize("inner,word", [
    ("<fes:Or>" + prop("fclass", "primary") + "<fes:BBOX><gml:Envelope><gml:lowerCorner>30 120"
     "</gml:lowerCorner><gml:upperCorner>31 121</gml:upperCorner></gml:Envelope></fes:BBOX>"
     "</fes:Or>", "AND"),
    ("<fes:After><fes:ValueReference>name</fes:ValueReference></fes:After>", "TIME"),
    ("<fes:Within><fes:ValueReference>geometry</fes:ValueReference></fes:Within>", "Within"),
    (prop("maxspeed", "fast", "PropertyIsLessThan"), "maxspeed"),
    (prop("name", "a%b*", "PropertyIsLike", ' wildCard="*" singleChar="." escapeChar="!"'),
     "%"),
    ("<fes:Not>" * 100 + prop("fclass", "x") + "</fes:Not>" * 100, "deep"),
    ("<fes:DWithin><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>30 120"
     "</gml:pos></gml:Point><fes:Distance uom=\"deg\">1</fes:Distance></fes:DWithin>", "deg"),
    ("<fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Point><gml:pos>"
     "NaN 120</gml:pos></gml:Point></fes:Intersects>", "GML"),
])
def test_unsupported_or_invalid_filters_are_400(served: Served, inner: str, word: str) -> None:
    r = served.get(400, SERVICE="WFS", VERSION="2.0.0", REQUEST="GetFeature", TYPENAMES="roads",
                   FILTER=FES.format(inner))
    code, locator, text = exception(r)
    assert code == "InvalidParameterValue" and locator == "filter"
    assert word.lower() in text.lower()
