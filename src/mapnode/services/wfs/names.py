"""Names in requests: feature type names and property names (ValueReference, PropertyName,
valueReference, PROPERTYNAME).

A property name is only ever *looked up* in the layer's schema (`LayerMeta.fields`, plus the
geometry property): an optional namespace prefix and a plain name, nothing else. XPath steps,
functions, attributes, `..` and anything that is not a name are refused before any store call
(GeoServer's CVE-2024-36401 came from evaluating such names as expressions).
"""

from __future__ import annotations

import re

from mapnode.model import LayerMeta
from mapnode.services.wfs.errors import WfsError, invalid
from mapnode.services.wfs.xmltext import PREFIX, is_ncname

GEOMETRY = "geometry"
GEOMETRY_ALIASES = ("geometry", "geom")
_QNAME = re.compile(r"^(?:([^\W\d][\w.\-]*):)?([^\W\d][\w.\-]*)$")


def split_qname(text: str) -> tuple[str | None, str]:
    m = _QNAME.match(text.strip())
    if not m:
        raise ValueError(text)
    return m.group(1), m.group(2)


def type_name(text: str, locator: str) -> str:
    """A feature type name (`roads` or `mapnode:roads`) as a layer name."""
    try:
        prefix, name = split_qname(text)
    except ValueError:
        raise unknown_type(text, locator) from None
    if prefix not in (None, PREFIX):
        raise unknown_type(text, locator)
    return name


def unknown_type(text: str, locator: str) -> WfsError:
    return invalid(locator, f"要素类型不存在：{text[:100]}", f"unknown feature type: {text[:100]}")


def property_name(text: str, meta: LayerMeta, locator: str) -> str:
    """The field (or `geometry`) a ValueReference names; anything else is refused."""
    value = (text or "").strip()
    try:
        prefix, name = split_qname(value)
    except ValueError:
        raise invalid(locator, f"属性名无效（只接受字段名）：{value[:100]}",
                      f"invalid property name (only field names are accepted): "
                      f"{value[:100]}") from None
    if prefix not in (None, PREFIX) and prefix != meta.name:
        raise unknown_property(value, meta, locator)
    if name in meta.fields:
        return name
    if name in GEOMETRY_ALIASES and has_geometry(meta):
        return GEOMETRY
    raise unknown_property(value, meta, locator)


def unknown_property(value: str, meta: LayerMeta, locator: str) -> WfsError:
    known = ", ".join(list(meta.fields)[:30])
    return invalid(locator, f"图层 {meta.name} 没有属性 {value[:100]}（可用：{known}）",
                   f"layer {meta.name} has no property {value[:100]} (known: {known})")


def has_geometry(meta: LayerMeta) -> bool:
    return meta.geometry_type.value != "none" and meta.kind.value != "table"


def multi_geometry(meta: LayerMeta) -> bool:
    """Whether GML declares and writes the layer's geometries as MultiCurve/MultiSurface.

    A line or polygon layer holds single and multi-part geometries side by side, and one
    schema type must cover both (QGIS and GDAL type the layer from DescribeFeatureType): the
    multi type, with single parts written as a multi geometry of one member, as GeoServer does
    for shapefiles. Point layers stay gml:Point."""
    return has_geometry(meta) and meta.geometry_type.value in ("line", "polygon")


def xml_fields(meta: LayerMeta) -> list[str]:
    """Fields that can be written as XML elements (others are left out of GML and schemas)."""
    return [f for f in meta.fields if is_ncname(f) and f != GEOMETRY]
