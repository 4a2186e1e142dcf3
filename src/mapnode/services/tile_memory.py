"""Hot tiles in memory: a bounded LRU in front of the disk cache (`services.tile_cache`).

Entries are the disk cache's own tiles (same `TileKey`s, same bytes) with their ETag, so a hit
needs neither a file read nor a hash. The disk cache's log follower drops them exactly when it
drops the disk tiles; two counters make that safe against the threads that fill it:

- `seq`, the last log entry applied here: a tile verified up to seq V may only be added while
  `seq <= V` (any later entry is then applied after the add and drops it if it must);
- `generation`, bumped after every drop: a tile read from disk is added only if no drop
  happened since before the read (the file may have been stale and removed meanwhile).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mapnode.services.tile_cache import TileKey

DEFAULT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Hot:
    """A cached tile's bytes (gzip MVT or an image) and its ETag."""

    data: bytes
    etag: str


class HotTiles:
    """A least-recently-used map TileKey → Hot, bounded by the bytes it holds."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[TileKey, Hot] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.generation = 0
        self.seq = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: TileKey) -> Hot | None:
        with self._lock:
            hot = self._items.get(key)
            if hot is not None:
                self._items.move_to_end(key)
            return hot

    def add(self, key: TileKey, hot: Hot, *, generation: int | None = None,
            verified_to: int | None = None) -> bool:
        """Keep a tile unless a drop happened since `generation` was read, or a log entry after
        `verified_to` was already applied. Returns whether it was kept."""
        size = len(hot.data)
        if size > self.max_bytes:
            return False
        with self._lock:
            if generation is not None and generation != self.generation:
                return False
            if verified_to is not None and self.seq > verified_to:
                return False
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data)
            self._items[key] = hot
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, gone = self._items.popitem(last=False)
                self._bytes -= len(gone.data)
            return True

    def drop(self, matches: Callable[[TileKey], bool], seq: int | None = None) -> int:
        """Remove every tile `matches` accepts (call after removing them from disk); `seq` is
        the log entry being applied. Returns how many were removed."""
        with self._lock:
            gone = [k for k in self._items if matches(k)]
            for k in gone:
                self._bytes -= len(self._items.pop(k).data)
            self.generation += 1
            if seq is not None:
                self.seq = max(self.seq, seq)
            return len(gone)

    def clear(self) -> None:
        self.drop(lambda _: True)
