"""A published changeset can be rebuilt from the version rows, inverted and undone."""

from __future__ import annotations

import pytest
import shapely

from mapnode.errors import Conflict
from mapnode.model import Actor, Changeset, OpKind
from mapnode.store import VersionedStore
from tests.store import hz


def _edit(store: VersionedStore, actor: Actor, data: hz.Slice) -> int:
    """Seq 2: move one real road, rename another, delete a third, add a real 滨江 road."""
    a, b, c = data.rows[0], data.rows[1], data.rows[2]
    new = hz.elsewhere()[0]
    cs = (Changeset(actor.name, "edit")
          .update("roads", a.fid, 1, shapely.affinity.translate(a.geometry, 0.001, 0.0),
                  a.properties)
          .update("roads", b.fid, 1, b.geometry, {**b.properties, "name": "改名路"})
          .delete("roads", c.fid, 1)
          .insert("roads", new.fid, new.geometry, new.properties))
    entry = store.apply(actor, cs)
    assert entry is not None
    return entry.seq


def test_changeset_is_rebuilt_from_rows(store: VersionedStore, system: Actor,
                                        roads: hz.Slice) -> None:
    seq = _edit(store, system, roads)
    cs = store.changeset(system, seq)
    kinds = {op.fid: op.kind for op in cs.operations}
    a, b, c = roads.rows[0], roads.rows[1], roads.rows[2]
    new = hz.elsewhere()[0]
    assert kinds == {a.fid: OpKind.UPDATE, b.fid: OpKind.UPDATE, c.fid: OpKind.DELETE,
                     new.fid: OpKind.INSERT}
    ops = {op.fid: op for op in cs.operations}
    assert ops[b.fid].properties["name"] == "改名路"
    assert ops[b.fid].old_properties["name"] == b.properties["name"]
    assert ops[a.fid].base_version == 1 and ops[a.fid].version == 2
    assert ops[c.fid].old_geometry.equals(c.geometry)
    assert cs.message == "edit"


def test_undo_restores_the_previous_state(store: VersionedStore, system: Actor,
                                          roads: hz.Slice) -> None:
    seq = _edit(store, system, roads)
    before = {f.fid: f for f in store.features(system, "roads", as_of=seq - 1)}
    entry = store.undo(system, seq)
    assert entry is not None and entry.seq == seq + 1
    after = {f.fid: f for f in store.features(system, "roads")}
    assert after.keys() == before.keys()
    for fid, f in before.items():
        assert after[fid].properties == f.properties
        assert after[fid].geometry.equals_exact(f.geometry, 0.0)
    # Undo is a new changeset: history keeps both the edit and its undo.
    assert store.diff(system, "roads", seq - 1, seq + 1).counts == {
        "added": 0, "changed": 0, "removed": 0}
    assert store.diff(system, "roads", seq - 1, seq).counts == {
        "added": 1, "changed": 2, "removed": 1}


def test_undo_after_a_later_edit_conflicts_and_changes_nothing(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    seq = _edit(store, system, roads)
    a = roads.rows[0]
    store.apply(system, Changeset("x").update("roads", a.fid, 2, a.geometry, a.properties))
    current = store.current_seq()
    with pytest.raises(Conflict):
        store.undo(system, seq)
    assert store.current_seq() == current


def test_changeset_of_hidden_layer_shows_nothing_to_the_public(
        store: VersionedStore, system: Actor, public: Actor) -> None:
    from mapnode.model import Edition

    seq = hz.load(store, system, "secret_roads", hz.roads(), edition=Edition.GOVERNMENT)
    hidden = store.changeset(public, seq)
    assert hidden.operations == [] and hidden.message == "" and hidden.author == ""
    assert len(store.changeset(system, seq).operations) == len(hz.roads().rows)
