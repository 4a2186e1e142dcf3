"""Tile matrix sets (tile grids): WebMercatorQuad, CGCS2000Quad and WorldCRS84Quad.

- **WebMercatorQuad** (EPSG:3857), 天地图 "_w": level z is the usual z (1×1 tile at z 0).
- **CGCS2000Quad** (EPSG:4490 lon/lat), 天地图 "_c": **天地图 level numbering**: level 1 is
  2×1 tiles of 256 px from (-180, 90), 0.703125°/px, halving per level; level 0 does not exist.
  In morecantile this is `TileMatrixSet.custom([-180,-90,180,90], 4490, matrix_scale=[2,1])`,
  whose zoom 0 is 天地图 level 1: URL levels are morecantile zooms + 1 (`level_offset`).
- **WorldCRS84Quad** (OGC 2D-TMS, CRS84): OGC numbering, zoom 0 is 2×1 tiles of 0.703125°/px;
  so WorldCRS84Quad zoom z covers the same area as CGCS2000Quad level z + 1
  (CGCS2000 and WGS 84 differ by centimetres).

Aliases: `w` = WebMercatorQuad, `c` = CGCS2000Quad (天地图 habits).
Tile arithmetic here is plain float maths on the matrix definition (checked against
morecantile in the tests), so that tile ranges for cache invalidation are cheap at every level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import morecantile
from pyproj import CRS

from mapnode.errors import InvalidParameter, NotFound
from mapnode.model.log import BBox

TILE_SIZE = 256
MERCATOR_MAX_LAT = 85.0511287798066
EARTH_RADIUS = 6378137.0


@dataclass(frozen=True)
class Grid:
    """One tile matrix set with the level numbering used in URLs."""

    id: str
    title: str
    tms: morecantile.TileMatrixSet
    srid: int  # CRS of tile coordinates: 3857, 4490 or 4326 (degrees)
    level_offset: int  # URL level = morecantile zoom + level_offset
    minzoom: int
    maxzoom: int

    @property
    def geographic(self) -> bool:
        return self.srid != 3857

    def _matrix(self, z: int) -> tuple[float, float, float, int, int]:
        """(origin x, origin y, tile span in CRS units, matrix width, matrix height) at level z."""
        return _matrix(self.id, z)

    def check(self, z: int, x: int, y: int) -> None:
        """Raise InvalidParameter unless z/x/y is a tile of this grid."""
        if not self.minzoom <= z <= self.maxzoom:
            raise InvalidParameter("瓦片级别超出范围", "tile level out of range",
                                   {"z": z, "min": self.minzoom, "max": self.maxzoom,
                                    "grid": self.id})
        _, _, _, width, height = self._matrix(z)
        if not (0 <= x < width and 0 <= y < height):
            raise InvalidParameter("瓦片行列号超出范围", "tile column or row out of range",
                                   {"z": z, "x": x, "y": y, "columns": width, "rows": height})

    def bounds(self, z: int, x: int, y: int) -> BBox:
        """Tile bounds in the grid CRS, x/y order (metres for 3857, degrees otherwise)."""
        ox, oy, span, _, _ = self._matrix(z)
        return (ox + x * span, oy - (y + 1) * span, ox + (x + 1) * span, oy - y * span)

    def resolution(self, z: int) -> float:
        """Size of one 256-px pixel in CRS units at level z."""
        return self._matrix(z)[2] / TILE_SIZE

    def lonlat_bounds(self, z: int, x: int, y: int) -> BBox:
        b = self.bounds(z, x, y)
        if self.geographic:
            return b
        return (*to_lonlat(b[0], b[1]), *to_lonlat(b[2], b[3]))  # type: ignore[return-value]

    def tile_range(self, lonlat: BBox, z: int, margin_px: float = 0.0) -> tuple[int, int, int, int]:
        """Columns and rows (inclusive) of tiles at level z whose bounds, widened by `margin_px`
        pixels, intersect a lon/lat bbox. Empty ranges have min > max."""
        ox, oy, span, width, height = self._matrix(z)
        if self.geographic:
            minx, miny, maxx, maxy = lonlat
        else:
            minx, miny = from_lonlat(lonlat[0], lonlat[1])
            maxx, maxy = from_lonlat(lonlat[2], lonlat[3])
        pad = margin_px * span / TILE_SIZE
        x0 = max(0, math.floor((minx - pad - ox) / span))
        x1 = min(width - 1, math.floor((maxx + pad - ox) / span))
        y0 = max(0, math.floor((oy - (maxy + pad)) / span))
        y1 = min(height - 1, math.floor((oy - (miny - pad)) / span))
        return x0, y0, x1, y1

    def tile_of(self, lon: float, lat: float, z: int) -> tuple[int, int]:
        """The tile containing a lon/lat point at level z."""
        x0, y0, _, _ = self.tile_range((lon, lat, lon, lat), z)
        return x0, y0


def from_lonlat(lon: float, lat: float) -> tuple[float, float]:
    """Spherical Mercator metres (EPSG:3857) of a lon/lat, latitude clamped to the grid."""
    lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, lat))
    return (EARTH_RADIUS * math.radians(lon),
            EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return (math.degrees(x / EARTH_RADIUS),
            math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS)) - math.pi / 2))


@cache
def _matrix(grid_id: str, z: int) -> tuple[float, float, float, int, int]:
    grid = GRIDS[grid_id]
    m = grid.tms.matrix(z - grid.level_offset)
    origin = m.pointOfOrigin
    if grid.tms._invert_axis:  # EPSG:4490 is lat/lon: the origin is given as (lat, lon)
        origin = (origin[1], origin[0])
    return (float(origin[0]), float(origin[1]), m.cellSize * m.tileWidth, m.matrixWidth,
            m.matrixHeight)


def _cgcs2000() -> morecantile.TileMatrixSet:
    return morecantile.TileMatrixSet.custom(
        [-180.0, -90.0, 180.0, 90.0], CRS.from_epsg(4490), matrix_scale=[2, 1],
        id="CGCS2000Quad", title="CGCS2000 geographic quad (天地图 _c)", minzoom=0, maxzoom=19)


GRIDS: dict[str, Grid] = {
    "WebMercatorQuad": Grid("WebMercatorQuad", "Web Mercator (天地图 _w)",
                            morecantile.tms.get("WebMercatorQuad"), 3857, 0, 0, 20),
    "CGCS2000Quad": Grid("CGCS2000Quad", "CGCS2000 经纬度 (天地图 _c)", _cgcs2000(), 4490, 1, 1, 20),
    "WorldCRS84Quad": Grid("WorldCRS84Quad", "World CRS84 quad (OGC)",
                           morecantile.tms.get("WorldCRS84Quad"), 4326, 0, 0, 19),
}
ALIASES = {"w": "WebMercatorQuad", "c": "CGCS2000Quad"}


def grid(name: str) -> Grid:
    """A grid by id or 天地图 alias (`w`, `c`); unknown names are NotFound."""
    found = GRIDS.get(ALIASES.get(name, name))
    if found is None:
        raise NotFound("瓦片网格不存在", "no such tile matrix set",
                       {"tms": name, "known": ", ".join([*GRIDS, *ALIASES])})
    return found
