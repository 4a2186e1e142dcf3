"""CRS on real data: 3857, CGCS2000 3° GK zones 4547–4549, 4490; GCJ-02 and BD-09 only on request."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer

from mapnode.crs import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    wgs84_to_gcj02,
)
from mapnode.errors import InvalidParameter
from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ingest.conftest import mapnode_import, state
from tests.support.data import STATIONS_GPKG, data

DATAV = data("admin_boundaries_datav")
BUS = data("hangzhou_bus_hzdatasets_2015")
# Each zone's stations: central meridian ± 1.5° (the zone), named stations only.
ZONES = {"EPSG:4547": 114.0, "EPSG:4548": 117.0, "EPSG:4549": 120.0}


def stations(lon_min: float, lon_max: float) -> pa.Table:
    _, table = pyogrio.raw.read_arrow(
        STATIONS_GPKG, where=f"name IS NOT NULL AND lon >= {lon_min} AND lon < {lon_max}")
    assert table.num_rows > 100
    return table


def write_projected(table: pa.Table, crs: str, path: Path) -> Path:
    """The stations' real lon/lat projected into `crs` and written with that CRS declared."""
    lon = table.column("lon").to_numpy()
    lat = table.column("lat").to_numpy()
    if crs == "EPSG:4490":
        x, y = lon, lat
    else:
        x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    geom = shapely.to_wkb(shapely.points(x, y))
    out = table.drop_columns(["geom"]).append_column("geom", pa.array(geom, pa.binary()))
    pyogrio.raw.write_arrow(out, path, layer="stations", driver="GPKG", geometry_name="geom",
                            geometry_type="Point", crs=crs)
    return path


def lonlat_of(store: VersionedStore, system: Actor, layer: str) -> dict[str, tuple[str, float,
                                                                                 float]]:
    return {f.properties["name"] + f"@{f.fid}": (f.properties["name"], f.geometry.x, f.geometry.y)
            for f in store.features(system, layer)}


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:4547", "EPSG:4548", "EPSG:4549",
                                 "EPSG:4490"])
def test_projected_stations_come_back_within_1e7_degrees(store: VersionedStore, system: Actor,
                                                         tmp_path: Path, crs: str) -> None:
    cm = ZONES.get(crs, 120.0)
    table = stations(cm - 1.5, cm + 1.5)
    path = write_projected(table, crs, tmp_path / "stations.gpkg")
    import_file(store, system, path, ImportOptions(layer="st"))
    meta = store.layer(system, "st")
    assert meta.source_crs == crs
    got = sorted((f.properties["name"], f.properties["lon"], f.properties["lat"], f.geometry.x,
                  f.geometry.y) for f in store.features(system, "st"))
    assert len(got) == table.num_rows
    arr = np.array([g[1:] for g in got])
    assert np.abs(arr[:, 2] - arr[:, 0]).max() < 1e-7
    assert np.abs(arr[:, 3] - arr[:, 1]).max() < 1e-7
    if crs == "EPSG:4490":
        assert (arr[:, 2] == arr[:, 0]).all() and (arr[:, 3] == arr[:, 1]).all()
    if crs in ZONES:  # really Gauss–Krüger metres: false easting 500 km, no zone prefix
        _, raw = pyogrio.raw.read_arrow(path)
        x = shapely.get_x(shapely.from_wkb(raw.column("geom").to_pylist()))
        assert x.min() > 300_000 and x.max() < 700_000


def test_csv_metres_with_crs_option(store: VersionedStore, system: Actor,
                                    tmp_path: Path) -> None:
    """x/y columns in EPSG:4548 (stations around 117°E: 合肥, 天津, 汕头 …) with --crs."""
    table = stations(115.5, 118.5)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:4548", always_xy=True).transform(
        table.column("lon").to_numpy(), table.column("lat").to_numpy())
    path = tmp_path / "stations_gk.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "station", "x", "y"])
        for row in zip(table.column("name").to_pylist(), table.column("station").to_pylist(),
                       x, y, strict=True):
            w.writerow([row[0], row[1], repr(float(row[2])), repr(float(row[3]))])
    before = state(store)
    proc = mapnode_import(store, path)  # x/y are metres, the default CRS for CSV is EPSG:4326
    assert proc.returncode == 2
    assert "stations_gk.csv, 要素/feature 2: 坐标超出经纬度范围" in proc.stderr
    assert state(store) == before
    import_file(store, system, path, ImportOptions(crs="EPSG:4548"))
    got = np.array(sorted((f.geometry.x, f.geometry.y) for f in store.features(
        system, "stations_gk")))
    want = np.array(sorted(zip(table.column("lon").to_pylist(), table.column("lat").to_pylist(),
                               strict=True)))
    assert np.abs(got - want).max() < 1e-7


def _county_vertices(store: VersionedStore, system: Actor, layer: str) -> dict[str, np.ndarray]:
    return {f.properties["adcode"]: shapely.get_coordinates(f.geometry)
            for f in store.features(system, layer)}


def _file_vertices(path: Path, valid_only: bool = False) -> dict[str, np.ndarray]:
    meta, table = pyogrio.raw.read_arrow(path, columns=["adcode"])
    geoms = shapely.from_wkb(table.column(meta["geometry_name"] or "wkb_geometry").to_pylist())
    return {a: shapely.get_coordinates(g) for a, g in zip(table.column("adcode").to_pylist(),
                                                          geoms, strict=True)
            if g.is_valid or not valid_only}


def _metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    dx = (a[:, 0] - b[:, 0]) * 111_320 * np.cos(np.radians(a[:, 1]))
    dy = (a[:, 1] - b[:, 1]) * 110_574
    return np.hypot(dx, dy)


def test_gcj02_counties_only_converted_when_named(store: VersionedStore, system: Actor) -> None:
    gcj = DATAV / "gd_zj_counties_gcj02.geojson"
    wgs = _file_vertices(DATAV / "gd_zj_counties_wgs84.geojson")
    raw = _file_vertices(gcj)
    # 8 of the real polygons self-intersect; --repair fixes them (compared below without them)
    first = import_file(store, system, gcj, ImportOptions(layer="as_is", repair=True))
    import_file(store, system, gcj, ImportOptions(layer="converted", crs="gcj02", repair=True))
    assert len(first.repaired) == 8
    as_is = _county_vertices(store, system, "as_is")
    converted = _county_vertices(store, system, "converted")
    assert len(converted) == len(wgs) == 214
    assert store.layer(system, "converted").source_crs == "GCJ02"
    valid = list(_file_vertices(gcj, valid_only=True))
    assert len(valid) == 214 - 8
    worst = max(_metres(converted[k], wgs[k]).max() for k in valid)
    assert worst < 1.0  # the WGS84 copy was made with the same public formula
    for k in valid:  # without --crs gcj02 nothing moves ...
        assert np.array_equal(as_is[k], raw[k])
    offsets = np.concatenate([_metres(as_is[k], wgs[k]) for k in valid])
    assert 300 < np.median(offsets) < 700  # ... and stays 300–700 m off (SOURCE.md)


def test_bd09_real_points(store: VersionedStore, system: Actor, tmp_path: Path) -> None:
    """Baidu bus stops: BD-09 columns, converted on request, match the WGS84 geometry."""
    src = BUS / "hangzhou_bus_route_stops_baidu_wgs84.geojson"
    meta, table = pyogrio.raw.read_arrow(src, columns=["name", "lon_bd09", "lat_bd09"])
    bd = np.column_stack([table.column("lon_bd09").to_numpy(),
                          table.column("lat_bd09").to_numpy()])
    wgs = shapely.get_coordinates(shapely.from_wkb(table.column(meta["geometry_name"] or "wkb_geometry")
                                                   .to_pylist()))
    assert len(bd) == 4526
    # the functions on real points: BD-09 → WGS84 agrees with the file's conversion, and the
    # round trip WGS84 → GCJ-02 → BD-09 → GCJ-02 → WGS84 is exact
    to_wgs = gcj02_to_wgs84(bd09_to_gcj02(bd))
    assert _metres(to_wgs, wgs).max() < 1.0
    back = gcj02_to_wgs84(bd09_to_gcj02(gcj02_to_bd09(wgs84_to_gcj02(wgs))))
    assert np.abs(back - wgs).max() < 1e-9
    assert 900 < np.median(_metres(bd, wgs)) < 1300  # BD-09 is ~1 km off in Hangzhou

    path = tmp_path / "stops_bd09.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "lon", "lat"])
        for i, (name, (x, y)) in enumerate(zip(table.column("name").to_pylist(), bd,
                                               strict=True)):
            w.writerow([i, name, repr(float(x)), repr(float(y))])
    import_file(store, system, path, ImportOptions(layer="bd", crs="bd09", key="id"))
    import_file(store, system, path, ImportOptions(layer="raw", key="id"))
    got = {int(f.fid): (f.geometry.x, f.geometry.y) for f in store.features(system, "bd")}
    raw = {int(f.fid): (f.geometry.x, f.geometry.y) for f in store.features(system, "raw")}
    assert np.abs(np.array([got[i] for i in range(len(bd))]) - to_wgs).max() < 1e-7
    assert np.array_equal(np.array([raw[i] for i in range(len(bd))]), bd)


def test_crs_names() -> None:
    assert parse_crs("EPSG:4490").is_storage and parse_crs("4326").is_storage
    assert parse_crs("4549").label == "EPSG:4549" and not parse_crs("4549").is_storage
    assert parse_crs("gcj02").offset_system == "GCJ02"
    assert parse_crs("火星坐标").offset_system == "GCJ02"
    assert parse_crs("BD-09").offset_system == "BD09"
    with pytest.raises(InvalidParameter):
        parse_crs("EPSG:999999")


def test_unknown_crs_option_is_named(store: VersionedStore) -> None:
    before = state(store)
    proc = mapnode_import(store, DATAV / "gd_zj_cities_gcj02.geojson", "--crs", "EPSG:999999")
    assert proc.returncode == 2
    assert "gd_zj_cities_gcj02.geojson: 坐标系 'EPSG:999999' 无法识别" in proc.stderr
    assert state(store) == before
