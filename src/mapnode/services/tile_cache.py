"""The disk tile cache, and the log follower that keeps it exact.

Layout: `root/{grid}/{tileset}/{style}/{scope}/{now|s<seq>}/{z}/{x}/{y}.mvt.gz`, gzip bytes.
`scope` is `access.policy.scope_key(actor)`, so a government tile is never found under the
public key. The base map's tileset directory is `basemap~<hash of its layer names>`, so a
change in which layers a scope sees starts a fresh cache for it.

Current tiles (`now`) follow the log: `follow(store)` runs before every tile is made or read
from disk and, for each new entry, removes the cached tiles of every tileset holding a changed
layer whose bounds, widened by a margin, meet the layer's changed bbox: `MARGIN_PX` (the tile
buffer), or for point layers `POINT_MARGIN_PX` (the buffer plus the coarsest thinning cell,
since which point of a cell is shown depends on the others). This is done at every cached
level, by tile ranges computed for that level (never a scan of the whole cache). An entry with
a changed layer but no bbox (a schema change) drops that layer's current tiles. Tiles as of a
past seq (`s<seq>`) never change and are never removed. The last seq followed is kept in
`root/seq`; a cache whose seq is unknown or ahead of the store is emptied.

`follow` keeps the store's state through a `services.store_watch.StoreWatch`: it asks the
store (`state()`, one query) when its last look is older than the watch's window (50 ms) or
this process committed since, and a poller thread looks every 5 ms while tiles are asked for;
each new state is applied (the tiles of its new log entries removed) before it is published.
While the last look is that recent, `fresh()` is true and hot tiles (`memory`, an LRU of tiles
with their ETags, services.tile_memory) may be served without any I/O; the follower drops them
with the disk tiles, under the guards described there.

A tile is written after it was made from seq S; if the log has moved past S by then, the new
entries are checked against the tile and it is removed again, so a concurrent publication
(another thread or process) can never leave a stale tile behind, on disk or in memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapnode.errors import NotFound
from mapnode.grids import GRIDS, Grid
from mapnode.model import Actor, GeometryType, LogEntry
from mapnode.model.log import BBox
from mapnode.services.store_watch import DEFAULT_INTERVAL, StoreWatch
from mapnode.services.tile_memory import DEFAULT_BYTES, Hot, HotTiles
from mapnode.store import VersionedStore
from mapnode.store.base import StoreState

log = logging.getLogger("mapnode.tiles")
MARGIN_PX = 8.0  # the tile buffer (4 px), doubled for safety
POINT_MARGIN_PX = 72.0  # + the coarsest thinning cell: 8 px × 2^3 (services.tiles retries)
_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
SUFFIX = ".mvt.gz"


def safe_name(name: str) -> str:
    """A directory name for a layer or style: itself when plain ASCII, else a hash."""
    if _SAFE.fullmatch(name) and "~" not in name:
        return name
    return "~" + hashlib.sha1(name.encode()).hexdigest()[:16]


def holds(tileset_dir: str, layer: str) -> bool:
    """Whether tiles under a tileset directory may draw `layer` (base maps: any layer)."""
    return tileset_dir == safe_name(layer) or tileset_dir.startswith("basemap~")


def etag_of(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


def tileset_key(tileset: str, layers: Sequence[str]) -> str:
    """The cache directory of a tileset: the layer's safe name, or basemap~<layers hash>."""
    if tileset == "basemap":
        return "basemap~" + hashlib.sha1("\n".join(sorted(layers)).encode()).hexdigest()[:12]
    return safe_name(tileset)


@dataclass(frozen=True)
class TileKey:
    grid: str
    tileset: str  # from tileset_key
    style: str
    scope: str
    z: int
    x: int
    y: int
    seq: int | None = None  # None: the current tile

    def path(self, root: Path) -> Path:
        at = "now" if self.seq is None else f"s{self.seq}"
        return (root / self.grid / self.tileset / safe_name(self.style) / safe_name(self.scope)
                / at / str(self.z) / str(self.x) / f"{self.y}{SUFFIX}")


class TileCache:
    """Gzip tiles on disk under `root`, hot ones also in memory, kept exact by following the
    store's log."""

    def __init__(self, root: Path, memory_bytes: int = DEFAULT_BYTES,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.root = root
        self.memory = HotTiles(memory_bytes)
        self.watch = StoreWatch(interval, self._apply, name="mapnode-tile-follower")
        self._lock = threading.Lock()
        self._seen: int | None = None
        self.disabled = False  # set when the directory cannot be kept exact (I/O errors)

    @property
    def state(self) -> StoreState | None:
        """The store as the last finished follow saw it."""
        return self.watch.state

    @property
    def window(self) -> float:
        return self.watch.window

    # ------------------------------------------------------------------ tiles
    def fresh(self) -> bool:
        """True while memory may answer without asking the store (see the module docstring)."""
        return self.watch.fresh() and not self.disabled

    def hot(self, key: TileKey) -> Hot | None:
        """A tile from memory, only while `fresh()`: no I/O at all (for the event loop)."""
        return self.memory.get(key) if self.fresh() else None

    def get(self, key: TileKey) -> Hot | None:
        """A cached tile from memory or disk; call `follow` first."""
        if self.disabled:
            return None
        hot = self.memory.get(key)
        if hot is not None:
            return hot
        generation = self.memory.generation
        try:
            data = key.path(self.root).read_bytes()
        except OSError:
            return None
        hot = Hot(data, etag_of(data))
        self.memory.add(key, hot, generation=generation)
        return hot

    def has(self, key: TileKey) -> bool:
        """Whether a tile is cached, in memory or on disk, without reading it."""
        if self.disabled:
            return False
        return key in self.memory or key.path(self.root).is_file()

    def put(self, key: TileKey, data: bytes, store: VersionedStore, made_at: int,
            layers: Sequence[str], grid: Grid) -> Hot:
        """Store a non-empty tile made as of seq `made_at` (see the module docstring).
        A tile that cannot be written is simply not cached."""
        hot = Hot(data, etag_of(data))
        if self.disabled:
            return hot
        path = key.path(self.root)
        try:
            _write_atomic(path, data)
        except OSError as exc:
            log.warning("瓦片缓存写入失败 / tile cache write failed: %s (%s)", path, exc)
            return hot
        verified = made_at
        if key.seq is None and store.current_seq() != made_at:
            for entry in _entries(store, made_at):
                for layer, change in entry.layers.items():
                    if layer in layers and (change.bbox is None or _meets(
                            grid, change.bbox, key, margin_px(store, layer))):
                        path.unlink(missing_ok=True)
                        self.memory.drop(lambda k: k == key)
                        return hot
                verified = entry.seq
        self.memory.add(key, hot, verified_to=None if key.seq is not None else verified)
        return hot

    # ------------------------------------------------------------------ the log follower
    def follow(self, store: VersionedStore) -> int:
        """Apply every log entry not yet seen; return the store's current seq (as of at most
        `window` ago). If the cache cannot be kept exact (an I/O error while removing
        tiles), it is disabled rather than risk serving a stale tile."""
        return self.watch.follow(store).seq

    def close(self) -> None:
        """Stop the poller thread; the cache still answers, looking at the store on each
        request."""
        self.watch.close()

    def _apply(self, store: VersionedStore, state: StoreState) -> None:
        if self._seen != state.seq and not self.disabled:
            try:
                self._follow(store, state.seq)
            except OSError as exc:
                log.error("瓦片缓存已停用 / tile cache disabled: %s (%s)", self.root, exc)
                self.disabled = True
                self.memory.clear()

    def _follow(self, store: VersionedStore, current: int) -> None:
        with self._lock:
            if self._seen is None:
                self._seen = self._read_seen()
            if self._seen is None or self._seen > current:
                self.clear()  # nothing known about what is cached: start again
                self._seen = current
            for entry in _entries(store, self._seen):
                if entry.seq > current:
                    break
                self.invalidate(entry, store)
                self._seen = entry.seq
            self._write_seen(self._seen)

    def invalidate(self, entry: LogEntry, store: VersionedStore) -> int:
        """Remove the current tiles that one log entry touched, from disk and then from
        memory; return how many files were removed."""
        removed = 0
        margins: dict[str, float] = {}
        for layer, change in entry.layers.items():
            for now in self._now_dirs(layer):
                if change.bbox is None:
                    shutil.rmtree(now, ignore_errors=True)
                    continue
                if layer not in margins:
                    margins[layer] = margin_px(store, layer)
                grid = GRIDS[now.parents[3].name]
                for zdir in _subdirs(now):
                    if zdir.name.isdigit():
                        rng = grid.tile_range(change.bbox, int(zdir.name), margins[layer])
                        removed += _remove_range(zdir, rng)
        if len(self.memory):  # margins first: no store query while memory is locked
            for layer, change in entry.layers.items():
                if change.bbox is not None and layer not in margins:
                    margins[layer] = margin_px(store, layer)
        self.memory.drop(_touched_by(entry, margins), seq=entry.seq)
        return removed

    def _now_dirs(self, layer: str) -> Iterator[Path]:
        """`…/{grid}/{tileset}/{style}/{scope}/now` of every tileset that holds `layer`."""
        for grid_dir in _subdirs(self.root):
            if grid_dir.name not in GRIDS:
                continue
            for ts in _subdirs(grid_dir):
                if holds(ts.name, layer):
                    for style in _subdirs(ts):
                        for scope in _subdirs(style):
                            if (scope / "now").is_dir():
                                yield scope / "now"

    def clear(self) -> None:
        for grid_dir in _subdirs(self.root):
            if grid_dir.name in GRIDS:
                shutil.rmtree(grid_dir, ignore_errors=True)
        self.memory.clear()

    def _read_seen(self) -> int | None:
        try:
            return int((self.root / "seq").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _write_seen(self, seq: int) -> None:
        _write_atomic(self.root / "seq", str(seq).encode())


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _entries(store: VersionedStore, since: int) -> Iterator[LogEntry]:
    system = Actor.system()
    while True:
        page = store.log(system, since=since, limit=500)
        if not page:
            return
        yield from page
        since = page[-1].seq


def margin_px(store: VersionedStore, layer: str) -> float:
    """How far (in pixels) a change to `layer` can reach into neighbouring tiles."""
    try:
        points = store.layer(Actor.system(), layer).geometry_type is GeometryType.POINT
    except NotFound:  # dropped since: assume the worst
        points = True
    return POINT_MARGIN_PX if points else MARGIN_PX


def _touched_by(entry: LogEntry, margins: dict[str, float]) -> Callable[[TileKey], bool]:
    """Which current tiles in memory one log entry touches: the same rule as on disk
    (`margins` holds the margin of every changed layer with a bbox)."""
    ranges: dict[tuple[str, str, int], tuple[int, int, int, int]] = {}

    def touched(key: TileKey) -> bool:
        if key.seq is not None:
            return False
        for layer, change in entry.layers.items():
            if not holds(key.tileset, layer):
                continue
            if change.bbox is None:
                return True
            margin = margins.get(layer)
            if margin is None:  # added while the margins were read: drop it, to be sure
                return True
            rk = (layer, key.grid, key.z)
            if rk not in ranges:
                ranges[rk] = GRIDS[key.grid].tile_range(change.bbox, key.z, margin)
            x0, y0, x1, y1 = ranges[rk]
            if x0 <= key.x <= x1 and y0 <= key.y <= y1:
                return True
        return False

    return touched


def _meets(grid: Grid, bbox: BBox, key: TileKey, margin: float) -> bool:
    x0, y0, x1, y1 = grid.tile_range(bbox, key.z, margin)
    return x0 <= key.x <= x1 and y0 <= key.y <= y1


def _subdirs(path: Path) -> Iterator[Path]:
    try:
        with os.scandir(path) as it:
            yield from (Path(e.path) for e in it if e.is_dir())
    except FileNotFoundError:
        return


def _remove_range(zdir: Path, rng: tuple[int, int, int, int]) -> int:
    """Remove tiles x0..x1 × y0..y1 under one level: by name when the range is small, else by
    listing only the columns that exist (cost bounded by min(range, cached tiles))."""
    x0, y0, x1, y1 = rng
    if x0 > x1 or y0 > y1:
        return 0
    removed = 0
    if x1 - x0 + 1 <= 64:
        columns = [zdir / str(x) for x in range(x0, x1 + 1)]
    else:
        columns = [d for d in _subdirs(zdir) if d.name.isdigit() and x0 <= int(d.name) <= x1]
    for col in columns:
        if not col.is_dir():
            continue
        if y1 - y0 + 1 <= 64:
            for y in range(y0, y1 + 1):
                try:
                    (col / f"{y}{SUFFIX}").unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        else:
            for f in os.scandir(col):
                stem = f.name.removesuffix(SUFFIX)
                if stem.isdigit() and y0 <= int(stem) <= y1:
                    os.unlink(f.path)
                    removed += 1
    return removed
