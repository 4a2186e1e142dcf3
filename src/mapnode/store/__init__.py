"""The versioned store. `open_store(url)` picks the backend from the URL."""

from __future__ import annotations

from mapnode.store.base import AsOf, ChangesetWriter, NewRow, VersionedStore
from mapnode.store.filters import And, AttrFilter, Filter, Not, Or


def open_store(url: str, *, create: bool = True) -> VersionedStore:
    """A store from a path (embedded SQLite) or a `postgresql://` URL (PostGIS)."""
    store: VersionedStore
    if url.startswith(("postgresql://", "postgres://")):
        from mapnode.store.postgis import PostGISStore

        store = PostGISStore(url)
    else:
        from mapnode.store.sqlite import SQLiteStore

        store = SQLiteStore(url)
    if create:
        store.initialise()
    return store


__all__ = ["And", "AsOf", "AttrFilter", "ChangesetWriter", "Filter", "NewRow", "Not", "Or", "VersionedStore",
           "open_store"]
