"""Time limits on request work, the same for every protocol.

`within` runs blocking service code in the thread pool and raises `TimedOut` when it takes
longer than the configured limit; each protocol writes that in its own form (problem JSON
503, an OWS ExceptionReport 503). The worker thread is not interrupted: it finishes its read,
which the per-response feature and size limits keep bounded, and its result is dropped.
Reads never change data, so a timed-out request leaves nothing half-done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from mapnode.errors import TimedOut

T = TypeVar("T")


async def within(seconds: float, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a worker thread, or `TimedOut` after `seconds`."""
    try:
        return await asyncio.wait_for(run_in_threadpool(fn, *args), timeout=seconds)
    except TimeoutError:
        raise TimedOut(f"请求处理超过 {seconds:g} 秒，请缩小范围或减少数量",
                       f"the request took longer than {seconds:g} s; ask for less",
                       {"limit_seconds": seconds}) from None
