"""Data manifests: a JSON list of files to load into a store, one changeset per entry.

A manifest names, for each file (relative to the manifest), the target layer, the key field
where the data has a unique one, the CRS if the file does not declare it, and the layer's
catalogue metadata (titles, category, licence, attribution). Loading is idempotent: each layer
an entry creates remembers a fingerprint of the file and of the entry's import options, and an
entry whose fingerprint is unchanged is skipped. A changed file is re-imported: with a key only
the differences are written; without a key the layer's content is replaced.

    {"title_zh": "…", "title_en": "…",
     "entries": [{"file": "roads.gpkg", "source_layer": "roads", "layer": "roads",
                  "key": "osm_id", "title_zh": "道路", "title_en": "Roads",
                  "category": "400000", "licence": "ODbL-1.0",
                  "attribution": "© OpenStreetMap contributors, ODbL 1.0"}]}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from mapnode.errors import InvalidData, ProblemItem
from mapnode.ingest import ImportOptions, ImportReport, import_file
from mapnode.model import Actor, Edition, LayerMeta
from mapnode.store import VersionedStore

ProgressFactory = Callable[[str, int | None], Callable[[int], None]]

_REQUIRED = ("file", "layer", "title_zh", "licence", "attribution")
_OPTIONAL = ("source_layer", "key", "crs", "title_en", "category", "abstract", "keywords",
             "lon", "lat", "encoding", "edition", "repair", "lineage", "update_cycle")
# Catalogue fields an entry sets on its layers (updated in place when only these change).
_META_FIELDS = ("title_zh", "title_en", "category", "abstract", "keywords", "licence",
                "attribution", "lineage", "update_cycle")
FINGERPRINT_KEY = "manifest"  # LayerMeta.extra[FINGERPRINT_KEY] = {"entry", "fingerprint"}


@dataclass(frozen=True)
class ManifestEntry:
    """One file to load into one layer (or, for multi-layer files, `layer_<name>` layers)."""

    file: Path  # absolute
    layer: str
    title_zh: str
    licence: str
    attribution: str
    source_layer: str | None = None
    key: str | None = None
    crs: str | None = None
    title_en: str = ""
    category: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    lineage: str = ""
    update_cycle: str = ""
    lon: str | None = None
    lat: str | None = None
    encoding: str | None = None
    edition: Edition = Edition.PUBLIC
    repair: bool = False

    def metadata(self) -> dict[str, Any]:
        """The catalogue fields this entry sets on its layers."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _META_FIELDS}
        out["keywords"] = list(self.keywords)
        return out

    def fingerprint(self) -> str:
        """sha256 of the file's bytes and of every option that changes what is imported."""
        h = hashlib.sha256()
        with self.file.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        options = {"source_layer": self.source_layer, "key": self.key, "crs": self.crs,
                   "lon": self.lon, "lat": self.lat, "encoding": self.encoding,
                   "edition": self.edition.value, "repair": self.repair}
        h.update(json.dumps(options, sort_keys=True).encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Manifest:
    path: Path
    title_zh: str
    title_en: str
    entries: tuple[ManifestEntry, ...]


class EntryStatus(StrEnum):
    LOADED = "loaded"  # a changeset was applied
    UNCHANGED = "unchanged"  # fingerprint equal: nothing read, nothing written
    NO_CHANGES = "no_changes"  # re-read (file changed or forced) but the content was equal
    METADATA = "metadata"  # only catalogue fields (titles, licence …) were updated


@dataclass
class EntryResult:
    entry: ManifestEntry
    status: EntryStatus
    report: ImportReport | None = None
    layers: list[str] = field(default_factory=list)

    @property
    def seq(self) -> int | None:
        return self.report.seq if self.report else None


def read_manifest(path: str | Path) -> Manifest:
    """Parse and check a manifest. Every problem is reported at once (InvalidData)."""
    path = Path(path).resolve()
    src = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidData("清单文件不存在", "manifest does not exist", [],
                          {"file": str(path)}) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidData("清单不是有效的 JSON", "manifest is not valid JSON",
                          [ProblemItem("JSON 错误", str(exc), src)], {"file": str(path)}) from exc
    raw_entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw_entries, list) or not raw_entries:
        raise InvalidData("清单中没有条目", "manifest has no entries",
                          [ProblemItem("缺少 entries 列表", "missing 'entries' list", src)],
                          {"file": str(path)})
    problems: list[ProblemItem] = []
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_entries, start=1):
        entry = _parse_entry(raw, path.parent, src, str(i), problems)
        if entry is None:
            continue
        if entry.layer in seen:
            problems.append(ProblemItem(f"图层名重复：{entry.layer}", f"duplicate layer: {entry.layer}",
                                        src, str(i), "layer"))
        seen.add(entry.layer)
        entries.append(entry)
    if problems:
        raise InvalidData(f"清单有 {len(problems)} 个问题", f"manifest has {len(problems)} problems",
                          problems, {"file": str(path)})
    return Manifest(path, str(data.get("title_zh", "")), str(data.get("title_en", "")),
                    tuple(entries))


def _parse_entry(raw: Any, base: Path, src: str, label: str,
                 problems: list[ProblemItem]) -> ManifestEntry | None:
    if not isinstance(raw, dict):
        problems.append(ProblemItem("条目必须是对象", "entry must be an object", src, label))
        return None
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    for k in unknown:
        problems.append(ProblemItem(f"未知字段 {k}", f"unknown field {k}", src, label, k))
    missing = [k for k in _REQUIRED if not raw.get(k)]
    for k in missing:
        problems.append(ProblemItem(f"缺少字段 {k}", f"missing field {k}", src, label, k))
    if missing or unknown:
        return None
    file = (base / str(raw["file"])).resolve()
    if not file.is_file():
        problems.append(ProblemItem(f"文件不存在：{raw['file']}", f"no such file: {raw['file']}",
                                    src, label, "file"))
        return None
    try:
        edition = Edition.parse(str(raw.get("edition", "public")))
    except ValueError:
        problems.append(ProblemItem("未知版本", "unknown edition", src, label, "edition"))
        return None
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list):
        problems.append(ProblemItem("keywords 必须是列表", "keywords must be a list", src, label,
                                    "keywords"))
        return None
    text = {k: str(raw[k]) for k in ("title_en", "category", "abstract", "lineage", "update_cycle")
            if raw.get(k)}
    opt = {k: str(raw[k]) for k in ("source_layer", "key", "crs", "lon", "lat", "encoding")
           if raw.get(k)}
    return ManifestEntry(file=file, layer=str(raw["layer"]), title_zh=str(raw["title_zh"]),
                         licence=str(raw["licence"]), attribution=str(raw["attribution"]),
                         keywords=tuple(str(k) for k in keywords), edition=edition,
                         repair=bool(raw.get("repair", False)), **text, **opt)


def entry_layers(store: VersionedStore, actor: Actor, entry: ManifestEntry) -> list[LayerMeta]:
    """The store layers an entry made (they carry the entry's name in `extra`)."""
    return [m for m in store.layers(actor)
            if (m.extra.get(FINGERPRINT_KEY) or {}).get("entry") == entry.layer]


def load_entry(store: VersionedStore, actor: Actor, entry: ManifestEntry, *,
               force: bool = False, progress: ProgressFactory | None = None,
               fingerprint: str | None = None) -> EntryResult:
    """Load one entry as one changeset, unless its fingerprint shows nothing to do."""
    fingerprint = fingerprint or entry.fingerprint()
    existing = entry_layers(store, actor, entry)
    stamp = {"entry": entry.layer, "fingerprint": fingerprint}
    if existing and not force and all(
            m.extra[FINGERPRINT_KEY].get("fingerprint") == fingerprint for m in existing):
        changed = _sync_metadata(store, actor, entry, existing, stamp)
        return EntryResult(entry, EntryStatus.METADATA if changed else EntryStatus.UNCHANGED,
                           layers=[m.name for m in existing])
    options = ImportOptions(
        layer=entry.layer, crs=entry.crs, key=entry.key, replace=entry.key is None,
        repair=entry.repair, encoding=entry.encoding,
        source_layers=[entry.source_layer] if entry.source_layer else None,
        message=f"载入清单条目 {entry.layer} / load manifest entry {entry.layer} "
                f"({entry.file.name})",
        edition=entry.edition, lon_field=entry.lon, lat_field=entry.lat,
        metadata={**entry.metadata(), "extra": {FINGERPRINT_KEY: stamp}})
    report = import_file(store, actor, entry.file, options, progress)
    names = {m.name for m in entry_layers(store, actor, entry)} | set(report.layers)
    # a layer that existed before the manifest (imported by hand) is adopted by the entry
    made = [m for m in store.layers(actor) if m.name in names or m.name == entry.layer]
    _sync_metadata(store, actor, entry, made, stamp)
    status = EntryStatus.LOADED if report.seq is not None else EntryStatus.NO_CHANGES
    return EntryResult(entry, status, report, [m.name for m in made])


def _sync_metadata(store: VersionedStore, actor: Actor, entry: ManifestEntry,
                   metas: list[LayerMeta], stamp: dict[str, str]) -> bool:
    """Bring catalogue fields and the fingerprint up to date (not a versioned change)."""
    wanted = entry.metadata()
    changed = False
    for meta in metas:
        current = {k: getattr(meta, k) for k in _META_FIELDS}
        if current == wanted and meta.extra.get(FINGERPRINT_KEY) == stamp:
            continue
        for k, v in wanted.items():
            setattr(meta, k, v)
        meta.extra[FINGERPRINT_KEY] = dict(stamp)
        store.update_layer(actor, meta)
        changed = True
    return changed


def load_manifest(store: VersionedStore, actor: Actor, manifest: Manifest, *,
                  only: list[str] | None = None, force: bool = False,
                  progress: ProgressFactory | None = None,
                  on_result: Callable[[EntryResult], None] | None = None) -> list[EntryResult]:
    """Load every entry (or those named in `only`), in manifest order, one changeset each."""
    entries = list(manifest.entries)
    if only:
        names = {e.layer for e in entries}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise InvalidData("清单中没有这些条目", "no such manifest entries",
                              [ProblemItem(f"没有条目 {n}", f"no entry {n}", manifest.path.name)
                               for n in unknown], {"file": str(manifest.path)})
        entries = [e for e in entries if e.layer in only]
    results = []
    for entry in entries:
        result = load_entry(store, actor, entry, force=force, progress=progress)
        results.append(result)
        if on_result:
            on_result(result)
    return results


__all__ = ["EntryResult", "EntryStatus", "Manifest", "ManifestEntry", "entry_layers",
           "load_entry", "load_manifest", "read_manifest"]
