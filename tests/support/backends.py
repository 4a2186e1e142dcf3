"""One way for tests to get a store on either backend, whatever the fixture's scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mapnode.store import VersionedStore, open_store

BACKENDS = ["sqlite", "postgis"]


@contextmanager
def backend_store(kind: str, directory: Path) -> Iterator[VersionedStore]:
    """A new, empty store: a SQLite file in `directory`, or a PostGIS schema of its own
    (dropped afterwards). PostGIS fails, never skips, when the server is missing."""
    if kind == "sqlite":
        store = open_store(str(directory / "test.mapnode"))
        try:
            yield store
        finally:
            store.close()
        return
    from tests.support.pg import pg_store

    with pg_store() as pg:
        yield pg
