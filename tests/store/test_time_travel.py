"""Reads as of now, a past seq or a time (历史数据), history, and diff between seqs and times
(变化提取), including a bbox-restricted diff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

import pytest
import shapely

from mapnode.errors import InvalidParameter, NotFound
from mapnode.model import Actor, Changeset
from mapnode.store import AsOf, AttrFilter, VersionedStore
from tests.store import hz

SHANGHAI = timezone(timedelta(hours=8))


@dataclass
class Story:
    """seq 1 load; 2 moves 西湖大道 to 滨江 and renames it; 3 deletes 北山街; 4 inserts a road."""

    moved: hz.Row
    new_geometry: shapely.Geometry
    deleted: hz.Row
    inserted: hz.Row
    total: int


@pytest.fixture
def story(store: VersionedStore, system: Actor, roads: hz.Slice) -> Story:
    far = hz.elsewhere()
    moved, deleted, inserted = roads.named("西湖大道")[0], roads.named("北山街")[0], far[0]
    props = {**moved.properties, "name": "滨江大道（测试）"}
    assert store.apply(system, Changeset("t").update("roads", moved.fid, 1, far[1].geometry,
                                                     props)).seq == 2  # type: ignore[union-attr]
    assert store.apply(system, Changeset("t").delete("roads", deleted.fid, 1)).seq == 3  # type: ignore[union-attr]
    assert store.apply(system, Changeset("t").insert(  # type: ignore[union-attr]
        "roads", inserted.fid, inserted.geometry, inserted.properties)).seq == 4
    return Story(moved, far[1].geometry, deleted, inserted, len(roads.rows))


def _fids(store: VersionedStore, actor: Actor, **kw: object) -> set[str]:
    return {f.fid for f in store.features(actor, "roads", **kw)}  # type: ignore[arg-type]


def test_reads_as_of_each_seq(store: VersionedStore, system: Actor, story: Story) -> None:
    m, d, i = story.moved.fid, story.deleted.fid, story.inserted.fid
    assert store.count(system, "roads", as_of=0) == 0
    assert store.count(system, "roads", as_of=1) == story.total
    assert store.count(system, "roads", as_of=3) == story.total - 1
    assert store.count(system, "roads") == store.count(system, "roads", as_of=4) == story.total
    at1, at2 = _fids(store, system, as_of=1), _fids(store, system, as_of=AsOf(seq=2))
    assert {m, d} <= at1 and i not in at1
    assert d in at2 and i not in at2
    now = _fids(store, system)
    assert i in now and d not in now
    old, new = store.feature(system, "roads", m, as_of=1), store.feature(system, "roads", m)
    assert old.properties["name"] == story.moved.properties["name"] and old.version == 1
    assert new.properties["name"] == "滨江大道（测试）" and new.version == 2
    assert old.geometry is not None and old.geometry.equals_exact(story.moved.geometry, 0)
    with pytest.raises(NotFound):
        store.feature(system, "roads", i, as_of=3)
    with pytest.raises(InvalidParameter):
        store.count(system, "roads", as_of=-1)


def test_bbox_and_filter_reads_as_of_a_past_seq(store: VersionedStore, system: Actor,
                                                story: Story) -> None:
    m = story.moved.fid
    where_it_was = story.moved.geometry.bounds
    where_it_is = story.new_geometry.bounds
    assert m in _fids(store, system, bbox=where_it_was, as_of=1)
    assert m not in _fids(store, system, bbox=where_it_was)
    assert m in _fids(store, system, bbox=where_it_is)
    assert m not in _fids(store, system, bbox=where_it_is, as_of=1)
    assert m in _fids(store, system, intersects=story.moved.geometry, as_of=1)
    by_name = [AttrFilter("name", "eq", "滨江大道（测试）")]
    assert _fids(store, system, filters=by_name) == {m}
    assert _fids(store, system, filters=by_name, as_of=1) == set()
    assert store.count(system, "roads", bbox=where_it_was, as_of=1) >= 1


def test_reads_as_of_a_time(store: VersionedStore, system: Actor, story: Story) -> None:
    times = {e.seq: e.time for e in store.log(system)}
    assert times[1] <= times[2] <= times[3] <= times[4]
    assert store.resolve(times[2]) == 2
    if times[3] > times[2]:
        assert store.resolve(times[3] - timedelta(microseconds=1)) == 2
    assert store.resolve(times[1] - timedelta(seconds=1)) == 0
    assert store.resolve(times[4] + timedelta(days=1)) == 4
    assert store.resolve(times[3].astimezone(SHANGHAI)) == 3  # same instant, other zone
    assert store.resolve(times[3].replace(tzinfo=None)) == 3  # naive means UTC
    assert store.resolve(AsOf(time=times[2])) == 2
    d = story.deleted.fid
    assert d in _fids(store, system, as_of=times[2])
    assert d not in _fids(store, system, as_of=times[3])
    assert store.count(system, "roads", as_of=times[1] - timedelta(seconds=1)) == 0


def test_history_lists_every_version(store: VersionedStore, system: Actor,
                                     story: Story) -> None:
    h = store.history(system, "roads", story.moved.fid)
    assert [(f.version, f.seq_from, f.seq_to) for f in h] == [(1, 1, 2), (2, 2, None)]
    assert h[0].geometry is not None and h[0].geometry.equals_exact(story.moved.geometry, 0)
    assert h[1].geometry is not None and h[1].geometry.equals_exact(story.new_geometry, 0)
    gone = store.history(system, "roads", story.deleted.fid)
    assert [(f.version, f.seq_from, f.seq_to) for f in gone] == [(1, 1, 3)]
    assert store.history(system, "roads", "no-such-way") == []


def test_diff_between_seqs(store: VersionedStore, system: Actor, story: Story) -> None:
    d = store.diff(system, "roads", 1, 4)
    assert (d.from_seq, d.to_seq) == (1, 4)
    assert [f.fid for f in d.added] == [story.inserted.fid]
    assert [f.fid for f in d.removed] == [story.deleted.fid]
    assert [c.new.fid for c in d.changed] == [story.moved.fid]
    change = d.changed[0]
    assert change.old.geometry is not None and change.new.geometry is not None
    assert change.old.geometry.equals_exact(story.moved.geometry, 0)
    assert change.new.geometry.equals_exact(story.new_geometry, 0)
    assert change.old.properties["name"] != change.new.properties["name"]
    assert store.diff(system, "roads", 4, 1).counts == d.counts  # order does not matter
    assert store.diff(system, "roads", 2, 3).counts == {"added": 0, "changed": 0, "removed": 1}
    assert store.diff(system, "roads", 4).counts == {"added": 0, "changed": 0, "removed": 0}
    first = store.diff(system, "roads", 0, 1)
    assert len(first.added) == story.total and not first.changed and not first.removed


def test_diff_between_times_and_in_a_bbox(store: VersionedStore, system: Actor,
                                          story: Story) -> None:
    times = {e.seq: e.time for e in store.log(system)}
    d = store.diff(system, "roads", times[1], times[4])
    assert d.counts == {"added": 1, "changed": 1, "removed": 1} and d.from_seq == 1
    west_lake = store.diff(system, "roads", 1, 4, bbox=hz.WEST_LAKE_BOX)
    assert west_lake.counts == {"added": 0, "changed": 1, "removed": 1}  # moved away from it
    binjiang = store.diff(system, "roads", 1, 4, bbox=hz.BINJIANG_BOX)
    assert binjiang.counts == {"added": 1, "changed": 1, "removed": 0}  # moved into it


def test_an_edit_reverted_within_the_interval_is_not_a_change(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    row = roads.named("南山路")[0]
    store.apply(system, Changeset("t").update("roads", row.fid, 1, row.geometry,
                                              {**row.properties, "name": "暂时"}))
    store.apply(system, Changeset("t").update("roads", row.fid, 2, row.geometry,
                                              row.properties))
    assert store.diff(system, "roads", 1, 3).counts == {"added": 0, "changed": 0, "removed": 0}
    assert store.diff(system, "roads", 1, 2).counts == {"added": 0, "changed": 1, "removed": 0}
