"""Features of one store layer for one map, as an inline GeoJSON string for mapnik.

Read like a vector tile layer (mapnode.mvt steps 1-3, through the store's `_tile_read`): rows
meeting the lon/lat bbox as of a seq, the actor's access applied; lines and polygons smaller
than a pixel dropped; points thinned to one per `THIN_CELL_PX` cell while a pixel is coarser
than 2 m. Then clipped to the bbox and simplified at half a pixel, in lon/lat, and only the
properties the style uses are kept.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import shapely

from mapnode import mvt
from mapnode.model import Actor, GeometryType
from mapnode.model.log import BBox
from mapnode.mvt import TileQuery
from mapnode.store import VersionedStore

THIN_CELL_PX = 16.0
THIN_BELOW_M_PER_PX = 2.0


def geojson(store: VersionedStore, actor: Actor, layer: str, bbox: BBox, px_deg: float,
            seq: int, fields: Iterable[str]) -> tuple[str, int]:
    """(FeatureCollection text, feature count) of `layer` within the lon/lat `bbox`;
    `px_deg` is the size of one output pixel in degrees."""
    layer_id, meta = store._layer_id(actor, layer)
    points = meta.geometry_type is GeometryType.POINT
    q = TileQuery(layer, points, bbox, bbox, 4490, min_size=0.0 if points else px_deg)
    source, where, args = store._tile_read(layer_id, q, seq)
    rows = store.query(f"SELECT v.fid, {store.geom_select}, {store.props_select}, v.minx, "
                       f"v.miny FROM {source} WHERE {where} ORDER BY v.fid", args)
    if points and px_deg * 111_320.0 > THIN_BELOW_M_PER_PX:
        cell = THIN_CELL_PX * px_deg
        rows = mvt.thin(rows, (cell, cell), 3, 4)
    if not rows:
        return "", 0
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    if not points:
        geoms = mvt._clip(geoms, bbox)
        geoms = shapely.simplify(geoms, px_deg * 0.5, preserve_topology=False)
    texts = shapely.to_geojson(geoms)
    keep = set(fields)
    parts = []
    for r, g, text in zip(rows, geoms, texts, strict=True):
        if g is None or shapely.is_empty(g):
            continue
        props = store._load_props(r[2])
        small = {k: v for k, v in props.items() if k in keep and v is not None}
        parts.append('{"type":"Feature","geometry":' + text + ',"properties":'
                     + orjson.dumps(small).decode() + "}")
    if not parts:
        return "", 0
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}", len(parts)
