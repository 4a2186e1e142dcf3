"""WFS 2.0.0 GetFeature, GML 3.2, pages of 1,000 features: mapnode next to MapServer 8 on the
same PostGIS data, in one run.

    .venv/bin/python -m bench.wfs_bench [--seconds 20] [--connections 4] [--workers 2]

Set-up (done by the script): Debian `cgi-mapserver`, `lighttpd` (MapServer's FastCGI host)
and `wrk` through scripts/ensure-apt; database `mapnode_bench_wfs` recreated per run with the
38,8xx Hangzhou roads of `osm_hangzhou_roads_water_landuse.gpkg` loaded twice: into a
mapnode store (schema `mapnode`, `mapnode import --key osm_id`) and into a plain table
`public.roads` (GiST indexed, `gid` key) with `ogr2ogr` for MapServer, whose mapfile is
written at run time (one WFS layer, every attribute, `gml_featureid` gid).

Both servers get `--workers` processes (uvicorn workers; lighttpd `max-procs` of `mapserv`
FastCGI processes) and run side by side; `--rounds` short `wrk` runs alternate between them
(order rotating), so load from other processes falls on both alike: pages/s is the mean of the
runs, p50 their median, p99 their maximum. The load is `wrk --latency` cycling through the 38 pages
`COUNT=1000&STARTINDEX=0,1000,…` of the layer, GML 3.2 in EPSG:4490 / EPSG:4326 with
lat/lon axis order (the same numbers: CGCS2000 and WGS84 are stored alike). Each server is
first checked to answer 1,000 `wfs:member` elements.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.common import PG_BASE, fresh_database, machine_line, print_table
from bench.wms_bench import ensure_tools, lighttpd_conf

ROOT = Path(__file__).resolve().parent.parent
DB = "mapnode_bench_wfs"
GPKG = (ROOT.parent / "shared" / "data" / "osm_hangzhou_roads_water_landuse_2019"
        / "hangzhou_osm_roads_water_landuse.gpkg")
PAGE = 1000


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    prefix: str  # path before the query
    params: dict[str, str]  # what differs per server (type name, srsName)


@dataclass
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    kb: float


def load_data() -> tuple[str, int]:
    url = fresh_database(DB)
    store = f"{url}?schema=mapnode"
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "mapnode"), "import", "-q", "--store", store,
                    "--layer", "roads", "--source-layer", "roads", "--key", "osm_id", str(GPKG)],
                   check=True)
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL",
                    f"PG:host=127.0.0.1 user=postgres dbname={DB}", str(GPKG), "roads",
                    "-nln", "public.roads", "-lco", "GEOMETRY_NAME=geom", "-lco", "FID=gid",
                    "-t_srs", "EPSG:4326"], check=True, stderr=subprocess.DEVNULL)
    import psycopg

    with psycopg.connect(f"{PG_BASE}/{DB}") as conn:
        count = int(conn.execute("SELECT count(*) FROM public.roads").fetchone()[0])  # type: ignore[index]
    print(f"数据 / data loaded in {time.perf_counter() - t0:.1f} s ({count} roads)", flush=True)
    return store, count


def mapfile(tmp: Path) -> Path:
    """A MapServer WFS of `public.roads` with every attribute."""
    text = f"""MAP
  NAME "wfsbench"
  EXTENT 119 29 122 32
  UNITS DD
  PROJECTION "init=epsg:4326" END
  WEB
    METADATA
      "wfs_title" "bench"
      "wfs_onlineresource" "http://127.0.0.1/mapserv?"
      "wfs_srs" "EPSG:4326"
      "wfs_enable_request" "*"
      "wfs_maxfeatures" "10000"
    END
  END
  LAYER
    NAME "roads"
    TYPE LINE
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION "host=127.0.0.1 user=postgres dbname={DB}"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    DATA "geom FROM public.roads USING UNIQUE gid USING SRID=4326"
    PROJECTION "init=epsg:4326" END
    METADATA
      "wfs_title" "roads"
      "wfs_enable_request" "*"
      "gml_include_items" "all"
      "gml_featureid" "gid"
      "gml_types" "auto"
    END
  END
END
"""
    path = tmp / "wfs.map"
    path.write_text(text)
    return path


def servers(store: str, tmp: Path, ports: list[int], workers: int) -> list[Server]:
    conf = lighttpd_conf(tmp, ports[1], workers, mapfile(tmp))
    return [
        Server("mapnode", [str(ROOT / ".venv" / "bin" / "uvicorn"), "--factory",
                           "mapnode.http.app:app_from_env", "--host", "127.0.0.1", "--port",
                           str(ports[0]), "--workers", str(workers), "--log-level", "warning",
                           "--no-access-log"],
               {"MAPNODE_STORE": store}, "/wfs?",
               {"TYPENAMES": "mapnode:roads", "SRSNAME": "urn:ogc:def:crs:EPSG::4490"}),
        Server("MapServer 8", ["/usr/sbin/lighttpd", "-D", "-f", str(conf)], {}, "/mapserv?",
               {"TYPENAMES": "roads", "SRSNAME": "urn:ogc:def:crs:EPSG::4326"}),
    ]


def paths(server: Server, total: int) -> list[str]:
    base = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "COUNT": str(PAGE),
            "OUTPUTFORMAT": "application/gml+xml; version=3.2", **server.params}
    return [server.prefix + urlencode({**base, "STARTINDEX": str(start)})
            for start in range(0, total - PAGE + 1, PAGE)]


def wait_ready(server: Server, proc: subprocess.Popen[bytes], log: Path, url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=30).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{server.name} did not start:\n{log.read_text()[-3000:]}")


def check_page(server: Server, url: str) -> float:
    r = httpx.get(url, timeout=60)
    members = r.content.count(b"<wfs:member>")
    if r.status_code != 200 or members != PAGE or b"<gml:posList" not in r.content:
        raise SystemExit(f"{server.name}: {r.status_code}, {members} members: {r.text[:1500]}")
    return len(r.content) / 1024


def run_wrk(port: int, request_paths: list[str], seconds: int, connections: int,
            tmp: Path) -> tuple[float, float, float, int]:
    script = tmp / "getfeature.lua"
    table = ",\n".join(f'"{p}"' for p in request_paths)
    script.write_text(f"""
local paths = {{
{table}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
""")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "--timeout", "60s", "-s", str(script), f"http://127.0.0.1:{port}"],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return rps, _latency(out, "50%"), _latency(out, "99%"), errors


def _latency(out: str, pct: str) -> float:
    m = re.search(rf"{re.escape(pct)}\s+([\d.]+)(us|ms|s)", out)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def measure(all_servers: list[tuple[Server, int]], total: int, seconds: int, rounds: int,
            connections: int, tmp: Path) -> list[Result]:
    """Start every server, then alternate short wrk runs between them (order rotating), so
    that load from other processes on the machine falls on all of them alike."""
    procs, runs = [], {s.name: [] for s, _ in all_servers}  # type: ignore[var-annotated]
    kb = {}
    try:
        for server, port in all_servers:
            log = tmp / f"{server.name.split()[0]}.log"
            with log.open("w") as out:
                proc = subprocess.Popen(server.cmd, env={**os.environ, **server.env},
                                        stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=tmp)
            procs.append(proc)
            first = f"http://127.0.0.1:{port}{paths(server, total)[1]}"
            wait_ready(server, proc, log, first)
            kb[server.name] = check_page(server, first)
            run_wrk(port, paths(server, total), 3, connections, tmp)  # warm-up
        for r in range(rounds):
            order = all_servers[r % len(all_servers):] + all_servers[:r % len(all_servers)]
            for server, port in order:
                runs[server.name].append(run_wrk(port, paths(server, total),
                                                 max(1, seconds // rounds), connections, tmp))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    return [Result(name, statistics.mean(r[0] for r in rs), statistics.median(r[1] for r in rs),
                   max(r[2] for r in rs), sum(r[3] for r in rs), kb[name])
            for name, rs in runs.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4, help="alternating runs per server")
    args = parser.parse_args()
    ensure_tools()
    store, total = load_data()
    from tests.support.server import free_port

    with tempfile.TemporaryDirectory(prefix="wfs-bench-") as tmp_name:
        tmp = Path(tmp_name)
        ports = [free_port(), free_port()]
        pairs = list(zip(servers(store, tmp, ports, args.workers), ports, strict=True))
        results = measure(pairs, total, args.seconds, args.rounds, args.connections, tmp)
    print(f"\n{machine_line()}")
    print(f"WFS 2.0.0 GetFeature, GML 3.2, COUNT={PAGE} (the {total // PAGE} full pages of "
          f"{total} roads), wrk -c{args.connections}, {args.rounds} alternating runs of "
          f"{max(1, args.seconds // args.rounds)} s per server, {args.workers} worker "
          f"processes each, same PostGIS server ({PG_BASE})\n")
    ours = results[0].requests_per_s
    print_table(["server", "pages/s", "features/s", "p50 ms", "p99 ms", "errors", "page KB",
                 "mapnode ×"],
                [[r.name, f"{r.requests_per_s:.1f}", f"{r.requests_per_s * PAGE:,.0f}",
                  f"{r.p50_ms:.0f}", f"{r.p99_ms:.0f}", str(r.errors), f"{r.kb:.0f}",
                  f"{ours / r.requests_per_s:.2f}" if r.requests_per_s else "n/a"]
                 for r in results])


if __name__ == "__main__":
    main()
