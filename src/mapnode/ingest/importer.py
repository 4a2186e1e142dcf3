"""Import a file into the store as one changeset.

The reader streams batches in the source CRS; each batch is parsed, transformed to CGCS2000
lon/lat, validated and written. Any problem anywhere makes the whole import fail with every
problem listed (up to a limit) and the store untouched: all writes happen in one transaction.
With a key field, a re-import writes only the differences (insert / update / delete).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapnode.crs import SourceCRS, parse_crs
from mapnode.errors import InvalidData, InvalidParameter, MapnodeError, ProblemItem
from mapnode.ingest.geometry import GeometryCheck
from mapnode.ingest.properties import PropertyCheck
from mapnode.ingest.source import Reader, SourceBatch, SourceLayer
from mapnode.model import Actor, Edition, GeometryType, LayerKind, LayerMeta
from mapnode.model.log import LayerChange
from mapnode.store import ChangesetWriter, NewRow, VersionedStore
from mapnode.store.base import dump_props

Progress = Callable[[int], None]


@dataclass
class ImportOptions:
    """What the user says about an import. Unset values come from the file."""

    layer: str | None = None  # store layer name; default: file stem (+ "_" + file layer)
    crs: str | None = None  # overrides the file's CRS; "gcj02"/"bd09" convert such data
    key: str | None = None  # a field identifying features: re-imports write only differences
    replace: bool = False  # without a key: replace the layer's content instead of appending
    repair: bool = False  # make invalid geometries valid (and report what changed)
    encoding: str | None = None  # attribute encoding when the file does not declare it
    source_layers: list[str] | None = None  # which layers of a multi-layer file
    message: str = ""
    edition: Edition = Edition.PUBLIC
    metadata: dict[str, Any] = field(default_factory=dict)  # title_zh, licence, ...
    lon_field: str | None = None  # CSV
    lat_field: str | None = None  # CSV
    batch_size: int = 5000
    max_problems: int = 100


@dataclass
class ImportReport:
    seq: int | None  # None when the file changed nothing
    layers: dict[str, LayerChange]
    features_read: int
    repaired: list[ProblemItem] = field(default_factory=list)
    notes: list[ProblemItem] = field(default_factory=list)  # e.g. an encoding detected


def import_file(store: VersionedStore, actor: Actor, path: str | Path,
                options: ImportOptions | None = None,
                progress: Callable[[str, int | None], Progress] | None = None) -> ImportReport:
    """Import `path` as one changeset. `progress(label, total)` returns a per-batch callback."""
    from mapnode.ingest.formats import open_reader
    from mapnode.ingest.raster import import_raster, is_raster

    options = options or ImportOptions()
    path = Path(path)
    if not path.is_file():
        raise InvalidData("文件不存在", "file does not exist",
                          [ProblemItem("文件不存在", "no such file", str(path))], {"file": str(path)})
    if is_raster(path):
        return import_raster(store, actor, path, options, progress)
    reader = open_reader(path, options)
    plans = _plan(reader, path, options)
    return run_import(store, actor, reader, plans, options, progress)


@dataclass
class _Plan:
    source: SourceLayer
    target: str
    crs: SourceCRS


def _plan(reader: Reader, path: Path, options: ImportOptions) -> list[_Plan]:
    layers = reader.layers()
    if not layers:
        raise InvalidData("文件中没有图层", "file has no layers",
                          [ProblemItem("没有可导入的图层或要素（空文件？）",
                                       "no layers or features to import (empty file?)",
                                       reader.source)], {"file": reader.source})
    plans = []
    for sl in layers:
        if len(layers) == 1 and not sl.extra.get("suffix_always"):
            target = options.layer or layer_name(path)
        else:
            target = f"{options.layer or layer_name(path)}_{_safe_name(sl.name)}"
        crs_text = options.crs or sl.crs
        if crs_text is None and sl.geometry_type is not GeometryType.NONE:
            raise InvalidData("文件没有声明坐标系，请用 --crs 指定（如 EPSG:4490、EPSG:4326、gcj02）",
                              "file declares no CRS; name it with --crs",
                              [ProblemItem("缺少坐标系", "missing CRS", reader.source)],
                              {"file": reader.source, "layer": sl.name})
        try:
            crs = parse_crs(crs_text or "EPSG:4490")
        except InvalidParameter as exc:
            raise InvalidData("无法识别的坐标系", "unknown CRS",
                              [ProblemItem(f"坐标系 {crs_text!r} 无法识别",
                                           f"CRS {crs_text!r} is not known", reader.source)],
                              {"file": reader.source}) from exc
        plans.append(_Plan(sl, target, crs))
    return plans


def layer_name(path: Path) -> str:
    """The default store layer name for a file: its name up to the first dot, made safe."""
    return _safe_name(path.name.split(".")[0])


def _safe_name(text: str) -> str:
    cleaned = "".join(c if (c.isalnum() or c in "_-") else "_" for c in text).strip("_")
    return cleaned or "layer"


def run_import(store: VersionedStore, actor: Actor, reader: Reader, plans: list[_Plan],
               options: ImportOptions,
               progress: Callable[[str, int | None], Progress] | None = None) -> ImportReport:
    problems: list[ProblemItem] = []
    repaired: list[ProblemItem] = []
    total_problems = 0
    read = 0
    message = options.message or f"导入 {reader.source} / import {reader.source}"
    with store.write(actor, message, source="upload") as w:
        for plan in plans:
            job = _LayerJob(w, reader, plan, options)
            tick = progress(plan.target, plan.source.count) if progress else None
            for batch in reader.batches(plan.source, options.batch_size):
                if len(batch) == 0:
                    continue
                found = job.process(batch, write=total_problems == 0)
                total_problems += len(found)
                problems.extend(found[: max(0, options.max_problems - len(problems))])
                read += len(batch)
                if tick:
                    tick(len(batch))
            repaired.extend(job.repaired)
            if job.count == 0 and total_problems == 0:
                problems.append(ProblemItem("图层中没有要素（空文件？）", "no features (empty file?)",
                                            reader.source))
                total_problems += 1
            if total_problems == 0:
                job.finish()
        if total_problems:
            more = total_problems - len(problems)
            suffix = f"（另有 {more} 个问题未列出 / {more} more not listed）" if more > 0 else ""
            raise InvalidData(f"导入失败：发现 {total_problems} 个问题，存储未作任何修改{suffix}",
                              f"import failed: {total_problems} problems; the store is unchanged",
                              problems, {"file": reader.source})
    return ImportReport(w.seq if w.committed else None,
                        w.changes if w.committed else {}, read, repaired, list(reader.notes))


class _LayerJob:
    """Imports one source layer into one store layer within the open changeset."""

    def __init__(self, w: ChangesetWriter, reader: Reader, plan: _Plan,
                 options: ImportOptions) -> None:
        self.w = w
        self.plan = plan
        self.options = options
        self.source = reader.source
        self.count = 0
        self.repaired: list[ProblemItem] = []
        self.key = options.key or plan.source.default_key
        self.meta = self._ensure_layer()
        self.geometry = GeometryCheck(self.meta, plan.crs, options.repair, self.source)
        self.props = PropertyCheck(self.meta, plan.source.fields, self.source,
                                   typed=plan.source.typed)
        if self.key is None and options.replace and not self.is_new:
            w.delete_all(plan.target)

    def _ensure_layer(self) -> LayerMeta:
        sl, target, o = self.plan.source, self.plan.target, self.options
        if self.key is not None and self.key not in sl.fields:
            raise InvalidData("键字段不在文件中", "key field not in file",
                              [ProblemItem(f"没有字段 {self.key}", f"no field {self.key}",
                                           self.source, field_name=self.key)],
                              {"file": self.source})
        self.is_new = not self.w.has_layer(target)
        if self.is_new:
            kind = LayerKind.TABLE if sl.geometry_type is GeometryType.NONE and (
                sl.extra.get("declared_type", "") == "") else LayerKind.VECTOR
            meta = LayerMeta(
                name=target, kind=kind, geometry_type=sl.geometry_type, fields=dict(sl.fields),
                edition=o.edition, source_crs=self.plan.crs.label, key_field=self.key,
                title_zh=o.metadata.get("title_zh", target), **{
                    k: v for k, v in o.metadata.items() if k != "title_zh"
                    and k in LayerMeta.__dataclass_fields__})
            return self.w.create_layer(meta)
        _, meta = self.w.layer(target)
        added = {k: v for k, v in sl.fields.items() if k not in meta.fields}
        if added:
            meta.fields.update(added)
            self.w.update_layer(meta)
        return meta

    def process(self, batch: SourceBatch, write: bool) -> list[ProblemItem]:
        """Validate one batch; write it when `write` and nothing was wrong with it."""
        geoms = self.geometry.check(batch)
        self.repaired.extend(self.geometry.take_repairs())
        props = self.props.check(batch)
        problems = geoms.problems + props.problems
        fids, fid_problems = self._fids(batch, props.values)
        problems += fid_problems
        self.count += len(batch)
        if problems or not write:
            return problems
        rows = [NewRow(fids[i], geoms.wkb[i], geoms.bbox[i], dump_props(props.values[i]))
                for i in range(len(batch)) if i not in geoms.skipped]
        if self.meta.geometry_type is GeometryType.NONE and self.geometry.family is not None:
            self.meta.geometry_type = self.geometry.family
            self.w.update_layer(self.meta)
        if self.key is not None:
            self.w.sync_rows(self.plan.target, rows, claimed=True)
        else:
            self.w.insert_rows(self.plan.target, rows, known_new=True)
        return []

    def _fids(self, batch: SourceBatch, values: list[dict[str, Any]]
              ) -> tuple[list[str], list[ProblemItem]]:
        if self.key is None:
            start = self.count
            return [f"{self.w.seq}-{start + i + 1}" for i in range(len(batch))], []
        problems: list[ProblemItem] = []
        fids: list[str] = []
        in_batch: set[str] = set()
        for i, v in enumerate(values):
            k = v.get(self.key)
            if k is None or k == "":
                problems.append(ProblemItem("键字段为空", "key field is empty", self.source,
                                            batch.labels[i], self.key))
                fids.append("")
                continue
            fid = str(k)
            if fid in in_batch:
                problems.append(ProblemItem(f"键值重复：{fid}", f"duplicate key: {fid}",
                                            self.source, batch.labels[i], self.key))
            in_batch.add(fid)
            fids.append(fid)
        earlier = self.w.claim_keys(self.plan.target, list(in_batch))
        for i, fid in enumerate(fids):
            if fid in earlier:
                problems.append(ProblemItem(f"键值重复：{fid}", f"duplicate key: {fid}",
                                            self.source, batch.labels[i], self.key))
        return fids, problems

    def finish(self) -> None:
        if self.key is not None:
            self.w.delete_unseen(self.plan.target)


__all__ = ["ImportOptions", "ImportReport", "MapnodeError", "import_file"]
