"""WMS GetMap 1024×768 of the base map: mapnode next to MapServer 8 on the same PostGIS data,
in one run.

    .venv/bin/python -m bench.wms_bench [--seconds 60] [--rounds 4] [--connections 4]
                                        [--workers 2] [--no-load]

Set-up (done by the script): Debian `cgi-mapserver`, `lighttpd` (MapServer's FastCGI host)
and `wrk` through scripts/ensure-apt; database `mapnode_bench_wms` recreated per run with the
Hangzhou base map of `osm_hangzhou_roads_water_landuse.gpkg` (38,8xx roads, 2,7xx water and
8,7xx landuse polygons) loaded twice: into a mapnode store (schema `mapnode`) with
`mapnode import`, and into plain tables `public.roads|water|landuse` (GiST indexed) with
`ogr2ogr` for MapServer. The mapfile is written at run time from mapnode's palette: landuse
by class, water, roads by class with casings, road and water names in Noto Sans CJK, so both
draw the same features in the same colours (MapServer without mapnode's per-zoom widths,
generalisation and label collision over a buffer).

Both servers get `--workers` processes (uvicorn workers; lighttpd `max-procs` of `mapserv`
FastCGI processes) and run at the same time; `wrk` rounds alternate between them so that the
shared machine's changing load falls on both. The load is `wrk --latency` cycling through
the same 96 GetMap requests
(EPSG:3857, 1024×768 PNG, random centres over the city at 4.8, 9.6 and 19 m/px). Every server
is first checked to answer a 1024×768 PNG that is not blank; one image of each is kept under
bench/.cache/wms/ to compare by eye.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from PIL import Image
from pyproj import Transformer

from bench.common import PG_BASE, fresh_database, machine_line, print_table
from mapnode.styles import palette

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "wms"
DB = "mapnode_bench_wms"
GPKG = (ROOT.parent / "shared" / "data" / "osm_hangzhou_roads_water_landuse_2019"
        / "hangzhou_osm_roads_water_landuse.gpkg")
LAYERS = {"landuse": "landuse_a", "water": "water_a", "roads": "roads"}
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
WIDTH, HEIGHT = 1024, 768
REQUESTS = 96


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    prefix: str  # path and fixed query before the GetMap parameters
    layers: str
    port: int


@dataclass
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    kb: float


def ensure_tools() -> None:
    missing = [p for p, exe in (("cgi-mapserver", "mapserv"), ("lighttpd", "lighttpd"),
                                ("wrk", "wrk")) if shutil.which(exe) is None
               and not Path(f"/usr/sbin/{exe}").exists()]
    if missing:
        subprocess.run([str(ROOT / "scripts" / "ensure-apt"), *missing], check=True)


def load_data() -> str:
    url = fresh_database(DB)
    store = f"{url}?schema=mapnode"
    t0 = time.perf_counter()
    for layer, source in LAYERS.items():
        subprocess.run([str(ROOT / ".venv" / "bin" / "mapnode"), "import", "-q", "--store",
                        store, "--layer", layer, "--source-layer", source, str(GPKG)],
                       check=True)
        subprocess.run(["ogr2ogr", "-f", "PostgreSQL",
                        f"PG:host=127.0.0.1 user=postgres dbname={DB}", str(GPKG), source,
                        "-nln", f"public.{layer}", "-lco", "GEOMETRY_NAME=geom", "-lco",
                        "FID=gid", "-t_srs", "EPSG:4326"], check=True,
                       stderr=subprocess.DEVNULL)
    print(f"数据 / data loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    return store


def _rgb(hex_colour: str) -> str:
    return " ".join(str(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))


def _layer(name: str, kind: str, classes: str, *, classitem: str = "fclass",
           labelitem: str | None = None) -> str:
    conn = f"host=127.0.0.1 user=postgres dbname={DB}"
    return f"""
  LAYER
    NAME "{name}"
    GROUP "basemap"
    TYPE {kind}
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION "{conn}"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    DATA "geom FROM public.{name} USING UNIQUE gid USING SRID=4326"
    PROJECTION "init=epsg:4326" END
    CLASSITEM "{classitem}"
    {f'LABELITEM "{labelitem}"' if labelitem else ''}
{classes}
  END"""


def _label(size: float, colour: str, follow: bool) -> str:
    return f"""      LABEL
        TYPE TRUETYPE FONT "noto" SIZE {size} COLOR {_rgb(colour)}
        OUTLINECOLOR 255 255 255 OUTLINEWIDTH 2
        {"ANGLE FOLLOW" if follow else "POSITION CC"} PARTIALS FALSE MINDISTANCE 200
      END"""


def mapfile(tmp: Path) -> Path:
    """The MapServer equivalent of the base map (colours from mapnode's palette)."""
    (tmp / "fonts.txt").write_text(f"noto {FONT}\n")
    landuse = "\n".join(
        f'    CLASS EXPRESSION {{{",".join(values)}}} STYLE COLOR {_rgb(colour)} END END'
        for values, colour in palette.LANDUSE_COLOURS)
    landuse += f"\n    CLASS STYLE COLOR {_rgb(palette.LANDUSE_DEFAULT)} END END"
    water = (f"    CLASS STYLE COLOR {_rgb(palette.WATER)} END\n"
             f"{_label(9, palette.WATER_TEXT, False)}\n    END")
    widths = {"path": 1.0, "minor": 2.5, "tertiary": 4.0, "secondary": 5.0, "primary": 6.0,
              "motorway": 7.0}
    casings, fills = [], []
    for gid, values, _, fill, casing, _ in palette.ROAD_GROUPS:
        expr = "{" + ",".join(values) + "}"
        w = widths[gid]
        label = _label(8, palette.TEXT, True) if gid != "path" else ""
        fills.append(f"    CLASS EXPRESSION {expr}\n      STYLE COLOR {_rgb(casing)} "
                     f"WIDTH {w + 1.6} LINECAP ROUND LINEJOIN ROUND END\n"
                     f"      STYLE COLOR {_rgb(fill if gid != 'path' else '#c7bfb0')} "
                     f"WIDTH {w} LINECAP ROUND LINEJOIN ROUND END\n{label}\n    END")
    roads = "\n".join(casings + fills)
    text = f"""MAP
  NAME "basemap"
  SIZE {WIDTH} {HEIGHT}
  MAXSIZE 4096
  EXTENT 119 29 121 31
  UNITS DD
  IMAGECOLOR {_rgb(palette.LAND)}
  FONTSET "{tmp / 'fonts.txt'}"
  PROJECTION "init=epsg:4326" END
  OUTPUTFORMAT NAME "png" DRIVER AGG/PNG MIMETYPE "image/png" IMAGEMODE RGB EXTENSION "png"
    FORMATOPTION "GAMMA=0.75" END
  WEB
    METADATA
      "wms_title" "bench"
      "wms_onlineresource" "http://127.0.0.1/mapserv?"
      "wms_srs" "EPSG:3857 EPSG:4326 EPSG:4490"
      "wms_enable_request" "*"
    END
  END
{_layer("landuse", "POLYGON", landuse)}
{_layer("water", "POLYGON", water, labelitem="name")}
{_layer("roads", "LINE", roads, labelitem="name")}
END
"""
    path = tmp / "bench.map"
    path.write_text(text)
    return path


def lighttpd_conf(tmp: Path, port: int, workers: int, mapfile_path: Path) -> Path:
    config = tmp / "mapserver.conf"
    config.write_text(f'CONFIG\n  ENV\n    MS_MAPFILE "{mapfile_path}"\n  END\nEND\n')
    conf = tmp / "lighttpd.conf"
    conf.write_text(f"""
server.modules = ("mod_fastcgi")
server.document-root = "{tmp}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{tmp / 'lighttpd.err'}"
server.max-connections = 256
fastcgi.server = ( "/mapserv" => ((
    "bin-path" => "/usr/bin/mapserv",
    "socket" => "{tmp / 'mapserv.sock'}",
    "max-procs" => {workers},
    "check-local" => "disable",
    "bin-environment" => ( "MAPSERVER_CONFIG_FILE" => "{config}" )
)))
""")
    return conf


def requests_paths(rng: random.Random) -> list[dict[str, str]]:
    """The GetMap parameters (minus LAYERS) of REQUESTS maps over the city, in EPSG:3857."""
    merc = Transformer.from_crs(4326, 3857, always_xy=True)
    out = []
    for i in range(REQUESTS):
        res = (4.777, 9.555, 19.109)[i % 3]
        cx, cy = merc.transform(rng.uniform(120.08, 120.25), rng.uniform(30.18, 30.33))
        w, h = WIDTH * res / 2, HEIGHT * res / 2
        out.append({"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "STYLES": "",
                    "CRS": "EPSG:3857", "BBOX": f"{cx - w:.2f},{cy - h:.2f},{cx + w:.2f},"
                                                f"{cy + h:.2f}",
                    "WIDTH": str(WIDTH), "HEIGHT": str(HEIGHT), "FORMAT": "image/png"})
    return out


def servers(store: str, tmp: Path, ports: tuple[int, int], workers: int) -> list[Server]:
    conf = lighttpd_conf(tmp, ports[1], workers, mapfile(tmp))
    return [
        Server("mapnode", [str(ROOT / ".venv" / "bin" / "uvicorn"), "--factory",
                           "mapnode.http.app:app_from_env", "--host", "127.0.0.1", "--port",
                           str(ports[0]), "--workers", str(workers), "--log-level", "warning",
                           "--no-access-log"],
               {"MAPNODE_STORE": store}, "/wms?", "basemap", ports[0]),
        Server("MapServer 8", ["/usr/sbin/lighttpd", "-D", "-f", str(conf)], {},
               "/mapserv?", "basemap", ports[1]),
    ]


def url_of(server: Server, params: dict[str, str]) -> str:
    return f"http://127.0.0.1:{server.port}{server.prefix}" + urlencode(
        {**params, "LAYERS": server.layers})


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


def check_image(server: Server, url: str) -> float:
    r = httpx.get(url, timeout=60)
    if r.status_code != 200 or r.headers.get("content-type") != "image/png":
        raise SystemExit(f"{server.name}: {r.status_code} {r.headers.get('content-type')} "
                         f"{r.text[:800]}")
    image = Image.open(io.BytesIO(r.content))
    colours = image.convert("RGB").getcolors(1 << 20) or []
    if image.size != (WIDTH, HEIGHT) or len(colours) < 8:
        raise SystemExit(f"{server.name}: {image.size}, {len(colours)} colours: blank map")
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"{server.name.split()[0].lower()}.png").write_bytes(r.content)
    return len(r.content) / 1024


def run_wrk(server: Server, params: list[dict[str, str]], seconds: int,
            connections: int, tmp: Path) -> tuple[float, float, float, int]:
    port = server.port
    paths = [url_of(server, p).split(str(port), 1)[1] for p in params]
    script = tmp / "getmap.lua"
    table = ",\n".join(f'"{p}"' for p in paths)
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


def start(server: Server, params: list[dict[str, str]], tmp: Path,
          ) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server, check its first map; returns the process and the PNG size in KB."""
    log = tmp / f"{server.name.split()[0]}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(server.cmd, env={**os.environ, **server.env}, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp)
    first = url_of(server, params[1])
    wait_ready(server, proc, log, first)
    return proc, check_image(server, first)


def measure(all_servers: list[Server], params: list[dict[str, str]], seconds: int,
            rounds: int, connections: int, tmp: Path) -> list[Result]:
    """Both servers run at once; wrk rounds alternate between them, so a change in the
    machine's load (it is shared) falls on both alike. maps/s = all requests / all time;
    p50 and p99 are the medians of the rounds'."""
    procs = []
    try:
        sizes = []
        for server in all_servers:
            proc, kb = start(server, params, tmp)
            procs.append(proc)
            sizes.append(kb)
            run_wrk(server, params, 3, connections, tmp)  # warm-up
        rounds_of: dict[str, list[tuple[float, float, float, int]]] = {
            s.name: [] for s in all_servers}
        for _ in range(rounds):
            for server in all_servers:
                rounds_of[server.name].append(
                    run_wrk(server, params, max(1, seconds // rounds), connections, tmp))
        results = []
        for server, kb in zip(all_servers, sizes, strict=True):
            rs = rounds_of[server.name]
            results.append(Result(server.name, sum(r[0] for r in rs) / len(rs),
                                  sorted(r[1] for r in rs)[len(rs) // 2],
                                  sorted(r[2] for r in rs)[len(rs) // 2],
                                  sum(r[3] for r in rs), kb))
            print(f"{server.name}: maps/s per round " + ", ".join(f"{r[0]:.2f}" for r in rs),
                  flush=True)
        return results
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="per server, all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-load", action="store_true",
                        help="reuse the data of the previous run")
    args = parser.parse_args()
    ensure_tools()
    store = f"{PG_BASE}/{DB}?schema=mapnode" if args.no_load else load_data()
    from tests.support.server import free_port

    params = requests_paths(random.Random(20261121))
    with tempfile.TemporaryDirectory(prefix="wms-bench-") as tmp_name:
        tmp = Path(tmp_name)
        ports = (free_port(), free_port())
        results = measure(servers(store, tmp, ports, args.workers), params, args.seconds,
                          args.rounds, args.connections, tmp)
    print(f"\n{machine_line()}")
    print(f"WMS GetMap {WIDTH}×{HEIGHT} PNG of the base map, EPSG:3857, {REQUESTS} maps at "
          f"4.8/9.6/19 m/px, wrk -c{args.connections}, {args.rounds} alternating rounds, "
          f"{args.seconds} s per server, {args.workers} worker processes each, same PostGIS "
          f"server ({PG_BASE})\n")
    ours = results[0].requests_per_s
    print_table(["server", "maps/s", "p50 ms", "p99 ms", "errors", "PNG KB", "mapnode ×"],
                [[r.name, f"{r.requests_per_s:.2f}", f"{r.p50_ms:.0f}", f"{r.p99_ms:.0f}",
                  str(r.errors), f"{r.kb:.0f}",
                  f"{ours / r.requests_per_s:.2f}" if r.requests_per_s else "n/a"]
                 for r in results])


if __name__ == "__main__":
    main()
