"""GML 3.2 (WFS 2.0.0) and GML 3.1.1 (WFS 1.1.0) feature collections, and GeoJSON, written as
text in one pass (no DOM): the writer is on the path of every GetFeature.

Geometries are written in the request's srsName with its axis order; GML 3.2 gives every
geometry a gml:id, as that version requires. Multi-part lines and polygons are MultiCurve and
MultiSurface; with `multi` (line and polygon layers, whose schema declares the multi type) a
single LineString or Polygon is written as a MultiCurve or MultiSurface of one member.
A property with no value is left out (the schema has minOccurs="0").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.model import Feature
from mapnode.services.wfs.crs import WfsCrs
from mapnode.services.wfs.names import GEOMETRY
from mapnode.services.wfs.xmltext import GML32, GML311, NS, PREFIX, WFS11, WFS20, XSI, esc
from mapnode.services.wfs.xmltext import SPECIAL as _SPECIAL

GML32_XSD = "http://schemas.opengis.net/gml/3.2.1/gml.xsd"
WFS20_XSD = "http://schemas.opengis.net/wfs/2.0/wfs.xsd"
WFS11_XSD = "http://schemas.opengis.net/wfs/1.1.0/wfs.xsd"


@dataclass
class Page:
    """What a GetFeature answers: features and the facts the collection element states."""

    layer: str
    features: list[Feature]
    geometries: list[BaseGeometry | None]  # already in the output CRS
    fields: list[str]  # properties to write, in schema order
    with_geometry: bool
    number_matched: int | None
    time_stamp: str
    crs: WfsCrs
    schema_url: str
    next_url: str | None = None
    previous_url: str | None = None
    multi: bool = False  # single lines/polygons as one-member MultiCurve/MultiSurface


class GmlWriter:
    """Geometry and feature writer for one GML version ("3.2" or "3.1.1").

    Coordinates of all the geometries to be written are formatted in one vectorised pass
    (`geoms`); `geometry()` must then be called for them in the same order.
    """

    def __init__(self, gml: str, crs: WfsCrs, geoms: list[BaseGeometry | None],
                 fields: list[str] = (), multi: bool = False) -> None:  # type: ignore[assignment]
        self.v32 = gml == "3.2"
        self.multi = multi
        self.srs = crs.urn
        arr = np.array(geoms, dtype=object)
        coords = shapely.get_coordinates(arr).round(8 if crs.epsg in (4490, 4326) else 3)
        self.strs = list(map(repr, coords.ravel().tolist()))
        self.counts = shapely.get_num_coordinates(arr).tolist()
        self.next_geom = 0
        self.at = 0  # index of the next coordinate pair in `strs`
        self.tags = [(name, f"<{PREFIX}:{name}>", f"</{PREFIX}:{name}>") for name in fields]

    def _pos(self, part: BaseGeometry, n: int | None = None) -> str:
        if n is None:
            n = int(shapely.get_num_coordinates(part))
        i = self.at
        self.at += n
        return " ".join(self.strs[2 * i:2 * (i + n)])

    def _id(self, gid: str) -> str:
        return f' gml:id="{gid}"' if self.v32 else ""

    def geometry(self, g: BaseGeometry, gid: str) -> str:
        """The next prepared geometry (`g`) as GML with srsName."""
        n = self.counts[self.next_geom]
        self.next_geom += 1
        return self._geometry(g, gid, True, n)

    def _geometry(self, g: BaseGeometry, gid: str, top: bool, n: int | None = None) -> str:
        attrs = self._id(gid) + (f' srsName="{self.srs}"' if top else "")
        kind = g.geom_type
        if top and self.multi and kind in ("LineString", "Polygon"):
            outer, member = ("MultiCurve", "curveMember") if kind == "LineString" else (
                "MultiSurface", "surfaceMember")
            return (f"<gml:{outer}{attrs}><gml:{member}>{self._geometry(g, f'{gid}.1', False, n)}"
                    f"</gml:{member}></gml:{outer}>")
        if kind == "Point":
            return f"<gml:Point{attrs}><gml:pos>{self._pos(g, n)}</gml:pos></gml:Point>"
        if kind in ("LineString", "LinearRing"):
            return (f"<gml:LineString{attrs}><gml:posList>{self._pos(g, n)}</gml:posList>"
                    "</gml:LineString>")
        if kind == "Polygon":
            rings = [f"<gml:exterior><gml:LinearRing><gml:posList>{self._pos(g.exterior)}"
                     "</gml:posList></gml:LinearRing></gml:exterior>"]
            rings += [f"<gml:interior><gml:LinearRing><gml:posList>{self._pos(r)}</gml:posList>"
                      "</gml:LinearRing></gml:interior>" for r in g.interiors]
            return f"<gml:Polygon{attrs}>{''.join(rings)}</gml:Polygon>"
        outer, member = {"MultiPoint": ("MultiPoint", "pointMember"),
                         "MultiLineString": ("MultiCurve", "curveMember"),
                         "MultiPolygon": ("MultiSurface", "surfaceMember")}.get(
                             kind, ("MultiGeometry", "geometryMember"))
        parts = "".join(f"<gml:{member}>{self._geometry(p, f'{gid}.{i}', False)}</gml:{member}>"
                        for i, p in enumerate(g.geoms, 1))
        return f"<gml:{outer}{attrs}>{parts}</gml:{outer}>"

    def feature(self, layer: str, f: Feature, geom: BaseGeometry | None,
                with_geometry: bool) -> str:
        gid = esc(f"{layer}.{f.fid}")
        out = [f'<{PREFIX}:{layer} gml:id="{gid}">']
        if with_geometry:
            if geom is not None and not geom.is_empty:
                out.append(f"<{PREFIX}:{GEOMETRY}>{self.geometry(geom, gid + '.g')}"
                           f"</{PREFIX}:{GEOMETRY}>")
            else:
                self.next_geom += 1
        props = f.properties
        for name, open_, close in self.tags:
            value = props.get(name)
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                text = esc(value) if _SPECIAL.search(value) else value
            elif kind is int or kind is float:
                text = str(value)
            else:
                text = esc(text_value(value))
            out += (open_, text, close)
        out.append(f"</{PREFIX}:{layer}>")
        return "".join(out)


def text_value(value: Any) -> str:
    """A property value as XML text (booleans as xsd:boolean, objects as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def collection_20(page: Page, hits: bool = False) -> Iterable[str]:
    """A WFS 2.0.0 FeatureCollection in GML 3.2 (hits: numbers only)."""
    matched = "unknown" if page.number_matched is None else str(page.number_matched)
    returned = 0 if hits else len(page.features)
    links = "".join(f' {name}="{esc(url)}"' for name, url in
                    (("next", page.next_url), ("previous", page.previous_url)) if url)
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<wfs:FeatureCollection xmlns:wfs="{WFS20}" xmlns:gml="{GML32}" '
           f'xmlns:{PREFIX}="{NS}" xmlns:xsi="{XSI}" xsi:schemaLocation="{WFS20} {WFS20_XSD} '
           f'{GML32} {GML32_XSD} {NS} {esc(page.schema_url)}" timeStamp="{page.time_stamp}" '
           f'numberMatched="{matched}" numberReturned="{returned}"{links}>\n')
    if not hits:
        writer = _writer("3.2", page)
        for f, g in zip(page.features, page.geometries, strict=True):
            yield ("<wfs:member>" + writer.feature(page.layer, f, g, page.with_geometry)
                   + "</wfs:member>\n")
    yield "</wfs:FeatureCollection>\n"


def collection_11(page: Page, hits: bool = False) -> Iterable[str]:
    """A WFS 1.1.0 FeatureCollection in GML 3.1.1 (hits: numberOfFeatures only)."""
    number = (page.number_matched or 0) if hits else len(page.features)  # hits: always exact
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<wfs:FeatureCollection xmlns:wfs="{WFS11}" xmlns:gml="{GML311}" '
           f'xmlns:{PREFIX}="{NS}" xmlns:xsi="{XSI}" xsi:schemaLocation="{WFS11} {WFS11_XSD} '
           f'{NS} {esc(page.schema_url)}" timeStamp="{page.time_stamp}" '
           f'numberOfFeatures="{number}">\n')
    if not hits:
        writer = _writer("3.1.1", page)
        for f, g in zip(page.features, page.geometries, strict=True):
            yield ("<gml:featureMember>" + writer.feature(page.layer, f, g, page.with_geometry)
                   + "</gml:featureMember>\n")
    yield "</wfs:FeatureCollection>\n"


def _writer(gml: str, page: Page) -> GmlWriter:
    geoms = [g if g is not None and not g.is_empty else None for g in page.geometries] \
        if page.with_geometry else []
    return GmlWriter(gml, page.crs, geoms, page.fields, page.multi)


def geojson(page: Page, hits: bool = False) -> bytes:
    """A GeoJSON FeatureCollection (x/y order) with numberMatched/numberReturned and links."""
    features = [] if hits else [
        {"type": "Feature", "id": f"{page.layer}.{f.fid}",
         "geometry": shapely.geometry.mapping(g) if g is not None and page.with_geometry
         else None,
         "properties": {k: f.properties.get(k) for k in page.fields}}
        for f, g in zip(page.features, page.geometries, strict=True)]
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features,
                            "numberMatched": page.number_matched if page.number_matched
                            is not None else "unknown",
                            "numberReturned": len(features), "timeStamp": page.time_stamp}
    if page.crs.epsg not in (4490, 4326):
        body["crs"] = {"type": "name", "properties": {"name": page.crs.urn}}
    links = [{"href": u, "rel": r, "type": "application/json"} for r, u in
             (("next", page.next_url), ("previous", page.previous_url)) if u]
    if links:
        body["links"] = links
    return orjson.dumps(body)


def value_collection(values: list[Any], geometry: bool, crs: WfsCrs, matched: str,
                     time_stamp: str, layer: str, fids: list[str], multi: bool = False) -> str:
    """A WFS 2.0.0 GetPropertyValue answer: one wfs:member per value."""
    writer = GmlWriter("3.2", crs, [v if geometry else None for v in values], multi=multi)
    members = []
    for value, fid in zip(values, fids, strict=True):
        if value is None:
            writer.next_geom += 1
            continue
        if geometry and value.is_empty:
            writer.next_geom += 1
            continue
        text = (writer.geometry(value, esc(f"{layer}.{fid}.g")) if geometry
                else esc(text_value(value)))
        members.append(f"<wfs:member>{text}</wfs:member>\n")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<wfs:ValueCollection xmlns:wfs="{WFS20}" xmlns:gml="{GML32}" '
            f'xmlns:{PREFIX}="{NS}" timeStamp="{time_stamp}" numberMatched="{matched}" '
            f'numberReturned="{len(members)}">\n' + "".join(members)
            + "</wfs:ValueCollection>\n")
