"""Access through the store: a public actor cannot see a government (政务) or classified (涉密)
layer through any read path, a government actor sees government but not classified layers,
and writes need the editor role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mapnode.errors import Forbidden, NotFound
from mapnode.model import Actor, Changeset, Edition, LayerMeta, Role
from mapnode.store import VersionedStore
from tests.store import hz

LAYERS = {"roads": Edition.PUBLIC, "roads_gov": Edition.GOVERNMENT,
          "roads_secret": Edition.CLASSIFIED}
BOX = (120.14, 30.24, 120.16, 30.26)


@pytest.fixture
def editions(store: VersionedStore, system: Actor) -> dict[str, hz.Row]:
    """One layer per edition (seqs 1-3); seq 4 edits the government layer, seq 5 all three.

    Returns the row edited in each layer.
    """
    data = hz.roads()
    rows = data.rows[:300]
    for name, edition in LAYERS.items():
        hz.load(store, system, name, data, edition, rows=rows)
    row = next(r for r in rows if r.properties["name"])
    edit = {**row.properties, "name": f"{row.properties['name']}（政务标注）"}
    store.apply(system, Changeset("gov-editor", "政务图层修订 / government edit")
                .update("roads_gov", row.fid, 1, row.geometry, edit))
    other = next(r for r in rows if r.fid != row.fid)
    both = Changeset("system", "三个图层 / all three")
    for name in LAYERS:
        both.update(name, other.fid, 1, other.geometry, {**other.properties, "maxspeed": 30})
    store.apply(system, both)
    return {"edited": row, "all": other}


def _reads(store: VersionedStore, actor: Actor, layer: str,
           row: hz.Row) -> dict[str, Callable[[], Any]]:
    """Every read path that names a layer."""
    lon, lat = row.geometry.coords[0]
    return {
        "layer": lambda: store.layer(actor, layer),
        "features": lambda: list(store.features(actor, layer)),
        "features_bbox": lambda: list(store.features(actor, layer, bbox=BOX)),
        "features_old_seq": lambda: list(store.features(actor, layer, as_of=1)),
        "intersects": lambda: list(store.features(actor, layer, intersects=row.geometry)),
        "count": lambda: store.count(actor, layer),
        "feature": lambda: store.feature(actor, layer, row.fid),
        "history": lambda: store.history(actor, layer, row.fid),
        "nearest": lambda: store.nearest(actor, layer, lon, lat),
        "diff": lambda: store.diff(actor, layer, 0),
    }


def _reader(edition: Edition) -> Actor:
    return Actor(f"reader-{edition.value}", edition, frozenset({Role.READER}))


@pytest.mark.parametrize("hidden", ["roads_gov", "roads_secret"])
def test_public_sees_no_restricted_layer_on_any_path(
        store: VersionedStore, editions: dict[str, hz.Row], hidden: str) -> None:
    for actor in (Actor.anonymous(), _reader(Edition.PUBLIC), hz.editor(Edition.PUBLIC)):
        assert [m.name for m in store.layers(actor)] == ["roads"]
        for path, read in _reads(store, actor, hidden, editions["edited"]).items():
            with pytest.raises(NotFound):
                read()
                pytest.fail(f"{path} showed {hidden} to {actor.name}")
        for path, read in _reads(store, actor, "roads", editions["all"]).items():
            assert read() is not None, path


def test_government_sees_government_but_not_classified(
        store: VersionedStore, editions: dict[str, hz.Row]) -> None:
    gov = _reader(Edition.GOVERNMENT)
    assert [m.name for m in store.layers(gov)] == ["roads", "roads_gov"]
    for path, read in _reads(store, gov, "roads_gov", editions["edited"]).items():
        assert read() is not None, path
    assert store.feature(gov, "roads_gov", editions["edited"].fid).version == 2
    assert len(store.diff(gov, "roads_gov", 3).changed) == 2
    for path, read in _reads(store, gov, "roads_secret", editions["edited"]).items():
        with pytest.raises(NotFound):
            read()
            pytest.fail(f"{path} showed roads_secret to a government reader")
    secret = [m.name for m in store.layers(Actor.system())]
    assert secret == ["roads", "roads_gov", "roads_secret"]


def test_the_log_hides_what_the_actor_may_not_see(
        store: VersionedStore, editions: dict[str, hz.Row]) -> None:
    public, gov = Actor.anonymous(), _reader(Edition.GOVERNMENT)
    entries = store.log(public)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]  # gapless for consumers
    assert [set(e.layers) for e in entries] == [{"roads"}, set(), set(), set(), {"roads"}]
    gov_edit = store.log_entry(public, 4)
    assert (gov_edit.author, gov_edit.message, gov_edit.layers) == ("", "", {})
    assert "roads_gov" not in repr(store.log(public)) and "政务" not in repr(entries)
    assert set(store.log_entry(public, 5).layers) == {"roads"}
    assert set(store.log_entry(gov, 5).layers) == {"roads", "roads_gov"}
    assert store.log_entry(gov, 4).author == "system"
    assert set(store.log(gov)[1].layers) == {"roads_gov"}
    assert all("roads_secret" not in e.layers for e in store.log(gov))
    assert "roads_secret" in store.log_entry(Actor.system(), 3).layers


def test_writes_need_the_editor_role(store: VersionedStore,
                                     editions: dict[str, hz.Row]) -> None:
    row = editions["all"]
    seq = store.current_seq()
    change = Changeset("x").update("roads", row.fid, 2, row.geometry, row.properties)
    for actor in (Actor.anonymous(), _reader(Edition.CLASSIFIED)):
        with pytest.raises(Forbidden):
            store.apply(actor, change)
        with pytest.raises(Forbidden), store.write(actor):
            pass
        with pytest.raises(Forbidden):
            store.create_layer(actor, LayerMeta("mine"))
    public_editor = hz.editor(Edition.PUBLIC)
    for layer in ("roads_gov", "roads_secret"):  # an editor cannot write what it cannot see
        with pytest.raises((Forbidden, NotFound)):
            store.apply(public_editor, Changeset("x").update(layer, row.fid, 2, row.geometry,
                                                             row.properties))
    with pytest.raises(Forbidden):
        store.create_layer(public_editor, LayerMeta("gov_new", edition=Edition.GOVERNMENT))
    with pytest.raises(Forbidden):
        store.drop_layer(public_editor, "roads")
    assert store.current_seq() == seq
    assert [m.name for m in store.layers(Actor.system())] == list(LAYERS)
    entry = store.apply(public_editor, change)
    assert entry is not None and entry.seq == seq + 1 and entry.author == "editor-public"
    gov_editor = hz.editor(Edition.GOVERNMENT)
    assert store.apply(gov_editor, Changeset("x").update(
        "roads_gov", row.fid, 2, row.geometry, row.properties)) is not None


@pytest.mark.parametrize("name", ["roads\x00", "\x00", "ro\x00ads"])
def test_a_layer_name_with_a_nul_character_is_not_found(store: VersionedStore, system: Actor,
                                                         name: str) -> None:
    """PostgreSQL text cannot hold NUL; such names must be 'not found', not a driver error."""
    store.create_layer(system, LayerMeta("roads"))
    with pytest.raises(NotFound):
        store.layer(system, name)
    with pytest.raises(NotFound):
        list(store.features(system, name))
