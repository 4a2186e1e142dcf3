"""Cached tile throughput: mapnode serving cached vector tiles, next to tileserver-gl-light (npm)
serving the same tiles from mapnode's MBTiles export, and a bare Starlette route returning the
same bytes from memory (the ceiling on this machine), in one run, with wrk.

    .venv/bin/python -m bench.tile_serving_bench [--duration 10] [--connections 64] [--workers 1]
        [--rounds 3] [--access-log]

Steps: load the demo's Hangzhou roads, water and land use into an embedded store
(`bench/.cache/serve/store.mapnode`, kept between runs); `mapnode export-tiles` the base map
(WebMercatorQuad, `ZOOMS` over `BBOX`: 700 tiles of central Hangzhou) to MBTiles, which also
fills mapnode's disk cache with exactly those tiles (the seeding throughput is printed); then
each server in turn answers the
same fixed list of tile paths (every non-empty tile of the export, in a fixed shuffled order),
cycled by a wrk Lua script with `Accept-Encoding: gzip`, `wrk -t2 -c64 -d10s --latency`.
All servers run at once (idle but for their turn); each gets a warm-up run, then
`--rounds` interleaved wrk runs, and the median is printed (the machine is shared: a busy
moment then hits every server, not just one). tileserver-gl-light is installed into
`bench/.cache/tileserver` with npm on first use. Servers run one process each by default
(`--workers` sets uvicorn workers for mapnode and the ceiling; tileserver-gl-light is one Node
process). Every server's bytes for a sample tile are checked to be the same before timing.
mapnode runs `mapnode serve --no-access-log` (the ceiling logs nothing either, tileserver-gl-light
runs `--silent`); `--access-log` adds a second mapnode with uvicorn's access log on, to show
what it costs. After the warm-up every mapnode answer must be `X-Cache: hit`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import machine_line, print_table

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
WORK = CACHE / "serve"
TILESERVER = CACHE / "tileserver"
MAPNODE = ROOT / ".venv" / "bin" / "mapnode"
LAYERS = ("roads", "water", "landuse")
BBOX = "120.05,30.15,120.30,30.35"
ZOOMS = "10-15"
TARGET_PEER, TARGET_CEILING = 1.5, 0.70

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
"""

CEILING_APP = """
import os, sqlite3
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
db = sqlite3.connect(os.environ["CEILING_MBTILES"])
TILES = {(z, x, (1 << z) - 1 - r): bytes(d) for z, x, r, d in db.execute(
    "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
HEADERS = {"Content-Encoding": "gzip", "Cache-Control": "no-cache"}
async def tile(request):
    p = request.path_params
    y = int(p["y"].partition(".")[0])
    data = TILES.get((int(p["z"]), int(p["x"]), y))
    if data is None:
        return Response(status_code=204)
    return Response(data, media_type="application/vnd.mapbox-vector-tile", headers=HEADERS)
app = Starlette(routes=[Route("/t/{z}/{x}/{y}", tile)])
"""


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kw)  # type: ignore[call-overload, no-any-return]


def prepare(store: Path, mbtiles: Path) -> tuple[float, int]:
    """Load the layers (once) and export the base map; returns (seconds, tiles) of the export."""
    WORK.mkdir(parents=True, exist_ok=True)
    if not store.exists():
        run([str(MAPNODE), "load", "-q", "--store", str(store), str(ROOT / "demo" / "manifest.json"),
             *[a for layer in LAYERS for a in ("--only", layer)]])
    shutil.rmtree(Path(str(store) + ".d") / "tiles", ignore_errors=True)  # a cold cache
    mbtiles.unlink(missing_ok=True)
    t0 = time.perf_counter()
    out = run([str(MAPNODE), "export-tiles", "-q", "--store", str(store), "--tileset", "basemap",
               "--grid", "w", "--bbox", BBOX, "--zoom", ZOOMS, "-o", str(mbtiles)],
              capture_output=True).stdout
    seconds = time.perf_counter() - t0
    tiles = int(re.search(r"tiles (\d+)", out.replace("/", " ")).group(1))  # type: ignore[union-attr]
    return seconds, tiles


def tile_list(mbtiles: Path) -> list[tuple[int, int, int]]:
    db = sqlite3.connect(mbtiles)
    tiles = [(z, x, (1 << z) - 1 - r) for z, x, r in db.execute(
        "SELECT zoom_level, tile_column, tile_row FROM tiles ORDER BY 1, 2, 3")]
    random.Random(20261121).shuffle(tiles)
    return tiles


def ensure_tileserver() -> Path:
    binary = TILESERVER / "node_modules" / "tileserver-gl-light" / "src" / "main.js"
    if not binary.exists():
        TILESERVER.mkdir(parents=True, exist_ok=True)
        run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(TILESERVER),
             "tileserver-gl-light"], capture_output=True)
    return binary


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], ready_url: str, log: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                            cwd=cwd, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(ready_url, timeout=2).status_code < 500:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"{cmd} did not start: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wrk(base: str, paths: list[str], duration: int, connections: int) -> tuple[float, float]:
    """(requests/s, p99 ms) of wrk cycling through `paths`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % ", ".join(f'"{p}"' for p in paths))
    out = run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", f.name, base],
              capture_output=True).stdout
    os.unlink(f.name)
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors against {base}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99


def same_bytes(url: str, expected: bytes) -> None:
    r = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    got = r.content  # httpx decodes gzip
    if r.status_code != 200 or got != expected:
        raise SystemExit(f"{url} answered {r.status_code} with other bytes than the export")


def all_hits(base: str, paths: list[str]) -> None:
    """Every tile of the list is a cache hit (the timed runs measure cached tiles only)."""
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
        for path in paths:
            r = client.get(base + path)
            if r.status_code != 200 or r.headers.get("x-cache") != "hit":
                raise SystemExit(f"{base}{path}: {r.status_code} {r.headers.get('x-cache')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved wrk runs per server (median)")
    ap.add_argument("--access-log", action="store_true",
                    help="also time mapnode with uvicorn's access log on")
    args = ap.parse_args()
    store, mbtiles = WORK / "store.mapnode", WORK / "basemap.mbtiles"
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    seconds, count = prepare(store, mbtiles)
    tiles = tile_list(mbtiles)
    z, x, y = tiles[0]
    db = sqlite3.connect(mbtiles)
    (blob,) = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND "
                         "tile_row=?", (z, x, (1 << z) - 1 - y)).fetchone()
    sample = gzip.decompress(blob)
    binary = ensure_tileserver()
    servers = []
    port = free_port()
    servers.append(("mapnode (cached, `mapnode serve`)", [
        str(MAPNODE), "serve", "--store", str(store), "--port", str(port), "--workers",
        str(args.workers), "--no-access-log"], f"http://127.0.0.1:{port}",
        "/tiles/basemap/WebMercatorQuad/{z}/{x}/{y}.mvt", {}, None))
    port = free_port()
    config = WORK / "tileserver.json"  # data only: no styles, fonts or sprites to find
    config.write_text(json.dumps({"options": {"paths": {"root": str(WORK), "mbtiles": str(WORK)}},
                                  "styles": {}, "data": {"basemap": {"mbtiles": mbtiles.name}}}))
    servers.append(("tileserver-gl-light (MBTiles)", [
        "node", str(binary.resolve()), "--config", str(config), "--port", str(port), "--bind",
        "127.0.0.1", "--silent"], f"http://127.0.0.1:{port}", "/data/basemap/{z}/{x}/{y}.pbf",
        {}, WORK))
    port = free_port()
    app_file = WORK / "ceiling_app.py"
    app_file.write_text(CEILING_APP)
    servers.append(("ceiling: bare Starlette route, bytes in memory", [
        sys.executable, "-m", "uvicorn", "ceiling_app:app", "--port", str(port), "--workers",
        str(args.workers), "--log-level", "warning", "--no-access-log"],
        f"http://127.0.0.1:{port}", "/t/{z}/{x}/{y}.mvt",
        {"PYTHONPATH": str(WORK), "CEILING_MBTILES": str(mbtiles)}, WORK))
    if args.access_log:
        port = free_port()
        servers.append(("mapnode, access log on", [
            str(MAPNODE), "serve", "--store", str(store), "--port", str(port), "--workers",
            str(args.workers), "--access-log"], f"http://127.0.0.1:{port}",
            "/tiles/basemap/WebMercatorQuad/{z}/{x}/{y}.mvt", {}, None))
    running = []
    try:
        for i, (name, cmd, base, pattern, env, cwd) in enumerate(servers):
            paths = [pattern.format(z=z, x=x, y=y) for z, x, y in tiles]
            running.append((name, start(cmd, base + paths[0], WORK / f"{i}.log", env, cwd),
                            base, paths))
            same_bytes(base + pattern.format(z=z, x=x, y=y), sample)
        for _, _, base, paths in running:
            wrk(base, paths, 3, args.connections)  # warm-up
        for name, _, base, paths in running:
            if name.startswith("mapnode"):
                all_hits(base, paths)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in running}
        for round_ in range(args.rounds):  # interleaved, so a busy moment hits every server
            for name, _, base, paths in running:
                rps, p99 = wrk(base, paths, args.duration, args.connections)
                runs[name].append((rps, p99))
                print(f"round {round_ + 1}: {name}: {rps:,.0f} req/s, p99 {p99:.1f} ms",
                      flush=True)
    finally:
        for _, proc, _, _ in running:
            stop(proc)
    results = [(name, statistics.median(r for r, _ in rs), statistics.median(p for _, p in rs))
               for name, rs in runs.items()]
    mapnode_rps, peer_rps, ceiling_rps = (r[1] for r in results[:3])
    print()
    print(machine_line())
    print(f"{len(tiles)} cached base-map tiles (WebMercatorQuad z{ZOOMS}, bbox {BBOX}), "
          f"wrk -t2 -c{args.connections} -d{args.duration}s, median of {args.rounds} interleaved "
          f"rounds, workers {args.workers}, load average before: {load}")
    print(f"export/seed: {count} tiles in {seconds:.1f} s = {count / seconds:.1f} tiles/s "
          "(uncached, embedded store, incl. process start)")
    print_table(["server", "req/s", "p99 ms", "÷ ceiling"],
                [[n, f"{r:,.0f}", f"{p:.1f}", f"{r / ceiling_rps:.0%}"] for n, r, p in results])
    print(f"mapnode / tileserver-gl-light = {mapnode_rps / peer_rps:.2f}x (target >= {TARGET_PEER}x); "
          f"mapnode / ceiling = {mapnode_rps / ceiling_rps:.0%} (target >= {TARGET_CEILING:.0%})")
    names = list(runs)  # the same ratios per round (servers of one round saw similar load)
    per_peer = [m[0] / p[0] for m, p in zip(runs[names[0]], runs[names[1]], strict=True)]
    per_ceiling = [m[0] / c[0] for m, c in zip(runs[names[0]], runs[names[2]], strict=True)]
    print("per round: mapnode / tileserver-gl-light "
          + ", ".join(f"{r:.1f}x" for r in per_peer) + f" (median {statistics.median(per_peer):.1f}x); "
          "mapnode / ceiling " + ", ".join(f"{r:.0%}" for r in per_ceiling)
          + f" (median {statistics.median(per_ceiling):.0%})")


if __name__ == "__main__":
    main()
