"""Imports through `mapnode.ingest.import_file` into each store: a keyed re-import of the same
file writes nothing, an edited file writes only its differences, and two writers on one store
get gapless seqs."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely

from mapnode.errors import InvalidData
from mapnode.ingest.importer import ImportOptions, import_file
from mapnode.model import Actor, Changeset
from mapnode.store import VersionedStore
from tests.store import hz
from tests.support.data import HANGZHOU_GPKG

BOX = (120.14, 30.24, 120.16, 30.26)


def _write_slice(path: Path, drop: int = 0, rename: dict[int, str] | None = None) -> int:
    """The Hangzhou roads in BOX as a GeoPackage, optionally edited; returns its size."""
    meta, _, wkb, values = pyogrio.raw.read(HANGZHOU_GPKG, layer="roads", bbox=BOX)
    keep = np.arange(len(wkb)) >= drop
    names = values[list(meta["fields"]).index("name")].copy()
    for i, name in (rename or {}).items():
        names[i] = name
    values[list(meta["fields"]).index("name")] = names
    pyogrio.raw.write(str(path), wkb[keep], [v[keep] for v in values], meta["fields"],
                      layer="roads", driver="GPKG", geometry_type="LineString", crs="EPSG:4326")
    return int(keep.sum())


def test_keyed_reimport_writes_only_differences(store: VersionedStore, system: Actor,
                                                tmp_path: Path) -> None:
    first = tmp_path / "roads.gpkg"
    n = _write_slice(first)
    options = ImportOptions(layer="roads", key="osm_id")
    report = import_file(store, system, first, options)
    assert report.seq == 1 and report.layers["roads"].inserted == n
    assert store.count(system, "roads") == n
    again = import_file(store, system, first, options)
    assert again.seq is None and store.current_seq() == 1  # nothing changed: no log entry
    edited = tmp_path / "roads_edited.gpkg"
    _write_slice(edited, drop=2, rename={5: "西湖大道（新）"})
    report = import_file(store, system, edited, options)
    change = report.layers["roads"]
    assert report.seq == 2 and (change.inserted, change.updated, change.deleted) == (0, 1, 2)
    assert store.count(system, "roads") == n - 2
    d = store.diff(system, "roads", 1, 2)
    assert d.counts == {"added": 0, "changed": 1, "removed": 2}
    assert d.changed[0].new.properties["name"] == "西湖大道（新）"
    assert d.changed[0].new.version == 2


def test_imported_features_match_the_file(store: VersionedStore, system: Actor,
                                          tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    _write_slice(path)
    import_file(store, system, path, ImportOptions(layer="roads", key="osm_id"))
    _, _, wkb, values = pyogrio.raw.read(path, layer="roads", columns=["osm_id", "name"])
    by_id = {str(i): (g, n) for i, n, g in zip(values[0], values[1], shapely.from_wkb(wkb),
                                              strict=True)}
    got = list(store.features(system, "roads"))
    assert {f.fid for f in got} == set(by_id)
    for f in got:
        geom, name = by_id[f.fid]
        assert f.geometry is not None and f.geometry.equals_exact(geom, 1e-9)
        assert f.properties.get("name") == name and f.properties["osm_id"] == int(f.fid)


def test_two_writers_get_gapless_seqs(store: VersionedStore, system: Actor,
                                      roads: hz.Slice) -> None:
    rows = hz.elsewhere()[:20]
    errors: list[BaseException] = []

    def write(part: tuple[hz.Row, ...]) -> None:
        try:
            for r in part:
                store.apply(system, Changeset("t").insert("roads", r.fid, r.geometry,
                                                          r.properties))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.close()  # this thread's connection

    threads = [threading.Thread(target=write, args=(rows[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert [e.seq for e in store.log(system)] == list(range(1, len(rows) + 2))
    assert store.count(system, "roads") == len(roads.rows) + len(rows)
    times = [e.time for e in store.log(system)]
    assert times == sorted(times)


def test_a_failed_import_leaves_the_store_unchanged(store: VersionedStore, system: Actor,
                                                    roads: hz.Slice, tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    _write_slice(path)
    with pytest.raises(InvalidData):  # the key field is not in the file
        import_file(store, system, path, ImportOptions(layer="roads", key="no_such_field"))
    assert store.current_seq() == 1 and store.count(system, "roads") == len(roads.rows)
