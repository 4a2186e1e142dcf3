"""Import throughput and peak memory: `mapnode import` next to `ogr2ogr`, same input, same target.

Each contender runs as a subprocess under `/usr/bin/time -v` (wall time; peak RSS and CPU time
of the client process; PostgreSQL's own server work is in the wall time but not in the RSS/CPU
columns). Targets start empty for every run: a new SQLite store / GeoPackage file, a new
PostgreSQL database with PostGIS.

Contenders: `mapnode-<target>` (plain import into a new layer), `-key` (`--key osm_id`, into a
new layer), `-rekey` (the same keyed import run a second time over the filled store: nothing
changed, every feature is compared; untimed first import), `ogr2ogr-gpkg`, `ogr2ogr-pg`
(`-gt 65536`, defaults otherwise: spatial index built, no reprojection). The ratio compares
features/s with ogr2ogr for the same target (GeoPackage for SQLite, PostgreSQL for PostGIS).

Inputs: `pbf` = the Hangzhou amenities OSM PBF (mapnode keys OSM features by `osm_key`
itself, so `-key` is n/a there); `big` = the real Hangzhou roads/water/landuse replicated to
`--size` features (bench/make_inputs.py).

    python -m bench.import_bench                        # everything, 1M-feature input
    python -m bench.import_bench --only sqlite --size 100k
    python -m bench.import_bench --only mapnode-postgis,ogr2ogr-pg --inputs big
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyogrio

from bench.common import (
    PG_BASE,
    Measured,
    drop_database,
    fresh_database,
    machine_line,
    print_table,
    run_measured,
)
from bench.make_inputs import CACHE, large_input, parse_size, size_label

PBF = Path("/work/shared/data/osm_hangzhou_amenities_2024/hangzhou_amenities_overpass_2024.osm.pbf")
WORK = CACHE / "import_run"
MAPNODE = [sys.executable, "-m", "mapnode.cli"]
DB_MAPNODE, DB_OGR = "mapnode_bench_import", "mapnode_bench_ogr"
OGR_PG = f"PG:host=127.0.0.1 port=5432 user=postgres dbname={DB_OGR}"


@dataclass
class Contender:
    name: str
    target: str  # "sqlite" (GeoPackage for ogr2ogr) or "postgis"
    tool: str  # "mapnode" or "ogr2ogr"
    key: bool = False  # mapnode --key osm_id (keyed import: re-imports write differences)
    reimport: bool = False  # timed: a keyed re-import of the same file into the filled store


CONTENDERS = [
    Contender("mapnode-sqlite", "sqlite", "mapnode"),
    Contender("mapnode-sqlite-key", "sqlite", "mapnode", key=True),
    Contender("mapnode-sqlite-rekey", "sqlite", "mapnode", key=True, reimport=True),
    Contender("ogr2ogr-gpkg", "sqlite", "ogr2ogr"),
    Contender("mapnode-postgis", "postgis", "mapnode"),
    Contender("mapnode-postgis-key", "postgis", "mapnode", key=True),
    Contender("mapnode-postgis-rekey", "postgis", "mapnode", key=True, reimport=True),
    Contender("ogr2ogr-pg", "postgis", "ogr2ogr"),
]


@dataclass
class Result:
    input: str
    contender: Contender
    features: int | None = None
    measured: Measured | None = None
    note: str = ""

    @property
    def rate(self) -> float | None:
        if self.features is None or self.measured is None:
            return None
        return self.features / self.measured.seconds


def pending_reason(c: Contender, input_name: str) -> str | None:
    """Why a contender cannot run yet (a module not landed), or None."""
    if c.tool != "mapnode":
        return None
    if c.target == "postgis" and importlib.util.find_spec("mapnode.store.postgis") is None:
        return "pending: mapnode.store.postgis not landed"
    if input_name == "pbf" and importlib.util.find_spec("mapnode.ingest.osm") is None:
        return "pending: mapnode.ingest.osm not landed"
    if input_name == "pbf" and c.key and not c.reimport:
        return "n/a: OSM input is keyed by OSM ids already"
    return None


def run_mapnode(c: Contender, path: Path) -> tuple[Measured, int | None]:
    store = str(WORK / "bench.mapnode") if c.target == "sqlite" else fresh_database(DB_MAPNODE)
    cmd = [*MAPNODE, "import", "-q", "--store", store, "--layer", "bench", str(path)]
    if c.key and not path.name.endswith(".pbf"):  # OSM files are keyed by osm_key already
        cmd += ["--key", "osm_id"]
    if c.reimport:
        subprocess.run(cmd, check=True, capture_output=True)
    m = run_measured(cmd)
    if m.returncode != 0:
        return m, None
    if c.reimport:  # nothing changed: "无变化 / no changes (N 要素/features read)"
        return m, sum(int(x) for x in re.findall(r"(\d+) 要素/features read", m.stdout))
    return m, sum(int(x) for x in re.findall(r"inserted (\d+)", m.stdout))


def run_ogr2ogr(c: Contender, path: Path) -> tuple[Measured, int | None]:
    if c.target == "sqlite":
        out = WORK / "ogr.gpkg"
        m = run_measured(["ogr2ogr", "-f", "GPKG", "-gt", "65536", str(out), str(path)])
        if m.returncode != 0:
            return m, None
        return m, sum(int(pyogrio.read_info(out, layer=name)["features"])
                      for name, _ in pyogrio.list_layers(out))
    fresh_database(DB_OGR)
    m = run_measured(["ogr2ogr", "-f", "PostgreSQL", "-gt", "65536", OGR_PG, str(path)])
    if m.returncode != 0:
        return m, None
    return m, _count_pg_tables(DB_OGR)


def _count_pg_tables(db: str) -> int:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/{db}") as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT f_table_name FROM geometry_columns WHERE f_table_schema = 'public'")]
        return sum(int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # type: ignore[index]
                   for t in tables)


def run_one(input_name: str, path: Path, c: Contender) -> Result:
    reason = pending_reason(c, input_name)
    if reason:
        return Result(input_name, c, note=reason)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    runner: Callable[[Contender, Path], tuple[Measured, int | None]] = (
        run_mapnode if c.tool == "mapnode" else run_ogr2ogr)
    try:
        m, n = runner(c, path)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
        if c.target == "postgis":
            drop_database(DB_MAPNODE if c.tool == "mapnode" else DB_OGR)
    if m.returncode != 0:
        tail = (m.stderr.strip().splitlines() or ["?"])[-1][:120]
        return Result(input_name, c, measured=m, note=f"failed (exit {m.returncode}): {tail}")
    return Result(input_name, c, n, m)


def select(only: str | None) -> list[Contender]:
    """`--only sqlite` = everything aimed at the SQLite/GeoPackage target; names also work."""
    if not only:
        return CONTENDERS
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    chosen = [c for c in CONTENDERS if c.name in wanted or c.target in wanted]
    if not chosen:
        names = ", ".join(["sqlite", "postgis", *(c.name for c in CONTENDERS)])
        raise SystemExit(f"--only: nothing matches {only!r}; choose from {names}")
    return chosen


def report(results: list[Result]) -> None:
    base = {(r.input, r.contender.target): r.rate for r in results
            if r.contender.tool == "ogr2ogr" and r.rate}
    rows = []
    for r in results:
        m = r.measured
        ratio = "–"
        if r.contender.tool == "mapnode" and r.rate and base.get((r.input, r.contender.target)):
            ratio = f"{r.rate / base[(r.input, r.contender.target)]:.2f}×"
        if r.features is None:
            rows.append([r.input, r.contender.name, "–", "–", "–", "–", "–", "–", r.note])
            continue
        assert m is not None and r.rate is not None
        rows.append([r.input, r.contender.name, f"{r.features:,}", f"{m.seconds:.2f}",
                     f"{r.rate:,.0f}", f"{m.peak_rss_mb:,.0f}", f"{m.cpu_seconds:.1f}", ratio,
                     r.note])
    print_table(["input", "contender", "features", "seconds", "features/s", "peak RSS MB",
                 "client CPU s", "throughput vs ogr2ogr", "note"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma list: sqlite, postgis, or contender names "
                    f"({', '.join(c.name for c in CONTENDERS)})")
    ap.add_argument("--inputs", default="pbf,big", help="comma list of pbf, big (default both)")
    ap.add_argument("--size", default="1m", help="features in the big input (default 1m)")
    args = ap.parse_args()
    contenders = select(args.only)
    n = parse_size(args.size)
    inputs: list[tuple[str, Path]] = []
    for name in [s.strip() for s in args.inputs.split(",") if s.strip()]:
        if name == "pbf":
            inputs.append(("pbf", PBF))
        elif name == "big":
            inputs.append((f"hangzhou×{size_label(n)}", large_input(n)))
        else:
            raise SystemExit(f"--inputs: unknown input {name!r} (pbf, big)")
    print(f"# import benchmark · {machine_line()}")
    for label, path in inputs:
        print(f"# {label}: {path}")
    results = []
    for label, path in inputs:
        for c in contenders:
            r = run_one("pbf" if label == "pbf" else label, path, c)
            results.append(r)
            done = f"{r.measured.seconds:.1f} s" if r.measured else r.note
            print(f"  … {label} {c.name}: {done}", file=sys.stderr, flush=True)
    report(results)


if __name__ == "__main__":
    main()
