"""Answers of place-name reads kept in memory while the store does not change: a raw ASGI
layer in front of Starlette's middleware and router, like the hot-tile fast path.

Cached: GET requests to the place-name read routes (`PATHS`: search, suggest, geocode,
reverse and divisions, in mapnode's own API and the 天地图-compatible one) that the app
answered 200 with a body of at most `MAX_ANSWER_BYTES`. The key is the path, the raw query
string, the Host header and the caller's access scope (`access.policy.scope_key` of the actor
`http.auth.resolve` finds, as the auth middleware would). An answer is remembered with the
store's state (last seq and catalogue version) seen *before* the request reached the app,
so it can only reflect that state or a later one, and it is served only while a
`services.store_watch.StoreWatch` that is fresh (looked at the store less than 50 ms ago, and
no commit in this process since) still sees exactly that state. So a publication by this
process reaches the very next request; one by another process every request that arrives
more than 50 ms after it — well inside the place-name service's promise (searchable within a
second). When the state changes every answer is dropped at once.

Anything else — another route, a method other than GET, an unknown key (401 from the app),
an error answer, an answer made while the state moved — goes through the app as before, and
the bytes and headers served from memory are exactly those the app sent. Bounded by
`MAPNODE_ANSWER_MEMORY_MB` (16 MB per process, least recently used dropped first; 0 turns
the cache off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from mapnode.access import policy
from mapnode.http.auth import resolve
from mapnode.http.shared_look import SharedLook
from mapnode.model import Actor
from mapnode.services.store_watch import StoreWatch
from mapnode.store.base import StoreState

PATHS = frozenset({"/api/search", "/api/suggest", "/api/geocode", "/api/reverse", "/api/admin",
                   "/v2/search", "/geocoder", "/v2/administrative"})
PREFIXES = ("/api/admin/",)
MAX_ANSWER_BYTES = 256 * 1024
Key = tuple[str, bytes, bytes, str]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Answer:
    """A 200 answer as the app sent it, and the store's state it was made under."""

    state: StoreState
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Answers:
    """A least-recently-used map key → Answer for one store state, bounded by bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.state: StoreState | None = None
        self._items: OrderedDict[Key, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Key, state: StoreState) -> Answer | None:
        with self._lock:
            if state != self.state:
                return None
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
            return answer

    def put(self, key: Key, answer: Answer) -> None:
        """Keep an answer; one made under another state than the map's empties it first
        (the caller checks that the answer's state is the store's latest)."""
        size = len(answer.body) + len(key[0]) + len(key[1])
        if size > self.max_bytes:
            return
        with self._lock:
            if answer.state != self.state:
                self._items.clear()
                self._bytes, self.state = 0, answer.state
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + len(key[0]) + len(key[1])
            self._items[key] = answer
            self._bytes += size
            while self._bytes > self.max_bytes:
                k, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body) + len(k[0]) + len(k[1])


def cacheable(scope: Scope) -> bool:
    """Whether a request is one this cache may answer or remember."""
    path: str = scope["path"]
    return (scope["method"] == "GET" and not scope.get("root_path")
            and (path in PATHS or path.startswith(PREFIXES)))


class FastAnswers:
    """Serves remembered place-name answers; everything else goes to `app`."""

    def __init__(self, state: Any, actors: dict[str, Actor], max_bytes: int,
                 interval: float) -> None:
        self.state = state  # the application's state: `store` is set by create_app
        self.actors = actors
        self.answers = Answers(max_bytes)
        self.watch = StoreWatch(interval, name="mapnode-answer-watch")
        self.served = 0
        self._shared_look: SharedLook[StoreState] = SharedLook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: App) -> None:
        actor = resolve(scope, self.actors)
        if actor is None:  # an unknown key: the app refuses it
            await app(scope, receive, send)
            return
        key: Key = (scope["path"], scope["query_string"], _host(scope), policy.scope_key(actor))
        try:
            state = await self._state()
        except Exception:  # the store is away: the app answers (and reports it in its form)
            await app(scope, receive, send)
            return
        answer = self.answers.get(key, state)
        if answer is not None:
            self.served += 1
            await send({"type": "http.response.start", "status": 200,
                        "headers": answer.headers})
            await send({"type": "http.response.body", "body": answer.body})
            return
        await self._remember(scope, receive, send, app, key, state)

    async def _state(self) -> StoreState:
        """The store's state: the watch's when fresh, else one look in the thread pool shared
        by every request waiting on it."""
        store = self.state.store
        state = self.watch.peek(store)
        if state is not None:
            return state
        return await self._shared_look(self.watch.look, store)

    async def _remember(self, scope: Scope, receive: Receive, send: Send, app: App, key: Key,
                        state: StoreState) -> None:
        """Let the app answer, passing every message on, and keep a whole 200 answer."""
        status, headers, chunks, size = 0, [], [], 0

        async def capture(message: Message) -> None:
            nonlocal status, headers, size
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body" and size <= MAX_ANSWER_BYTES:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
            await send(message)

        await app(scope, receive, capture)
        if status == 200 and size <= MAX_ANSWER_BYTES and self.watch.state == state \
                and not any(name.lower() == b"set-cookie" for name, _ in headers):
            self.answers.put(key, Answer(state, headers, b"".join(chunks)))


def _host(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"host":
            return bytes(value)
    return b""
