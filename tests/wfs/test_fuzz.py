"""Random requests built from valid and broken parameter values (fixed seed): every answer is
a 200 or an ows:ExceptionReport with a 4xx, never a 5xx, on both backends."""

from __future__ import annotations

import random

from lxml import etree

from tests.wfs.conftest import NS, Served

FILTER = ('<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" '
          'xmlns:gml="http://www.opengis.net/gml/3.2"><fes:And><fes:PropertyIsLike wildCard="*" '
          'singleChar="." escapeChar="!"><fes:ValueReference>name</fes:ValueReference>'
          '<fes:Literal>西*</fes:Literal></fes:PropertyIsLike><fes:BBOX><gml:Envelope '
          'srsName="urn:ogc:def:crs:EPSG::4490"><gml:lowerCorner>30.2 120.1</gml:lowerCorner>'
          '<gml:upperCorner>30.3 120.2</gml:upperCorner></gml:Envelope></fes:BBOX></fes:And>'
          '</fes:Filter>')
VALUES: dict[str, list[str]] = {
    "REQUEST": ["GetFeature", "GetFeature", "GetPropertyValue", "DescribeFeatureType",
                "GetCapabilities", "ListStoredQueries", "getfeature", "Transaction", "", "%00"],
    "VERSION": ["2.0.0", "1.1.0", "2.0.2", "1.0.0", "", "2"],
    "TYPENAMES": ["roads", "mapnode:roads", "amenities", "x:roads", "roads,roads", "", "道路",
                  "roads/../amenities", "(roads)"],
    "BBOX": ["30.2,120.1,30.3,120.2", "120.1,30.2,120.2,30.3,CRS:84", "1,2,3", "NaN,1,2,3",
             "30.3,120.2,30.2,120.1", "1e308,1e308,1e308,1e308,EPSG:3857",
             "3340000,500000,3360000,520000,urn:ogc:def:crs:EPSG::4547", ",,,"],
    "SRSNAME": ["EPSG:4326", "urn:ogc:def:crs:EPSG::3857", "EPSG:4549", "EPSG:0", "CRS:84", "x"],
    "COUNT": ["1", "10", "0", "-5", "1e3", "100000", "99999999999999999999"],
    "STARTINDEX": ["0", "5", "2300", "100000", "-1", "x"],
    "RESULTTYPE": ["results", "hits", "HITS", "none"],
    "OUTPUTFORMAT": ["application/json", "text/xml; subtype=gml/3.1.1", "gml32", "text/html"],
    "SORTBY": ["name", "osm_id DESC", "name ASC,osm_id D", "geometry", "x y z", "name SIDEWAYS"],
    "PROPERTYNAME": ["name", "*", "(name,fclass)", "geometry", "nope", "name/text()"],
    "VALUEREFERENCE": ["name", "geometry", "osm_id", "@gml:id", "nope", ""],
    "RESOURCEID": ["roads.108923350", "amenities.1", "roads.", ".", "roads.x,roads.y"],
    "TIME": ["2020-01-01", "2030-01-01T00:00:00Z", "now", "2020-01-01/2021-01-01"],
    "FILTER": [FILTER, FILTER[:len(FILTER) // 2], FILTER.replace("name", "exec(x)"),
               FILTER.replace("fes:And", "fes:Or"), FILTER.replace("BBOX", "Beyond"),
               FILTER.replace("30.2 120.1", "x y"), "<Filter/>", "<<<"],
}


def test_random_requests_never_answer_5xx(served: Served) -> None:
    rng = random.Random(20261121)
    statuses: dict[int, int] = {}
    for _ in range(300):
        params = {"SERVICE": "WFS"}
        for name in rng.sample(sorted(VALUES), rng.randint(1, 7)):
            params[name] = rng.choice(VALUES[name])
        params.setdefault("REQUEST", "GetFeature")
        r = served.client.get("/wfs", params=params)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (params, r.text[:500])
        if r.status_code >= 400:
            doc = etree.fromstring(r.content)
            assert doc.tag in (f"{{{NS['ows']}}}ExceptionReport",
                               f"{{{NS['ows10']}}}ExceptionReport"), (params, r.text[:300])
    assert statuses.get(200, 0) > 20 and statuses.get(400, 0) > 100, statuses
