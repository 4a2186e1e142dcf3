"""Real Hangzhou data for the store tests: slices of the OSM roads, West Lake and amenities.

Read once per test session from /work/shared/data (tests/support/data.py) and written into a
store through `ChangesetWriter`, which is much faster than a full import per test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.model import Actor, Edition, FieldType, GeometryType, LayerMeta
from mapnode.model.log import BBox
from mapnode.store import NewRow, VersionedStore
from mapnode.store.base import dump_props, geom_row
from tests.support.data import AMENITIES_GPKG, HANGZHOU_GPKG

WEST_LAKE_BOX: BBox = (120.11, 30.22, 120.17, 30.27)  # 西湖 and the streets around it
WEST_LAKE_OSM_ID = 2308774

ROAD_FIELDS = {"osm_id": FieldType.INTEGER, "code": FieldType.INTEGER,
               "fclass": FieldType.STRING, "name": FieldType.STRING,
               "maxspeed": FieldType.INTEGER, "bridge": FieldType.STRING}
AMENITY_FIELDS = {"osmid": FieldType.INTEGER, "amenity": FieldType.STRING,
                  "name": FieldType.STRING}


@dataclass(frozen=True)
class Row:
    fid: str
    geometry: BaseGeometry
    properties: dict[str, Any]

    def new_row(self) -> NewRow:
        wkb, bbox = geom_row(self.geometry)
        return NewRow(self.fid, wkb, bbox, dump_props(self.properties))


@dataclass(frozen=True)
class Slice:
    geometry_type: GeometryType
    fields: dict[str, FieldType]
    rows: tuple[Row, ...]

    def by_fid(self) -> dict[str, Row]:
        return {r.fid: r for r in self.rows}

    def named(self, text: str) -> list[Row]:
        return [r for r in self.rows if text in (r.properties.get("name") or "")]


def _read(path: Any, layer: str, columns: list[str], bbox: BBox | None = None,
          where: str | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    _, _, wkb, values = pyogrio.raw.read(path, layer=layer, columns=columns, bbox=bbox,
                                         where=where)
    return shapely.from_wkb(wkb), values


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _slice(path: Any, layer: str, fields: dict[str, FieldType], geometry_type: GeometryType,
           bbox: BBox) -> Slice:
    """Features of a real layer in `bbox`; the first field is the fid."""
    names = list(fields)
    geoms, values = _read(path, layer, names, bbox)
    rows = tuple(Row(str(values[0][i]), geoms[i],
                     {n: _value(values[j][i]) for j, n in enumerate(names)})
                 for i in range(len(geoms)))
    return Slice(geometry_type, dict(fields), rows)


@cache
def roads(bbox: BBox = WEST_LAKE_BOX) -> Slice:
    """The OSM roads around West Lake (about 2,000 ways; fid = OSM way id)."""
    return _slice(HANGZHOU_GPKG, "roads", ROAD_FIELDS, GeometryType.LINE, bbox)


@cache
def amenities(bbox: BBox = WEST_LAKE_BOX) -> Slice:
    """OSM amenity points around West Lake (2024; fid = OSM node id)."""
    return _slice(AMENITIES_GPKG, "amenities_points", AMENITY_FIELDS, GeometryType.POINT, bbox)


@cache
def west_lake() -> BaseGeometry:
    """The 西湖 water polygon (OSM relation 2308774)."""
    geoms, _ = _read(HANGZHOU_GPKG, "water_a", ["osm_id"], where=f"osm_id = {WEST_LAKE_OSM_ID}")
    return geoms[0]


def load(store: VersionedStore, actor: Actor, name: str, data: Slice,
         edition: Edition = Edition.PUBLIC, rows: tuple[Row, ...] | None = None) -> int:
    """Create layer `name` and write `rows` (default: the whole slice) as one changeset."""
    with store.write(actor, f"load {name}", source="upload") as w:
        w.create_layer(LayerMeta(name, geometry_type=data.geometry_type,
                                 fields=dict(data.fields), edition=edition,
                                 title_zh=f"测试 {name}"))
        w.insert_rows(name, [r.new_row() for r in (data.rows if rows is None else rows)])
    return w.seq


def editor(edition: Edition = Edition.PUBLIC) -> Actor:
    from mapnode.model import Role

    return Actor(f"editor-{edition.value}", edition, frozenset({Role.READER, Role.EDITOR}))


BINJIANG_BOX: BBox = (120.20, 30.19, 120.21, 30.20)  # 滨江, south of the Qiantang river


def elsewhere() -> tuple[Row, ...]:
    """Real roads in 滨江 that are not in the West Lake slice (to insert as new features)."""
    near = roads().by_fid()
    return tuple(r for r in roads(BINJIANG_BOX).rows if r.fid not in near)
