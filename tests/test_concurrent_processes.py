"""The embedded store is safe for several reader processes and one writer (WAL).

A real `mapnode import` runs in another process while this one reads: every read sees either
the state before the import or the state after it, never part of it, and a second writer
waits for the first instead of corrupting anything.
"""

from __future__ import annotations

import subprocess
import sys
import time

from mapnode.model import Actor
from mapnode.store import open_store
from tests.support.data import HANGZHOU_GPKG

ROADS = 38_800


def _import(store: str, layer: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mapnode.cli", "import", str(HANGZHOU_GPKG), "--store", store,
         "--layer", layer, "--source-layer", "roads", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_readers_never_see_a_half_applied_import(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "wal.mapnode")
    reader = open_store(path)
    actor = Actor.system()
    writer = _import(path, "roads")
    seen: set[int] = set()
    deadline = time.time() + 120
    while writer.poll() is None and time.time() < deadline:
        try:
            n = reader.count(actor, "roads") if any(
                m.name == "roads" for m in reader.layers(actor)) else 0
        except Exception as exc:  # a read must never fail while a writer works
            raise AssertionError(f"read failed during import: {exc!r}") from exc
        seen.add(n)
        time.sleep(0.01)
    _out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert reader.count(actor, "roads") == ROADS
    assert seen <= {0, ROADS}, f"saw partial counts {sorted(seen)}"


def test_two_writers_serialise(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "two.mapnode")
    open_store(path).close()
    first, second = _import(path, "a"), _import(path, "b")
    for proc in (first, second):
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    store = open_store(path)
    actor = Actor.system()
    assert store.count(actor, "a") == ROADS and store.count(actor, "b") == ROADS
    entries = store.log(actor)
    assert [e.seq for e in entries] == [1, 2]  # gapless, one seq per import
