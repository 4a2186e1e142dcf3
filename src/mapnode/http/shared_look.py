"""One look at the store in the thread pool for every request waiting on it: the fast paths
(`http.fast_tiles`, `http.fast_answers`) call this when their watch's last look is too old,
instead of each waiting request asking the store itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


class SharedLook(Generic[T]):
    """Runs `fn(*args)` in the thread pool unless a run is under way, and awaits that run."""

    def __init__(self) -> None:
        self._running: asyncio.Future[T] | None = None

    async def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        task = self._running
        if task is None or task.done():
            task = self._running = asyncio.ensure_future(run_in_threadpool(fn, *args))
        return await asyncio.shield(task)
