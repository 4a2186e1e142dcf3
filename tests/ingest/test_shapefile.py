"""Zipped shapefiles with GBK attributes: `.cpg` honoured, `--encoding`, detection; no .prj."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyogrio.raw
import pytest

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ingest.conftest import mapnode_import, state
from tests.support.data import HANGZHOU_GPKG

NAMED_ROADS = 500


@pytest.fixture(scope="session")
def gbk_shapefile(data_dir: Path) -> tuple[Path, dict[int, str]]:
    """500 named Hangzhou roads written as a GBK shapefile (real names: 朝晖路, 体育场路 …)."""
    folder = data_dir / "gbk_shp"
    folder.mkdir(exist_ok=True)
    meta, table = pyogrio.raw.read_arrow(HANGZHOU_GPKG, layer="roads", where="name IS NOT NULL",
                                         max_features=NAMED_ROADS)
    names = dict(zip(table.column("osm_id").to_pylist(), table.column("name").to_pylist(),
                     strict=True))
    shp = folder / "roads.shp"
    if not shp.exists():
        pyogrio.raw.write_arrow(table, shp, driver="ESRI Shapefile", encoding="GBK",
                                geometry_name=meta["geometry_name"], geometry_type="LineString",
                                crs=meta["crs"])
    return shp, names


def zip_shapefile(shp: Path, dest: Path, cpg: str | None, prj: bool = True) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for ext in (".shp", ".shx", ".dbf") + ((".prj",) if prj else ()):
            z.write(shp.with_suffix(ext), f"roads{ext}")
        if cpg is not None:
            z.writestr("roads.cpg", cpg)
    return dest


def test_the_dbf_really_is_gbk(gbk_shapefile: tuple[Path, dict[int, str]]) -> None:
    shp, names = gbk_shapefile
    dbf = shp.with_suffix(".dbf").read_bytes()
    assert "朝晖路".encode("gbk") in dbf and "朝晖路".encode() not in dbf
    assert "朝晖路" in names.values()


@pytest.mark.parametrize("cpg", ["GBK", "936", "CP936"])
def test_cpg_is_honoured(store: VersionedStore, system: Actor, tmp_path: Path, cpg: str,
                         gbk_shapefile: tuple[Path, dict[int, str]]) -> None:
    shp, names = gbk_shapefile
    path = zip_shapefile(shp, tmp_path / "roads_gbk.zip", cpg)
    report = import_file(store, system, path, ImportOptions(key="osm_id"))
    assert report.layers["roads_gbk"].inserted == NAMED_ROADS and not report.notes
    got = {int(f.fid): f.properties["name"] for f in store.features(system, "roads_gbk")}
    assert got == names


def test_no_cpg_with_encoding_option(store: VersionedStore, system: Actor, tmp_path: Path,
                                     gbk_shapefile: tuple[Path, dict[int, str]]) -> None:
    shp, names = gbk_shapefile
    path = zip_shapefile(shp, tmp_path / "roads_nocpg.zip", None)
    proc = mapnode_import(store, path, "--encoding", "GBK", "--key", "osm_id")
    assert proc.returncode == 0, proc.stderr
    got = {int(f.fid): f.properties["name"] for f in store.features(system, "roads_nocpg")}
    assert got == names


def test_no_cpg_is_detected_as_gbk_and_said(store: VersionedStore, system: Actor,
                                            tmp_path: Path,
                                            gbk_shapefile: tuple[Path, dict[int, str]]) -> None:
    shp, names = gbk_shapefile
    path = zip_shapefile(shp, tmp_path / "roads_guess.zip", None)
    proc = mapnode_import(store, path, "--key", "osm_id")
    assert proc.returncode == 0, proc.stderr
    assert ("提示 / note: roads_guess.zip: Shapefile 未声明编码（无 .cpg），属性已按 GBK 读取"
            in proc.stderr)
    got = {int(f.fid): f.properties["name"] for f in store.features(system, "roads_guess")}
    assert got == names


def test_utf8_shapefile_with_cpg(store: VersionedStore, system: Actor, tmp_path: Path) -> None:
    meta, table = pyogrio.raw.read_arrow(HANGZHOU_GPKG, layer="roads", where="name IS NOT NULL",
                                         max_features=100)
    shp = tmp_path / "utf8" / "roads.shp"
    shp.parent.mkdir()
    pyogrio.raw.write_arrow(table, shp, driver="ESRI Shapefile", encoding="UTF-8",
                            geometry_name=meta["geometry_name"], geometry_type="LineString",
                            crs=meta["crs"])
    report = import_file(store, system, zip_shapefile(shp, tmp_path / "u.zip", "UTF-8"),
                         ImportOptions(key="osm_id"))
    assert not report.notes
    got = {f.properties["name"] for f in store.features(system, "u")}
    assert got == set(table.column("name").to_pylist())


def test_shapefile_without_prj_needs_crs(store: VersionedStore, system: Actor, tmp_path: Path,
                                         gbk_shapefile: tuple[Path, dict[int, str]]) -> None:
    shp, _ = gbk_shapefile
    path = zip_shapefile(shp, tmp_path / "roads_noprj.zip", "GBK", prj=False)
    before = state(store)
    proc = mapnode_import(store, path)
    assert proc.returncode == 2
    assert ("roads_noprj.zip: 缺少坐标系 / missing CRS" in proc.stderr
            and "--crs" in proc.stderr)
    assert state(store) == before
    proc = mapnode_import(store, path, "--crs", "EPSG:4326")
    assert proc.returncode == 0, proc.stderr
    assert store.count(system, "roads_noprj") == NAMED_ROADS
