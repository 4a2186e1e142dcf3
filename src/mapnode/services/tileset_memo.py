"""What a tileset is for one access scope (its visible layers, or its raster style and layers),
remembered per catalogue version so that a cached tile needs no catalogue read.

The store bumps its catalogue version in the transaction of every layer create, update or
drop (`VersionedStore.state()`); an entry is used only while the version the tile cache last
saw (`TileCache.state`) is the one read *before* the entry was made, so a catalogue edit (a
layer made government, dropped, added to the base map) is seen exactly when the log's seqs are.
Errors (unknown or hidden tilesets) are not remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from mapnode.access import policy
from mapnode.model import Actor

T = TypeVar("T")
MAX_ENTRIES = 1024


@dataclass(frozen=True, slots=True)
class Remembered(Generic[T]):
    catalogue: int
    value: T


class TilesetMemo(Generic[T]):
    """(scope, tileset) → value, valid for one catalogue version."""

    def __init__(self, make: Callable[[Actor, str], T]) -> None:
        self._make = make
        self._items: dict[tuple[str, str], Remembered[T]] = {}
        self._lock = threading.Lock()

    def peek(self, scope: str, tileset: str, catalogue: int) -> T | None:
        """The remembered value if it is still valid; never reads the store."""
        found = self._items.get((scope, tileset))
        return found.value if found is not None and found.catalogue == catalogue else None

    def get(self, actor: Actor, tileset: str, catalogue: int) -> T:
        """The value for the actor's scope; `catalogue` must have been read before this call."""
        scope = policy.scope_key(actor)
        found = self.peek(scope, tileset, catalogue)
        if found is not None:
            return found
        value = self._make(actor, tileset)  # raises for unknown or hidden tilesets
        with self._lock:
            if len(self._items) >= MAX_ENTRIES:
                self._items.clear()
            self._items[(scope, tileset)] = Remembered(catalogue, value)
        return value
