"""OGC XML service plumbing shared by WMS, WFS and WMTS: exception reports and a safe parser.

How to use it (WFS, WMTS, WMS):

- Raise `OgcError(code, message_zh, message_en, locator=…, status=400)` from request parsing
  or service code. `code` is the OGC exception code (`InvalidParameterValue`,
  `MissingParameterValue`, `OperationNotSupported`, `LayerNotDefined`, `InvalidCRS`, …);
  `locator` names the offending parameter. `status` defaults to the OWS Common 1.1 table
  (`OWS_STATUS`: 400 for bad values, 501 for unsupported operations/options).
- Catch it in the route (or a small wrapper) and answer:
  * WMS: `wms_exception_response(err, version)` → `ServiceExceptionReport`
    (1.3.0: `text/xml`, namespace `http://www.opengis.net/ogc`;
    1.1.1: `application/vnd.ogc.se_xml` with the 1.1.1 DTD reference);
  * WFS 2.0 / WMTS 1.0 (OWS 1.1): `ows_exception_response(err, version="2.0.0")`;
    WFS 1.1.0 (OWS 1.0): `ows_exception_response(err, version="1.1.0", ows="1.0.0")`.
- Domain errors (`mapnode.errors.MapnodeError`) become OGC errors with
  `OgcError.from_domain(exc, code=…, locator=…)`; the context keys `ogc_code` and
  `parameter` give code and locator when not passed; `NotFound` keeps the message and
  answers 400 unless a status is given (WMS clients expect 400/200, never 404).
- Parse request bodies (WFS POST, FES filters) with `parse_xml(body)`: lxml with entity
  resolution, DTD loading and network access off, any DOCTYPE refused (so entity bombs and
  XXE never expand), a size cap; every failure is an `OgcError("OperationParsingFailed")`.

Messages are Chinese first, English second ("图层不存在 / layer not found").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from starlette.responses import Response

from mapnode.errors import MapnodeError, NotFound

OGC_NS = "http://www.opengis.net/ogc"
OWS_NS = {"1.1.0": "http://www.opengis.net/ows/1.1", "1.0.0": "http://www.opengis.net/ows"}
WMS_111_DTD = "http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd"
WMS_130_XSD = "http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd"
SE_XML_111 = "application/vnd.ogc.se_xml"
MAX_XML_BYTES = 10 * 1024 * 1024
MAX_ECHO = 300  # characters of a caller's value repeated in a report
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str, limit: int | None = None) -> str:
    """`text` without the characters XML 1.0 cannot carry (NUL, most controls), cut to
    `limit` characters; escape it as usual afterwards."""
    text = _NOT_XML.sub("\ufffd", text)
    return text if limit is None or len(text) <= limit else text[:limit] + "…"

# OWS Common 1.1 (OGC 06-121r3, table 28) and WFS 2.0 (09-025r2, table 3) status codes.
OWS_STATUS = {
    "OperationNotSupported": 501, "OptionNotSupported": 501, "MissingParameterValue": 400,
    "InvalidParameterValue": 400, "VersionNegotiationFailed": 400,
    "InvalidUpdateSequence": 400, "OperationParsingFailed": 400,
    "CannotLockAllFeatures": 400, "DuplicateStoredQueryIdValue": 400,
    "DuplicateStoredQueryParameterName": 400, "FeaturesNotLocked": 400,
    "InvalidLockId": 400, "InvalidValue": 400, "LockHasExpired": 403,
    "OperationProcessingFailed": 400, "ResponseCacheExpired": 403,
    "NoApplicableCode": 400, "TileOutOfRange": 400,
}


@dataclass
class OgcError(Exception):
    """An error to answer in an OGC XML exception report."""

    code: str
    message_zh: str
    message_en: str = ""
    locator: str | None = None
    status: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.text)
        if self.status is None:
            self.status = OWS_STATUS.get(self.code, 400)

    @property
    def text(self) -> str:
        """Chinese first, English second, then any detail."""
        text = self.message_zh + (f" / {self.message_en}" if self.message_en else "")
        if self.extra:
            text += " (" + ", ".join(f"{k}={xml_safe(v, MAX_ECHO)}"
                                     for k, v in self.extra.items()) + ")"
        return xml_safe(text)

    @classmethod
    def from_domain(cls, exc: MapnodeError, *, code: str | None = None,
                    locator: str | None = None, status: int | None = None) -> OgcError:
        """Wrap a domain error; `parameter` in its context becomes the locator and
        `ogc_code` the code (so domain code can name an OGC code without importing this)."""
        context = {k: str(v) for k, v in exc.context.items()}
        code = code or context.pop("ogc_code", None)
        if code is None:
            code = "InvalidParameterValue" if isinstance(exc, NotFound) else "NoApplicableCode"
        context.pop("ogc_code", None)
        locator = locator or context.pop("parameter", None)
        return cls(code, exc.message_zh, exc.message_en, locator, status, context)


def service_exception_report(errors: list[OgcError], version: str = "1.3.0") -> bytes:
    """WMS `ServiceExceptionReport` (1.3.0 by default; 1.1.1 and older without namespace)."""
    items = "".join(
        f"<ServiceException code={quoteattr(e.code)}"
        + (f" locator={quoteattr(xml_safe(e.locator, MAX_ECHO))}" if e.locator else "")
        + f">{escape(e.text)}</ServiceException>" for e in errors)
    if version.startswith("1.3"):
        head = ('<ServiceExceptionReport version="1.3.0" xmlns="http://www.opengis.net/ogc" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="{OGC_NS} {WMS_130_XSD}">')
        doctype = ""
    else:
        head = f'<ServiceExceptionReport version="{escape(version)}">'
        doctype = f'<!DOCTYPE ServiceExceptionReport SYSTEM "{WMS_111_DTD}">'
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
            f"{head}{items}</ServiceExceptionReport>").encode()


def wms_exception_response(error: OgcError, version: str = "1.3.0") -> Response:
    """The HTTP answer for a WMS error (status from the error, 400 by default)."""
    media = "text/xml" if version.startswith("1.3") else SE_XML_111
    return Response(service_exception_report([error], version), status_code=error.status or 400,
                    media_type=media)


def ows_exception_report(errors: list[OgcError], version: str = "2.0.0",
                         ows: str = "1.1.0") -> bytes:
    """OWS Common `ows:ExceptionReport` (OWS 1.1 for WFS 2.0/WMTS; "1.0.0" for WFS 1.1)."""
    items = "".join(
        f"<ows:Exception exceptionCode={quoteattr(e.code)}"
        + (f" locator={quoteattr(xml_safe(e.locator, MAX_ECHO))}" if e.locator else "")
        + f"><ows:ExceptionText>{escape(e.text)}</ows:ExceptionText></ows:Exception>"
        for e in errors)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<ows:ExceptionReport xmlns:ows="{OWS_NS[ows]}" version={quoteattr(version)} '
            f'xml:lang="zh-CN">{items}</ows:ExceptionReport>').encode()


def ows_exception_response(error: OgcError, version: str = "2.0.0",
                           ows: str = "1.1.0") -> Response:
    """The HTTP answer for an OWS error (`application/xml`)."""
    return Response(ows_exception_report([error], version, ows), status_code=error.status or 400,
                    media_type="application/xml")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          dtd_validation=False, huge_tree=False, remove_comments=True,
                          remove_pis=True)


def parse_xml(body: bytes | str, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse an XML request body safely; any DOCTYPE (entity bombs, XXE) is refused."""
    data = body.encode() if isinstance(body, str) else body
    if len(data) > max_bytes:
        raise OgcError("OperationParsingFailed", "XML 请求过大", "XML request too large",
                       extra={"max_bytes": str(max_bytes)})
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise OgcError("OperationParsingFailed", "XML 请求不得含 DOCTYPE 或实体声明",
                       "XML request must not contain a DOCTYPE or entity declarations")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise OgcError("OperationParsingFailed", "XML 请求无法解析", "XML request is malformed",
                       extra={"reason": str(exc)[:200]}) from None
    if root.getroottree().docinfo.doctype:
        raise OgcError("OperationParsingFailed", "XML 请求不得含 DOCTYPE",
                       "XML request must not contain a DOCTYPE")
    return root
