"""Bbox reads as of now and as of a past seq at 10k, 1M and 10M feature versions, both backends.

Each store holds one line layer `roads` with N versions of N/2 features: 4 changesets insert a
quarter of the features each (seqs 1-4), then 4 changesets update every feature once (seqs 5-8,
each feature gets a version 2 with a changed property). "Past" reads are as of seq 4, when every
feature was at version 1; "now" reads see version 2. So both kinds of read have the other half of
the versions to skip.

The features are real Hangzhou roads: the 5,000 roads nearest to (120.17°E, 30.27°N) at their
true place (the "probe area", the same in every store), and, for the larger stores, whole copies
of the 38,800 roads shifted away on a 1.3° × 0.8° grid (bench/make_inputs.py). The reads are
500 bboxes of 1 km × 1 km with random centres in the probe area (fixed seed), so every store
returns exactly the same features and only the amount of data around them grows: latency should
grow like log n, not n. Each query is `list(store.features(anonymous, "roads", bbox=…,
as_of=…))`, the service path (rows decoded into Features); one warm-up pass runs first, so the
figures are warm-cache figures.

Stores are built through `store.write(...)` and `ChangesetWriter.insert_rows / replace_rows` in
batches of 50,000 rows and cached: SQLite files under bench/.cache, PostGIS schemas `read_<size>`
in the database `mapnode_bench` (VACUUM ANALYZE after building).

    python -m bench.read_bench                      # 10k, 1m, 10m on sqlite and postgis
    python -m bench.read_bench --sizes 10k,1m --backends sqlite
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import itertools
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from bench.common import ensure_database, machine_line, pg_admin, print_table
from bench.make_inputs import CACHE, Table, load_hangzhou, parse_size, shifted, size_label
from mapnode.model import Actor, GeometryType, LayerMeta
from mapnode.model.layer import FieldType
from mapnode.store import NewRow, VersionedStore, open_store
from mapnode.store.base import dump_props

LAYER = "roads"
CHANGESETS = 4  # insert changesets; as many update changesets follow
PAST_SEQ = CHANGESETS
BATCH = 50_000
PROBE_CENTRE = (120.17, 30.27)
PROBE_FEATURES = 5_000
BBOX_KM = 1.0
CENTRE_SPREAD_KM = 3.0  # bbox centres within this distance (Chebyshev) of the probe centre
QUERIES = 500
SEED = 20_240_601
GRID_COLS = 10
PG_DB = "mapnode_bench"
FIELDS = {"osm_id": FieldType.INTEGER, "code": FieldType.INTEGER, "fclass": FieldType.STRING,
          "name": FieldType.STRING, "ref": FieldType.STRING, "oneway": FieldType.STRING,
          "maxspeed": FieldType.INTEGER, "layer": FieldType.INTEGER,
          "bridge": FieldType.STRING, "tunnel": FieldType.STRING, "rev": FieldType.INTEGER}


# ---------------------------------------------------------------------- the data
def probe(roads: Table) -> Table:
    """The PROBE_FEATURES roads nearest the probe centre (by centroid, Chebyshev distance)."""
    c = shapely.centroid(roads.geoms)
    cx, cy = PROBE_CENTRE
    d = np.maximum(np.abs(shapely.get_x(c) - cx) * math.cos(math.radians(cy)),
                   np.abs(shapely.get_y(c) - cy))
    idx = np.sort(np.argsort(d, kind="stable")[:PROBE_FEATURES])
    return Table(roads.geoms[idx], {k: v[idx] for k, v in roads.fields.items()},
                 roads.geometry_type)


@functools.cache
def _roads() -> tuple[Table, Table]:
    roads = load_hangzhou()["roads"]
    return roads, probe(roads)


def copies(features: int) -> Iterator[tuple[int, Callable[[], Table]]]:
    """(length, table maker) pairs adding up to `features`: the probe area, then shifted copies.

    Tables are made only when asked for, so skipping the copies before a range costs nothing.
    """
    roads, first = _roads()
    left = features
    copy = 0
    while left > 0:
        n = min(left, len(first) if copy == 0 else len(roads))
        yield n, functools.partial(_copy, first if copy == 0 else roads, copy, n)
        left -= n
        copy += 1


def _copy(table: Table, copy: int, n: int) -> Table:
    return (table if copy == 0 else shifted(table, copy, GRID_COLS)).take(n)


@dataclass
class Chunk:
    fids: list[str]
    wkb: list[bytes]
    bbox: list[tuple[float, float, float, float]]
    props: list[dict[str, object]]

    def rows(self, rev: int) -> list[NewRow]:
        out = []
        for fid, wkb, box, props in zip(self.fids, self.wkb, self.bbox, self.props, strict=True):
            props["rev"] = rev
            out.append(NewRow(fid, wkb, box, dump_props(props)))
        return out


def chunks(features: int, start: int, stop: int) -> Iterator[Chunk]:
    """Features number `start`..`stop-1` of a store of `features`, in chunks of BATCH."""
    offset = 0
    names = [n for n in FIELDS if n != "rev"]
    for length, make in copies(features):
        lo, hi = max(start - offset, 0), min(stop - offset, length)
        table = make() if lo < hi else None
        for a in range(lo, hi, BATCH):
            assert table is not None
            b = min(a + BATCH, hi)
            geoms = table.geoms[a:b]
            cols = [table.fields[n][a:b].tolist() for n in names]
            props = [{n: v for n, v in zip(names, vals, strict=True) if v is not None}
                     for vals in zip(*cols, strict=True)]
            fids = [str(x) for x in table.fields["osm_id"][a:b].tolist()]
            boxes = [tuple(r) for r in shapely.bounds(geoms).tolist()]
            yield Chunk(fids, list(shapely.to_wkb(geoms)), boxes, props)  # type: ignore[arg-type]
        offset += length
        if offset >= stop:
            return


# ---------------------------------------------------------------------- building stores
def store_url(backend: str, versions: int) -> str:
    label = size_label(versions).lower()
    if backend == "sqlite":
        return str(CACHE / f"read_{label}.mapnode")
    ensure_database(PG_DB)
    return f"postgresql://postgres@127.0.0.1:5432/{PG_DB}?schema={_schema(versions)}"


def is_built(store: VersionedStore, versions: int) -> bool:
    try:
        if store.current_seq() != 2 * CHANGESETS:
            return False
        return int(store.query("SELECT count(*) FROM versions")[0][0]) == versions
    except Exception:
        return False


def discard(backend: str, versions: int) -> None:
    url = store_url(backend, versions)
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url + suffix).unlink(missing_ok=True)
    else:
        pg_admin(f"DROP SCHEMA IF EXISTS {_schema(versions)} CASCADE", dbname=PG_DB)


def build(backend: str, versions: int) -> tuple[VersionedStore, float | None]:
    """The cached store for `versions`, built if missing; returns (store, build seconds)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    url = store_url(backend, versions)
    store = open_store(url)
    if is_built(store, versions):
        return store, None
    store.close()
    discard(backend, versions)
    store = open_store(url)
    actor = Actor.system()
    t0 = time.perf_counter()
    features = versions // 2
    store.create_layer(actor, LayerMeta(name=LAYER, geometry_type=GeometryType.LINE,
                                        fields=dict(FIELDS), title_zh="杭州道路（基准测试）",
                                        source_crs="EPSG:4326"))
    bounds = [round(features * i / CHANGESETS) for i in range(CHANGESETS + 1)]
    for rev in (1, 2):
        for i in range(CHANGESETS):
            with store.write(actor, f"bench rev {rev} part {i + 1}", source="upload") as w:
                for chunk in chunks(features, bounds[i], bounds[i + 1]):
                    news = chunk.rows(rev)
                    if rev == 1:
                        w.insert_rows(LAYER, news, known_new=True)
                    else:
                        olds = w.current(LAYER, chunk.fids)
                        w.replace_rows(LAYER, [(olds[n.fid], n) for n in news])
            _progress(backend, versions, rev, i, t0)
        if backend == "sqlite":
            # Without statistics SQLite looks current versions up through `versions_to`
            # (every current row of the layer) instead of `versions_current`: the updates
            # would take hours at 10M. ANALYZE is what makes this build tractable.
            store.execute("ANALYZE")
    seconds = time.perf_counter() - t0
    store.close()
    if backend == "postgis":
        pg_admin(f"VACUUM ANALYZE {_schema(versions)}.versions", dbname=PG_DB)
    store = open_store(url)
    assert is_built(store, versions), "store incomplete after building"
    return store, seconds


def sqlite_stats(store: VersionedStore, keep: bool) -> VersionedStore:
    """Give a SQLite store planner statistics (ANALYZE) or take them all away; reopened."""
    tables = [r[0] for r in store.query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'sqlite_stat%'")]
    if keep:
        if "sqlite_stat1" not in tables or not store.query(
                "SELECT count(*) FROM sqlite_stat1")[0][0]:
            store.execute("ANALYZE")
    else:
        for t in tables:  # sqlite_stat1 and, in this build of SQLite, sqlite_stat4
            store.execute(f"DROP TABLE {t}")  # empty tables are not the same as none
    url = store.url
    store.close()
    return open_store(url)


def _schema(versions: int) -> str:
    return f"read_{size_label(versions).lower()}"


def _progress(backend: str, versions: int, rev: int, part: int, t0: float) -> None:
    print(f"  … building {backend} {size_label(versions)}: rev {rev} part {part + 1}/"
          f"{CHANGESETS} done, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- reads
def bboxes() -> list[tuple[float, float, float, float]]:
    """QUERIES random 1 km² boxes in the probe area (fixed seed); a prefix is a smaller set."""
    rng = np.random.default_rng(SEED)
    cx, cy = PROBE_CENTRE
    kx = 111.320 * math.cos(math.radians(cy))
    ky = 110.574
    dx = rng.uniform(-CENTRE_SPREAD_KM, CENTRE_SPREAD_KM, QUERIES) / kx
    dy = rng.uniform(-CENTRE_SPREAD_KM, CENTRE_SPREAD_KM, QUERIES) / ky
    hx, hy = BBOX_KM / 2 / kx, BBOX_KM / 2 / ky
    return [(cx + a - hx, cy + b - hy, cx + a + hx, cy + b + hy)
            for a, b in zip(dx.tolist(), dy.tolist(), strict=True)]


@dataclass
class Timing:
    ms: list[float] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)

    def pct(self, p: float) -> float:
        return float(np.percentile(self.ms, p))


Call = Callable[[VersionedStore, tuple[float, float, float, float], int | None], int]


def read_features(store: VersionedStore, box: tuple[float, float, float, float],
                  as_of: int | None) -> int:
    """The service path: rows decoded into Features (geometry parsed, properties loaded)."""
    return len(list(store.features(Actor.anonymous(), LAYER, bbox=box, as_of=as_of)))


def read_count(store: VersionedStore, box: tuple[float, float, float, float],
               as_of: int | None) -> int:
    """The same WHERE clause as `features`, counted in SQL: the index search alone (the
    store's count cache is emptied first, so that every round measures the query)."""
    store.forget_counts()
    return store.count(Actor.anonymous(), LAYER, bbox=box, as_of=as_of)


def measure(stores: dict[int, VersionedStore], call: Call, as_of: int | None, queries: int,
            rounds: int) -> dict[int, Timing]:
    """Time `call` for every bbox on every store, interleaved (store order rotates per bbox),
    so that load from other processes on a shared machine falls on all sizes alike."""
    boxes = bboxes()[:queries]
    for store in stores.values():  # warm-up
        for box in boxes:
            call(store, box, as_of)
    out = {n: Timing() for n in stores}
    order = list(stores)
    for r in range(rounds):
        for i, box in enumerate(boxes):
            k = (i + r) % len(order)
            for n in order[k:] + order[:k]:
                t0 = time.perf_counter()
                found = call(stores[n], box, as_of)
                out[n].ms.append((time.perf_counter() - t0) * 1000)
                out[n].returned.append(found)
    return out


# ---------------------------------------------------------------------- report
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,1m,10m", help="feature versions (default 10k,1m,10m)")
    ap.add_argument("--backends", default="sqlite,postgis", help="sqlite, postgis or both")
    ap.add_argument("--sqlite-stats", choices=["analyze", "none"], default="analyze",
                    help="measure SQLite stores with planner statistics (ANALYZE, default) or "
                    "without (as a store that was never analysed: reads scan, see README)")
    ap.add_argument("--queries", type=int, default=QUERIES, help=f"bboxes (default {QUERIES})")
    ap.add_argument("--rounds", type=int, default=2, help="timed passes over the bboxes")
    args = ap.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgis" in backends and importlib.util.find_spec("mapnode.store.postgis") is None:
        print("# postgis: pending (mapnode.store.postgis has not landed)")
        backends.remove("postgis")
    print(f"# read benchmark · {machine_line()}")
    print(f"# {args.queries} bboxes of {BBOX_KM:g} km × {BBOX_KM:g} km × {args.rounds} rounds, "
          f"sizes interleaved; now = seq {2 * CHANGESETS}, past = seq {PAST_SEQ}; warm cache; "
          f"SQLite planner statistics: {args.sqlite_stats}")
    rows, growth, builds = [], [], []
    for backend in backends:
        stores: dict[int, VersionedStore] = {}
        for n in sizes:
            store, built = build(backend, n)
            if backend == "sqlite":
                store = sqlite_stats(store, keep=args.sqlite_stats == "analyze")
            stores[n] = store
            builds.append([backend, size_label(n), "cached" if built is None else
                           f"{built:.0f}", "–" if built is None else f"{n / built:,.0f}"])
        p50: dict[tuple[str, str, int], float] = {}
        for what, call in (("features", read_features), ("count", read_count)):
            for mode, as_of in (("now", None), ("past", PAST_SEQ)):
                timings = measure(stores, call, as_of, args.queries, args.rounds)
                for n, t in timings.items():
                    p50[(what, mode, n)] = t.pct(50)
                    rows.append([backend, what, mode, size_label(n), f"{t.pct(50):.2f}",
                                 f"{t.pct(99):.2f}", f"{np.mean(t.returned):.1f}"])
                print(f"  … {backend} {what} {mode}: p50 " + ", ".join(
                    f"{size_label(n)} {t.pct(50):.2f} ms" for n, t in timings.items()),
                    file=sys.stderr, flush=True)
        for store in stores.values():
            store.close()
        for what in ("features", "count"):
            for mode in ("now", "past"):
                for a, b in itertools.pairwise(sizes):
                    ratio = p50[(what, mode, b)] / p50[(what, mode, a)]
                    growth.append([backend, what, mode, f"{size_label(a)} → {size_label(b)}",
                                   f"{ratio:.2f}×", f"{math.log(b) / math.log(a):.2f}×",
                                   f"{b / a:,.0f}×"])
    print_table(["backend", "read", "as of", "versions", "p50 ms", "p99 ms",
                 "features/query (mean)"], rows)
    print()
    print("# growth of p50 latency with store size")
    print_table(["backend", "read", "as of", "size", "p50 ratio", "log n ratio", "n ratio"],
                growth)
    print()
    print("# building the stores (ChangesetWriter, 50k-row batches, 8 changesets)")
    print_table(["backend", "versions", "build s", "versions/s"], builds)


if __name__ == "__main__":
    main()
