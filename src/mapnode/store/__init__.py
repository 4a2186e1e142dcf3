"""The versioned store. `open_store(url)` picks the backend from the URL."""

from __future__ import annotations

from mapnode.store.base import AsOf, ChangesetWriter, NewRow, VersionedStore
from mapnode.store.filters import AttrFilter


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


__all__ = ["AsOf", "AttrFilter", "ChangesetWriter", "NewRow", "VersionedStore", "open_store"]
