"""OGC API Features items, pages of 1,000 features as GeoJSON: mapnode (PostGIS store) next to
pygeoapi and tipg serving the same Hangzhou roads from a plain PostGIS table, in one run.

    .venv/bin/python -m bench.ogcapi_bench [--seconds 10] [--connections 8]

Set-up (done by the script, reused when present): a virtualenv `bench/.cache/peers` with
PyPI `pygeoapi`, `tipg` and `uvicorn`; database `mapnode_bench_ogc` recreated per run with
the roads of `osm_hangzhou_roads_water_landuse.gpkg` (38,8xx lines) loaded twice: into a
mapnode store (schema `mapnode`) with `mapnode import`, and into `public.roads` with `ogr2ogr`.
Each server is one uvicorn process with one worker, started and stopped in turn; the load is
`wrk --latency` (Debian) walking pages `offset = 0, 1000, 2000, …` of `limit=1000`. Every
server is first checked to answer 1,000 features per page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import PG_BASE, fresh_database, machine_line, print_table

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
PEERS = CACHE / "peers"
DB = "mapnode_bench_ogc"
GPKG = (ROOT.parent / "shared" / "data" / "osm_hangzhou_roads_water_landuse_2019"
        / "hangzhou_osm_roads_water_landuse.gpkg")
PAGE = 1000
PAGES = 30


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    items: str  # items URL without query string
    health: str
    fmt: str = "json"  # the `f` value that asks for GeoJSON


@dataclass
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def ensure_peers() -> Path:
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    probe = subprocess.run([str(python), "-c", "import pygeoapi, tipg, uvicorn, geoalchemy2"],
                           capture_output=True)
    if probe.returncode != 0:
        print("安装 / installing pygeoapi, tipg, uvicorn into bench/.cache/peers …", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "pygeoapi", "tipg", "uvicorn", "psycopg2-binary", "geoalchemy2",
                        "sqlalchemy"], check=True)
    if shutil.which("wrk") is None:
        subprocess.run([str(ROOT / "scripts" / "ensure-apt"), "wrk"], check=True)
    return python


def load_data() -> str:
    url = fresh_database(DB)
    store = f"{url}?schema=mapnode"
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "mapnode"), "import", "-q", "--store", store,
                    "--layer", "roads", "--source-layer", "roads", "--key", "osm_id", str(GPKG)],
                   check=True)
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL",
                    f"PG:host=127.0.0.1 user=postgres dbname={DB}", str(GPKG), "roads",
                    "-nln", "public.roads", "-lco", "GEOMETRY_NAME=geom", "-lco", "FID=gid",
                    "-t_srs", "EPSG:4326"], check=True)
    print(f"数据 / data loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    return store


def pygeoapi_config(tmp: Path, port: int) -> dict[str, str]:
    config = tmp / "pygeoapi.yml"
    url = f"http://127.0.0.1:{port}"
    spatial = {"bbox": [119, 29, 121, 31], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    provider = {"type": "feature", "name": "PostgreSQL", "id_field": "gid", "table": "roads",
                "geom_field": "geom",
                "data": {"host": "127.0.0.1", "port": 5432, "dbname": DB, "user": "postgres",
                         "password": "", "search_path": ["public"]}}
    settings = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": url,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "language": "en-US", "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           "attribution": "OSM"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench",
                                        "keywords": ["bench"], "keywords_type": "theme",
                                        "terms_of_service": "none", "url": url},
                     "license": {"name": "CC-BY 4.0",
                                 "url": "https://creativecommons.org/licenses/by/4.0/"},
                     "provider": {"name": "bench", "url": url}, "contact": {"name": "bench"}},
        "resources": {"roads": {"type": "collection", "title": "roads",
                                "description": "Hangzhou roads", "keywords": ["roads"],
                                "extents": {"spatial": spatial}, "providers": [provider]}},
    }
    config.write_text(json.dumps(settings))  # YAML is a superset of JSON
    openapi = tmp / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    gen = subprocess.run([str(PEERS / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                          "--output-file", str(openapi)], env=env, capture_output=True,
                         text=True)
    if gen.returncode != 0:
        raise SystemExit(f"pygeoapi openapi generate failed:\n{gen.stderr[-3000:]}")
    return {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}


def servers(store: str, tmp: Path, port: int) -> list[Server]:
    peers_uvicorn = str(PEERS / "bin" / "uvicorn")
    base = f"http://127.0.0.1:{port}"
    common = ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level",
              "warning", "--no-access-log"]
    return [
        Server("mapnode", [str(ROOT / ".venv" / "bin" / "uvicorn"), "--factory",
                           "mapnode.http.app:app_from_env", *common],
               {"MAPNODE_STORE": store}, f"{base}/ogcapi/collections/roads/items",
               f"{base}/health"),
        Server("pygeoapi", [peers_uvicorn, "pygeoapi.starlette_app:APP", *common],
               pygeoapi_config(tmp, port), f"{base}/collections/roads/items",
               f"{base}/collections/roads"),
        Server("tipg", [peers_uvicorn, "tipg.main:app", *common],
               {"DATABASE_URL": f"{PG_BASE}/{DB}", "TIPG_DB_SCHEMAS": '["public"]',
                "TIPG_MAX_FEATURES_PER_QUERY": "10000"},
               f"{base}/collections/public.roads/items", f"{base}/collections", "geojson"),
    ]


def wait_ready(server: Server, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(server.health, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{server.name} did not start:\n{log.read_text()[-3000:]}")


def check_pages(server: Server) -> None:
    for offset in (0, PAGE * (PAGES - 1)):
        r = httpx.get(server.items, params={"limit": PAGE, "offset": offset, "f": server.fmt},
                      timeout=60)
        r.raise_for_status()
        body = r.json()
        if not isinstance(body, dict) or "features" not in body:
            raise SystemExit(f"{server.name}: not a FeatureCollection: {r.text[:500]}")
        n = len(body["features"])
        if n != PAGE:
            raise SystemExit(f"{server.name}: {n} features at offset {offset}, wanted {PAGE}")


def run_wrk(server: Server, seconds: int, connections: int, tmp: Path) -> Result:
    script = tmp / "pages.lua"
    script.write_text(f"""
local i = 0
request = function()
  local path = "{server.items.split("127.0.0.1", 1)[1].split("/", 1)[1]}"
  local offset = (i % {PAGES}) * {PAGE}
  i = i + 1
  return wrk.format("GET", "/" .. path .. "?f={server.fmt}&limit={PAGE}&offset=" .. offset)
end
""")
    base = server.items.split("/", 3)
    url = f"{base[0]}//{base[2]}"
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "--timeout", "30s", "-s", str(script), url], check=True,
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(server.name, rps, _latency(out, "50%"), _latency(out, "99%"), errors)


def _latency(out: str, pct: str) -> float:
    m = re.search(rf"{re.escape(pct)}\s+([\d.]+)(us|ms|s)", out)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def measure(server: Server, seconds: int, connections: int, tmp: Path) -> Result:
    log = tmp / f"{server.name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(server.cmd, env={**os.environ, **server.env}, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp)
    try:
        wait_ready(server, proc, log)
        check_pages(server)
        run_wrk(server, 2, connections, tmp)  # warm-up
        return run_wrk(server, seconds, connections, tmp)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    ensure_peers()
    store = load_data()
    from tests.support.server import free_port

    with tempfile.TemporaryDirectory(prefix="ogcapi-bench-") as tmp_name:
        tmp = Path(tmp_name)
        results = [measure(s, args.seconds, args.connections, tmp)
                   for s in servers(store, tmp, free_port())]
    print(f"\n{machine_line()}")
    print(f"OGC API items, {PAGE} features per page (GeoJSON), wrk -c{args.connections} "
          f"-d{args.seconds}s, one uvicorn worker each, same PostGIS server\n")
    ours = results[0].requests_per_s
    print_table(["server", "pages/s", "features/s", "p50 ms", "p99 ms", "errors", "mapnode ×"],
                [[r.name, f"{r.requests_per_s:.1f}", f"{r.requests_per_s * PAGE:,.0f}",
                  f"{r.p50_ms:.0f}", f"{r.p99_ms:.0f}", str(r.errors),
                  f"{ours / r.requests_per_s:.2f}" if r.requests_per_s else "n/a"]
                 for r in results])


if __name__ == "__main__":
    main()
