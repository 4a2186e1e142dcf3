"""WMS GetCapabilities documents for 1.3.0 and 1.1.1, Chinese first.

`base_url` is the service address including `?` and any key (`…/wms?tk=…&`), so every
OnlineResource a client follows keeps the caller's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from lxml import etree
from pyproj import Transformer

from mapnode.services.wms.layers import BBox, WmsLayer
from mapnode.services.wms.params import CRS84, NORTH_FIRST, SUPPORTED_EPSG

WMS_NS = "http://www.opengis.net/wms"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SLD_NS = "http://www.opengis.net/sld"
IMAGE_FORMATS = ("image/png", "image/jpeg", "image/webp")
INFO_FORMATS = ("application/json", "text/html", "application/vnd.ogc.gml")
WORLD: BBox = (-180.0, -90.0, 180.0, 90.0)
MERCATOR_LAT = 85.0511287798


@dataclass(frozen=True)
class ServiceInfo:
    """What the Service section says: the node's names, operator and limits."""

    title_zh: str
    title_en: str
    operator: str
    review_number: str
    max_width: int
    max_height: int


@cache
def _to(epsg: int) -> Transformer:
    return Transformer.from_crs(4490, epsg, always_xy=True)


def bbox_in(box: BBox, epsg: int) -> BBox:
    """A lon/lat box in EPSG `epsg`, x/y order (edges densified)."""
    if epsg in (4490, 4326):
        return box
    minx, miny, maxx, maxy = box
    if epsg == 3857:
        miny, maxy = max(miny, -MERCATOR_LAT), min(maxy, MERCATOR_LAT)
    return tuple(_to(epsg).transform_bounds(minx, miny, maxx, maxy, densify_pts=21))  # type: ignore[return-value]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(v: float) -> str:
    return f"{v:.8f}".rstrip("0").rstrip(".")


class _Doc:
    """Small helpers over lxml so each section reads like the schema."""

    def __init__(self, ns: str | None) -> None:
        self.ns = ns

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}" if self.ns else tag

    def el(self, parent: etree._Element, tag: str, text: str | None = None,
           **attrs: str) -> etree._Element:
        e = etree.SubElement(parent, self.q(tag), {k: v for k, v in attrs.items()})
        if text is not None:
            e.text = text
        return e

    def link(self, parent: etree._Element, href: str) -> etree._Element:
        return etree.SubElement(parent, self.q("OnlineResource"),
                                {f"{{{XLINK}}}type": "simple", f"{{{XLINK}}}href": href})


def _crs_names(version: str) -> list[str]:
    names = [f"EPSG:{c}" for c in SUPPORTED_EPSG]
    return [*names, CRS84] if version == "1.3.0" else names


def _bounding_boxes(d: _Doc, parent: etree._Element, box: BBox, version: str) -> None:
    attr = "CRS" if version == "1.3.0" else "SRS"
    for name in _crs_names(version):
        epsg = 4326 if name == CRS84 else int(name.split(":")[1])
        x0, y0, x1, y1 = bbox_in(box, epsg)
        if version == "1.3.0" and name != CRS84 and epsg in NORTH_FIRST:
            x0, y0, x1, y1 = y0, x0, y1, x1
        d.el(parent, "BoundingBox", **{attr: name, "minx": _num(x0), "miny": _num(y0),
                                       "maxx": _num(x1), "maxy": _num(y1)})


def _geo_box(d: _Doc, parent: etree._Element, box: BBox, version: str) -> None:
    if version == "1.3.0":
        g = d.el(parent, "EX_GeographicBoundingBox")
        for tag, v in zip(("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude",
                           "northBoundLatitude"), (box[0], box[2], box[1], box[3]), strict=True):
            d.el(g, tag, _num(v))
    else:
        d.el(parent, "LatLonBoundingBox", minx=_num(box[0]), miny=_num(box[1]),
             maxx=_num(box[2]), maxy=_num(box[3]))


def _time(d: _Doc, parent: etree._Element, times: tuple[datetime, datetime] | None,
          now: datetime, version: str) -> None:
    """TIME: any instant from the first change to now selects the data as it stood then."""
    if times is None:
        return
    extent = f"{_iso(times[0])}/{_iso(now)}/PT1S"
    if version == "1.3.0":
        d.el(parent, "Dimension", extent, name="time", units="ISO8601", default=_iso(now),
             nearestValue="1", current="1")
    else:
        d.el(parent, "Dimension", name="time", units="ISO8601")
        d.el(parent, "Extent", extent, name="time", default=_iso(now), nearestValue="1")


def _layer(d: _Doc, parent: etree._Element, layer: WmsLayer, base_url: str, version: str,
           now: datetime) -> None:
    e = d.el(parent, "Layer", queryable="1" if layer.queryable else "0", opaque="0")
    d.el(e, "Name", layer.name)
    d.el(e, "Title", f"{layer.title_zh} / {layer.title_en}")
    d.el(e, "Abstract", layer.abstract)
    kws = d.el(e, "KeywordList")
    for k in dict.fromkeys([layer.title_zh, *layer.keywords]):
        d.el(kws, "Keyword", k)
    box = layer.bbox or WORLD
    _geo_box(d, e, box, version)
    _bounding_boxes(d, e, box, version)
    _time(d, e, layer.times, now, version)
    if layer.attribution:
        a = d.el(e, "Attribution")
        d.el(a, "Title", layer.attribution)
    style = d.el(e, "Style")
    d.el(style, "Name", "default")
    d.el(style, "Title", "默认样式 / default")
    legend = d.el(style, "LegendURL", width="20", height="20")
    d.el(legend, "Format", "image/png")
    d.link(legend, f"{base_url}SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION={version}"
                   f"&FORMAT=image/png&LAYER={layer.name}&STYLE=default")


def _operation(d: _Doc, parent: etree._Element, tag: str, formats: tuple[str, ...],
               base_url: str) -> None:
    op = d.el(parent, tag)
    for f in formats:
        d.el(op, "Format", f)
    http = d.el(d.el(op, "DCPType"), "HTTP")
    d.link(d.el(http, "Get"), base_url)


def capabilities(layers: list[WmsLayer], info: ServiceInfo, base_url: str, version: str,
                 now: datetime | None = None) -> bytes:
    """The capabilities document for `version` ("1.3.0" or "1.1.1")."""
    now = now or datetime.now(UTC)
    v13 = version == "1.3.0"
    d = _Doc(WMS_NS if v13 else None)
    if v13:
        root = etree.Element(d.q("WMS_Capabilities"), {"version": "1.3.0", f"{{{XSI}}}schemaLocation":
                             f"{WMS_NS} http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd"},
                             nsmap={None: WMS_NS, "xlink": XLINK, "xsi": XSI, "sld": SLD_NS})
    else:
        root = etree.Element("WMT_MS_Capabilities", {"version": "1.1.1"},
                             nsmap={"xlink": XLINK})
    _service(d, root, info, base_url, v13)
    cap = d.el(root, "Capability")
    req = d.el(cap, "Request")
    _operation(d, req, "GetCapabilities", ("text/xml",) if v13 else
               ("application/vnd.ogc.wms_xml",), base_url)
    _operation(d, req, "GetMap", IMAGE_FORMATS, base_url)
    _operation(d, req, "GetFeatureInfo", INFO_FORMATS, base_url)
    legend = etree.SubElement(req, f"{{{SLD_NS}}}GetLegendGraphic") if v13 else d.el(
        req, "GetLegendGraphic")
    for f in IMAGE_FORMATS:
        etree.SubElement(legend, d.q("Format")).text = f
    http = d.el(d.el(legend, "DCPType"), "HTTP")
    d.link(d.el(http, "Get"), base_url)
    exc = d.el(cap, "Exception")
    for f in (("XML", "INIMAGE", "BLANK") if v13 else
              ("application/vnd.ogc.se_xml", "application/vnd.ogc.se_inimage",
               "application/vnd.ogc.se_blank")):
        d.el(exc, "Format", f)
    top = d.el(cap, "Layer")
    d.el(top, "Title", f"{info.title_zh} / {info.title_en}")
    d.el(top, "Abstract", "国家 2000 大地坐标系（CGCS2000）存储；图层按调用者的版本（公众/政务）列出 / "
                          "stored in CGCS2000; layers listed for the caller's edition")
    for name in _crs_names(version):
        d.el(top, "CRS" if v13 else "SRS", name)
    boxes = [w.bbox for w in layers if w.bbox]
    union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
             max(b[3] for b in boxes)) if boxes else WORLD
    _geo_box(d, top, union, version)
    _bounding_boxes(d, top, union, version)
    for layer in layers:
        _layer(d, top, layer, base_url, version, now)
    doctype = None if v13 else ('<!DOCTYPE WMT_MS_Capabilities SYSTEM '
                                '"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd">')
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype)


def _service(d: _Doc, root: etree._Element, info: ServiceInfo, base_url: str,
             v13: bool) -> None:
    s = d.el(root, "Service")
    d.el(s, "Name", "WMS" if v13 else "OGC:WMS")
    d.el(s, "Title", f"{info.title_zh} / {info.title_en}")
    d.el(s, "Abstract", f"{info.title_zh}网络地图服务（WMS），底图与各图层按同一样式出图，"
                        f"支持历史时刻（TIME） / {info.title_en} Web Map Service: the base map "
                        "and every layer drawn with one style, data as of a past instant (TIME)")
    kws = d.el(s, "KeywordList")
    for k in ("地图", "网络地图服务", "天地图", "WMS", "CGCS2000"):
        d.el(kws, "Keyword", k)
    d.link(s, base_url.rstrip("?&"))
    if info.operator:
        contact = d.el(s, "ContactInformation")
        person = d.el(contact, "ContactPersonPrimary")
        d.el(person, "ContactPerson", info.operator)
        d.el(person, "ContactOrganization", info.operator)
    d.el(s, "Fees", "无 / none")
    d.el(s, "AccessConstraints", f"审图号 {info.review_number}" if info.review_number else
         "公众版数据公开使用；政务版需授权密钥 / public edition open; government edition "
         "needs a key")
    if v13:
        d.el(s, "LayerLimit", "32")
        d.el(s, "MaxWidth", str(info.max_width))
        d.el(s, "MaxHeight", str(info.max_height))
