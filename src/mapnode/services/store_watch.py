"""The store's state (last seq, catalogue version) as last seen, for readers that answer from
memory without asking the store each time: the tile cache (services.tile_cache) and the
place-name answer cache (http.fast_answers).

`follow(store)` asks the store (`state()`: one query) when the last look is older than
`window` (`STALE_FACTOR` × `interval`: 10 × 5 ms) or a commit was made in this process since
(`store.base.commits()`); while the watch is asked, a poller thread looks every `interval` so
the window does not run out under load (it is that wide because a thread waiting for the GIL
on a busy server can take ~5 ms each time it needs it). While the last look is that recent,
`fresh()` is true and what was derived from `state` may be served without any I/O: a
publication by this process reaches every later request, one by another process every
request that arrives more than `window` after it.

`on_state(store, state)` runs after each look and before the state is published: the tile
cache removes the tiles the new log entries touched there, so nothing answered as fresh can
predate them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mapnode.store import VersionedStore
from mapnode.store.base import StoreState, commits

log = logging.getLogger("mapnode.watch")
DEFAULT_INTERVAL = 0.005  # seconds between two looks at the store's state (see above)
STALE_FACTOR = 10  # the state counts as fresh while the last look is younger than this × interval
POLL_IDLE = 2.0  # the poller stops after this many seconds without being asked

OnState = Callable[[VersionedStore, StoreState], None]


class StoreWatch:
    """The last state seen of a store, looked at again by a poller thread while asked."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, on_state: OnState | None = None,
                 name: str = "mapnode-store-watch") -> None:
        self.interval = interval
        self.window = interval * STALE_FACTOR
        self.on_state = on_state
        self.name = name
        self.state: StoreState | None = None  # the store as the last finished look saw it
        self._asked = float("-inf")  # when the watch was last asked (the poller's clock)
        self._checked_at = float("-inf")
        self._commits = -1
        self._poller: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def fresh(self) -> bool:
        """True while `state` may be trusted without asking the store (see the module doc)."""
        now = self._asked = time.monotonic()
        return (self.state is not None and self._commits == commits()
                and now - self._checked_at < self.window)

    def follow(self, store: VersionedStore) -> StoreState:
        """The store's state as of at most `window` ago (a look now if older)."""
        state = self.peek(store)
        return state if state is not None else self.look(store)

    def peek(self, store: VersionedStore) -> StoreState | None:
        """The state while fresh, else None; no I/O (for the event loop)."""
        state = self.state
        self._poll_while_asked(store)
        return state if state is not None and self.fresh() else None

    def look(self, store: VersionedStore) -> StoreState:
        """Read the store's state now, let `on_state` apply it, then publish it."""
        mark, at = commits(), time.monotonic()
        state = store.state()
        if self.on_state is not None:
            self.on_state(store, state)
        with self._lock:
            if at >= self._checked_at:
                self.state, self._commits, self._checked_at = state, mark, at
        return state

    def close(self) -> None:
        """Stop the poller thread (it would stop by itself after POLL_IDLE s unasked); the
        watch still answers, looking at the store when asked."""
        self._closed = True
        poller = self._poller
        if poller is not None and poller is not threading.current_thread():
            poller.join()

    def _poll_while_asked(self, store: VersionedStore) -> None:
        """Start the poller thread unless it runs (it stops when the watch is not asked)."""
        if (self._poller is not None and self._poller.is_alive()) or self.interval <= 0 \
                or self._closed:
            return
        with self._lock:
            if self._poller is None or not self._poller.is_alive():
                self._asked = time.monotonic()
                self._poller = threading.Thread(target=self._poll, args=(store,), daemon=True,
                                                name=self.name)
                self._poller.start()

    def _poll(self, store: VersionedStore) -> None:
        while not self._closed and time.monotonic() - self._asked < POLL_IDLE:
            try:
                self.look(store)
            except Exception as exc:  # the store is away: requests will report it
                log.warning("无法读取存储状态 / cannot read the store's state: %s", exc)
            time.sleep(self.interval)
        store.close()  # this thread's connection
