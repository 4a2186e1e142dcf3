"""Seeding: fill the disk tile cache for a bbox and a zoom range through `TileService.tile`.

Tiles are visited in a fixed order (level, row, column), so progress is one number: how many
tiles of the plan are done. It is kept in a small JSON file (written atomically at most once a
second, and when the run ends or is interrupted); a second run of the same plan skips that
many tiles, so an interrupted seed (Ctrl-C, a killed process) resumes where it stopped and a
finished one does nothing. The cache itself follows the log, so an edit between two runs is
still answered correctly: seeding only warms the cache, it never decides what a tile shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mapnode.errors import InvalidParameter
from mapnode.grids import Grid, grid
from mapnode.model import Actor
from mapnode.model.log import BBox
from mapnode.services.tiles import TileResult, TileService

FORMATS = ("mvt", "png", "jpg", "webp")
SAVE_EVERY_S = 1.0


@dataclass(frozen=True)
class SeedPlan:
    """What to seed: a tileset in a grid over a lon/lat bbox, levels `zmin`…`zmax`."""

    tileset: str
    grid: str  # grid id (aliases resolved)
    bbox: BBox
    zmin: int
    zmax: int
    fmt: str = "mvt"

    @classmethod
    def make(cls, tileset: str, tms: str, bbox: BBox, zmin: int, zmax: int,
             fmt: str = "mvt") -> SeedPlan:
        g = grid(tms)
        west, south, east, north = bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InvalidParameter("范围无效：应为 西,南,东,北（经纬度）",
                                   "invalid bbox: expected west,south,east,north in degrees",
                                   {"bbox": ",".join(map(str, bbox))})
        if not g.minzoom <= zmin <= zmax <= g.maxzoom:
            raise InvalidParameter("级别范围无效", "invalid zoom range",
                                   {"zoom": f"{zmin}-{zmax}", "grid": g.id,
                                    "levels": f"{g.minzoom}-{g.maxzoom}"})
        if fmt not in FORMATS:
            raise InvalidParameter("不支持的瓦片格式", "unsupported tile format",
                                   {"format": fmt, "supported": ", ".join(FORMATS)})
        return cls(tileset, g.id, tuple(float(v) for v in bbox), zmin, zmax, fmt)  # type: ignore[arg-type]

    @property
    def g(self) -> Grid:
        return grid(self.grid)

    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def ranges(self) -> list[tuple[int, int, int, int, int]]:
        """Per level: (z, x0, y0, x1, y1), inclusive."""
        return [(z, *self.g.tile_range(self.bbox, z)) for z in range(self.zmin, self.zmax + 1)]

    def count(self) -> int:
        return sum(max(0, x1 - x0 + 1) * max(0, y1 - y0 + 1) for _, x0, y0, x1, y1 in self.ranges())

    def tiles(self, skip: int = 0) -> Iterator[tuple[int, int, int]]:
        """Every tile (z, x, y) of the plan in seeding order, after the first `skip`."""
        for z, x0, y0, x1, y1 in self.ranges():
            width = x1 - x0 + 1
            size = width * (y1 - y0 + 1)
            if skip >= size:
                skip -= size
                continue
            for i in range(skip, size):
                yield z, x0 + i % width, y0 + i // width
            skip = 0


@dataclass
class SeedSummary:
    """What a seed run did. `done` counts the tiles of the plan finished so far (all runs)."""

    total: int
    done: int = 0
    skipped: int = 0  # finished by an earlier run
    tiles: int = 0  # made or found in the cache by this run
    made: int = 0
    empty: int = 0
    bytes: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return (self.tiles + self.empty) / self.seconds if self.seconds else 0.0


class Progress:
    """The progress file of a plan: how many tiles are done, written atomically."""

    def __init__(self, path: Path, plan: SeedPlan) -> None:
        self.path = path
        self.plan = plan
        self._saved = 0.0

    def load(self) -> int:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return 0
        if data.get("plan") != asdict(self.plan) | {"bbox": list(self.plan.bbox)}:
            return 0  # another plan: start again
        return int(data.get("done", 0))

    def save(self, summary: SeedSummary, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved < SAVE_EVERY_S:
            return
        self._saved = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"plan": asdict(self.plan) | {"bbox": list(self.plan.bbox)},
                                   "done": summary.done, "total": summary.total}))
        os.replace(tmp, self.path)


def default_progress_path(service: TileService, plan: SeedPlan, actor: Actor) -> Path:
    from mapnode.access import policy

    scope = hashlib.sha1(policy.scope_key(actor).encode()).hexdigest()[:8]
    return service.cache.root / "seed" / f"{plan.key()}-{scope}.json"


def resume_point(service: TileService, actor: Actor, plan: SeedPlan,
                 progress: Path | None = None) -> int:
    """How many tiles of the plan an earlier run finished (0 for a new plan)."""
    path = progress or default_progress_path(service, plan, actor)
    return min(Progress(path, plan).load(), plan.count())


def fetch(service: TileService, actor: Actor, plan: SeedPlan, z: int, x: int,
          y: int) -> TileResult:
    """One tile of the plan through the service (and so through its cache)."""
    return service.tile(actor, plan.tileset, plan.grid, z, x, y, fmt=plan.fmt)


def seed(service: TileService, actor: Actor, plan: SeedPlan, progress: Path | None = None,
         on_tile: Callable[[SeedSummary], None] | None = None) -> SeedSummary:
    """Seed the plan, resuming from its progress file. Ctrl-C (KeyboardInterrupt) saves the
    progress and returns a summary with `interrupted` set."""
    state = Progress(progress or default_progress_path(service, plan, actor), plan)
    summary = SeedSummary(total=plan.count())
    summary.done = summary.skipped = min(state.load(), summary.total)
    started = time.monotonic()
    try:
        for z, x, y in plan.tiles(summary.done):
            result = fetch(service, actor, plan, z, x, y)
            if result.data:
                summary.tiles += 1
                summary.bytes += len(result.data)
                summary.made += result.cache == "miss"
            else:
                summary.empty += 1
            summary.done += 1
            summary.seconds = time.monotonic() - started
            state.save(summary)
            if on_tile is not None:
                on_tile(summary)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.seconds = time.monotonic() - started
    state.save(summary, force=True)
    return summary


__all__ = ["FORMATS", "SeedPlan", "SeedSummary", "default_progress_path", "fetch", "resume_point",
           "seed"]
