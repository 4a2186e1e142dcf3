"""GeoTIFF → raster layer on real rasters (Landsat UTM, SRTM hillshade 3857, world 4326, DEM)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds
from rasterio.windows import from_bounds

from mapnode.errors import InvalidData
from mapnode.ingest import ImportOptions, import_file
from mapnode.ingest.raster import is_tiled
from mapnode.model import Actor, LayerKind
from mapnode.store import VersionedStore
from tests.ingest.conftest import mapnode_import, state
from tests.support.data import DEM, RASTERS

DEM_TIF = DEM / "china_dem_0p2deg.tif"
SAMPLES = {"RGB.byte.tif": "EPSG:32618", "shade.tif": "EPSG:3857", "world.rgb.tif": "EPSG:4326"}


def stored(store: VersionedStore, system: Actor, layer: str) -> Path:
    meta = store.layer(system, layer)
    assert meta.kind is LayerKind.RASTER and meta.raster_path
    path = store.data_dir / meta.raster_path
    assert path.is_file()
    return path


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_become_tiled_overviewed_layers(store: VersionedStore, system: Actor,
                                                name: str) -> None:
    src = RASTERS / name
    report = import_file(store, system, src, ImportOptions(layer="r"))
    path = stored(store, system, "r")
    with rasterio.open(src) as a, rasterio.open(path) as b:
        assert b.crs == a.crs and b.crs.to_string() == SAMPLES[name]
        assert b.transform.almost_equals(a.transform) and b.shape == a.shape
        assert is_tiled(b) and b.block_shapes[0] == (512, 512)
        assert b.compression is not None and b.compression.value == "DEFLATE"
        if max(a.shape) > 512:
            assert b.overviews(1), "large rasters get overviews"
        assert np.array_equal(a.read(), b.read())  # lossless
        bounds = transform_bounds(a.crs, "EPSG:4490", *a.bounds, densify_pts=21)
    entry = store.log_entry(system, report.seq)  # type: ignore[arg-type]
    assert entry.layers["r"].bbox == pytest.approx(bounds, abs=1e-9)
    meta = store.layer(system, "r")
    assert meta.source_crs == SAMPLES[name] and meta.extra["converted"] is True
    assert meta.extra["bbox_lonlat"] == pytest.approx(list(bounds))


def test_landsat_extent_is_the_bahamas(store: VersionedStore, system: Actor) -> None:
    report = import_file(store, system, RASTERS / "RGB.byte.tif")
    west, south, east, north = report.layers["RGB"].bbox  # type: ignore[misc]
    # SOURCE.md: lon −78.96…−76.57, lat 23.57…25.55
    assert (west, south, east, north) == pytest.approx((-78.96, 23.57, -76.57, 25.55), abs=0.01)


def test_dem_values_and_reimport(store: VersionedStore, system: Actor, tmp_path: Path) -> None:
    first = import_file(store, system, DEM_TIF, ImportOptions(
        layer="dem", metadata={"title_zh": "中国数字高程模型（0.2°）", "licence": "MIT"}))
    first_path = stored(store, system, "dem")
    with rasterio.open(first_path) as ds:
        hz, st, lq = (v[0] for v in ds.sample([(120.16, 30.27), (116.68, 23.35), (119.14, 28.07)]))
        assert (hz, st, lq) == (10, 121, 519)  # SOURCE.md: Hangzhou 10 m, Shantou 121, Longquan 519
        assert ds.nodata == -9999
    assert import_file(store, system, DEM_TIF, ImportOptions(layer="dem")).seq is None

    # a changed raster: the east-China part of the same DEM, 100 m higher
    changed = tmp_path / "dem_east_raised.tif"
    with rasterio.open(DEM_TIF) as src:
        window = from_bounds(115.0, 25.0, 125.0, 35.0, src.transform).round_offsets().round_lengths()
        values = src.read(1, window=window)
        profile = {**src.profile, "width": values.shape[1], "height": values.shape[0],
                   "transform": src.window_transform(window)}
        east = src.window_bounds(window)
    values[values != -9999] += 100
    with rasterio.open(changed, "w", **profile) as dst:
        dst.write(values, 1)
    second = import_file(store, system, changed, ImportOptions(layer="dem"))
    assert second.seq == first.seq + 1  # type: ignore[operator]
    second_path = stored(store, system, "dem")
    assert second_path != first_path and first_path.is_file()  # the old seq keeps its file
    with rasterio.open(second_path) as ds:
        assert next(ds.sample([(120.16, 30.27)]))[0] == 110
    meta = store.layer(system, "dem")
    assert [m.name for m in store.layers(system)] == ["dem"]
    assert (meta.title_zh, meta.licence) == ("中国数字高程模型（0.2°）", "MIT")  # kept
    assert meta.extra["bbox_lonlat"] == pytest.approx(list(east), abs=1e-9)
    assert east == pytest.approx((115.0, 25.0, 125.0, 35.0), abs=0.2)
    # the log's bbox covers the old extent and the new one, so tile caches drop both
    assert store.log_entry(system, second.seq).layers["dem"].bbox == pytest.approx(  # type: ignore[arg-type]
        (69.9, 14.931, 139.9, 59.931), abs=1e-3)


def test_a_cog_is_stored_as_it_is(store: VersionedStore, system: Actor, tmp_path: Path) -> None:
    import_file(store, system, RASTERS / "shade.tif", ImportOptions(layer="shade"))
    cog = tmp_path / "shade_cog.tif"
    cog.write_bytes(stored(store, system, "shade").read_bytes())
    import_file(store, system, cog, ImportOptions(layer="shade_copy"))
    assert store.layer(system, "shade_copy").extra["converted"] is False
    assert stored(store, system, "shade_copy").read_bytes() == cog.read_bytes()


def test_missing_crs_needs_crs_option(store: VersionedStore, system: Actor,
                                      tmp_path: Path) -> None:
    bare = tmp_path / "dem_nocrs.tif"
    with rasterio.open(DEM_TIF) as src:
        profile = {**src.profile, "crs": None}
        with rasterio.open(bare, "w", **profile) as dst:
            dst.write(src.read())
    before = state(store)
    proc = mapnode_import(store, bare)
    assert proc.returncode == 2
    assert "dem_nocrs.tif: 文件没有声明坐标系，请用 --crs 指定" in proc.stderr
    assert state(store) == before
    report = import_file(store, system, bare, ImportOptions(crs="EPSG:4490"))
    with rasterio.open(stored(store, system, "dem_nocrs")) as ds:
        assert ds.crs.to_epsg() == 4490
    assert report.layers["dem_nocrs"].bbox == pytest.approx((69.9, 14.931, 139.9, 59.931),
                                                            abs=1e-3)


def test_wrong_crs_truncated_and_name_clash_leave_the_store_alone(
        store: VersionedStore, system: Actor, tmp_path: Path) -> None:
    import_file(store, system, DEM_TIF, ImportOptions(layer="dem"))
    rasters = sorted((store.data_dir / "rasters").iterdir())
    before = state(store)

    proc = mapnode_import(store, RASTERS / "RGB.byte.tif", "--crs", "EPSG:4326")  # UTM metres
    assert proc.returncode == 2
    assert "RGB.byte.tif: 栅格范围超出经纬度范围（坐标系是否正确？" in proc.stderr

    cut = tmp_path / "RGB_cut.tif"
    raw = (RASTERS / "RGB.byte.tif").read_bytes()
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    proc = mapnode_import(store, cut)
    assert proc.returncode == 2
    assert "RGB_cut.tif" in proc.stderr and "无法读取栅格文件" in proc.stderr

    proc = mapnode_import(store, RASTERS / "shade.tif", "--crs", "gcj02")
    assert proc.returncode == 2 and "GCJ-02" in proc.stderr

    import_file(store, system, data_roads(), ImportOptions(layer="vec"))
    before = state(store)
    with pytest.raises(InvalidData, match="同名图层已存在且不是栅格图层"):
        import_file(store, system, DEM_TIF, ImportOptions(layer="vec"))
    assert state(store) == before
    assert sorted((store.data_dir / "rasters").iterdir()) == rasters


def data_roads() -> Path:
    from tests.support.data import COASTLINE

    return COASTLINE
