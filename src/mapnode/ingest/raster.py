"""GeoTIFF → raster layer, as one changeset.

The file is checked (readable to the last block, georeferenced, with a CRS from the file or
`--crs`, an extent inside lon/lat range), then stored under `store.data_dir / "rasters"`:
copied as it is when already tiled with overviews, otherwise rewritten by GDAL's COG driver
(tiled 512 px, overviews, DEFLATE). The layer's `raster_path` is relative to `data_dir`. Each
import writes a new file named after its seq, so earlier seqs keep pointing at their own file.
Re-importing the same bytes with the same options changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
import rasterio.shutil
from pyproj import CRS
from rasterio.errors import RasterioError
from rasterio.warp import transform_bounds

from mapnode.crs import STORAGE_EPSG, SourceCRS, parse_crs
from mapnode.errors import InvalidData, InvalidParameter, ProblemItem
from mapnode.model import Actor, GeometryType, LayerKind, LayerMeta
from mapnode.model.log import BBox
from mapnode.store import VersionedStore

if TYPE_CHECKING:
    from mapnode.ingest.importer import ImportOptions, ImportReport, Progress

RASTER_SUFFIXES = (".tif", ".tiff", ".geotiff")
RASTER_DIR = "rasters"
BLOCK = 512
FINGERPRINT = "raster_sha256"


def is_raster(path: Path) -> bool:
    return path.name.lower().endswith(RASTER_SUFFIXES)


def _bad(source: str, zh: str, en: str) -> InvalidData:
    return InvalidData(zh, en, [ProblemItem(zh, en, source)], {"file": source})


@dataclass
class RasterInfo:
    """What the check found out about a raster file."""

    crs: SourceCRS
    crs_assigned: bool  # the user's --crs replaces (or supplies) the file's CRS
    bbox: BBox  # lon/lat EPSG:4490
    cog_ready: bool  # tiled, with overviews where the size needs them
    details: dict[str, Any]


def inspect_raster(path: Path, crs_option: str | None) -> RasterInfo:
    """Open and check a GeoTIFF; every failure is InvalidData naming the file."""
    source = path.name
    try:
        with rasterio.open(path) as ds:
            if ds.driver != "GTiff":
                raise _bad(source, f"不是 GeoTIFF（{ds.driver}）", f"not a GeoTIFF ({ds.driver})")
            if ds.transform.is_identity:
                raise _bad(source, "栅格没有地理参考（无仿射变换）",
                           "raster is not georeferenced (no geotransform)")
            crs, assigned = _raster_crs(source, ds.crs, crs_option)
            bbox = _lonlat_bbox(source, crs, ds.bounds)
            _read_every_block(ds)
            big = max(ds.width, ds.height) > max(BLOCK, *ds.block_shapes[0])
            ready = is_tiled(ds) and (bool(ds.overviews(1)) or not big)
            details = {"width": ds.width, "height": ds.height, "bands": ds.count,
                       "dtypes": list(ds.dtypes), "nodata": ds.nodata,
                       "resolution": list(ds.res), "bounds": list(ds.bounds),
                       "source_file": source}
    except RasterioError as exc:
        raise InvalidData("无法读取栅格文件（损坏、截断或格式不支持）",
                          "cannot read raster file (corrupt, truncated or unsupported format)",
                          [ProblemItem("无法读取", str(exc).strip()[:300], source)],
                          {"file": source}) from exc
    return RasterInfo(crs, assigned, bbox, ready and not assigned, details)


def is_tiled(ds: Any) -> bool:
    """Tiled, not stripped: square blocks (rasterio's `tiled` says False when one tile is as
    wide as the image)."""
    height, width = ds.block_shapes[0]
    return width < ds.width or (height == width and height % 16 == 0)


def _raster_crs(source: str, file_crs: Any, option: str | None) -> tuple[SourceCRS, bool]:
    if option:
        try:
            crs = parse_crs(option)
        except InvalidParameter as exc:
            raise _bad(source, f"坐标系 {option!r} 无法识别", f"CRS {option!r} is not known") from exc
        if crs.crs is None:
            raise _bad(source, "栅格不能按 GCJ-02/BD-09 导入，请先纠正为 CGCS2000/WGS84",
                       "rasters in GCJ-02/BD-09 are not supported; rectify them first")
        same = file_crs is not None and CRS.from_user_input(file_crs.to_wkt()).equals(
            crs.crs, ignore_axis_order=True)
        return crs, not same
    if file_crs is None:
        raise _bad(source, "文件没有声明坐标系，请用 --crs 指定（如 EPSG:4490、EPSG:4326）",
                   "file declares no CRS; name it with --crs")
    return parse_crs(file_crs.to_wkt()), False


def _lonlat_bbox(source: str, crs: SourceCRS, bounds: Any) -> BBox:
    assert crs.crs is not None
    try:
        box = transform_bounds(crs.crs, f"EPSG:{STORAGE_EPSG}", *bounds, densify_pts=21)
    except RasterioError as exc:
        raise _bad(source, "栅格范围无法转换到经纬度（坐标系是否正确？）",
                   f"raster extent cannot be transformed to lon/lat (wrong CRS?): {exc}") from exc
    if not (np.isfinite(box).all() and box[0] >= -180 - 1e-6 and box[2] <= 180 + 1e-6
            and box[1] >= -90 - 1e-6 and box[3] <= 90 + 1e-6):
        raise _bad(source, "栅格范围超出经纬度范围（坐标系是否正确？可用 --crs 指定）",
                   f"raster extent {tuple(round(float(v), 3) for v in box)} is outside lon/lat "
                   "range (wrong CRS? name it with --crs)")
    return (max(-180.0, float(box[0])), max(-90.0, float(box[1])), min(180.0, float(box[2])),
            min(90.0, float(box[3])))


def _read_every_block(ds: Any) -> None:
    """Read the whole raster block by block: a truncated file fails here, memory stays small."""
    for _, window in ds.block_windows(1):
        ds.read(window=window)


def fingerprint(path: Path, info: RasterInfo) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    h.update(info.crs.label.encode() if info.crs_assigned else b"")
    return h.hexdigest()


def write_stored_copy(path: Path, info: RasterInfo, directory: Path) -> Path:
    """The file the layer will use, written under a temporary name in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".partial-{uuid.uuid4().hex}.tif"
    try:
        if info.cog_ready:
            shutil.copyfile(path, tmp)
            return tmp
        src = str(path)
        if info.crs_assigned:
            assert info.crs.crs is not None
            srs = info.crs.label if info.crs.label.startswith("EPSG:") else info.crs.crs.to_wkt()
            src = f"vrt://{path}?a_srs={srs.replace('&', '%26')}"
        with rasterio.open(src) as ds:
            rasterio.shutil.copy(ds, tmp, driver="COG", COMPRESS="DEFLATE", BLOCKSIZE=BLOCK,
                                 OVERVIEWS="AUTO", BIGTIFF="IF_SAFER")
    except (RasterioError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidData("栅格转换失败", "raster conversion failed",
                          [ProblemItem("无法写入分块栅格", str(exc).strip()[:300], path.name)],
                          {"file": path.name}) from exc
    return tmp


def import_raster(store: VersionedStore, actor: Actor, path: Path, options: ImportOptions,
                  progress: Callable[[str, int | None], Progress] | None = None) -> ImportReport:
    """Register a GeoTIFF as a raster layer in one changeset (see the module docstring)."""
    from mapnode.ingest.importer import ImportReport, layer_name

    info = inspect_raster(path, options.crs)
    name = options.layer or layer_name(path)
    digest = fingerprint(path, info)
    existing = _existing(store, actor, name, path.name)
    if existing is not None and existing.extra.get(FINGERPRINT) == digest:
        return ImportReport(None, {}, 0)
    directory = store.data_dir / RASTER_DIR
    tmp = write_stored_copy(path, info, directory)
    final: Path | None = None
    committed = False
    tick = progress(name, 1) if progress else None
    try:
        message = options.message or f"导入栅格 {path.name} / import raster {path.name}"
        with store.write(actor, message, source="upload") as w:
            final = directory / f"{name}-{w.seq}.tif"
            tmp.replace(final)
            relative = final.relative_to(store.data_dir)
            if w.has_layer(name):
                _, current = w.layer(name)
                _check_raster_layer(current, path.name)
                old_bbox = current.extra.get("bbox_lonlat")
                w.update_layer(_updated_meta(current, options, info, digest, relative))
                if old_bbox:  # consumers (tile caches) must drop the old extent too
                    w.touch_layer(name, tuple(old_bbox))  # type: ignore[arg-type]
            else:
                w.create_layer(_meta(name, options, info, digest, relative))
            w.touch_layer(name, info.bbox)
        committed = w.committed
    finally:
        tmp.unlink(missing_ok=True)
        if final is not None and not committed:
            final.unlink(missing_ok=True)
    if tick:
        tick(1)
    return ImportReport(w.seq, w.changes, 0)


def _existing(store: VersionedStore, actor: Actor, name: str, source: str) -> LayerMeta | None:
    if name not in {m.name for m in store.layers(actor)}:
        return None
    meta = store.layer(actor, name)
    _check_raster_layer(meta, source)
    return meta


def _check_raster_layer(meta: LayerMeta, source: str) -> None:
    if meta.kind is not LayerKind.RASTER:
        raise InvalidData("同名图层已存在且不是栅格图层", "a layer of that name exists and is not raster",
                          [ProblemItem(f"图层 {meta.name} 是{meta.kind.value}图层",
                                       f"layer {meta.name} is {meta.kind.value}", source)],
                          {"file": source, "layer": meta.name})


def _raster_extra(options: ImportOptions, info: RasterInfo, digest: str) -> dict[str, Any]:
    extra = dict(options.metadata.get("extra") or {})
    extra.update(info.details)
    extra.update({"bbox_lonlat": list(info.bbox), FINGERPRINT: digest,
                  "converted": not info.cog_ready})
    return extra


def _catalogue(options: ImportOptions) -> dict[str, Any]:
    return {k: v for k, v in options.metadata.items()
            if k != "extra" and k in LayerMeta.__dataclass_fields__}


def _meta(name: str, options: ImportOptions, info: RasterInfo, digest: str,
          relative: Path) -> LayerMeta:
    catalogue = {"title_zh": name, **_catalogue(options)}
    return LayerMeta(name=name, kind=LayerKind.RASTER, geometry_type=GeometryType.NONE,
                     edition=options.edition, source_crs=info.crs.label,
                     raster_path=relative.as_posix(),
                     extra=_raster_extra(options, info, digest), **catalogue)


def _updated_meta(current: LayerMeta, options: ImportOptions, info: RasterInfo, digest: str,
                  relative: Path) -> LayerMeta:
    """The layer's catalogue entry kept (as for vector re-imports); the raster part replaced."""
    meta = replace(current, source_crs=info.crs.label, raster_path=relative.as_posix(),
                   extra={**current.extra, **_raster_extra(options, info, digest)})
    for key, value in _catalogue(options).items():
        setattr(meta, key, value)
    return meta
