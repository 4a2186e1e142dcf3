"""One layer of a Mapbox Vector Tile: what to read (`TileQuery`) and the Python encoder.

`services.tiles` plans a `TileQuery` per layer (generalisation depends on the level); the store
selects the rows and encodes them: PostGIS with `ST_AsMVT` in SQL, the embedded store with
`encode_layer` here. Both apply the same steps in the same order, so both give the same
features with the same attributes:

1. rows whose lon/lat bbox meets `bbox` (the tile plus its buffer), as of the seq;
2. lines and polygons smaller than `min_size` degrees in both directions are dropped
   (decided on the stored bbox columns, identically on both backends);
3. points are thinned: one per `thin` cell (degrees, `floor(minx / cx), floor(miny / cy)`),
   the lowest fid (byte order) wins;
4. lines and polygons are clipped to `bbox` (GEOS clip-by-rect), transformed to the grid CRS,
   simplified (Douglas-Peucker, `simplify` in grid units; a closed line that collapses to
   there-and-back is dropped, as `ST_Simplify` drops it);
5. scaled to the tile extent (y down), clipped to the buffer, snapped to the integer grid with
   valid output (`ST_AsMVTGeom`; here GEOS `set_precision`), collapsed ones dropped.

The backends still differ on features that collapse to a pixel or less (GEOS and liblwgeom
round slivers differently) and on lines lying exactly on the buffer edge; tests/tiles/
test_backends.py bounds those differences.

Attributes: the feature's properties (nulls left out, integral numbers as integers, nested
values as JSON text). The MVT feature id is the fid when it is 1-18 decimal digits; a `fid`
attribute is added only when the id does not say the fid exactly (other text, or leading
zeros): one unique value per feature made the largest tiles a quarter bigger and slower.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely

from mapnode import mvt_encoder
from mapnode.grids import EARTH_RADIUS
from mapnode.model.log import BBox

_NUMERIC_FID = re.compile("[0-9]{1,18}")  # fits an MVT id and a bigint
_ID_IS_FID = re.compile("0|[1-9][0-9]{0,17}")  # and the id written in decimal gives it back


@dataclass(frozen=True)
class TileQuery:
    """One layer of one tile, as `services.tiles` plans it (see the module docstring)."""

    layer: str  # the store layer, also the MVT layer name
    points: bool  # the layer holds points: thin instead of simplify
    bbox: BBox  # lon/lat bbox to read and clip to: the tile with its buffer
    bounds: BBox  # tile bounds in the grid CRS
    srid: int  # grid CRS: 3857, or 4490/4326 (tile coordinates in degrees)
    extent: int = 4096
    buffer: int = 64
    min_size: float = 0.0
    thin: tuple[float, float] | None = None
    simplify: float = 0.0


def thin(rows: Sequence[tuple[Any, ...]], cell: tuple[float, float], x: int, y: int,
         fid: int = 0) -> list[tuple[Any, ...]]:
    """Keep the lowest-fid row of each cell; columns `x`/`y` hold minx/miny."""
    best: dict[tuple[int, int], tuple[Any, ...]] = {}
    for r in rows:
        key = (math.floor(r[x] / cell[0]), math.floor(r[y] / cell[1]))
        kept = best.get(key)
        if kept is None or r[fid] < kept[fid]:
            best[key] = r
    return sorted(best.values(), key=lambda r: r[fid])


def web_mercator(lonlat: np.ndarray) -> np.ndarray:
    """EPSG:3857 metres of lon/lat pairs: the spherical formulas PROJ's webmerc uses (same
    figures as `ST_Transform(…, 3857)` to well under a millimetre; pure numpy, thread-safe)."""
    lat = np.clip(lonlat[:, 1], -89.9, 89.9)
    return np.column_stack([EARTH_RADIUS * np.radians(lonlat[:, 0]),
                            EARTH_RADIUS * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))])


def encode_layer(q: TileQuery, rows: Iterable[tuple[str, bytes, Any]]) -> bytes:
    """Encode (fid, wkb, properties dict) rows as one MVT layer; b"" when nothing is left."""
    rows = list(rows)
    if not rows:
        return b""
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    if not q.points:
        geoms = _clip(geoms, q.bbox)
    if q.srid == 3857:
        geoms = shapely.transform(geoms, web_mercator)
    if q.simplify > 0 and not q.points:
        geoms = _without_collapsed_loops(shapely.simplify(geoms, q.simplify,
                                                          preserve_topology=False))
    minx, miny, maxx, maxy = q.bounds
    sx, sy = q.extent / (maxx - minx), q.extent / (maxy - miny)
    geoms = shapely.transform(geoms, lambda xy: np.column_stack(
        [(xy[:, 0] - minx) * sx, (maxy - xy[:, 1]) * sy]))
    if not q.points:
        lo, hi = -q.buffer, q.extent + q.buffer
        # snapped to the integer grid with valid output (collapsed parts go), exteriors of
        # positive area in tile coordinates as MVT 2.1 requires
        geoms = shapely.orient_polygons(shapely.set_precision(
            _clip(geoms, (lo, lo, hi, hi)), 1.0))
    return mvt_encoder.encode_layer(
        q.layer, q.extent, geoms, [attributes(r[0], r[2]) for r in rows],
        [int(r[0]) if _NUMERIC_FID.fullmatch(r[0]) else None for r in rows])


def _clip(geoms: np.ndarray, box: BBox) -> np.ndarray:
    """GEOS clip-by-rect, skipped for the (many) geometries already inside the box."""
    b = shapely.bounds(geoms)
    outside = ~((b[:, 0] >= box[0]) & (b[:, 1] >= box[1]) & (b[:, 2] <= box[2])
                & (b[:, 3] <= box[3]))
    if outside.any():
        geoms = geoms.copy()
        geoms[outside] = shapely.clip_by_rect(geoms[outside], *box)
    return geoms


def _without_collapsed_loops(geoms: np.ndarray) -> np.ndarray:
    """Drop closed lines that simplified to there-and-back (A-B-A), as `ST_Simplify` does."""
    loops = (shapely.get_type_id(geoms) == 1) & (shapely.get_num_coordinates(geoms) <= 3)
    if loops.any():
        geoms = geoms.copy()
        geoms[loops & shapely.is_closed(geoms)] = None
    return geoms


def attributes(fid: str, props: dict[str, Any]) -> dict[str, Any]:
    """MVT attributes of a feature, typed as `ST_AsMVT` types jsonb values."""
    out: dict[str, Any] = {}
    for k, v in props.items():
        if v is None or k == "fid":
            continue
        if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
            v = int(v)
        elif isinstance(v, dict | list):
            v = orjson.dumps(v).decode()
        out[k] = v
    if not _ID_IS_FID.fullmatch(fid):
        out["fid"] = fid
    return out
