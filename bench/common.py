"""Helpers shared by the benchmark scripts: measured subprocesses, PostgreSQL admin, tables."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"


@dataclass
class Measured:
    """One finished child process: wall seconds, peak RSS and CPU time of the child."""

    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(cmd: Sequence[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> Measured:
    """Run `cmd` under GNU time (`/usr/bin/time -v`) and report its wall time and peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-v", "-o", tf.name, *cmd]
        t0 = time.perf_counter()
        proc = subprocess.run(full, capture_output=True, text=True, env=env, cwd=cwd,
                              check=False)
        seconds = time.perf_counter() - t0
        report = Path(tf.name).read_text()
    rss = _field(report, r"Maximum resident set size \(kbytes\): (\d+)") / 1024
    cpu = (_field(report, r"User time \(seconds\): ([\d.]+)")
           + _field(report, r"System time \(seconds\): ([\d.]+)"))
    return Measured(seconds, rss, cpu, proc.returncode, proc.stdout, proc.stderr)


def _field(text: str, pattern: str) -> float:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else float("nan")


def pg_admin(*statements: str, dbname: str = "postgres") -> None:
    """Run statements in autocommit mode as the postgres superuser (trust auth)."""
    import psycopg

    with psycopg.connect(f"{PG_BASE}/{dbname}", autocommit=True) as conn:
        for s in statements:
            conn.execute(s)  # type: ignore[arg-type]


def fresh_database(name: str) -> str:
    """Drop and recreate database `name` with PostGIS; returns its URL."""
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    pg_admin("CREATE EXTENSION IF NOT EXISTS postgis", dbname=name)
    return f"{PG_BASE}/{name}"


def ensure_database(name: str) -> str:
    """Create database `name` with PostGIS if it does not exist; returns its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    pg_admin("CREATE EXTENSION IF NOT EXISTS postgis", dbname=name)
    return f"{PG_BASE}/{name}"


def drop_database(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_line() -> str:
    """Date, host and hardware, for the header of printed figures."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{datetime.now().isoformat(timespec='minutes')} · {platform.node()} · "
            f"{os.cpu_count()} cores ({cpu}) · {mem:.0f} GB RAM · Python "
            f"{platform.python_version()} · mapnode {_revision()}")


def _revision() -> str:
    """The commit being measured, marked when src/ has uncommitted edits."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=root,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + (" + uncommitted src/ edits" if dirty else "")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table, columns padded for the terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    right = [i > 0 and all(_numeric(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if r else c.ljust(w)
                                 for c, w, r in zip(cells, widths, right, strict=True)) + " |"

    print(line(headers))
    print("|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2))
                         for w, r in zip(widths, right, strict=True)) + "|")
    for r in rows:
        print(line(r))


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.]+\s*[×x%]?|–|-|n/a|pending", text.strip()))


def start_server(cmd: list[str], ready: str, log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None, timeout: float = 90.0) -> subprocess.Popen[bytes]:
    """Start a server process (output to `log`) and wait until `ready` answers 200; exit the
    benchmark with the log's tail if it dies or does not answer within `timeout` seconds."""
    import httpx

    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(ready, timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"{cmd} did not start:\n{log.read_text()[-3000:]}")
