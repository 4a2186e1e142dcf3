"""Re-importing a changed file with a key field writes only the differences."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyogrio.raw
import shapely

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ingest.conftest import ROADS_SLICE
from tests.support.data import HANGZHOU_GPKG

RENAMED = range(0, 10)
MOVED = range(10, 15)
DELETED = range(20, 27)
ADDED = 12


def write_modified_roads(path: Path) -> tuple[pa.Table, pa.Table]:
    """The roads slice with 10 renamed, 5 moved, 7 deleted and 12 further real roads added."""
    meta, table = pyogrio.raw.read_arrow(HANGZHOU_GPKG, layer="roads",
                                         max_features=ROADS_SLICE + ADDED)
    geom = meta["geometry_name"]
    names = table.column("name").to_pylist()
    wkb = table.column(geom).to_pylist()
    for i in RENAMED:
        names[i] = (names[i] or "无名路") + "（改）"
    for i in MOVED:
        wkb[i] = shapely.to_wkb(shapely.transform(shapely.from_wkb(wkb[i]), lambda xy: xy + 1e-5))
    keep = [i for i in range(table.num_rows) if i not in DELETED]
    table = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names))
    table = table.set_column(table.schema.get_field_index(geom), geom, pa.array(wkb, pa.binary()))
    modified = table.take(keep)
    pyogrio.raw.write_arrow(modified, path, layer="roads", driver="GPKG", geometry_name=geom,
                            geometry_type="LineString", crs=meta["crs"])
    return table, modified


def test_reimport_with_key_writes_only_the_differences(store: VersionedStore, system: Actor,
                                                       roads_gpkg: Path, tmp_path: Path) -> None:
    first = import_file(store, system, roads_gpkg, ImportOptions(layer="roads", key="osm_id"))
    assert first.layers["roads"].inserted == ROADS_SLICE
    before = {f.fid: f for f in store.features(system, "roads")}

    changed = tmp_path / "roads_changed.gpkg"
    table, _ = write_modified_roads(changed)
    report = import_file(store, system, changed, ImportOptions(layer="roads", key="osm_id"))
    change = report.layers["roads"]
    assert (change.inserted, change.updated, change.deleted) == (ADDED, len(RENAMED) + len(MOVED),
                                                                 len(DELETED))
    entry = store.log_entry(system, report.seq)  # type: ignore[arg-type]
    assert entry.layers["roads"].inserted == ADDED
    assert entry.layers["roads"].deleted == len(DELETED)

    ids = table.column("osm_id").to_pylist()
    names = table.column("name").to_pylist()
    now = {f.fid: f for f in store.features(system, "roads")}
    assert len(now) == ROADS_SLICE - len(DELETED) + ADDED
    for i in RENAMED:
        assert now[str(ids[i])].properties["name"] == names[i]
        assert now[str(ids[i])].version == 2
    for i in DELETED:
        assert str(ids[i]) not in now
    for i in range(ROADS_SLICE, ROADS_SLICE + ADDED):
        assert now[str(ids[i])].version == 1

    # the state before is still readable as of the previous seq
    old = {f.fid: f for f in store.features(system, "roads", as_of=first.seq)}
    assert old.keys() == before.keys()
    for i in [*RENAMED, *DELETED]:
        assert old[str(ids[i])].properties == before[str(ids[i])].properties
    for i in MOVED:
        assert old[str(ids[i])].geometry.equals_exact(before[str(ids[i])].geometry, 0)
        assert not now[str(ids[i])].geometry.equals_exact(old[str(ids[i])].geometry, 1e-7)
    diff = store.diff(system, "roads", first.seq, report.seq)  # type: ignore[arg-type]
    assert diff.counts == {"added": ADDED, "changed": 15, "removed": len(DELETED)}

    again = import_file(store, system, changed, ImportOptions(layer="roads", key="osm_id"))
    assert again.seq is None and store.current_seq() == report.seq
