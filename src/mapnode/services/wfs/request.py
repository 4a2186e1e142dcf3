"""WFS requests, KVP (GET) and XML (POST), parsed into one `WfsRequest`.

KVP parameter names are case-insensitive. Versions: 2.0.0 (2.0.2 is answered as 2.0.0) and
1.1.0; GetCapabilities negotiates with AcceptVersions, other operations default to 2.0.0
when VERSION is missing. XML is parsed with defusedxml: DTDs are refused outright, so entity
expansion and external entities never happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from xml.etree.ElementTree import Element, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from mapnode.services.wfs.errors import WfsError, invalid, missing
from mapnode.services.wfs.gml_in import children, local

OPERATIONS = ("GetCapabilities", "DescribeFeatureType", "GetFeature", "GetPropertyValue",
              "ListStoredQueries", "DescribeStoredQueries")
GET_BY_ID = "urn:ogc:def:query:OGC-WFS::GetFeatureById"
VERSIONS = {"2.0.0": "2.0.0", "2.0.2": "2.0.0", "2.0": "2.0.0", "1.1.0": "1.1.0", "1.1": "1.1.0"}
MAX_INDEX = 2**62


@dataclass
class WfsRequest:
    """One WFS request, whatever its encoding."""

    operation: str
    version: str = "2.0.0"
    type_names: list[str] = field(default_factory=list)
    output_format: str | None = None
    srs_name: str | None = None
    bbox: list[str] | None = None  # 4 numbers and an optional CRS, as text
    filter: Element | None = None
    filter_text: str | None = None  # the filter as XML text (for next/previous links)
    resource_ids: list[str] | None = None
    count: int | None = None
    start_index: int = 0
    result_type: str = "results"
    value_reference: str | None = None
    property_names: list[str] | None = None
    sort_by: str | None = None
    time: str | None = None
    stored_query: str | None = None
    accept_versions: list[str] | None = None


# ---------------------------------------------------------------------- KVP
def parse_kvp(pairs: list[tuple[str, str]]) -> WfsRequest:
    """GET parameters (in order, names in any case) as a request."""
    params: dict[str, str] = {}
    for key, value in pairs:
        name = key.upper()
        if "\x00" in key or "\x00" in value:
            raise invalid(name.replace("\x00", ""), "参数含有 NUL 字符", "parameter contains NUL")
        if name in params and params[name] != value:
            raise invalid(name, f"参数 {name} 出现多次", f"parameter {name} given more than once")
        params[name] = value
    service = params.get("SERVICE")
    operation = params.get("REQUEST")
    if not operation:
        raise missing("request")
    operation = _operation(operation)
    if not service and operation != "GetCapabilities":
        raise missing("service")
    if service and service.upper() != "WFS":
        raise invalid("service", f"服务应为 WFS，而不是 {service[:40]}",
                      f"service must be WFS, not {service[:40]}")
    req = WfsRequest(operation)
    if operation == "GetCapabilities":
        versions = params.get("ACCEPTVERSIONS") or params.get("VERSION")
        req.accept_versions = [v.strip() for v in versions.split(",")] if versions else None
        req.version = negotiate(req.accept_versions)
        return req
    req.version = version_of(params.get("VERSION"))
    names = params.get("TYPENAMES") or params.get("TYPENAME")
    if names:
        if "(" in names:
            raise WfsError("OperationNotSupported", "typeNames", "不支持联接查询",
                           "joins are not supported")
        req.type_names = [n.strip() for n in names.split(",") if n.strip()]
    req.output_format = params.get("OUTPUTFORMAT")
    req.srs_name = params.get("SRSNAME") or None
    if params.get("BBOX"):
        req.bbox = [v.strip() for v in params["BBOX"].split(",")]
    if params.get("FILTER"):
        lang = params.get("FILTER_LANGUAGE", "")
        if lang and "filter" not in lang.lower() and "fes" not in lang.lower():
            raise invalid("filter_language", "不支持的过滤语言（支持 FES 2.0 与 OGC Filter 1.1）",
                          "unsupported filter language (FES 2.0, OGC Filter 1.1)")
        req.filter_text = params["FILTER"].strip()
        if req.filter_text.startswith("(") and req.filter_text.endswith(")"):
            req.filter_text = req.filter_text[1:-1]
        req.filter = parse_xml(req.filter_text.encode(), "filter")
    ids = params.get("RESOURCEID") or params.get("FEATUREID")
    if ids:
        req.resource_ids = [i.strip() for i in ids.split(",") if i.strip()]
    req.count = _int(params, "COUNT", 1) if "COUNT" in params else _int(params, "MAXFEATURES", 1)
    req.start_index = _int(params, "STARTINDEX", 0) or 0
    req.result_type = _result_type(params.get("RESULTTYPE"))
    req.value_reference = params.get("VALUEREFERENCE")
    if params.get("PROPERTYNAME"):
        req.property_names = [p.strip() for p in params["PROPERTYNAME"].strip("()").split(",")
                              if p.strip()]
    req.sort_by = params.get("SORTBY") or None
    req.time = params.get("TIME") or params.get("DATETIME") or None
    req.stored_query = params.get("STOREDQUERY_ID") or params.get("STOREDQUERYID")
    if req.stored_query:
        _stored_query(req, params.get("ID"))
    exclusive = [n for n in ("BBOX", "FILTER", "RESOURCEID") if n in params
                 or (n == "RESOURCEID" and "FEATUREID" in params)]
    if len(exclusive) > 1:
        raise invalid(exclusive[1].lower(), f"{exclusive[0]} 与 {exclusive[1]} 不能同时使用",
                      f"{exclusive[0]} and {exclusive[1]} are mutually exclusive")
    return req


def _stored_query(req: WfsRequest, ident: str | None) -> None:
    if req.stored_query != GET_BY_ID:
        raise invalid("storedQuery_Id", f"存储查询不存在：{(req.stored_query or '')[:100]}",
                      f"unknown stored query: {(req.stored_query or '')[:100]}")
    if not ident:
        raise missing("id")
    req.resource_ids = [ident.strip()]


def _operation(text: str) -> str:
    for op in OPERATIONS:
        if op.lower() == text.strip().lower():
            return op
    raise WfsError("OperationNotSupported", "request", f"不支持的操作：{text[:60]}",
                   f"operation not supported: {text[:60]}")


def negotiate(accepted: list[str] | None) -> str:
    if not accepted:
        return "2.0.0"
    for v in accepted:
        if v in VERSIONS:
            return VERSIONS[v]
    raise WfsError("VersionNegotiationFailed", "acceptVersions",
                   "没有可用的版本（支持 2.0.0、1.1.0）", "no supported version (2.0.0, 1.1.0)")


def version_of(text: str | None) -> str:
    if text is None or not text.strip():
        return "2.0.0"
    version = VERSIONS.get(text.strip())
    if version is None:
        raise invalid("version", f"不支持的版本 {text[:20]}（支持 2.0.0、1.1.0）",
                      f"unsupported version {text[:20]} (2.0.0, 1.1.0)")
    return version


def _int(params: dict[str, str], name: str, lo: int) -> int | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise invalid(name.lower(), f"{name} 必须是整数", f"{name} must be an integer") from None
    if value < lo or value > MAX_INDEX:
        raise invalid(name.lower(), f"{name} 超出范围", f"{name} out of range")
    return value


def _result_type(text: str | None) -> str:
    value = (text or "results").strip().lower()
    if value not in ("results", "hits"):
        raise invalid("resultType", "resultType 应为 results 或 hits",
                      "resultType must be results or hits")
    return value


def bbox_values(parts: list[str]) -> tuple[list[float], str | None]:
    """BBOX `minx,miny,maxx,maxy[,crs]` as four finite numbers and the CRS (or None)."""
    crs = None
    if len(parts) in (5, 7) and not _is_number(parts[-1]):
        crs = parts[-1]
        parts = parts[:-1]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise invalid("bbox", "BBOX 必须是逗号分隔的数值", "BBOX must be comma-separated "
                      "numbers") from None
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise invalid("bbox", "BBOX 需要 4 个数值（可再加坐标系）", "BBOX needs 4 numbers "
                      "(and an optional CRS)")
    if not all(math.isfinite(v) for v in values):
        raise invalid("bbox", "BBOX 数值无效", "BBOX values must be finite")
    return values, crs


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------- XML
def parse_xml(body: bytes, locator: str) -> Element:
    """XML with defusedxml: no DTD (so no entity expansion, no external entities)."""
    try:
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise WfsError("OperationParsingFailed", locator, "XML 不能含有 DTD 或实体声明",
                       "XML with a DTD or entity declarations is refused") from None
    except (ParseError, ValueError, UnicodeError):
        raise WfsError("OperationParsingFailed", locator, "XML 格式错误",
                       "malformed XML") from None


def parse_post(body: bytes) -> WfsRequest:
    """A POST body (GetCapabilities, DescribeFeatureType, GetFeature, GetPropertyValue, …)."""
    root = parse_xml(body, "request")
    operation = _operation(local(root.tag))
    service = root.get("service")
    if service is not None and service.upper() != "WFS":
        raise invalid("service", "服务应为 WFS", "service must be WFS")
    req = WfsRequest(operation)
    if operation == "GetCapabilities":
        versions = [v.text.strip() for v in root.iter() if local(v.tag) == "Version" and v.text]
        req.accept_versions = versions or None
        req.version = negotiate(req.accept_versions)
        return req
    req.version = version_of(root.get("version"))
    if operation == "DescribeFeatureType":
        req.type_names = [(t.text or "").strip() for t in children(root)
                          if local(t.tag) == "TypeName"]
        req.output_format = root.get("outputFormat")
        return req
    req.output_format = root.get("outputFormat")
    count = root.get("count") or root.get("maxFeatures")
    if count is not None:
        req.count = _int({"COUNT": count}, "COUNT", 1)
    req.start_index = _int({"STARTINDEX": root.get("startIndex", "0")}, "STARTINDEX", 0) or 0
    req.result_type = _result_type(root.get("resultType"))
    req.value_reference = root.get("valueReference")
    req.time = root.get("time")
    queries = [q for q in children(root) if local(q.tag) in ("Query", "StoredQuery")]
    if len(queries) != 1:
        raise WfsError("OperationNotSupported", "Query", "每个请求只支持一个 Query",
                       "exactly one Query per request is supported")
    _query(req, queries[0])
    return req


def _query(req: WfsRequest, q: Element) -> None:
    if local(q.tag) == "StoredQuery":
        req.stored_query = q.get("id")
        params = {p.get("name", "").upper(): (p.text or "").strip() for p in children(q)
                  if local(p.tag) == "Parameter"}
        _stored_query(req, params.get("ID"))
        return
    names = q.get("typeNames") or q.get("typeName") or ""
    req.type_names = [n for n in names.split() if n]
    req.srs_name = q.get("srsName")
    props: list[str] = []
    for c in children(q):
        name = local(c.tag)
        if name == "Filter":
            req.filter = c
            req.filter_text = tostring(c, encoding="unicode")
        elif name in ("PropertyName", "ValueReference"):
            props.append((c.text or "").strip())
        elif name == "SortBy":
            req.sort_by = ",".join(
                " ".join((e.text or "").strip() for e in children(p)) for p in children(c))
    req.property_names = props or None


def with_page(req: WfsRequest, start: int) -> WfsRequest:
    return replace(req, start_index=start)
