"""`mapnode serve` as a real process for the client tests, with API keys from the environment
and its access log in a file (a pipe would fill up and block the server under fuzzing)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.http.test_serve import _free_port
from tests.ogcapi.conftest import KEYS


class OgcServer:
    def __init__(self, store_url: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "MAPNODE_API_KEYS": json.dumps(KEYS),
               "MAPNODE_OGCAPI_MAX_LIMIT": "5000"}
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mapnode.cli", "serve", "--store", store_url, "--host",
             "127.0.0.1", "--port", str(self.port)], stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError("mapnode serve did not answer within 60 s")

    @property
    def ogc(self) -> str:
        return self.url + "/ogcapi"

    def statuses(self) -> list[int]:
        """Status of every request the server logged so far."""
        return [int(m) for m in re.findall(r'HTTP/1\.1" (\d{3})', self.log.read_text())]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
