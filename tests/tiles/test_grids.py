"""The three tile matrix sets, checked against their definitions and against morecantile."""

from __future__ import annotations

import morecantile
import pytest

from mapnode.errors import InvalidParameter, NotFound
from mapnode.grids import GRIDS, grid


def test_cgcs2000_uses_tianditu_levels() -> None:
    c = grid("c")
    assert c.id == "CGCS2000Quad" and c.srid == 4490 and c.minzoom == 1
    # level 1: 2×1 tiles of 256 px from (-180, 90), 0.703125°/px
    assert c.bounds(1, 0, 0) == (-180.0, -90.0, 0.0, 90.0)
    assert c.bounds(1, 1, 0) == (0.0, -90.0, 180.0, 90.0)
    assert c.resolution(1) == 0.703125
    c.check(1, 1, 0)
    with pytest.raises(InvalidParameter):
        c.check(1, 2, 0)
    with pytest.raises(InvalidParameter):
        c.check(1, 0, 1)
    with pytest.raises(InvalidParameter):
        c.check(0, 0, 0)  # 天地图 has no level 0
    # halving per level: level n has 2^n × 2^(n-1) tiles
    for level in range(1, 19):
        assert c.resolution(level) == 0.703125 / 2 ** (level - 1)
        c.check(level, 2**level - 1, 2 ** (level - 1) - 1)
    # 西湖 at 天地图 level 14: 0.703125 / 2^13 °/px, 256 px per tile
    span = 0.703125 / 2**13 * 256
    x, y = c.tile_of(120.14, 30.25, 14)
    assert (x, y) == (int((120.14 + 180) // span), int((90 - 30.25) // span))
    assert c.bounds(14, x, y)[0] <= 120.14 <= c.bounds(14, x, y)[2]


@pytest.mark.parametrize("name", list(GRIDS))
def test_bounds_agree_with_morecantile(name: str) -> None:
    g = GRIDS[name]
    for z in (g.minzoom, g.minzoom + 3, 12, 18):
        x, y = g.tile_of(120.14, 30.25, z)
        ref = g.tms.xy_bounds(morecantile.Tile(x, y, z - g.level_offset))
        ours = g.bounds(z, x, y)
        assert ours == pytest.approx((ref.left, ref.bottom, ref.right, ref.top), rel=1e-12, abs=1e-6)
        lon0, lat0, lon1, lat1 = g.lonlat_bounds(z, x, y)
        assert lon0 <= 120.14 <= lon1 and lat0 <= 30.25 <= lat1


def test_world_crs84_zoom_is_tianditu_level_minus_one() -> None:
    w, c = grid("WorldCRS84Quad"), grid("CGCS2000Quad")
    assert w.minzoom == 0 and w.bounds(0, 1, 0) == c.bounds(1, 1, 0)
    for z in range(0, 18):
        x, y = w.tile_of(120.14, 30.25, z)
        assert w.bounds(z, x, y) == pytest.approx(c.bounds(z + 1, x, y), abs=1e-9)


def test_web_mercator_is_the_usual_xyz() -> None:
    w = grid("w")
    assert w.id == "WebMercatorQuad" and w.srid == 3857
    w.check(0, 0, 0)
    assert w.tile_of(120.14, 30.25, 14) == (13659, 6746)  # the usual slippy-map numbers
    with pytest.raises(InvalidParameter):
        w.check(14, 2**14, 0)
    with pytest.raises(InvalidParameter):
        w.check(25, 0, 0)


def test_tile_range_with_margin() -> None:
    w = grid("w")
    x, y = w.tile_of(120.14, 30.25, 15)
    lon0, lat0, lon1, lat1 = w.lonlat_bounds(15, x, y)
    inside = (lon0 + 1e-6, lat0 + 1e-6, lon1 - 1e-6, lat1 - 1e-6)
    assert w.tile_range(inside, 15) == (x, y, x, y)
    assert w.tile_range(inside, 15, margin_px=16) == (x - 1, y - 1, x + 1, y + 1)
    px_lon, px_lat = (lon1 - lon0) / 256, (lat1 - lat0) / 256
    centre = (lon0 + 20 * px_lon, lat0 + 20 * px_lat, lon1 - 20 * px_lon, lat1 - 20 * px_lat)
    assert w.tile_range(centre, 15, margin_px=16) == (x, y, x, y)
    mid = (lat0 + lat1) / 2
    edge = (lon1 - 1e-7, mid, lon1 - 1e-7, mid)  # just inside the east edge
    assert w.tile_range(edge, 15, margin_px=16) == (x, y, x + 1, y)
    assert w.tile_range((-200.0, -100.0, 200.0, 100.0), 2) == (0, 0, 3, 3)


def test_unknown_grid() -> None:
    with pytest.raises(NotFound):
        grid("EPSG:4326")
