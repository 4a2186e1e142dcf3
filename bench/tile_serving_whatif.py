"""What-if servers for bench.tile_serving_bench (an experiment, not mapnode's code): `mapnode
serve` with the cached-tile path changed in-process, to size the fixes the profile points at.

    python -m bench.tile_serving_whatif STORE PORT LEVEL

LEVEL 1: the tileset's layer list memoised per (scope, tileset) for 1 s instead of read from
the store's catalogue on every request; `TileCache.follow` (one `current_seq()` query) at most
every 100 ms; no access log. LEVEL 2: also an in-memory copy of tiles read from the disk cache
and the tile handler run on the event loop instead of the thread pool. Both loosen exactness
(a catalogue edit or a new seq is seen up to 1 s / 100 ms late) and are not safe as they are.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import uvicorn

from mapnode.access import policy
from mapnode.http import tiles as http_tiles
from mapnode.services import tile_cache, tiles


def level_one() -> None:
    layers, follow = tiles.tileset_layers, tile_cache.TileCache.follow
    memo: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def memo_layers(store: Any, actor: Any, tileset: str) -> Any:
        key, now = (id(store), policy.scope_key(actor), tileset), time.monotonic()
        hit = memo.get(key)
        if hit is None or now - hit[0] > 1.0:
            hit = memo[key] = (now, layers(store, actor, tileset))
        return hit[1]

    def throttled(self: Any, store: Any) -> int:
        now, last = time.monotonic(), getattr(self, "_whatif_last", None)
        if last is None or now - last[0] > 0.1:
            last = self._whatif_last = (now, follow(self, store))
        return int(last[1])

    tiles.tileset_layers = memo_layers  # type: ignore[assignment]
    tile_cache.TileCache.follow = throttled  # type: ignore[method-assign]


def level_two() -> None:
    get, memory = tile_cache.TileCache.get, {}

    def remembered(self: Any, key: Any) -> Any:
        data = memory.get(key)
        if data is None and (data := get(self, key)) is not None:
            memory[key] = data
        return data

    async def inline(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    tile_cache.TileCache.get = remembered  # type: ignore[method-assign]
    http_tiles.run_in_threadpool = inline  # type: ignore[assignment]


def main() -> None:
    store, port, level = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    level_one()
    if level >= 2:
        level_two()
    os.environ["MAPNODE_STORE"] = store
    uvicorn.run("mapnode.http.app:app_from_env", factory=True, host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
