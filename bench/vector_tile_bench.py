"""Uncached vector tile generation: mapnode (PostGIS and embedded stores) next to tipg on the
same PostGIS table, over a fixed list of Hangzhou road tiles from z10 to z16, in one run.

    .venv/bin/python -m bench.vector_tile_bench [--tiles-per-zoom 12] [--clients 1]

The data and the peers' virtualenv are those of `bench.ogcapi_bench` (the roads of
`osm_hangzhou_roads_water_landuse.gpkg` in database `mapnode_bench_ogc`: a mapnode store in
schema `mapnode`, the plain table `public.roads` for tipg), plus an embedded store in
`bench/.cache/vt_roads.mapnode`. Each server is one uvicorn worker. mapnode's tile cache lives
in a fresh temporary data directory per server and every tile is asked once, so every mapnode
answer is generated, never read from the cache (`X-Cache: miss|empty` is checked); tipg does
not cache. Tiles: a fixed, seeded sample of tiles whose bounds meet the roads' extent, per
zoom. Latency per tile (p50/p99) and tiles/s for `--clients` concurrent clients.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import PG_BASE, machine_line, print_table, start_server
from bench.ogcapi_bench import CACHE, DB, GPKG, PEERS, ROOT, ensure_peers, load_data
from mapnode.grids import grid

ZOOMS = range(10, 17)
ROADS_BOX = (120.0, 30.1, 120.4, 30.4)  # the dense part of the Hangzhou roads
SQLITE_STORE = CACHE / "vt_roads.mapnode"


def tile_list(per_zoom: int) -> list[tuple[int, int, int]]:
    g, rng, tiles = grid("WebMercatorQuad"), random.Random(20261121), []
    for z in ZOOMS:
        x0, y0, x1, y1 = g.tile_range(ROADS_BOX, z)
        every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        tiles += rng.sample(every, min(per_zoom, len(every)))
    return tiles


def sqlite_store() -> str:
    if not SQLITE_STORE.exists():
        subprocess.run([str(ROOT / ".venv" / "bin" / "mapnode"), "import", "-q", "--store",
                        str(SQLITE_STORE), "--layer", "roads", "--source-layer", "roads",
                        "--key", "osm_id", str(GPKG)], check=True)
    return str(SQLITE_STORE)


def fetch_all(urls: list[str], clients: int, mapnode: bool) -> tuple[list[float], float, int]:
    """Latency of each URL (ms), wall seconds, bytes; mapnode answers must be generated."""
    def one(url: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        r = client.get(url)
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code not in (200, 204):
            raise SystemExit(f"{url}: {r.status_code} {r.text[:300]}")
        if mapnode and r.headers.get("x-cache") == "hit":
            raise SystemExit(f"{url}: served from the cache; the benchmark wants generation")
        return ms, len(r.content)

    with httpx.Client(timeout=120, headers={"Accept-Encoding": "gzip"}) as client:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(one, urls))
        wall = time.perf_counter() - t0
    return [ms for ms, _ in results], wall, sum(n for _, n in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles-per-zoom", type=int, default=12)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()
    ensure_peers()
    pg_store = load_data()
    lite = sqlite_store()
    tiles = tile_list(args.tiles_per_zoom)
    from tests.support.server import free_port

    rows, by_zoom = [], []
    with tempfile.TemporaryDirectory(prefix="vt-bench-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        common = ["--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                  "--log-level", "warning", "--no-access-log"]
        uvicorn = str(ROOT / ".venv" / "bin" / "uvicorn")
        contenders = [
            ("mapnode-postgis", [uvicorn, "--factory", "mapnode.http.app:app_from_env", *common],
             {"MAPNODE_STORE": pg_store, "MAPNODE_DATA_DIR": str(tmp / "pg-data")}, f"{base}/health",
             f"{base}/tiles/roads/WebMercatorQuad/{{z}}/{{x}}/{{y}}.mvt", True),
            ("mapnode-sqlite", [uvicorn, "--factory", "mapnode.http.app:app_from_env", *common],
             {"MAPNODE_STORE": lite}, f"{base}/health",
             f"{base}/tiles/roads/WebMercatorQuad/{{z}}/{{x}}/{{y}}.mvt", True),
            ("tipg", [str(PEERS / "bin" / "uvicorn"), "tipg.main:app", *common],
             {"DATABASE_URL": f"{PG_BASE}/{DB}", "TIPG_DB_SCHEMAS": '["public"]'},
             f"{base}/collections",
             f"{base}/collections/public.roads/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}", False),
        ]
        for name, cmd, env, ready, template, is_mapnode in contenders:
            if name == "mapnode-sqlite":
                _clear_tile_cache(Path(lite))
            proc = start_server(cmd, ready, tmp / f"{name}.log", env)
            try:
                urls = [template.format(z=z, x=x, y=y) for z, x, y in tiles]
                ms, wall, size = fetch_all(urls, args.clients, is_mapnode)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            level = {z: [m for m, t in zip(ms, tiles, strict=True) if t[0] == z] for z in ZOOMS}
            by_zoom.append([name, *(f"{statistics.median(level[z]):.0f}" for z in ZOOMS)])
            ms.sort()
            rows.append([name, str(len(ms)), f"{statistics.median(ms):.1f}",
                         f"{ms[int(0.99 * (len(ms) - 1))]:.1f}", f"{len(ms) / wall:.1f}",
                         f"{size / len(ms) / 1024:.1f}"])
    tipg_rate = float(rows[-1][4])
    for r in rows:
        r.append(f"{float(r[4]) / tipg_rate:.2f}")
    print(f"\n{machine_line()}")
    print(f"Uncached vector tiles of the Hangzhou roads, z{ZOOMS.start}–z{ZOOMS.stop - 1}, "
          f"{len(tiles)} tiles, {args.clients} client(s), one uvicorn worker each\n")
    print_table(["server", "tiles", "p50 ms", "p99 ms", "tiles/s", "KB/tile (gzip)",
                 "× tipg"], rows)
    print("\np50 ms by level\n")
    print_table(["server", *(f"z{z}" for z in ZOOMS)], by_zoom)


def _clear_tile_cache(store: Path) -> None:
    """The embedded store keeps its tile cache beside it: empty it so tiles are generated."""
    import shutil

    shutil.rmtree(store.with_name(store.name + ".d") / "tiles", ignore_errors=True)


if __name__ == "__main__":
    main()
