"""The shared OGC XML pieces: exception reports that clients parse, a parser that refuses bombs."""

from __future__ import annotations

import pytest
from lxml import etree

from mapnode.errors import NotFound
from mapnode.http.ogc_xml import (
    OgcError,
    ows_exception_report,
    parse_xml,
    service_exception_report,
    wms_exception_response,
)

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<GetFeature>&lol3;</GetFeature>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""


def test_wms_130_report_is_namespaced_and_names_code_and_locator() -> None:
    err = OgcError("InvalidCRS", "坐标参照系不支持", "CRS not supported", locator="CRS")
    root = etree.fromstring(service_exception_report([err], "1.3.0"))
    assert root.tag == "{http://www.opengis.net/ogc}ServiceExceptionReport"
    (item,) = root
    assert item.get("code") == "InvalidCRS" and item.get("locator") == "CRS"
    assert item.text.startswith("坐标参照系不支持 / CRS not supported")


def test_wms_111_report_has_dtd_and_se_xml_type() -> None:
    err = OgcError("InvalidSRS", "坐标参照系不支持", "SRS not supported")
    resp = wms_exception_response(err, "1.1.1")
    assert resp.status_code == 400 and resp.media_type == "application/vnd.ogc.se_xml"
    assert b"exception_1_1_1.dtd" in resp.body
    root = etree.fromstring(resp.body, etree.XMLParser(load_dtd=False, no_network=True))
    assert root.tag == "ServiceExceptionReport" and root[0].get("code") == "InvalidSRS"


def test_ows_report_and_domain_error_mapping() -> None:
    err = OgcError.from_domain(NotFound("图层不存在", "layer not found",
                                        {"parameter": "typeNames", "layer": "x<y"}))
    assert err.status == 400 and err.code == "InvalidParameterValue"
    root = etree.fromstring(ows_exception_report([err]))
    exc = root[0]
    assert exc.get("locator") == "typeNames" and exc.get("exceptionCode") == err.code
    assert "layer=x<y" in exc[0].text
    assert OgcError("OperationNotSupported", "不支持", "unsupported").status == 501


@pytest.mark.parametrize("body", [BOMB, XXE, b"<a><b></a>", b"x" * 100])
def test_parser_refuses_bombs_xxe_and_garbage(body: bytes) -> None:
    with pytest.raises(OgcError) as info:
        parse_xml(body)
    assert info.value.code == "OperationParsingFailed" and info.value.status == 400


def test_parser_reads_plain_xml_and_caps_size() -> None:
    root = parse_xml(b'<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"/>')
    assert root.tag == "{http://www.opengis.net/fes/2.0}Filter"
    with pytest.raises(OgcError):
        parse_xml(b"<a>" + b" " * 200 + b"</a>", max_bytes=100)


def test_reports_stay_well_formed_whatever_the_caller_sent() -> None:
    err = OgcError("InvalidParameterValue", "参数无效", "invalid", locator="BB\x00OX",
                   extra={"value": "a\x00b\x1f" + "x" * 1000})
    for body in (service_exception_report([err]), service_exception_report([err], "1.1.1"),
                 ows_exception_report([err])):
        root = etree.fromstring(body, etree.XMLParser(load_dtd=False, no_network=True))
        text = "".join(root.itertext())
        assert "a\ufffdb\ufffd" in text and len(text) < 500
