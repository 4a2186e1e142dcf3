"""Side by side with Nominatim (issue 5 item 9): the same Hangzhou OSM data, the same queries,
accuracy and latency in one run.

    python -m bench.nominatim_bench [--sample 400] [--seed 2026] [--duration 15]
        [--connections 32] [--rounds 2] [--reimport]

Sets itself up (cached under bench/.cache/, a rerun takes a few minutes):
- Debian `osm2pgsql` and `wrk` (+ `libicu-dev`, `pkg-config`, `g++` to build PyICU) through
  scripts/ensure-apt; PyPI `nominatim-db`, `nominatim-api`,
  `falcon` and `uvicorn[standard]` in their own virtualenv `bench/.cache/nominatim-venv`;
- mapnode: the embedded store of bench/places_search_eval.py (demo manifest + county seats),
  `bench/.cache/nominatim/mapnode.mapnode`, its index brought up to date;
- Nominatim: database `nominatim_bench` on the local PostgreSQL, project directory
  `bench/.cache/nominatim/project`, imported offline (`nominatim import --osm-file … --osm-file
  … --no-updates`, no Wikipedia, postcode or TIGER data) from the same Hangzhou amenity PBF and
  an OSM file written by bench/nominatim_osm.py from the other data mapnode's gazetteer holds
  (roads, water, land use, stations, division seats). Redone only with --reimport.
Then, in one run:
- accuracy: every query of places_search_eval's evaluation set (eval_cases) to both over HTTP,
  top-1 within max(100 m, half the feature's size) of the truth (places_search_eval.score).
  mapnode gets `/api/search` (with `admin=` for the county queries) or `/api/geocode` as that
  eval does; Nominatim `/search?q=…&format=jsonv2&limit=1`, the county's name appended after
  a comma where mapnode gets `admin=`. Both are scored on distance alone; mapnode is also shown
  with its level checked (the eval's stricter rule);
- latency: wrk, 32 connections, over the same request lists (`limit=10`), alternating rounds:
  p50/p99/req/s, and the search list at 1 connection (the service time without queueing).
  Each server is one process without access log: `mapnode serve --no-access-log` (uvicorn,
  1 worker, httptools + uvloop, embedded store) and Nominatim's falcon app under uvicorn (1
  worker, httptools + uvloop, its default pool of 10 PostgreSQL connections; the PostgreSQL
  backends are extra processes). mapnode runs twice: as served by default, where a place-name
  answer is kept in memory while the data is unchanged (http.fast_answers: wrk repeats its
  list, so after the first pass every request is answered from memory), and with
  `MAPNODE_ANSWER_MEMORY_MB=0`, where every request is searched again (the figure for queries
  never asked before).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bench.common import drop_database, machine_line, print_table, start_server
from bench.places_http_bench import lua, wrk_stats
from bench.places_search_eval import Answer, Case, build, eval_cases, score

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CACHE = REPO / "bench" / ".cache"
WORK = CACHE / "nominatim"
VENV = CACHE / "nominatim-venv"
PROJECT = WORK / "project"
STORE = WORK / "mapnode.mapnode"
DB = "nominatim_bench"
PBF = SHARED / "osm_hangzhou_amenities_2024" / "hangzhou_amenities_overpass_2024.osm.pbf"
GPKG = SHARED / "osm_hangzhou_roads_water_landuse_2019" / "hangzhou_osm_roads_water_landuse.gpkg"
STATIONS = SHARED / "osm_china_railway_stations_2025" / "china_railway_stations_osm_2025.gpkg"
PORTS = {"mapnode": 18791, "Nominatim": 18792, "mapnode, no answer cache": 18793}


# ---------------------------------------------------------------------- setup
def ensure_tools() -> Path:
    """Debian osm2pgsql + wrk, and the Nominatim virtualenv; returns its `nominatim` command."""
    # osm2pgsql and wrk; PyICU (a nominatim-db dependency) is built from source against ICU
    subprocess.run([str(REPO / "scripts" / "ensure-apt"), "osm2pgsql", "wrk", "libicu-dev",
                    "pkg-config", "g++"], check=True)
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import nominatim_db, nominatim_api, falcon, "
                            "uvicorn, uvloop, httptools"], capture_output=True)
    if probe.returncode != 0:
        print("安装 / installing nominatim-db, nominatim-api, falcon, uvicorn …", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "nominatim-db", "nominatim-api", "falcon", "uvicorn[standard]",
                        "psycopg[binary]"], check=True)
    return VENV / "bin" / "nominatim"


def nominatim_env() -> dict[str, str]:
    """The project's settings (also written to its .env): local database, no updates."""
    return {"NOMINATIM_DATABASE_DSN": f"pgsql:dbname={DB};host=127.0.0.1;port=5432;user=postgres",
            "NOMINATIM_DATABASE_WEBUSER": "postgres",
            "NOMINATIM_OSM2PGSQL_BINARY": shutil.which("osm2pgsql") or "/usr/bin/osm2pgsql",
            "NOMINATIM_IMPORT_STYLE": "full",
            "NOMINATIM_USE_US_TIGER_DATA": "no",
            "NOMINATIM_API_POOL_SIZE": "10"}


def import_nominatim(nominatim: Path, seats: list[tuple[str, int, float, float]],
                     force: bool) -> None:
    """Write the extra OSM file and run `nominatim import` once (marker file), offline."""
    from bench.nominatim_osm import write_osm

    marker = PROJECT / "imported.ok"
    if marker.exists() and not force:
        return
    PROJECT.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    extra = WORK / "hangzhou_gazetteer_extra.osm"
    counts = write_osm(extra, GPKG, STATIONS, seats)
    print("OSM file for Nominatim:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    env = nominatim_env()
    (PROJECT / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    drop_database(DB)
    t0 = time.perf_counter()
    log = WORK / "import.log"
    with log.open("w") as out:
        proc = subprocess.run([str(nominatim), "import", "--osm-file", str(PBF), "--osm-file",
                               str(extra), "--no-updates", "--threads", "2",
                               "--project-dir", str(PROJECT)],
                              env={**os.environ, **env}, cwd=PROJECT, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"nominatim import failed ({proc.returncode}); see {log}:\n"
                         + "\n".join(log.read_text().splitlines()[-30:]))
    print(f"nominatim import: {time.perf_counter() - t0:.0f} s (log {log})")
    marker.write_text(time.strftime("%F %T"))


def seats_of(svc: Any) -> list[tuple[str, int, float, float]]:
    """浙江省, 杭州市 and its counties with their seats, as mapnode holds them."""
    out = []
    for d in svc.gazetteer.divisions:
        if d.seat and (d.code == "33" or d.code.startswith("3301")) and len(d.code) <= 6:
            out.append((d.name, int(d.level), d.seat[0], d.seat[1]))
    return out


def servers(tmp: Path) -> dict[str, subprocess.Popen[bytes]]:
    """mapnode as served by default (place-name answers kept in memory while the data is
    unchanged: wrk's repeated lists are then answered from memory), mapnode with that cache
    off (every request searched again) and Nominatim."""
    procs = {}
    for name, memory in (("mapnode", "16"), ("mapnode, no answer cache", "0")):
        procs[name] = start_server(
            [sys.executable, "-m", "mapnode.cli", "serve", "--store", str(STORE), "--port",
             str(PORTS[name]), "--no-access-log"],
            f"http://127.0.0.1:{PORTS[name]}/api/search?q=杭州", tmp / f"{PORTS[name]}.log",
            {"PYTHONPATH": str(REPO / "src"), "MAPNODE_ANSWER_MEMORY_MB": memory}, REPO,
            timeout=300)
    nomi = start_server([str(VENV / "bin" / "uvicorn"), "--factory",
                         "nominatim_api.server.falcon.server:run_wsgi", "--host", "127.0.0.1",
                         "--port", str(PORTS["Nominatim"]), "--workers", "1", "--http",
                         "httptools", "--loop", "uvloop", "--no-access-log"],
                        f"http://127.0.0.1:{PORTS['Nominatim']}/status", tmp / "nominatim.log",
                        {**nominatim_env(), "NOMINATIM_PROJECT_DIR": str(PROJECT)}, PROJECT,
                        timeout=300)
    return {**procs, "Nominatim": nomi}


# ---------------------------------------------------------------------- requests
def mapnode_path(case: Case, limit: int = 1) -> str:
    if case.call == "geocode":
        return "/api/geocode?" + urlencode({"address": case.text})
    params = {"q": case.text, "limit": str(limit)}
    if case.admin:
        params["admin"] = case.admin
    if case.kinds:
        params["kind"] = ",".join(case.kinds)
    return "/api/search?" + urlencode(params)


def nominatim_text(case: Case) -> str:
    return f"{case.text}, {case.admin_name}" if case.admin and case.admin_name else case.text


def nominatim_path(case: Case, limit: int = 1) -> str:
    return f"/search?q={quote(nominatim_text(case))}&format=jsonv2&limit={limit}"


def mapnode_answer(client: httpx.Client) -> Callable[[Case], Answer]:
    def answer(case: Case) -> Answer:
        r = client.get(mapnode_path(case))
        if r.status_code != 200:
            return None, None, None, f"HTTP {r.status_code}"
        body = r.json()
        feat = body if case.call == "geocode" else (body["features"] or [None])[0]
        if not feat or not feat.get("geometry"):
            return None, None, None, "no answer"
        lon, lat = feat["geometry"]["coordinates"]
        props = feat["properties"]
        level = props.get("level", props.get("kind"))
        return lon, lat, level, f"{level} {props.get('name')}"

    return answer


def nominatim_answer(client: httpx.Client) -> Callable[[Case], Answer]:
    def answer(case: Case) -> Answer:
        r = client.get(nominatim_path(case))
        rows = r.json() if r.status_code == 200 else []
        if not rows:
            return None, None, None, "no answer"
        return (float(rows[0]["lon"]), float(rows[0]["lat"]), rows[0].get("category"),
                str(rows[0].get("display_name")))

    return answer


def ask_all(cases: list[Case], make: Callable[[httpx.Client], Any],
            base: str) -> dict[int, Answer]:
    """Every case once (4 at a time), answers memoised by case index."""
    def run(part: list[int]) -> list[tuple[int, Any]]:
        with httpx.Client(base_url=base, timeout=60) as c:
            ask = make(c)
            return [(i, ask(cases[i])) for i in part]

    idx = list(range(len(cases)))
    with ThreadPoolExecutor(4) as ex:
        return dict(pair for chunk in ex.map(run, [idx[k::4] for k in range(4)]) for pair in chunk)


# ---------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=400)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--duration", type=int, default=15, help="seconds per wrk round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--reimport", action="store_true", help="import into Nominatim again")
    args = ap.parse_args()
    nominatim = ensure_tools()
    from mapnode.services.search import PlacesService

    WORK.mkdir(parents=True, exist_ok=True)
    store = build(STORE)
    svc = PlacesService(store)
    svc.gazetteer.catch_up()  # builds the index when the store has none
    import_nominatim(nominatim, seats_of(svc), args.reimport)
    cases, _, _ = eval_cases(svc, store, args.sample, args.seed)
    print(machine_line())
    print(f"{len(cases)} queries from places_search_eval.eval_cases "
          f"(--sample {args.sample} --seed {args.seed})")
    tmp = Path(tempfile.mkdtemp(prefix="nominatim-bench-"))
    procs = servers(tmp)
    try:
        accuracy_table(cases)
        latency_table(cases, tmp, args)
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(30)


def accuracy_table(cases: list[Case]) -> None:
    t0 = time.perf_counter()
    got = {name: ask_all(cases, make, f"http://127.0.0.1:{PORTS[name]}")
           for name, make in (("mapnode", mapnode_answer), ("Nominatim", nominatim_answer))}
    print(f"accuracy run: {time.perf_counter() - t0:.0f} s")
    index = {id(c): i for i, c in enumerate(cases)}
    res = {name: score(cases, lambda c, a=a: a[index[id(c)]], level=False).ok
           for name, a in got.items()}
    strict = score(cases, lambda c: got["mapnode"][index[id(c)]], level=True).ok

    def pct(v: list[bool]) -> str:
        return f"{100 * sum(v) / max(1, len(v)):.1f}%"

    rows = [[k, str(len(v)), pct(v), pct(strict[k]), pct(res["Nominatim"][k]),
             f"{100 * (sum(v) - sum(res['Nominatim'][k])) / max(1, len(v)):+.1f}"]
            for k, v in res["mapnode"].items()]
    print("\naccuracy, top-1 within max(100 m, half the feature's size)")
    print_table(["query class", "queries", "mapnode", "mapnode (level checked)", "Nominatim",
                 "mapnode − Nominatim (points)"], rows)


def latency_table(cases: list[Case], tmp: Path, args: argparse.Namespace) -> None:
    """wrk over the request lists, servers alternating round by round; medians."""
    searches = [c for c in cases if c.call == "search"]
    lists = [(f"all queries ({len(cases)}, search + geocode)", cases, args.connections),
             (f"search queries ({len(searches)})", searches, args.connections),
             (f"search queries ({len(searches)}), 1 connection", searches, 1)]
    order = ["mapnode", "mapnode, no answer cache", "Nominatim"]
    rows = []
    for k, (label, subset, conns) in enumerate(lists):
        scripts = {name: tmp / f"{PORTS[name]}-{k}.lua" for name in order}
        for name in order[:2]:
            scripts[name].write_text(lua([mapnode_path(c, 10) for c in subset]))
        scripts["Nominatim"].write_text(lua([nominatim_path(c, 10) for c in subset]))
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in order}
        for name in order:  # warm-up
            wrk_stats(f"http://127.0.0.1:{PORTS[name]}", scripts[name], 3, conns, 1)
        for r in range(args.rounds):
            turn = r % len(order)
            for name in order[turn:] + order[:turn]:
                runs[name].append(wrk_stats(f"http://127.0.0.1:{PORTS[name]}", scripts[name],
                                            args.duration, conns, 1))
        n = _median(runs["Nominatim"])
        for name in order:
            s = _median(runs[name])
            rows.append([label, name, f"{s['p50']:.2f}", f"{s['p99']:.2f}", f"{s['rps']:,.0f}",
                         f"{s['errors']:.0f}", f"{s['rps'] / n['rps']:.2f}×"])
    print(f"\nlatency, wrk -t1 -c{args.connections} (and -c1), {args.rounds} × {args.duration} s "
          "alternating rounds (median), limit=10, one server process each, 2 shared cores")
    print_table(["request list", "server", "p50 ms", "p99 ms", "req/s", "errors",
                 "× Nominatim"], rows)


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    import statistics

    return {k: statistics.median(r[k] for r in runs) for k in ("p50", "p99", "rps", "errors")}


if __name__ == "__main__":
    random.seed(0)
    main()
