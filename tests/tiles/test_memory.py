"""Hot tiles in memory follow the log exactly as the disk tiles do: an edit, in this process or
in another one, never leaves a stale tile in memory; a catalogue edit (a layer made
government) is seen by the remembered tilesets; the memory stays within its bound."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import shapely

from mapnode.errors import NotFound
from mapnode.grids import grid
from mapnode.model import Actor, Changeset, Edition
from mapnode.services.tile_cache import TileCache, TileKey
from mapnode.services.tile_memory import Hot, HotTiles
from mapnode.services.tiles import TileService
from tests.tiles.conftest import City, editor

NANSHAN_ROAD = "589384551"  # 南山路
OFFSET = np.array([0.0004, 0.0002])
Z = 15

MOVE = """
import sys, shapely
from mapnode.model import Actor, Changeset, Edition, Role
from mapnode.store import open_store
store = open_store(sys.argv[1])
ed = Actor("editor-public", Edition.PUBLIC, frozenset({Role.READER, Role.EDITOR}))
f = store.feature(ed, "roads", sys.argv[2])
moved = shapely.transform(f.geometry, lambda xy: xy + [0.0004, 0.0002])
entry = store.apply(ed, Changeset("t", "move").update("roads", f.fid, f.version, moved,
                                                      f.properties))
print(entry.seq)
"""

HIDE = """
import dataclasses, sys
from mapnode.model import Actor, Edition
from mapnode.store import open_store
store = open_store(sys.argv[1])
meta = store.layer(Actor.system(), "roads")
store.update_layer(Actor.system(), dataclasses.replace(meta, edition=Edition.GOVERNMENT))
"""


def another_process(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def road_tiles(city: City) -> tuple[tuple[int, int], tuple[int, int]]:
    """The level-Z tile holding 南山路, and one far enough not to be touched by moving it."""
    road = city.store.feature(Actor.anonymous(), "roads", NANSHAN_ROAD).geometry
    x, y = grid("w").tile_of(road.centroid.x, road.centroid.y, Z)
    return (x, y), (x + 6, y + 6)


def test_an_edit_in_this_process_drops_exactly_its_hot_tiles(city: City, tmp_path: Path) -> None:
    service = TileService(city.store, TileCache(tmp_path / "tiles", interval=3600))
    public = Actor.anonymous()
    (x, y), (fx, fy) = road_tiles(city)
    before = {}
    for tx, ty in ((x, y), (fx, fy)):
        service.tile(public, "roads", "w", Z, tx, ty)
        before[(tx, ty)] = service.tile(public, "roads", "w", Z, tx, ty)
        assert before[(tx, ty)].cache == "hit"
        assert service.hot(public, "roads", "w", Z, tx, ty) == before[(tx, ty)]
    feature = city.store.feature(public, "roads", NANSHAN_ROAD)
    moved = shapely.transform(feature.geometry, lambda xy: xy + OFFSET)
    entry = city.store.apply(editor(), Changeset("t", "move").update(
        "roads", NANSHAN_ROAD, feature.version, moved, feature.properties))
    assert entry is not None
    try:
        assert service.hot(public, "roads", "w", Z, x, y) is None  # a commit here: not fresh
        after = service.tile(public, "roads", "w", Z, x, y)
        assert after.cache == "miss" and after.data != before[(x, y)].data
        assert after.seq == entry.seq
        hot = service.hot(public, "roads", "w", Z, x, y)
        assert hot is not None and hot.data == after.data and hot.etag == after.etag
        far = service.tile(public, "roads", "w", Z, fx, fy)
        assert far.cache == "hit" and far.data == before[(fx, fy)].data
        assert service.hot(public, "roads", "w", Z, fx, fy) is not None
    finally:
        city.store.undo(editor(), entry.seq)


def test_an_edit_by_another_process_never_leaves_a_stale_hot_tile(city: City,
                                                                  tmp_path: Path) -> None:
    interval = 0.05
    service = TileService(city.store, TileCache(tmp_path / "tiles", interval=interval))
    public = Actor.anonymous()
    (x, y), _ = road_tiles(city)
    service.tile(public, "roads", "w", Z, x, y)
    before = service.tile(public, "roads", "w", Z, x, y)
    assert before.cache == "hit"
    seq = int(another_process(MOVE, city.store.url, NANSHAN_ROAD))
    try:
        time.sleep(service.cache.window * 2)
        assert service.hot(public, "roads", "w", Z, x, y) is None
        after = service.tile(public, "roads", "w", Z, x, y)
        assert after.cache == "miss" and after.seq == seq and after.data != before.data
        fresh = TileService(city.store, TileCache(tmp_path / "other")).tile(
            public, "roads", "w", Z, x, y)
        assert after.data == fresh.data
    finally:
        city.store.undo(editor(), seq)


def test_a_layer_hidden_by_another_process_is_hidden_from_hot_tiles(city: City,
                                                                    tmp_path: Path) -> None:
    interval = 0.05
    service = TileService(city.store, TileCache(tmp_path / "tiles", interval=interval))
    public, system = Actor.anonymous(), Actor.system()
    (x, y), _ = road_tiles(city)
    service.tile(public, "roads", "w", Z, x, y)
    assert service.tile(public, "roads", "w", Z, x, y).cache == "hit"
    original = city.store.layer(system, "roads")
    another_process(HIDE, city.store.url)
    try:
        time.sleep(service.cache.window * 2)
        assert service.hot(public, "roads", "w", Z, x, y) is None
        try:
            service.tile(public, "roads", "w", Z, x, y)
            raise AssertionError("a government layer's tile reached the public")
        except NotFound:
            pass
        assert service.hot(public, "roads", "w", Z, x, y) is None
        gov = Actor("gov", Edition.GOVERNMENT)
        assert service.tile(gov, "roads", "w", Z, x, y).data
    finally:
        city.store.update_layer(system, dataclasses.replace(original))
    assert service.tile(public, "roads", "w", Z, x, y).data


def test_concurrent_edits_and_reads_end_with_the_current_tile(city: City, tmp_path: Path) -> None:
    """Readers fill the memory (from disk and from new tiles) while edits are published; once
    the edits stop, the tile served is the one a fresh cache makes."""
    service = TileService(city.store, TileCache(tmp_path / "tiles", interval=0.001))
    public = Actor.anonymous()
    (x, y), _ = road_tiles(city)
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                service.hot(public, "roads", "w", Z, x, y)
                service.tile(public, "roads", "w", Z, x, y)
        except BaseException as exc:
            errors.append(exc)

    original = city.store.feature(public, "roads", NANSHAN_ROAD)
    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(5):
            f = city.store.feature(public, "roads", NANSHAN_ROAD)
            step = OFFSET if i % 2 == 0 else -OFFSET
            moved = shapely.transform(f.geometry, lambda xy, s=step: xy + s)
            entry = city.store.apply(editor(), Changeset("t", "wiggle").update(
                "roads", NANSHAN_ROAD, f.version, moved, f.properties))
            assert entry is not None
            if i == 4:  # end on a moved road, different from the first tiles
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for t in readers:
            t.join()
    try:
        assert not errors
        fresh = TileService(city.store, TileCache(tmp_path / "other")).tile(
            public, "roads", "w", Z, x, y)
        assert service.tile(public, "roads", "w", Z, x, y).data == fresh.data
        hot = service.hot(public, "roads", "w", Z, x, y)
        assert hot is None or hot.data == fresh.data
    finally:
        now = city.store.feature(public, "roads", NANSHAN_ROAD)
        city.store.apply(editor(), Changeset("t", "restore").update(
            "roads", NANSHAN_ROAD, now.version, original.geometry, original.properties))


def test_memory_is_bounded_by_bytes_and_drops_the_least_recent() -> None:
    memory = HotTiles(max_bytes=250)
    keys = [TileKey("WebMercatorQuad", "roads", "default", "public", 1, 0, i) for i in range(3)]
    for k in keys:
        assert memory.add(k, Hot(b"x" * 100, '"e"'))
        memory.get(keys[0])  # keep the first one recent
    assert memory.get(keys[1]) is None and memory.get(keys[0]) and memory.get(keys[2])
    assert memory.bytes <= 250
    assert not memory.add(keys[1], Hot(b"x" * 300, '"e"'))  # larger than the whole memory
    generation = memory.generation
    memory.drop(lambda k: k == keys[0], seq=7)
    assert not memory.add(keys[0], Hot(b"y", '"f"'), generation=generation)  # read before a drop
    assert not memory.add(keys[0], Hot(b"y", '"f"'), verified_to=6)  # entry 7 applied since
    assert memory.add(keys[0], Hot(b"y", '"f"'), verified_to=7)
