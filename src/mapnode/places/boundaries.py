"""Division boundaries for point-in-division queries, from any polygon source.

mapnode ships no boundary data: the only county polygons at hand (DataV/Amap) state no licence
and are GCJ-02. A node loads its own (e.g. 天地图 boundaries, CGCS2000) as a store layer and
builds a `BoundaryIndex` from it; the polygons must be in lon/lat WGS84/CGCS2000.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from mapnode.errors import InvalidData, ProblemItem
from mapnode.model import Actor, Feature
from mapnode.places.divisions import normalise_code


class BoundaryIndex:
    """Polygons keyed by division code, answering "which divisions cover this point"."""

    def __init__(self, items: Iterable[tuple[str, BaseGeometry]]) -> None:
        codes: list[str] = []
        geoms: list[BaseGeometry] = []
        for code, geom in items:
            if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
                continue
            codes.append(normalise_code(code))
            geoms.append(geom)
        self.codes = codes
        self.geometries = np.array(geoms, dtype=object)
        shapely.prepare(self.geometries)
        self._tree = STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.codes)

    def containing(self, lon: float, lat: float) -> list[str]:
        """Codes of the polygons that cover the point (its boundary included)."""
        point = shapely.Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects")
        return [self.codes[i] for i in sorted(hits)]

    @classmethod
    def from_features(cls, features: Iterable[Feature], code_field: str = "adcode") -> BoundaryIndex:
        """From store features (or anything with `.geometry` and `.properties`)."""
        items = []
        problems = []
        for f in features:
            code = f.properties.get(code_field)
            if code is None:
                problems.append(ProblemItem(f"缺少字段 {code_field}", f"missing field {code_field}",
                                            f.layer, f.fid, code_field))
                continue
            items.append((_code_text(code), f.geometry))
        if problems and not items:
            raise InvalidData("边界图层没有区划代码字段", "the boundary layer has no code field",
                              problems[:10], {"field": code_field})
        return cls(items)

    @classmethod
    def from_store(cls, store: Any, actor: Actor, layer: str, code_field: str = "adcode") -> BoundaryIndex:
        """From a polygon layer of a store (`store.features(actor, layer)`)."""
        return cls.from_features(store.features(actor, layer), code_field)

    @classmethod
    def from_geojson(cls, data: dict[str, Any], code_field: str = "adcode") -> BoundaryIndex:
        """From a GeoJSON FeatureCollection (already parsed)."""
        items = []
        for feat in data.get("features", []):
            code = (feat.get("properties") or {}).get(code_field)
            if code is not None and feat.get("geometry"):
                items.append((_code_text(code), shape(feat["geometry"])))
        return cls(items)


def _code_text(value: Any) -> str:
    """Codes read as numbers by a CSV/GDAL driver come back as int or float."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
