"""Applying changesets: insert / update / delete, version numbers, conflicts, empty changesets,
the log's counts and bboxes, and undo (inverted operations) and compose through the store."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.errors import Conflict, NotFound
from mapnode.model import Actor, Changeset, Feature, Operation, OpKind
from mapnode.store import VersionedStore
from tests.store import hz


def _state(store: VersionedStore, actor: Actor, layer: str) -> dict[str, tuple[bytes, dict]]:
    """A layer's current content by fid (geometry as WKB, properties)."""
    return {f.fid: (_wkb(f.geometry), f.properties) for f in store.features(actor, layer)}


def _wkb(g: BaseGeometry | None) -> bytes:
    return b"" if g is None else shapely.to_wkb(g, output_dimension=2)


def _renamed(row: hz.Row, name: str) -> dict:
    return {**row.properties, "name": name}


def test_insert_update_delete(store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    before = store.count(system, "roads")
    new = hz.elsewhere()[0]
    avenue = roads.named("西湖大道")[0]
    gone = roads.named("北山街")[0]
    moved = shapely.simplify(avenue.geometry, 0.0005)  # a real edit: the way simplified
    entry = store.apply(system, Changeset("tester", "编辑 / edit")
                        .insert("roads", new.fid, new.geometry, new.properties)
                        .update("roads", avenue.fid, 1, moved, _renamed(avenue, "西湖大道（改）"))
                        .delete("roads", gone.fid, 1))
    assert entry is not None and entry.seq == 2
    assert store.count(system, "roads") == before  # one in, one out
    got = store.feature(system, "roads", new.fid)
    assert (got.version, got.properties, got.seq_from) == (1, new.properties, 2)
    assert got.geometry is not None and got.geometry.equals_exact(new.geometry, 0)
    upd = store.feature(system, "roads", avenue.fid)
    assert upd.version == 2 and upd.properties["name"] == "西湖大道（改）"
    assert upd.geometry is not None and upd.geometry.equals_exact(moved, 0)
    with pytest.raises(NotFound):
        store.feature(system, "roads", gone.fid)
    assert store.feature(system, "roads", gone.fid, as_of=1).version == 1


def test_delete_then_reinsert_continues_the_version_numbers(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    row = roads.named("南山路")[0]
    store.apply(system, Changeset("t").delete("roads", row.fid, 1))  # seq 2
    store.apply(system, Changeset("t").insert("roads", row.fid, row.geometry,
                                              row.properties))  # seq 3
    assert store.feature(system, "roads", row.fid).version == 2
    store.apply(system, Changeset("t").update("roads", row.fid, 2, row.geometry,
                                              _renamed(row, "南山路 Nanshan Rd")))  # seq 4
    history = store.history(system, "roads", row.fid)
    assert [(f.version, f.seq_from, f.seq_to) for f in history] == [(1, 1, 2), (2, 3, 4),
                                                                    (3, 4, None)]
    assert history[-1].properties["name"] == "南山路 Nanshan Rd"
    with pytest.raises(Conflict):  # inserting a feature that is current again is a conflict
        store.apply(system, Changeset("t").insert("roads", row.fid, row.geometry, {}))


def test_stale_base_version_is_a_conflict_and_changes_nothing(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    a, b = roads.named("西湖大道")[:2]
    store.apply(system, Changeset("t").update("roads", a.fid, 1, a.geometry,
                                              _renamed(a, "first edit")))  # a is now v2
    seq, log_len = store.current_seq(), len(store.log(system))
    content = _state(store, system, "roads")
    new = hz.elsewhere()[0]
    stale = (Changeset("t")
             .update("roads", b.fid, 1, b.geometry, _renamed(b, "fine on its own"))
             .insert("roads", new.fid, new.geometry, new.properties)
             .update("roads", a.fid, 1, a.geometry, _renamed(a, "based on v1")))
    with pytest.raises(Conflict) as err:
        store.apply(system, stale)
    assert any(a.fid in c for c in err.value.context["conflicts"])
    assert store.current_seq() == seq and len(store.log(system)) == log_len
    assert _state(store, system, "roads") == content
    assert len(store.history(system, "roads", b.fid)) == 1
    with pytest.raises(Conflict):  # deleting a feature that does not exist
        store.apply(system, Changeset("t").delete("roads", "no-such-way", 1))
    assert store.current_seq() == seq


def test_a_changeset_that_changes_nothing_leaves_no_log_entry(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    assert store.apply(system, Changeset("t", "nothing")) is None
    with store.write(system, "nothing either") as w:
        pass
    assert not w.committed
    with store.write(system, "same content again") as w:  # a re-import of identical rows
        w.sync_rows("roads", [r.new_row() for r in roads.rows])
    assert not w.committed
    assert store.current_seq() == 1 and [e.seq for e in store.log(system)] == [1]
    row = roads.named("西湖大道")[0]
    entry = store.apply(system, Changeset("t").update("roads", row.fid, 1, row.geometry,
                                                      _renamed(row, "x")))
    assert entry is not None and entry.seq == 2  # no gap where nothing was written


def test_sync_rows_writes_only_the_differences(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    rows = list(roads.rows)
    changed = hz.Row(rows[0].fid, rows[0].geometry, _renamed(rows[0], "新名字"))
    with store.write(system, "re-import") as w:
        w.sync_rows("roads", [changed.new_row(), *(r.new_row() for r in rows[1:-1])])
        w.delete_unseen("roads")
    assert w.committed
    layer = store.log_entry(system, w.seq).layers["roads"]
    assert (layer.inserted, layer.updated, layer.deleted) == (0, 1, 1)
    assert store.feature(system, "roads", rows[0].fid).properties["name"] == "新名字"


def test_log_counts_and_bbox_cover_old_and_new_geometries(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    far = hz.elsewhere()
    moved, deleted = roads.named("西湖大道")[0], roads.named("北山街")[0]
    inserted = far[0]
    entry = store.apply(system, Changeset("t")
                        .update("roads", moved.fid, 1, far[1].geometry, moved.properties)
                        .delete("roads", deleted.fid, 1)
                        .insert("roads", inserted.fid, inserted.geometry, inserted.properties))
    assert entry is not None
    change = entry.layers["roads"]
    assert (change.inserted, change.updated, change.deleted) == (1, 1, 1)
    union = shapely.union_all([moved.geometry, far[1].geometry, deleted.geometry,
                               inserted.geometry])
    assert change.bbox == pytest.approx(union.bounds)
    assert store.log_entry(system, entry.seq).layers["roads"] == change
    first = store.log(system)[0].layers["roads"]
    assert (first.inserted, first.updated, first.deleted) == (len(roads.rows), 0, 0)
    assert first.bbox == pytest.approx(
        shapely.total_bounds([r.geometry for r in roads.rows]).tolist())


def test_log_lists_every_layer_a_changeset_touched(store: VersionedStore, system: Actor,
                                                   roads: hz.Slice) -> None:
    hz.load(store, system, "amenities", hz.amenities())
    road, poi = roads.rows[0], hz.amenities().rows[0]
    entry = store.apply(system, Changeset("t")
                        .delete("roads", road.fid, 1).delete("amenities", poi.fid, 1))
    assert entry is not None and set(entry.layers) == {"roads", "amenities"}
    assert entry.layers["amenities"].bbox == pytest.approx(poi.geometry.bounds)


def _applied_versions(store: VersionedStore, actor: Actor, cs: Changeset) -> list[int | None]:
    out: list[int | None] = []
    for op in cs.operations:
        try:
            out.append(store.feature(actor, op.layer, op.fid).version)
        except NotFound:
            out.append(None)
    return out


def _inverse(cs: Changeset, applied: list[int | None]) -> Changeset:
    ops = [op.inverted(v) for op, v in zip(cs.operations, applied, strict=True)]
    return Changeset(cs.author, f"撤销 / undo {cs.message}", cs.source, cs.organisation,
                     ops[::-1])


def _edit(layer: str, roads: hz.Slice) -> Changeset:
    """Insert a road, update one (with its old state, so it can be inverted), delete one."""
    new = hz.elsewhere()[2]
    upd, gone = roads.named("西湖大道")[0], roads.named("北山街")[0]
    return Changeset("t", "edit", operations=[
        Operation(OpKind.INSERT, layer, new.fid, new.geometry, new.properties),
        Operation(OpKind.UPDATE, layer, upd.fid, shapely.simplify(upd.geometry, 0.001),
                  _renamed(upd, "西湖大道 (simplified)"), 1, upd.geometry, upd.properties),
        Operation(OpKind.DELETE, layer, gone.fid, base_version=1, old_geometry=gone.geometry,
                  old_properties=gone.properties),
    ])


def test_inverted_operations_undo_a_changeset(store: VersionedStore, system: Actor,
                                              roads: hz.Slice) -> None:
    original = _state(store, system, "roads")
    edit = _edit("roads", roads)
    entry = store.apply(system, edit)
    assert entry is not None and _state(store, system, "roads") != original
    undo = store.apply(system, _inverse(edit, _applied_versions(store, system, edit)))
    assert undo is not None and undo.seq == entry.seq + 1
    assert _state(store, system, "roads") == original
    d = store.diff(system, "roads", 1, undo.seq)
    assert d.counts == {"added": 0, "changed": 0, "removed": 0}
    with pytest.raises(Conflict):  # undoing twice: the base versions are stale now
        store.apply(system, _inverse(edit, [1, 2, None]))


def test_composed_changeset_has_the_effect_of_both(store: VersionedStore, system: Actor,
                                                   roads: hz.Slice) -> None:
    hz.load(store, system, "roads_b", roads)
    far = hz.elsewhere()
    x, y = far[3], far[4]
    b, d, e = roads.named("西湖大道")[0], roads.named("北山街")[0], roads.named("南山路")[0]

    def first(layer: str) -> Changeset:
        return (Changeset("t").insert(layer, x.fid, x.geometry, x.properties)
                .insert(layer, y.fid, y.geometry, y.properties)
                .update(layer, b.fid, 1, b.geometry, _renamed(b, "b1"))
                .update(layer, d.fid, 1, d.geometry, _renamed(d, "d1"))
                .delete(layer, e.fid, 1))

    def then(layer: str) -> Changeset:
        return (Changeset("t").update(layer, x.fid, 1, x.geometry, _renamed(x, "x2"))
                .delete(layer, y.fid, 1)
                .update(layer, b.fid, 2, far[5].geometry, _renamed(b, "b2"))
                .delete(layer, d.fid, 2)
                .insert(layer, e.fid, far[6].geometry, _renamed(e, "e2")))

    store.apply(system, first("roads"))
    store.apply(system, then("roads"))
    composed = first("roads_b").compose(then("roads_b"))
    assert sorted(op.kind.value for op in composed.operations) == [
        "delete", "insert", "update", "update"]
    entry = store.apply(system, composed)
    assert entry is not None
    assert _state(store, system, "roads_b") == _state(store, system, "roads")
    assert store.feature(system, "roads_b", b.fid).version == 2  # one step, one version


def test_writer_rolls_back_everything_when_the_block_raises(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    content = _state(store, system, "roads")
    with pytest.raises(RuntimeError), store.write(system) as w:
        w.insert_rows("roads", [r.new_row() for r in hz.elsewhere()])
        w.delete_all("roads")
        raise RuntimeError("boom")
    assert _state(store, system, "roads") == content and store.current_seq() == 1
    assert [m.name for m in store.layers(system)] == ["roads"]


def test_features_are_read_back_exactly(store: VersionedStore, system: Actor,
                                        roads: hz.Slice) -> None:
    by_fid = roads.by_fid()
    got: list[Feature] = list(store.features(system, "roads"))
    assert [f.fid for f in got] == sorted(by_fid)  # ordered by fid, byte order
    for f in got:
        row = by_fid[f.fid]
        assert f.properties == row.properties
        assert f.geometry is not None and f.geometry.equals_exact(row.geometry, 0)


def test_z_values_and_nul_characters_are_stored_alike_on_both_backends(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    new = hz.elsewhere()[7]
    padded = {**new.properties, "name": f"{new.properties['name'] or '滨江'}\x00\x00",
              "note": "C:\\u0000 stays"}
    store.apply(system, Changeset("t").insert("roads", new.fid,
                                              shapely.force_3d(new.geometry, 12.5), padded))
    got = store.feature(system, "roads", new.fid)
    assert got.geometry is not None and not got.geometry.has_z
    assert got.geometry.equals_exact(new.geometry, 0)
    assert got.properties["name"] == padded["name"].rstrip("\x00")
    assert got.properties["note"] == "C:\\u0000 stays"
