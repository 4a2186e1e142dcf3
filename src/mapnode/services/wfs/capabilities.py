"""GetCapabilities documents for WFS 2.0.0 and 1.1.0.

One FeatureType per vector or table layer the caller may see (the store lists layers with
the caller's Actor, so a public caller's document never names a government layer). Titles
are Chinese first; the English title follows as the abstract's first line. Filter
capabilities list exactly what `fes.py` implements.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapnode.model import LayerMeta
from mapnode.services.features_crs import SUPPORTED_EPSG
from mapnode.services.wfs.xmltext import (
    FES20,
    GML32,
    GML311,
    NS,
    OGC,
    OWS10,
    OWS11,
    PREFIX,
    WFS11,
    WFS20,
    XLINK,
    XSI,
    esc,
)

FORMATS_20 = ("application/gml+xml; version=3.2", "text/xml; subtype=gml/3.2",
              "application/json")
FORMATS_11 = ("text/xml; subtype=gml/3.1.1", "application/json")
COMPARISONS = ("PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan",
               "PropertyIsGreaterThan", "PropertyIsLessThanOrEqualTo",
               "PropertyIsGreaterThanOrEqualTo", "PropertyIsLike", "PropertyIsNull",
               "PropertyIsNil", "PropertyIsBetween")
COMPARISONS_11 = ("EqualTo", "NotEqualTo", "LessThan", "GreaterThan", "LessThanEqualTo",
                  "GreaterThanEqualTo", "Like", "NullCheck", "Between")
SPATIAL = ("BBOX", "Intersects", "DWithin")
OPERANDS = ("Envelope", "Point", "LineString", "Polygon", "MultiPoint", "MultiCurve",
            "MultiSurface")
CONSTRAINTS_TRUE = ("ImplementsBasicWFS", "KVPEncoding", "XMLEncoding", "ImplementsResultPaging")
CONSTRAINTS_FALSE = ("ImplementsTransactionalWFS", "ImplementsLockingWFS", "SOAPEncoding",
                     "ImplementsInheritance", "ImplementsRemoteResolve",
                     "ImplementsStandardJoins", "ImplementsSpatialJoins",
                     "ImplementsTemporalJoins", "ImplementsFeatureVersioning",
                     "ManageStoredQueries")
FES_TRUE = ("ImplementsQuery", "ImplementsAdHocQuery", "ImplementsResourceId",
            "ImplementsMinStandardFilter", "ImplementsStandardFilter",
            "ImplementsMinSpatialFilter", "ImplementsMinimumXPath", "ImplementsSorting")
FES_FALSE = ("ImplementsFunctions", "ImplementsSpatialFilter", "ImplementsMinTemporalFilter",
             "ImplementsTemporalFilter", "ImplementsVersionNav",
             "ImplementsExtendedOperators", "ImplementsSchemaElementFunc")


@dataclass(frozen=True)
class LayerEntry:
    """A layer and its lon/lat extent (None when it has no features)."""

    meta: LayerMeta
    bbox: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class Service:
    """Facts about this node the documents state."""

    url: str  # the /wfs address (with the caller's key when one was given)
    title_zh: str
    title_en: str
    operator: str
    max_features: int


def _href(url: str) -> str:
    return esc(url + ("&" if "?" in url else "?"))


def _operations(svc: Service, version: str) -> str:
    ops = ["GetCapabilities", "DescribeFeatureType", "GetFeature"]
    if version == "2.0.0":
        ops += ["GetPropertyValue", "ListStoredQueries", "DescribeStoredQueries"]
    get, post = _href(svc.url), esc(svc.url)
    out = []
    for op in ops:
        params = ""
        if op == "GetCapabilities":
            params = _param("AcceptVersions", ("2.0.0", "1.1.0"), version)
        elif op == "GetFeature":
            params = (_param("outputFormat", FORMATS_20 if version == "2.0.0" else FORMATS_11,
                             version) + _param("resultType", ("results", "hits"), version))
        elif op == "DescribeFeatureType":
            params = _param("outputFormat", ("application/gml+xml; version=3.2",)
                            if version == "2.0.0" else ("text/xml; subtype=gml/3.1.1",), version)
        out.append(f'<ows:Operation name="{op}"><ows:DCP><ows:HTTP>'
                   f'<ows:Get xlink:href="{get}"/><ows:Post xlink:href="{post}"/>'
                   f"</ows:HTTP></ows:DCP>{params}</ows:Operation>")
    if version == "2.0.0":
        out.append(_param("version", ("2.0.0", "1.1.0"), version))
        out += [_constraint(c, "TRUE") for c in CONSTRAINTS_TRUE]
        out += [_constraint(c, "FALSE") for c in CONSTRAINTS_FALSE]
        out.append(_constraint("CountDefault", str(svc.max_features)))
    return "<ows:OperationsMetadata>" + "\n".join(out) + "</ows:OperationsMetadata>\n"


def _param(name: str, values: tuple[str, ...], version: str) -> str:
    """An ows:Parameter: OWS 1.1 (WFS 2.0.0) wraps values in AllowedValues, OWS 1.0 not."""
    vals = "".join(f"<ows:Value>{esc(v)}</ows:Value>" for v in values)
    if version == "2.0.0":
        vals = f"<ows:AllowedValues>{vals}</ows:AllowedValues>"
    return f'<ows:Parameter name="{name}">{vals}</ows:Parameter>'


def _constraint(name: str, value: str) -> str:
    return (f'<ows:Constraint name="{name}"><ows:NoValues/><ows:DefaultValue>{value}'
            "</ows:DefaultValue></ows:Constraint>")


def _identification(svc: Service, version: str) -> str:
    versions = "".join(f"<ows:ServiceTypeVersion>{v}</ows:ServiceTypeVersion>"
                       for v in (("2.0.0", "1.1.0") if version == "2.0.0" else ("1.1.0",)))
    return (f"<ows:ServiceIdentification><ows:Title>{esc(svc.title_zh)} WFS</ows:Title>"
            f"<ows:Abstract>{esc(svc.title_zh)}：网络要素服务。过去的数据状态：TIME=RFC 3339 时刻。"
            f" / {esc(svc.title_en)}: Web Feature Service. Past states: TIME=an RFC 3339 "
            "instant.</ows:Abstract><ows:Keywords><ows:Keyword>WFS</ows:Keyword>"
            "<ows:Keyword>地理信息</ows:Keyword></ows:Keywords>"
            f"<ows:ServiceType>WFS</ows:ServiceType>{versions}"
            "<ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints>"
            "</ows:ServiceIdentification>\n"
            f"<ows:ServiceProvider><ows:ProviderName>{esc(svc.operator or svc.title_zh)}"
            "</ows:ProviderName><ows:ServiceContact/></ows:ServiceProvider>\n")


def _feature_type(entry: LayerEntry, version: str) -> str:
    meta = entry.meta
    title = meta.title_zh or meta.title_en or meta.name
    abstract = " / ".join(t for t in (meta.title_en, meta.abstract) if t)
    keywords = "".join(f"<ows:Keyword>{esc(k)}</ows:Keyword>" for k in meta.keywords)
    crs_tag = "CRS" if version == "2.0.0" else "SRS"
    others = "".join(f"<wfs:Other{crs_tag}>urn:ogc:def:crs:EPSG::{c}</wfs:Other{crs_tag}>"
                     for c in SUPPORTED_EPSG if c != 4490)
    formats = "".join(f"<wfs:Format>{esc(f)}</wfs:Format>"
                      for f in (FORMATS_20 if version == "2.0.0" else FORMATS_11))
    x0, y0, x1, y1 = entry.bbox or (-180.0, -90.0, 180.0, 90.0)
    return (f"<wfs:FeatureType><wfs:Name>{PREFIX}:{esc(meta.name)}</wfs:Name>"
            f"<wfs:Title>{esc(title)}</wfs:Title>"
            + (f"<wfs:Abstract>{esc(abstract)}</wfs:Abstract>" if abstract else "")
            + (f"<ows:Keywords>{keywords}</ows:Keywords>" if keywords else "")
            + f"<wfs:Default{crs_tag}>urn:ogc:def:crs:EPSG::4490</wfs:Default{crs_tag}>{others}"
            f"<wfs:OutputFormats>{formats}</wfs:OutputFormats>"
            f"<ows:WGS84BoundingBox><ows:LowerCorner>{x0!r} {y0!r}</ows:LowerCorner>"
            f"<ows:UpperCorner>{x1!r} {y1!r}</ows:UpperCorner></ows:WGS84BoundingBox>"
            "</wfs:FeatureType>\n")


def capabilities_20(svc: Service, layers: list[LayerEntry]) -> str:
    types = "".join(_feature_type(e, "2.0.0") for e in layers)
    fes_conf = "".join(
        f'<fes:Constraint name="{c}"><ows:NoValues/><ows:DefaultValue>{v}</ows:DefaultValue>'
        "</fes:Constraint>" for c, v in [(c, "TRUE") for c in FES_TRUE]
        + [(c, "FALSE") for c in FES_FALSE])
    comparisons = "".join(f'<fes:ComparisonOperator name="{c}"/>' for c in COMPARISONS)
    spatial = "".join(f'<fes:SpatialOperator name="{s}"/>' for s in SPATIAL)
    operands = "".join(f'<fes:GeometryOperand name="gml:{o}"/>' for o in OPERANDS)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<wfs:WFS_Capabilities version="2.0.0" xmlns:wfs="{WFS20}" xmlns:ows="{OWS11}" '
            f'xmlns:fes="{FES20}" xmlns:gml="{GML32}" xmlns:xlink="{XLINK}" xmlns:xsi="{XSI}" '
            f'xmlns:{PREFIX}="{NS}" xml:lang="zh-CN" xsi:schemaLocation="{WFS20} '
            'http://schemas.opengis.net/wfs/2.0/wfs.xsd">\n'
            + _identification(svc, "2.0.0") + _operations(svc, "2.0.0")
            + f"<wfs:FeatureTypeList>\n{types}</wfs:FeatureTypeList>\n"
            f"<fes:Filter_Capabilities><fes:Conformance>{fes_conf}</fes:Conformance>"
            '<fes:Id_Capabilities><fes:ResourceIdentifier name="fes:ResourceId"/>'
            "</fes:Id_Capabilities><fes:Scalar_Capabilities><fes:LogicalOperators/>"
            f"<fes:ComparisonOperators>{comparisons}</fes:ComparisonOperators>"
            "</fes:Scalar_Capabilities><fes:Spatial_Capabilities>"
            f"<fes:GeometryOperands>{operands}</fes:GeometryOperands>"
            f"<fes:SpatialOperators>{spatial}</fes:SpatialOperators></fes:Spatial_Capabilities>"
            "</fes:Filter_Capabilities>\n</wfs:WFS_Capabilities>\n")


def capabilities_11(svc: Service, layers: list[LayerEntry]) -> str:
    types = "".join(_feature_type(e, "1.1.0") for e in layers)
    comparisons = "".join(f"<ogc:ComparisonOperator>{c}</ogc:ComparisonOperator>"
                          for c in COMPARISONS_11)
    spatial = "".join(f'<ogc:SpatialOperator name="{s}"/>' for s in SPATIAL)
    operands = "".join(f"<ogc:GeometryOperand>gml:{o}</ogc:GeometryOperand>" for o in OPERANDS)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<wfs:WFS_Capabilities version="1.1.0" xmlns:wfs="{WFS11}" xmlns:ows="{OWS10}" '
            f'xmlns:ogc="{OGC}" xmlns:gml="{GML311}" xmlns:xlink="{XLINK}" xmlns:xsi="{XSI}" '
            f'xmlns:{PREFIX}="{NS}" xsi:schemaLocation="{WFS11} '
            'http://schemas.opengis.net/wfs/1.1.0/wfs.xsd">\n'
            + _identification(svc, "1.1.0") + _operations(svc, "1.1.0")
            + "<wfs:FeatureTypeList><wfs:Operations><wfs:Operation>Query</wfs:Operation>"
            f"</wfs:Operations>\n{types}</wfs:FeatureTypeList>\n"
            "<ogc:Filter_Capabilities><ogc:Spatial_Capabilities>"
            f"<ogc:GeometryOperands>{operands}</ogc:GeometryOperands>"
            f"<ogc:SpatialOperators>{spatial}</ogc:SpatialOperators></ogc:Spatial_Capabilities>"
            "<ogc:Scalar_Capabilities><ogc:LogicalOperators/>"
            f"<ogc:ComparisonOperators>{comparisons}</ogc:ComparisonOperators>"
            "</ogc:Scalar_Capabilities><ogc:Id_Capabilities><ogc:EID/><ogc:FID/>"
            "</ogc:Id_Capabilities></ogc:Filter_Capabilities>\n</wfs:WFS_Capabilities>\n")
