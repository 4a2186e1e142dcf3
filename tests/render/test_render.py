"""render_map on real Hangzhou data, on both backends: water where 西湖 is and road colour
along 南山路 in EPSG:3857, 4490 and a Gauss-Krüger CRS; every geometry pixel of a 4490 tile is
where the 4490 tile bounds put it (it would not be if the map were stretched from 3857); CJK
labels; raster layers; argument errors; rasterio and pyproj still work afterwards."""

from __future__ import annotations

import io

import numpy as np
import pytest
import shapely
from PIL import Image
from pyproj import Transformer

from mapnode.errors import InvalidParameter, NotFound
from mapnode.grids import grid
from mapnode.model import Actor
from mapnode.render import legend_image, map_zoom, render_map
from mapnode.render.env import face_names
from mapnode.styles import palette
from tests.render.conftest import City
from tests.render.pixels import near, pixel_lonlat, rgba, tile_pixel

LAKE = (120.1417, 30.2472)  # open water of 西湖
NANSHAN_ROAD = "589384551"  # 南山路, primary
PUBLIC = Actor.anonymous()
ROAD_FILL = {gid: fill for gid, classes, _, fill, _, _ in palette.ROAD_GROUPS for _ in classes}
PRIMARY = next(fill for gid, _, _, fill, _, _ in palette.ROAD_GROUPS if gid == "primary")


def tile_png(city: City, tms: str, z: int, lon: float, lat: float, **kw: object) -> tuple[
        np.ndarray, tuple[int, int]]:
    g = grid(tms)
    x, y = g.tile_of(lon, lat, z)
    data = render_map(city.store, PUBLIC, bbox=g.bounds(z, x, y),
                      crs=f"EPSG:{g.srid}", width=256, height=256, **kw)  # type: ignore[arg-type]
    assert data.startswith(b"\x89PNG")
    return rgba(data), (x, y)


@pytest.mark.parametrize(("tms", "z"), [("w", 14), ("c", 14), ("w", 16), ("c", 16)])
def test_water_and_road_colours(city: City, tms: str, z: int) -> None:
    img, _ = tile_png(city, tms, z, *LAKE)
    assert len({tuple(p) for p in img.reshape(-1, 4)[::7]}) > 3  # not blank
    g = grid(tms)
    x, y = g.tile_of(*LAKE, z)
    col, row = tile_pixel(g, z, x, y, *LAKE)
    assert near(img, palette.WATER)[int(row), int(col)]
    # 南山路: the primary road colour within 2 px of points along it
    road = city.store.feature(PUBLIC, "roads", NANSHAN_ROAD).geometry
    hits = 0
    for f in np.linspace(0.1, 0.9, 9):
        lon, lat = road.interpolate(f, normalized=True).coords[0]
        x, y = g.tile_of(lon, lat, z)
        img, _ = tile_png(city, tms, z, lon, lat)
        c, r = (int(v) for v in tile_pixel(g, z, x, y, lon, lat))
        window = near(img, PRIMARY, tol=10)[max(0, r - 2):r + 3, max(0, c - 2):c + 3]
        hits += bool(window.any())
    assert hits >= 7, hits  # a label may cover the road at a point or two


@pytest.mark.parametrize("tms", ["c", "w"])
def test_pixels_land_where_the_tile_bounds_put_them(city: City, tms: str) -> None:
    """Sample a 32×32 grid of pixel centres of a tile over 西湖; away from a shore (3 px),
    a pixel is water colour exactly when its lon/lat (from the tile's own CRS) is inside a
    water polygon. A 4490 tile stretched from 3857 bounds, or shifted, fails this."""
    g, z = grid(tms), 15
    x, y = g.tile_of(120.145, 30.235, z)
    lake = shapely.union_all([f.geometry for f in city.store.features(
        PUBLIC, "water", bbox=g.lonlat_bounds(z, x, y))])
    img = rgba(render_map(city.store, PUBLIC, layers=["water"], bbox=g.bounds(z, x, y),
                          crs=f"EPSG:{g.srid}", width=256, height=256))
    water = near(img, palette.WATER, tol=6)
    lon0, _, lon1, _ = g.lonlat_bounds(z, x, y)
    px_deg = (lon1 - lon0) / 256
    inside_ok = outside_ok = inside = outside = 0
    for row in range(4, 256, 8):
        for col in range(4, 256, 8):
            lon, lat = pixel_lonlat(g, z, x, y, col + 0.5, row + 0.5)
            p = shapely.Point(lon, lat)
            if lake.boundary.distance(p) < 3 * px_deg:
                continue
            if lake.contains(p):
                inside += 1
                inside_ok += bool(water[row, col])
            else:
                outside += 1
                outside_ok += not water[row, col]
    assert inside > 50 and outside > 50, (inside, outside)
    # the lake's name may cover a few inside pixels
    assert inside_ok >= 0.98 * inside and outside_ok == outside, (
        inside_ok, inside, outside_ok, outside)


@pytest.mark.parametrize("tms", ["c", "w"])
def test_raster_edge_lands_on_its_row_at_low_zoom(city: City, tms: str) -> None:
    """The DEM's north edge (59.93°N) in a level-4 tile spanning 22.5° of latitude (4490) is
    at row 86 in 4490 and at row 100 if the map were Mercator stretched to those bounds."""
    g, z = grid(tms), 4
    x, y = g.tile_of(85.0, 59.0, z)  # the top row of the DEM has data at 80-89.7°E
    img = rgba(render_map(city.store, PUBLIC, layers=["dem"], bbox=g.bounds(z, x, y),
                          crs=f"EPSG:{g.srid}", width=256, height=256, transparent=True))
    opaque = img[..., 3] > 0
    first = int(np.argmax(opaque.any(axis=1)))
    _, expected = tile_pixel(g, z, x, y, 85.0, 59.93124961853027)
    assert abs(first - expected) <= 1.5, (first, expected)


def test_gauss_kruger_and_4326(city: City) -> None:
    to_gk = Transformer.from_crs(4490, 4549, always_xy=True)  # CGCS2000 3° GK, CM 120°E
    e, n = to_gk.transform(*LAKE)
    img = rgba(render_map(city.store, PUBLIC, bbox=(e - 1000, n - 1000, e + 1000, n + 1000),
                          crs="EPSG:4549", width=200, height=200))
    assert near(img, palette.WATER)[100, 100]
    img = rgba(render_map(city.store, PUBLIC, bbox=(LAKE[0] - 0.01, LAKE[1] - 0.01,
                                                    LAKE[0] + 0.01, LAKE[1] + 0.01),
                          crs="EPSG:4326", width=200, height=200))
    assert near(img, palette.WATER)[100, 100]


def test_cjk_labels(city: City) -> None:
    assert {"Noto Sans CJK SC Regular", "Noto Sans CJK SC Bold"} <= set(face_names())
    # 西湖's name is written in the lake at w 15 (MapLibre zoom 14): water-label colour
    img, _ = tile_png(city, "w", 16, *LAKE)
    text = near(img, palette.WATER_TEXT, tol=40)
    assert text.sum() > 40
    without = rgba(render_map(city.store, PUBLIC, layers=["water"], style="basemap",
                              bbox=grid("w").bounds(16, *grid("w").tile_of(*LAKE, 16)),
                              crs="EPSG:3857", width=256, height=256))
    # the same map with the labels drawn from the 'labels' style only
    labels = rgba(render_map(city.store, PUBLIC, style="labels",
                             bbox=grid("w").bounds(16, *grid("w").tile_of(*LAKE, 16)),
                             crs="EPSG:3857", width=256, height=256, transparent=True))
    assert (labels[..., 3] > 0).sum() > 40  # text on a transparent background
    assert (labels[..., 3] == 0).mean() > 0.8
    assert near(without, palette.WATER_TEXT, tol=40).sum() >= text.sum() * 0.5


def test_retina_formats_and_zoom(city: City) -> None:
    g = grid("w")
    bbox = g.bounds(15, *g.tile_of(*LAKE, 15))
    for fmt, magic in (("jpeg", b"\xff\xd8"), ("webp", b"RIFF"), ("png", b"\x89PNG")):
        data = render_map(city.store, PUBLIC, bbox=bbox, crs="EPSG:3857", width=512,
                          height=512, fmt=fmt, scale=2)
        assert data.startswith(magic)
        assert Image.open(io.BytesIO(data)).size == (512, 512)
    assert map_zoom(360 / 2**15, 256) == pytest.approx(14)  # a level-15 tile is MapLibre 14


def test_raster_layers(city: City) -> None:
    """The DEM draws over China in both grids; the Landsat scene over the Bahamas."""
    for tms, z in (("w", 5), ("c", 5)):
        g = grid(tms)
        x, y = g.tile_of(105.0, 33.0, z)
        img = rgba(render_map(city.store, PUBLIC, layers=["dem"], bbox=g.bounds(z, x, y),
                              crs=f"EPSG:{g.srid}", width=256, height=256, transparent=True))
        assert (img[..., 3] > 0).mean() > 0.9
    img = rgba(render_map(city.store, PUBLIC, style="imagery", bbox=(-78.4, 24.0, -77.2, 25.2),
                          crs="EPSG:4326", width=128, height=128))
    assert len({tuple(p) for p in img.reshape(-1, 4)}) > 100  # a photograph, not a fill


def test_arguments_are_checked(city: City) -> None:
    ok = {"bbox": (120.1, 30.2, 120.2, 30.3), "crs": "EPSG:4490", "width": 64, "height": 64}
    bad = [{"crs": "EPSG:9999"}, {"width": 0}, {"height": 5000}, {"bbox": (1, 1, 0, 2)},
           {"bbox": (0, 0, float("nan"), 1)}, {"fmt": "gif"}, {"scale": 9},
           {"layers": []}, {"bgcolor": "red"}, {"style": "nope"}]
    for change in bad:
        with pytest.raises((InvalidParameter, NotFound)):
            render_map(city.store, PUBLIC, **{**ok, **change})  # type: ignore[arg-type]
    for layers in (["gov_roads"], ["nope"]):
        with pytest.raises(NotFound):
            render_map(city.store, PUBLIC, layers=layers, **ok)  # type: ignore[arg-type]
    gov = Actor("gov", PUBLIC.edition.__class__("government"), PUBLIC.roles)
    assert render_map(city.store, gov, layers=["gov_roads"], **ok)  # type: ignore[arg-type]


def test_legend(city: City) -> None:
    img = rgba(legend_image(city.store, PUBLIC, style="basemap", layer="water"))
    assert img.shape == (20, 20, 4) and near(img, palette.WATER)[10, 10]
    road = rgba(legend_image(city.store, PUBLIC, style="basemap", layer="roads", width=40,
                             height=16))
    assert road.shape == (16, 40, 4) and (road[..., 3] > 0).any()
    with pytest.raises(NotFound):
        legend_image(city.store, PUBLIC, style="basemap", layer="gov_roads")


def test_rasterio_and_pyproj_work_after_rendering(city: City) -> None:
    render_map(city.store, PUBLIC, bbox=(120.1, 30.2, 120.2, 30.3), crs="EPSG:4490",
               width=64, height=64)
    import rasterio
    from rasterio.warp import transform_bounds

    from tests.support.data import RASTERS

    with rasterio.open(RASTERS / "RGB.byte.tif") as ds:
        assert ds.crs.to_epsg() == 32618
        bounds = transform_bounds(ds.crs, "EPSG:4490", *ds.bounds)
    assert bounds == pytest.approx((-78.96, 23.56, -76.57, 25.55), abs=0.02)
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(114.0, 30.0)
    assert (e, n) == pytest.approx((500000, 3320113.4), abs=1.0)  # on the central meridian
