"""A layer in the catalogue: its metadata and its field schema."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from mapnode.model.actor import Edition


class LayerKind(StrEnum):
    VECTOR = "vector"
    RASTER = "raster"
    TABLE = "table"  # attributes only, no geometry (e.g. administrative codes)


class GeometryType(StrEnum):
    """Geometry families: a layer holds one family; single and multi parts mix freely."""

    POINT = "point"
    LINE = "line"
    POLYGON = "polygon"
    NONE = "none"

    @classmethod
    def of_shapely_type(cls, geom_type: str) -> GeometryType:
        return _FAMILY[geom_type]


_FAMILY = {
    "Point": GeometryType.POINT,
    "MultiPoint": GeometryType.POINT,
    "LineString": GeometryType.LINE,
    "MultiLineString": GeometryType.LINE,
    "LinearRing": GeometryType.LINE,
    "Polygon": GeometryType.POLYGON,
    "MultiPolygon": GeometryType.POLYGON,
}


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    REAL = "real"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    JSON = "json"


@dataclass
class LayerMeta:
    """Catalogue entry. `fields` maps field name to type, in file order."""

    name: str
    kind: LayerKind = LayerKind.VECTOR
    geometry_type: GeometryType = GeometryType.NONE
    fields: dict[str, FieldType] = field(default_factory=dict)
    title_zh: str = ""
    title_en: str = ""
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    category: str = ""  # GB/T 13923 classification code
    edition: Edition = Edition.PUBLIC
    owner_org: str = ""
    update_cycle: str = ""
    source_crs: str = ""
    lineage: str = ""
    licence: str = ""
    attribution: str = ""
    key_field: str | None = None
    raster_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["geometry_type"] = self.geometry_type.value
        data["edition"] = self.edition.value
        data["fields"] = {k: v.value for k, v in self.fields.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerMeta:
        data = dict(data)
        data["kind"] = LayerKind(data.get("kind", "vector"))
        data["geometry_type"] = GeometryType(data.get("geometry_type", "none"))
        data["edition"] = Edition.parse(data.get("edition", "public"))
        data["fields"] = {k: FieldType(v) for k, v in (data.get("fields") or {}).items()}
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
