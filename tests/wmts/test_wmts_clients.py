"""Real WMTS clients against a real server process on both backends: GDAL's WMTS driver
(`gdalinfo` on the capabilities in both grids, `gdal_translate -srcwin` reading a window) and
OWSLib's WebMapTileService (contents, tile matrix sets, GetTile)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pytest
from owslib.wmts import WebMapTileService
from PIL import Image

from mapnode.grids import from_lonlat, grid
from tests.support.server import ServeProcess
from tests.tiles.conftest import City
from tests.wmts.conftest import LAKE


@pytest.fixture(scope="module")
def server(city: City) -> Iterator[ServeProcess]:
    proc = ServeProcess(city.store.url)
    yield proc
    proc.stop()


@pytest.fixture(autouse=True)
def _gdal_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GDAL's WMTS driver caches tiles under ./gdalwmscache unless told otherwise."""
    monkeypatch.setenv("GDAL_DEFAULT_WMS_CACHE_PATH", str(tmp_path / "gdalwmscache"))


def gdalinfo(target: str) -> str:
    r = subprocess.run(["gdalinfo", target], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    return r.stdout


def geo(out: str) -> tuple[tuple[float, float], tuple[float, float]]:
    origin = re.search(r"Origin = \(([-\d.e]+),([-\d.e]+)\)", out).groups()  # type: ignore[union-attr]
    size = re.search(r"Pixel Size = \(([-\d.e]+),([-\d.e]+)\)", out).groups()  # type: ignore[union-attr]
    return (float(origin[0]), float(origin[1])), (float(size[0]), float(size[1]))


def test_gdalinfo_reads_the_cgcs2000_grid(server: ServeProcess) -> None:
    out = gdalinfo(f"WMTS:{server.url}/vec_c/wmts?request=GetCapabilities&service=wmts")
    assert 'ID["EPSG",4490]' in out or "CGCS2000" in out
    (x0, y0), (dx, dy) = geo(out)
    # the finest level (20) of 天地图's c grid: 0.703125° / 2^19 per pixel
    assert dx == pytest.approx(0.703125 / 2 ** 19, rel=1e-6)
    assert dy == pytest.approx(-0.703125 / 2 ** 19, rel=1e-6)
    # the dataset covers the layer's bounding box (Hangzhou), read as lon/lat
    assert 119.0 < x0 < LAKE[0] and LAKE[1] < y0 < 31.5


def test_gdalinfo_reads_the_web_mercator_grid(server: ServeProcess) -> None:
    out = gdalinfo(f"WMTS:{server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities,"
                   "layer=basemap,tilematrixset=WebMercatorQuad")
    assert 'ID["EPSG",3857]' in out
    (x0, y0), (dx, _) = geo(out)
    assert dx == pytest.approx(2 * 20037508.342789244 / 256 / 2 ** 20, rel=1e-6)
    assert 13.2e6 < x0 < 13.4e6 and 3.5e6 < y0 < 3.7e6
    listing = gdalinfo(f"WMTS:{server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    assert "layer=roads,tilematrixset=CGCS2000Quad" in listing
    assert "gov_roads" not in listing


def test_owslib(server: ServeProcess) -> None:
    wmts = WebMapTileService(f"{server.url}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    assert {"basemap", "labels", "roads", "water", "pois"} <= set(wmts.contents)
    assert "gov_roads" not in wmts.contents
    assert set(wmts.tilematrixsets) == {"WebMercatorQuad", "CGCS2000Quad", "WorldCRS84Quad"}
    c = wmts.tilematrixsets["CGCS2000Quad"]
    assert c.crs == "urn:ogc:def:crs:EPSG::4490"
    level1 = c.tilematrix["1"]
    assert (level1.matrixwidth, level1.matrixheight) == (2, 1)
    assert level1.topleftcorner == (90.0, -180.0)
    roads = wmts.contents["roads"]
    assert "application/vnd.mapbox-vector-tile" in roads.formats
    assert "CGCS2000Quad" in roads.tilematrixsetlinks
    x, y = grid("c").tile_of(*LAKE, 15)
    tile = wmts.gettile(layer="roads", tilematrixset="CGCS2000Quad", tilematrix="15", row=y,
                        column=x, format="application/vnd.mapbox-vector-tile")
    assert "roads" in mapbox_vector_tile.decode(tile.read())


@pytest.mark.parametrize(("target", "lonlat"), [
    ("/vec_c/wmts?request=GetCapabilities&service=wmts", True),
    ("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities,layer=basemap,tilematrixset=WebMercatorQuad",
     False),
])
def test_gdal_translate_reads_a_window(server: ServeProcess, tmp_path: Path, target: str,
                                       lonlat: bool) -> None:
    """A window of 2^14 level-20 pixels around 西湖 read at 256 px (GDAL uses level 14):
    the image shows the lake in its middle and land at its corners."""
    source = f"WMTS:{server.url}{target}"
    (x0, y0), (dx, dy) = geo(gdalinfo(source))
    x, y = (LAKE if lonlat else from_lonlat(*LAKE))
    col, row = round((x - x0) / dx), round((y - y0) / dy)
    half = 2 ** 13
    out = tmp_path / "window.png"
    r = subprocess.run(["gdal_translate", "-q", "-of", "PNG", "-srcwin", str(col - half),
                        str(row - half), str(2 * half), str(2 * half), "-outsize", "256", "256",
                        source, str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    window = Image.open(out).convert("RGB")
    assert window.size == (256, 256)
    red, green, blue = window.getpixel((128, 128))
    assert blue > red + 20, (red, green, blue)  # water
    assert len(window.getcolors(1 << 16) or []) > 50  # a map, not a blank
    assert server.statuses().count(500) == 0
