"""Data manifests: one changeset per entry, idempotent reloads, changed files re-imported
(keyed: only the differences; unkeyed: replaced), metadata-only edits, clear errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest

from mapnode.errors import InvalidData
from mapnode.manifest import EntryStatus, load_manifest, read_manifest
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.support.data import REPO

DEMO = REPO / "demo"
ROADS_GPKG = DEMO / "osm_hangzhou_roads_water_landuse_2019" / "hangzhou_osm_roads_water_landuse.gpkg"
RIVERS = DEMO / "coastline_rivers_gshhg" / "wdbii_rivers_hangzhou.geojson"
OSM = "© OpenStreetMap contributors, ODbL 1.0"


def _read_roads(path: Path, max_features: int | None = None) -> dict[str, Any]:
    meta, _, geometry, fields = pyogrio.raw.read(path, layer="roads", max_features=max_features)
    return {"meta": meta, "geometry": geometry, "fields": dict(zip(meta["fields"], fields, strict=True))}


def _write_roads(path: Path, roads: dict[str, Any]) -> None:
    path.unlink(missing_ok=True)
    names = list(roads["fields"])
    pyogrio.raw.write(path, roads["geometry"], [roads["fields"][n] for n in names], names,
                      layer="roads", driver="GPKG", geometry_type="LineString", crs="EPSG:4326")


def _write_manifest(folder: Path, entries: list[dict[str, Any]]) -> Path:
    path = folder / "manifest.json"
    path.write_text(json.dumps({"title_zh": "测试", "entries": entries}, ensure_ascii=False),
                    encoding="utf-8")
    return path


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """500 real Hangzhou roads (a GPKG) and the real WDBII rivers, in a folder of their own."""
    _write_roads(tmp_path / "roads.gpkg", _read_roads(ROADS_GPKG, max_features=500))
    shutil.copy(RIVERS, tmp_path / "rivers.geojson")
    return tmp_path


def _entries() -> list[dict[str, Any]]:
    return [
        {"file": "roads.gpkg", "layer": "roads", "key": "osm_id", "title_zh": "道路",
         "title_en": "Roads", "category": "400000", "licence": "ODbL-1.0", "attribution": OSM},
        {"file": "rivers.geojson", "layer": "rivers", "title_zh": "河流",
         "licence": "LGPL-3.0-or-later", "attribution": "GSHHG"},
    ]


def test_each_entry_is_one_changeset_and_reload_changes_nothing(
        store: VersionedStore, system: Actor, small_data: Path) -> None:
    manifest = read_manifest(_write_manifest(small_data, _entries()))
    first = load_manifest(store, system, manifest)
    assert [r.status for r in first] == [EntryStatus.LOADED, EntryStatus.LOADED]
    assert [r.seq for r in first] == [1, 2]
    assert store.count(system, "roads") == 500
    assert store.count(system, "rivers") == 11
    meta = store.layer(system, "roads")
    assert (meta.title_zh, meta.title_en, meta.category) == ("道路", "Roads", "400000")
    assert (meta.licence, meta.attribution, meta.key_field) == ("ODbL-1.0", OSM, "osm_id")

    again = load_manifest(store, system, manifest)
    assert [r.status for r in again] == [EntryStatus.UNCHANGED, EntryStatus.UNCHANGED]
    assert store.current_seq() == 2

    forced = load_manifest(store, system, manifest, only=["roads"], force=True)
    assert forced[0].status is EntryStatus.NO_CHANGES  # keyed: re-read, nothing differs
    assert store.current_seq() == 2


def test_changed_keyed_file_writes_only_the_differences(
        store: VersionedStore, system: Actor, small_data: Path) -> None:
    path = _write_manifest(small_data, _entries())
    load_manifest(store, system, read_manifest(path))
    roads = _read_roads(small_data / "roads.gpkg")
    ids = roads["fields"]["osm_id"]
    renamed, gone = str(ids[0]), str(ids[1])
    roads["fields"]["name"][0] = "测试更名路"
    keep = np.arange(len(ids)) != 1
    roads["geometry"] = roads["geometry"][keep]
    roads["fields"] = {k: v[keep] for k, v in roads["fields"].items()}
    _write_roads(small_data / "roads.gpkg", roads)

    result = load_manifest(store, system, read_manifest(path))
    assert [r.status for r in result] == [EntryStatus.LOADED, EntryStatus.UNCHANGED]
    change = result[0].report.layers["roads"]  # type: ignore[union-attr]
    assert (change.inserted, change.updated, change.deleted) == (0, 1, 1)
    assert store.feature(system, "roads", renamed).properties["name"] == "测试更名路"
    assert store.count(system, "roads") == 499
    assert [f.version for f in store.history(system, "roads", gone)] == [1]
    assert load_manifest(store, system, read_manifest(path))[0].status is EntryStatus.UNCHANGED


def test_changed_unkeyed_file_replaces_the_layer(
        store: VersionedStore, system: Actor, small_data: Path) -> None:
    path = _write_manifest(small_data, _entries())
    load_manifest(store, system, read_manifest(path))
    data = json.loads((small_data / "rivers.geojson").read_text(encoding="utf-8"))
    data["features"] = data["features"][:5]
    (small_data / "rivers.geojson").write_text(json.dumps(data), encoding="utf-8")

    result = load_manifest(store, system, read_manifest(path), only=["rivers"])
    change = result[0].report.layers["rivers"]  # type: ignore[union-attr]
    assert (change.inserted, change.deleted) == (5, 11)
    assert store.count(system, "rivers") == 5
    assert store.count(system, "rivers", as_of=2) == 11  # history keeps the old content


def test_metadata_only_edit_updates_the_catalogue_without_a_changeset(
        store: VersionedStore, system: Actor, small_data: Path) -> None:
    entries = _entries()
    path = _write_manifest(small_data, entries)
    load_manifest(store, system, read_manifest(path))
    entries[0]["title_zh"] = "杭州道路"
    entries[0]["abstract"] = "五百条"
    path = _write_manifest(small_data, entries)
    result = load_manifest(store, system, read_manifest(path))
    assert [r.status for r in result] == [EntryStatus.METADATA, EntryStatus.UNCHANGED]
    assert store.current_seq() == 2
    meta = store.layer(system, "roads")
    assert (meta.title_zh, meta.abstract) == ("杭州道路", "五百条")


def test_a_bad_manifest_lists_every_problem(tmp_path: Path) -> None:
    path = _write_manifest(tmp_path, [
        {"file": "missing.gpkg", "layer": "a", "title_zh": "甲", "licence": "x", "attribution": "y"},
        {"file": "x", "layer": "b"},
        {"file": "x", "layer": "c", "title_zh": "丙", "licence": "x", "attribution": "y",
         "colour": "red"},
    ])
    with pytest.raises(InvalidData) as info:
        read_manifest(path)
    reasons = [p.reason_en for p in info.value.problems]
    assert "no such file: missing.gpkg" in reasons
    assert {"missing field title_zh", "missing field licence", "missing field attribution"} <= set(
        reasons)
    assert "unknown field colour" in reasons


def test_demo_manifest_is_valid_and_ships_only_open_data() -> None:
    manifest = read_manifest(DEMO / "manifest.json")
    assert len({e.layer for e in manifest.entries}) == len(manifest.entries)
    open_licences = {"ODbL-1.0", "LGPL-3.0-or-later", "MIT"}
    for e in manifest.entries:
        assert e.licence in open_licences, e.layer
        assert e.attribution and e.title_zh and e.title_en, e.layer
        assert (e.file.parent / "SOURCE.md").is_file(), e.layer
        assert e.file.is_relative_to(DEMO)
    shipped = {p.parent.name for p in DEMO.rglob("SOURCE.md")}
    for folder in shipped:
        text = (DEMO / folder / "SOURCE.md").read_text(encoding="utf-8")
        assert "none stated" not in text.split("## In mapnode")[0].split("License")[1][:200]
    assert "ODbL 1.0" in (DEMO / "ATTRIBUTION.md").read_text(encoding="utf-8")


def test_cli_load_reports_problems_without_traceback(tmp_path: Path) -> None:
    path = _write_manifest(tmp_path, [{"file": "nope.geojson", "layer": "x"}])
    proc = subprocess.run([sys.executable, "-m", "mapnode.cli", "load", str(path), "--store",
                           str(tmp_path / "s.mapnode")], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "错误 / error" in proc.stderr and "missing field title_zh" in proc.stderr
    assert "Traceback" not in proc.stderr
