"""Real WMS clients against `mapnode serve` as a real process, on both backends: GDAL's WMS
driver (gdalinfo on the capabilities, gdal_translate reading a window) and OWSLib
WebMapService 1.3.0 and 1.1.1 (layers, getmap, getfeatureinfo)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from owslib.wms import WebMapService
from PIL import Image

from mapnode.styles.palette import WATER
from tests.support.backends import backend_store
from tests.support.server import ServeProcess
from tests.wms.conftest import GOV_KEY, KEYS, LAKE_POINT, LAND_POINT, ROAD_NAME, load
from tests.wms.test_feature_info import road_point
from tests.wms.test_getmap import close, rgb

LONLAT = (120.12, 30.225, 120.17, 30.27)


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[ServeProcess]:
    tmp = tmp_path_factory.mktemp("wms-clients")
    with backend_store(request.param, tmp) as store:
        load(store)
        srv = ServeProcess(store.url, env={"MAPNODE_API_KEYS": json.dumps(KEYS)},
                           log=tmp / "server.log")
        try:
            yield srv
        finally:
            log = srv.stop()
            assert not [s for s in srv.statuses() if s >= 500], log


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    exe = shutil.which(args[0])
    assert exe, f"{args[0]} missing: apt-get install gdal-bin (scripts/test installs it)"
    proc = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_gdalinfo_lists_the_public_layers(server: ServeProcess) -> None:
    out = _run("gdalinfo", f"WMS:{server.url}/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    names = re.findall(r"SUBDATASET_\d+_NAME=.*?LAYERS=([^&\s]+)", out)
    assert {"basemap", "labels", "roads", "water"} <= set(names)
    assert not [n for n in names if n.startswith("gov_")]
    gov = _run("gdalinfo", f"WMS:{server.url}/wms?SERVICE=WMS&REQUEST=GetCapabilities"
                           f"&tk={GOV_KEY}")
    assert "gov_zones" in gov


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_gdal_translate_reads_a_window(server: ServeProcess, tmp_path: Path,
                                       version: str) -> None:
    """GDAL asks 1.3.0 EPSG:4490 maps in lat/lon order: the lake lands where it is."""
    out = tmp_path / "lake.png"
    crs = ("SRS=EPSG:4326&BBOX=120.0,30.1,120.3,30.4" if version == "1.1.1" else
           "CRS=EPSG:4490&BBOX=30.1,120.0,30.4,120.3")  # the URL's box in the CRS's order
    url = (f"WMS:{server.url}/wms?SERVICE=WMS&VERSION={version}&REQUEST=GetMap"
           f"&LAYERS=basemap&{crs}&FORMAT=image/png")
    _run("gdal_translate", "-of", "PNG", "-projwin", str(LONLAT[0]), str(LONLAT[3]),
         str(LONLAT[2]), str(LONLAT[1]), "-outsize", "500", "450", url, str(out))
    image = Image.open(out).convert("RGB")
    assert image.size == (500, 450)

    def px(lon: float, lat: float) -> tuple[int, int]:
        return (int((lon - LONLAT[0]) / 0.05 * 500), int((LONLAT[3] - lat) / 0.045 * 450))

    assert close(image.getpixel(px(*LAKE_POINT)), rgb(WATER), 16)
    assert not close(image.getpixel(px(*LAND_POINT)), rgb(WATER), 16)


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_owslib(server: ServeProcess, version: str) -> None:
    wms = WebMapService(f"{server.url}/wms", version=version)
    assert wms.identification.title.startswith("地理信息公共服务平台")
    assert set(wms.contents) == {"basemap", "labels", "roads", "water"}
    assert wms["roads"].title.startswith("测试 roads") and wms["roads"].queryable == 1
    assert "EPSG:4490" in wms["roads"].crsOptions
    # OWSLib takes x/y and swaps to the CRS's axis order itself for 1.3.0 (lat/lon for 4490)
    crs = "EPSG:4490" if version == "1.3.0" else "EPSG:4326"
    img = wms.getmap(layers=["water", "roads"], styles=["", ""], srs=crs, bbox=LONLAT,
                     size=(500, 450), format="image/png", transparent=True)
    image = Image.open(io.BytesIO(img.read())).convert("RGBA")
    lake = (int((LAKE_POINT[0] - LONLAT[0]) / 0.05 * 500),
            int((LONLAT[3] - LAKE_POINT[1]) / 0.045 * 450))
    assert image.size == (500, 450) and close(image.getpixel(lake), rgb(WATER))
    fid, lon, lat = road_point()
    res = 2e-5
    minx, maxy = lon - 50.5 * res, lat + 50.5 * res
    box = (minx, maxy - 101 * res, minx + 101 * res, maxy)
    answer = wms.getfeatureinfo(layers=["roads"], styles=[""], srs=crs, bbox=box,
                                size=(101, 101), format="image/png", query_layers=["roads"],
                                info_format="application/json", xy=(50, 50))
    body = json.loads(answer.read())
    assert body["features"][0]["id"] == fid
    assert body["features"][0]["properties"]["name"] == ROAD_NAME + "（新）"
