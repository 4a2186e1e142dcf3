"""The portal's own JavaScript maths, run by node, against pyproj: 3° Gauss–Krüger (EPSG:4549
and its neighbours), geodesic distance and area on the CGCS2000 ellipsoid."""

from __future__ import annotations

import itertools
import json
import subprocess

import pytest
from pyproj import Geod, Transformer

from mapnode.http.portal import STATIC

POINTS = [(120.15531, 30.25123), (121.4737, 31.2304), (118.6, 24.9),  # 杭州, 上海, 泉州
          (116.39, 39.91), (113.26, 23.13), (87.6, 43.8), (126.6, 45.75)]  # 北京, 广州, 乌鲁木齐, 哈尔滨


def run_js(expression: str) -> object:
    """Evaluate `expression` in node with gk.js and geodesic.js imported."""
    script = (f'import * as gk from "{STATIC / "gk.js"}";\n'
              f'import * as geo from "{STATIC / "geodesic.js"}";\n'
              f"console.log(JSON.stringify({expression}));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_gauss_kruger_matches_pyproj_epsg_4549() -> None:
    got = run_js("gk.gaussKruger(120.15531, 30.25123)")
    assert isinstance(got, dict)
    easting, northing = Transformer.from_crs(4490, 4549, always_xy=True).transform(120.15531, 30.25123)
    assert (got["zone"], got["cm"]) == (40, 120)
    assert got["y"] == pytest.approx(easting, abs=0.001)
    assert got["x"] == pytest.approx(northing, abs=0.001)
    assert got["yZone"] == pytest.approx(40_000_000 + easting, abs=0.001)


@pytest.mark.parametrize("lon, lat", POINTS)
def test_gauss_kruger_in_every_zone(lon: float, lat: float) -> None:
    """Zone = round(lon / 3); CGCS2000 3° GK CM 75°E … 135°E is EPSG:4534 … 4554."""
    got = run_js(f"gk.gaussKruger({lon}, {lat})")
    assert isinstance(got, dict)
    zone = round(lon / 3)
    assert got["zone"] == zone
    epsg = 4534 + zone - 25
    easting, northing = Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)
    assert got["y"] == pytest.approx(easting, abs=0.001)
    assert got["x"] == pytest.approx(northing, abs=0.001)


def test_geodesic_distance_and_area_match_pyproj() -> None:
    geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 by 0.1 mm in b
    line = [[120.1, 30.2], [120.3, 30.3], [121.47, 31.23]]
    ring = [[120.1, 30.2], [120.3, 30.2], [120.3, 30.35], [120.1, 30.35], [120.1, 30.2]]
    got = run_js(f"[geo.length({line}), geo.area({ring}), geo.distance([116.39, 39.91], "
                 "[87.6, 43.8])]")
    assert isinstance(got, list)
    expected_length = sum(geod.inv(*a, *b)[2] for a, b in itertools.pairwise(line))
    area, _ = geod.polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])
    assert got[0] == pytest.approx(expected_length, abs=0.001)
    assert got[1] == pytest.approx(abs(area), rel=1e-5)
    assert got[2] == pytest.approx(geod.inv(116.39, 39.91, 87.6, 43.8)[2], abs=0.001)


def test_units_in_chinese_and_english() -> None:
    got = run_js('[geo.formatLength(950), geo.formatLength(12345.6, "en"), '
                 'geo.formatArea(6666.67), geo.formatArea(2.5e6, "en")]')
    assert got == ["950.0 米", "12.346 km", "6666.7 平方米（10.00 亩）", "2.5000 km² (250.00 ha)"]
