"""`mapnode serve` as a real process on a free port, for tests that use real HTTP clients.

The server's output goes to a file, not a pipe: a pipe nobody reads fills up and blocks the
server under load (fuzzing).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """A running `mapnode serve --store STORE`; `url` is its base address."""

    def __init__(self, store: str, env: dict[str, str] | None = None,
                 log: Path | None = None, args: tuple[str, ...] = ("--access-log",)) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(tempfile.mkstemp(prefix="mapnode-serve-", suffix=".log")[1])
        self._out = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mapnode.cli", "serve", "--store", store, "--host",
             "127.0.0.1", "--port", str(self.port), *args],
            stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mapnode serve exited with {self.proc.returncode}:\n"
                                     f"{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError("mapnode serve did not answer /health within 60 s")

    def statuses(self) -> list[int]:
        """Status of every request the server logged so far."""
        return [int(m) for m in re.findall(r'HTTP/1\.1" (\d{3})', self.log.read_text())]

    def stop(self) -> str:
        """Stop the server; returns everything it printed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.log.read_text()
