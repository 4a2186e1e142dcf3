"""DescribeFeatureType: an XML Schema per layer from its field schema (`LayerMeta.fields`).

Element order is the order GML output uses: the geometry first, then the fields in file
order. Every property has minOccurs="0" (features leave out empty values). Line and polygon
layers declare MultiCurve / MultiSurface (`names.multi_geometry`), which GML output writes.
"""

from __future__ import annotations

from mapnode.model import FieldType, LayerMeta
from mapnode.services.wfs.names import GEOMETRY, has_geometry, xml_fields
from mapnode.services.wfs.xmltext import GML32, GML311, NS, PREFIX, esc

XSD_TYPES = {FieldType.STRING: "xsd:string", FieldType.INTEGER: "xsd:long",
             FieldType.REAL: "xsd:double", FieldType.BOOLEAN: "xsd:boolean",
             FieldType.DATE: "xsd:date", FieldType.DATETIME: "xsd:dateTime",
             FieldType.JSON: "xsd:string"}
GEOMETRY_TYPES = {"point": "gml:PointPropertyType", "line": "gml:MultiCurvePropertyType",
                  "polygon": "gml:MultiSurfacePropertyType"}
GML_XSD = {"2.0.0": (GML32, "http://schemas.opengis.net/gml/3.2.1/gml.xsd",
                     "gml:AbstractFeatureType", "gml:AbstractFeature"),
           "1.1.0": (GML311, "http://schemas.opengis.net/gml/3.1.1/base/gml.xsd",
                     "gml:AbstractFeatureType", "gml:_Feature")}


def describe(metas: list[LayerMeta], version: str) -> str:
    """One schema document for the layers (all in the mapnode namespace)."""
    gml, location, base, group = GML_XSD[version]
    types = []
    for meta in metas:
        elements = []
        if has_geometry(meta):
            gtype = GEOMETRY_TYPES.get(meta.geometry_type.value, "gml:GeometryPropertyType")
            elements.append(f'<xsd:element name="{GEOMETRY}" type="{gtype}" minOccurs="0" '
                            'maxOccurs="1" nillable="true"/>')
        elements += [f'<xsd:element name="{esc(name)}" type="{XSD_TYPES[meta.fields[name]]}" '
                     'minOccurs="0" maxOccurs="1" nillable="true"/>' for name in xml_fields(meta)]
        types.append(
            f'  <xsd:complexType name="{esc(meta.name)}Type">\n'
            f'    <xsd:complexContent><xsd:extension base="{base}"><xsd:sequence>\n      '
            + "\n      ".join(elements)
            + "\n    </xsd:sequence></xsd:extension></xsd:complexContent>\n"
            "  </xsd:complexType>\n"
            f'  <xsd:element name="{esc(meta.name)}" type="{PREFIX}:{esc(meta.name)}Type" '
            f'substitutionGroup="{group}"/>\n')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:gml="{gml}" '
            f'xmlns:{PREFIX}="{NS}" targetNamespace="{NS}" elementFormDefault="qualified" '
            'version="1.0">\n'
            f'  <xsd:import namespace="{gml}" schemaLocation="{location}"/>\n'
            + "".join(types) + "</xsd:schema>\n")
