"""Place-name search over HTTP with 32 concurrent connections: wrk (C) against uvicorn,
server configurations side by side in one run.

    python bench/places_http_bench.py [--store /tmp/places-eval.mapnode] [--duration 10]
        [--connections 32] [--threads 2]

The store is the one bench/places_search_eval.py builds. Queries are the same seeded sample
of real names, 2- and 3-character prefixes and initials as that script's latency run, sent
round-robin to /api/search and to the 天地图-compatible /v2/search. Each configuration is a
fresh single-worker uvicorn process (the server `mapnode serve` starts), warmed up first:
- h11 + asyncio: pure-Python HTTP parsing (what uvicorn used before httptools was a
  dependency);
- httptools + uvloop: what `mapnode serve` uses now;
- the same without the access log (uvicorn --no-access-log), with 1 and 2 worker processes;
- the same, 1 worker, with place-name answers kept in memory while the data is unchanged
  (http.fast_answers, on by default: wrk repeats its list, so after the first pass every
  request is answered from memory). The other configurations turn it off
  (`MAPNODE_ANSWER_MEMORY_MB=0`): every request is searched again.
A last line runs 1 connection against the 1-worker configuration without the answer cache:
the service time without queueing. With N connections in a closed loop, latency ≈
N / throughput (Little's law).
wrk runs on the same machine (2 cores shared with the server), so the figures include its cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
NO_ANSWERS = {"MAPNODE_ANSWER_MEMORY_MB": "0"}
CONFIGS: dict[str, tuple[list[str], dict[str, str]]] = {
    "h11 + asyncio": (["--http", "h11", "--loop", "asyncio"], NO_ANSWERS),
    "httptools + uvloop": (["--http", "httptools", "--loop", "uvloop"], NO_ANSWERS),
    "httptools + uvloop, no access log": (["--http", "httptools", "--loop", "uvloop",
                                           "--no-access-log"], NO_ANSWERS),
    "httptools + uvloop, no access log, 2 workers": (["--http", "httptools", "--loop", "uvloop",
                                                      "--no-access-log", "--workers", "2"],
                                                     NO_ANSWERS),
    "httptools + uvloop, no access log, answers kept in memory": (
        ["--http", "httptools", "--loop", "uvloop", "--no-access-log"], {}),
}


def paths(store_path: str, kind: str) -> list[str]:
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    from bench.places_search_eval import queries
    from mapnode.store import open_store

    qs = queries(open_store(store_path), random.Random(2027))
    if kind == "api":
        return [f"/api/search?q={quote(q)}" for q in qs]
    return ["/v2/search?type=query&postStr=" + quote(json.dumps(
        {"keyWord": q, "queryType": 1, "start": 0, "count": 10}, ensure_ascii=False))
        for q in qs if "'" not in q and "&" not in q]


def lua(urls: list[str]) -> str:
    body = ",\n".join(json.dumps(u) for u in urls)
    return ("local paths = {\n" + body + "\n}\nlocal i = math.random(#paths)\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format(\"GET\", paths[i])\nend\n")


def serve(store: str, args: list[str], env_extra: dict[str, str],
          port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAPNODE_STORE": store, **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "mapnode.http.app:app_from_env",
                             "--factory", "--host", "127.0.0.1", "--port", str(port), *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    for _ in range(8):  # each worker builds its service on first use
        httpx.get(f"{base}/api/search", params={"q": "杭州"}, timeout=300)
    return proc


def wrk_stats(url: str, script: Path, duration: int, connections: int,
              threads: int) -> dict[str, float]:
    """Run wrk with a Lua script: p50/p90/p99 in ms, req/s and non-2xx/socket errors."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                          "--latency", "--timeout", "30s", "-s", str(script), url],
                         capture_output=True, text=True, timeout=duration + 60).stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    stats = {f"p{p}": float(v) * unit[u]
             for p, v, u in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    stats["rps"] = float(rate.group(1)) if rate else float("nan")
    stats["errors"] = float(sum(int(n) for n in re.findall(
        r"(?:Non-2xx or 3xx responses:|connect|read|write|timeout) (\d+)", out)))
    return stats


def wrk(url: str, script: Path, duration: int, connections: int, threads: int) -> str:
    s = wrk_stats(url, script, duration, connections, threads)
    return (f"p50 {s.get('p50', float('nan')):7.2f}ms  p90 {s.get('p90', float('nan')):7.2f}ms  "
            f"p99 {s.get('p99', float('nan')):7.2f}ms  {s['rps']:8.0f} req/s"
            + (f"  ({s['errors']:.0f} errors)" if s["errors"] else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="/tmp/places-eval.mapnode")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=18766)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    if not Path(args.store).exists():
        sys.exit(f"no store at {args.store}: run bench/places_search_eval.py first")
    work = Path(tempfile.mkdtemp(prefix="places-http-"))
    scripts = {}
    for kind in ("api", "v2"):
        scripts[kind] = work / f"{kind}.lua"
        scripts[kind].write_text(lua(paths(args.store, kind)))
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, one uvicorn worker, "
          f"{os.cpu_count()} cores shared by server and wrk")
    runs = [(name, extra, args.connections) for name, extra in CONFIGS.items()]
    single = "httptools + uvloop, no access log"
    runs.append((f"{single}, 1 connection", CONFIGS[single], 1))
    for name, (extra, env), connections in runs:
        proc = serve(args.store, extra, env, args.port)
        try:
            print(f"\n{name}")
            for kind, label in (("api", "/api/search"), ("v2", "/v2/search ")):
                print(f"  {label}  " + wrk(f"http://127.0.0.1:{args.port}", scripts[kind],
                                           args.duration, connections,
                                           min(args.threads, connections)))
        finally:
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    main()
