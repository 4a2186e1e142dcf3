"""The WFS operations over the store: each takes the caller's Actor and a parsed request and
returns a `Reply` (bytes and a media type). Access is the store's: a layer the caller may not
see is an unknown feature type here, exactly like a layer that does not exist.

Limits: at most `max_features` features per response (`MAPNODE_WFS_MAX_FEATURES`). A larger
COUNT/MAXFEATURES, or none, is capped to it; numberMatched and the `next` link tell the client
about the rest (WFS 2.0 lets a server return fewer features than asked).

Past states: the vendor parameter TIME (or DATETIME; an RFC 3339 instant, a date meaning
00:00 UTC) answers with the data as it stood then, as the OGC API's `datetime` does.
FES temporal operators are refused: features carry no time of their own.

Order: features come ordered by feature id, the store's order, which makes paging stable.
SORTBY sorts here (see `sorting.py`) when at most `max_features` features match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import orjson
import shapely

from mapnode.errors import InvalidParameter, MapnodeError, NotFound
from mapnode.model import Actor, Feature, LayerKind, LayerMeta
from mapnode.services.features import parse_datetime
from mapnode.services.wfs import capabilities as caps
from mapnode.services.wfs import gml_out
from mapnode.services.wfs.crs import WfsCrs, parse_srs
from mapnode.services.wfs.errors import WfsError, from_domain, invalid, missing
from mapnode.services.wfs.fes import FesFilter, fid_of, parse_filter
from mapnode.services.wfs.names import (
    GEOMETRY,
    has_geometry,
    multi_geometry,
    property_name,
    type_name,
    unknown_type,
    xml_fields,
)
from mapnode.services.wfs.request import GET_BY_ID, WfsRequest, bbox_values
from mapnode.services.wfs.schema import describe
from mapnode.services.wfs.sorting import (
    SortKey,
    is_store_order,
    parse_sort,
    sort_features,
    too_many,
)
from mapnode.services.wfs.xmltext import GML32, NS, PREFIX, WFS20, XSI, esc, is_ncname
from mapnode.store import VersionedStore

GML32_MEDIA = "application/gml+xml; version=3.2"
GML311_MEDIA = "text/xml; subtype=gml/3.1.1"
JSON_MEDIA = "application/json"
XML_MEDIA = "text/xml; charset=UTF-8"
_FORMATS = {
    "gml32": {"application/gml+xml;version=3.2", "text/xml;subtype=gml/3.2", "gml32",
              "text/xml;subtype=gml/3.2.1", "application/gml+xml;version=3.2.1"},
    "gml311": {"text/xml;subtype=gml/3.1.1", "gml3", "gml311", "application/gml+xml;version=3.1"},
    "json": {"application/json", "json", "geojson", "application/geo+json",
             "application/vnd.geo+json", "application/json;subtype=geojson"},
}


@dataclass(frozen=True)
class Reply:
    body: bytes
    media_type: str
    status: int = 200


@dataclass(frozen=True)
class Context:
    """Who asks and where the service lives."""

    store: VersionedStore
    actor: Actor
    service: caps.Service
    key: str | None = None  # the caller's tk, kept in links

    def url(self, params: dict[str, str]) -> str:
        if self.key:
            params = {**params, "tk": self.key}
        base = self.service.url.split("?", 1)[0]
        return f"{base}?{urlencode(params)}"


def handle(ctx: Context, req: WfsRequest) -> Reply:
    """Run one request; every domain error becomes a WFS exception."""
    try:
        if req.operation == "GetCapabilities":
            return capabilities(ctx, req)
        if req.operation == "DescribeFeatureType":
            return describe_feature_type(ctx, req)
        if req.operation == "GetFeature":
            return get_feature(ctx, req)
        if req.operation == "GetPropertyValue":
            return get_property_value(ctx, req)
        if req.operation == "ListStoredQueries":
            return list_stored_queries(ctx, req)
        return describe_stored_queries(ctx, req)
    except MapnodeError as exc:
        raise from_domain(exc, "request") from None


# ---------------------------------------------------------------------- capabilities
def feature_layers(ctx: Context) -> list[LayerMeta]:
    """The layers the caller may see that WFS serves (vector and table, XML-safe names)."""
    return [m for m in ctx.store.layers(ctx.actor)
            if m.kind is not LayerKind.RASTER and is_ncname(m.name)]


def capabilities(ctx: Context, req: WfsRequest) -> Reply:
    entries = []
    for meta in feature_layers(ctx):
        bbox, _ = ctx.store.extent(ctx.actor, meta.name)
        entries.append(caps.LayerEntry(meta, bbox))
    writer = caps.capabilities_20 if req.version == "2.0.0" else caps.capabilities_11
    return Reply(writer(ctx.service, entries).encode(), XML_MEDIA)


def layer_meta(ctx: Context, text: str, locator: str = "typeNames") -> LayerMeta:
    name = type_name(text, locator)
    try:
        meta = ctx.store.layer(ctx.actor, name)  # NotFound for a layer the caller may not see
    except NotFound:
        raise unknown_type(text, locator) from None
    if meta.kind is LayerKind.RASTER or not is_ncname(meta.name):
        raise unknown_type(text, locator)
    return meta


def describe_feature_type(ctx: Context, req: WfsRequest) -> Reply:
    fmt = (req.output_format or "").lower()
    if fmt and not any(k in fmt for k in ("xml", "gml", "xsd")):
        raise invalid("outputFormat", f"不支持的输出格式 {fmt[:60]}",
                      f"unsupported output format {fmt[:60]}")
    metas = ([layer_meta(ctx, t) for t in req.type_names] if req.type_names
             else feature_layers(ctx))
    media = "text/xml; subtype=gml/3.2" if req.version == "2.0.0" else GML311_MEDIA
    return Reply(describe(metas, req.version).encode(), media)


# ---------------------------------------------------------------------- queries
@dataclass
class Query:
    """A GetFeature / GetPropertyValue query resolved against one layer."""

    meta: LayerMeta
    crs: WfsCrs
    fes: FesFilter
    seq: int
    count: int
    start: int
    sort: list[SortKey]
    max_features: int


def output_kind(req: WfsRequest) -> str:
    if not req.output_format:
        return "gml32" if req.version == "2.0.0" else "gml311"
    fmt = req.output_format.lower().replace(" ", "").replace('"', "")
    for kind, names in _FORMATS.items():
        if fmt in names and not (kind == "gml32" and req.version == "1.1.0") and not (
                kind == "gml311" and req.version == "2.0.0"):
            return kind
    raise invalid("outputFormat", f"不支持的输出格式 {req.output_format[:60]}",
                  f"unsupported output format {req.output_format[:60]}")


def resolve_query(ctx: Context, req: WfsRequest, max_features: int) -> Query:
    names = list(req.type_names)
    if not names and req.resource_ids:
        names = [req.resource_ids[0].partition(".")[0]]
    if not names:
        raise missing("typeNames")
    if len(names) > 1:
        raise WfsError("OperationNotSupported", "typeNames", "每个查询只支持一个要素类型",
                       "one feature type per query is supported")
    meta = layer_meta(ctx, names[0])
    crs = parse_srs(req.srs_name, req.version, "srsName")
    fes = FesFilter()
    if req.bbox is not None:
        values, bbox_crs = bbox_values(req.bbox)
        box_crs = parse_srs(bbox_crs, req.version, "bbox") if bbox_crs else crs
        fes = FesFilter(intersects=shapely.box(*box_crs.bbox_to_storage(values, "bbox")))
    elif req.filter is not None:
        fes = parse_filter(req.filter, meta, crs, req.version)
    elif req.resource_ids:
        fids = [fid_of(r, meta.name) for r in req.resource_ids]
        fes = FesFilter(fids=tuple(f for f in fids if f is not None))
    sort = parse_sort(req.sort_by, meta)
    seq = ctx.store.current_seq()
    if req.time:
        try:
            seq = ctx.store.resolve(parse_datetime(req.time))
        except InvalidParameter as exc:
            raise invalid("time", exc.message_zh.replace("datetime", "TIME"),
                          exc.message_en.replace("datetime", "TIME")) from None
    count = min(req.count or max_features, max_features)
    return Query(meta, crs, fes, seq, count, req.start_index,
                 [] if is_store_order(sort) else sort, max_features)


def read(ctx: Context, q: Query, limit: int, offset: int) -> list[Feature]:
    f = q.fes
    return list(ctx.store.features(
        ctx.actor, q.meta.name, intersects=f.intersects,
        filters=[f.filter] if f.filter is not None else [],
        fids=list(f.fids) if f.fids is not None else None, as_of=q.seq, limit=limit,
        offset=offset))


def count_matching(ctx: Context, q: Query) -> int:
    f = q.fes
    if f.intersects is None and f.fids is None:
        return ctx.store.count(ctx.actor, q.meta.name,
                               filters=[f.filter] if f.filter is not None else [], as_of=q.seq)
    return sum(1 for _ in ctx.store.features(
        ctx.actor, q.meta.name, intersects=f.intersects,
        filters=[f.filter] if f.filter is not None else [],
        fids=list(f.fids) if f.fids is not None else None, as_of=q.seq))


def page(ctx: Context, q: Query, hits: bool) -> tuple[list[Feature], int | None, bool]:
    """The features of the page, numberMatched and whether more follow.

    numberMatched is exact for hits and for the last page. On other pages it is counted in
    SQL when the query has no geometry; with one, counting means reading every match, so a
    results page answers "unknown" (WFS 2.0 allows it) and a client asks for hits instead.
    """
    if hits:
        return [], count_matching(ctx, q), False
    if q.sort:
        everything = read(ctx, q, q.max_features + 1, 0)
        if len(everything) > q.max_features:
            raise too_many(q.max_features)
        ordered = sort_features(everything, q.sort)
        return ordered[q.start:q.start + q.count], len(ordered), q.start + q.count < len(ordered)
    found = read(ctx, q, q.count + 1, q.start)
    more = len(found) > q.count
    found = found[:q.count]
    if not more and (found or q.start == 0):
        return found, q.start + len(found), False
    if q.fes.intersects is not None:
        return found, None, more
    return found, count_matching(ctx, q), more


def now_stamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def get_feature(ctx: Context, req: WfsRequest) -> Reply:
    kind = output_kind(req)
    q = resolve_query(ctx, req, ctx.service.max_features)
    fields = xml_fields(q.meta)
    with_geometry = has_geometry(q.meta)
    if req.property_names and "*" not in req.property_names:
        chosen = {property_name(p, q.meta, "propertyName") for p in req.property_names}
        fields = [f for f in fields if f in chosen]
        with_geometry = with_geometry and GEOMETRY in chosen
    if req.stored_query == GET_BY_ID:
        return _by_id(ctx, q, kind, fields, with_geometry)
    hits = req.result_type == "hits"
    found, matched, more = page(ctx, q, hits)
    out_crs = q.crs if kind != "json" else WfsCrs(q.crs.epsg, False)
    geoms = out_crs.from_storage([f.geometry for f in found]) if with_geometry else \
        [None] * len(found)
    result = gml_out.Page(q.meta.name, found, geoms, fields, with_geometry, matched, now_stamp(),
                          out_crs, schema_url(ctx, q.meta.name, req.version),
                          multi=multi_geometry(q.meta))
    if req.version == "2.0.0" and not hits:
        result.next_url = page_url(ctx, req, q, q.start + q.count) if more else None
        result.previous_url = page_url(ctx, req, q, max(q.start - q.count, 0)) \
            if q.start > 0 else None
    if kind == "json":
        return Reply(gml_out.geojson(result, hits), JSON_MEDIA)
    if req.version == "2.0.0":
        return Reply("".join(gml_out.collection_20(result, hits)).encode(), GML32_MEDIA)
    return Reply("".join(gml_out.collection_11(result, hits)).encode(), GML311_MEDIA)


def _by_id(ctx: Context, q: Query, kind: str, fields: list[str], with_geometry: bool) -> Reply:
    found = read(ctx, q, 1, 0)
    if not found:
        raise WfsError("NotFound", "id", "要素不存在", "no such feature")
    f = found[0]
    out_crs = q.crs if kind != "json" else WfsCrs(q.crs.epsg, False)
    geom = out_crs.from_storage([f.geometry])[0] if with_geometry else None
    if kind == "json":
        page_ = gml_out.Page(q.meta.name, [f], [geom], fields, with_geometry, 1, now_stamp(),
                             out_crs, "")
        return Reply(orjson.dumps(orjson.loads(gml_out.geojson(page_))["features"][0]),
                     JSON_MEDIA)
    body = gml_out.GmlWriter("3.2", out_crs, [geom], fields, multi_geometry(q.meta)).feature(
        q.meta.name, f, geom, with_geometry)
    head = (f'<{PREFIX}:{q.meta.name} xmlns:{PREFIX}="{NS}" xmlns:gml="{GML32}" '
            f'xmlns:xsi="{XSI}"')
    return Reply(('<?xml version="1.0" encoding="UTF-8"?>\n'
                  + body.replace(f"<{PREFIX}:{q.meta.name}", head, 1)).encode(), GML32_MEDIA)


def schema_url(ctx: Context, layer: str, version: str) -> str:
    return ctx.url({"SERVICE": "WFS", "VERSION": version, "REQUEST": "DescribeFeatureType",
                    "TYPENAMES" if version == "2.0.0" else "TYPENAME": f"{PREFIX}:{layer}"})


def page_url(ctx: Context, req: WfsRequest, q: Query, start: int) -> str:
    """The KVP GetFeature URL of another page of the same query (also for POST requests)."""
    params = {"SERVICE": "WFS", "VERSION": req.version, "REQUEST": "GetFeature",
              "TYPENAMES": f"{PREFIX}:{q.meta.name}"}
    optional = {"OUTPUTFORMAT": req.output_format, "SRSNAME": req.srs_name,
                "BBOX": ",".join(req.bbox) if req.bbox else None, "FILTER": req.filter_text,
                "RESOURCEID": ",".join(req.resource_ids) if req.resource_ids else None,
                "PROPERTYNAME": ",".join(req.property_names) if req.property_names else None,
                "SORTBY": req.sort_by,
                "TIME": req.time}
    params.update({k: v for k, v in optional.items() if v})
    params.update({"COUNT": str(q.count), "STARTINDEX": str(start)})
    return ctx.url(params)


# ---------------------------------------------------------------------- GetPropertyValue
def get_property_value(ctx: Context, req: WfsRequest) -> Reply:
    if req.version != "2.0.0":
        raise WfsError("OperationNotSupported", "request", "GetPropertyValue 只用于 WFS 2.0.0",
                       "GetPropertyValue is a WFS 2.0.0 operation")
    if not req.value_reference:
        raise missing("valueReference")
    q = resolve_query(ctx, req, ctx.service.max_features)
    name = property_name(req.value_reference, q.meta, "valueReference")
    hits = req.result_type == "hits"
    found, matched, _ = page(ctx, q, hits)
    if name == GEOMETRY:
        values: list[object] = list(q.crs.from_storage([f.geometry for f in found]))
    else:
        values = [f.properties.get(name) for f in found]
    body = gml_out.value_collection(values, name == GEOMETRY, q.crs,
                                    "unknown" if matched is None else str(matched), now_stamp(),
                                    q.meta.name, [f.fid for f in found],
                                    multi=multi_geometry(q.meta))
    return Reply(body.encode(), XML_MEDIA)


# ---------------------------------------------------------------------- stored queries
def list_stored_queries(ctx: Context, req: WfsRequest) -> Reply:
    types = "".join(f"<wfs:ReturnFeatureType>{PREFIX}:{esc(m.name)}</wfs:ReturnFeatureType>"
                    for m in feature_layers(ctx))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<wfs:ListStoredQueriesResponse xmlns:wfs="{WFS20}" xmlns:{PREFIX}="{NS}">'
            f'<wfs:StoredQuery id="{GET_BY_ID}"><wfs:Title>按标识取要素 / Get feature by '
            f"identifier</wfs:Title>{types}</wfs:StoredQuery></wfs:ListStoredQueriesResponse>\n")
    return Reply(body.encode(), XML_MEDIA)


def describe_stored_queries(ctx: Context, req: WfsRequest) -> Reply:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<wfs:DescribeStoredQueriesResponse xmlns:wfs="{WFS20}" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            f'<wfs:StoredQueryDescription id="{GET_BY_ID}"><wfs:Title>按标识取要素 / Get feature '
            'by identifier</wfs:Title><wfs:Parameter name="ID" type="xsd:string"/>'
            '<wfs:QueryExpressionText isPrivate="true" language="urn:ogc:def:queryLanguage:'
            'OGC-WFS::WFS_QueryExpression" returnFeatureTypes=""/></wfs:StoredQueryDescription>'
            "</wfs:DescribeStoredQueriesResponse>\n")
    return Reply(body.encode(), XML_MEDIA)
