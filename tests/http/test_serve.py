"""`mapnode serve` as a real process on a free port, against a store loaded from the demo
manifest, fetched with a real HTTP client; and `mapnode load` run twice as real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mapnode.manifest import load_manifest, read_manifest
from mapnode.model import Actor
from mapnode.store import VersionedStore, open_store
from tests.support.data import REPO
from tests.support.server import ServeProcess, free_port

MANIFEST = REPO / "demo" / "manifest.json"
OSM = "© OpenStreetMap contributors, ODbL 1.0"
# A quick subset of the demo: OSM polygons and points, GSHHG lines (about 1 s to load).
SUBSET = ["water", "stations", "coastline", "rivers"]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mapnode.cli", *args], capture_output=True,
                          text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A SQLite store with the demo subset loaded through the manifest: (path, seq)."""
    path = str(tmp_path_factory.mktemp("serve") / "demo.mapnode")
    store = open_store(path)
    load_manifest(store, Actor.system(), read_manifest(MANIFEST), only=SUBSET)
    seq = store.current_seq()
    store.close()
    yield path, seq


@pytest.fixture(scope="module")
def server(demo_store: tuple[str, int]) -> Iterator[ServeProcess]:
    srv = ServeProcess(demo_store[0])
    yield srv
    srv.stop()


def _entries() -> dict[str, dict[str, str]]:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {e["layer"]: e for e in data["entries"]}


def test_landing_page_lists_the_demo_layers_with_attribution(server: ServeProcess) -> None:
    r = httpx.get(server.url + "/", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    entries = _entries()
    for name in SUBSET:
        assert f"<code>{name}</code>" in page
        assert entries[name]["title_zh"] in page
    assert OSM in page
    assert "GSHHG" in page
    assert f"图层 / Layers ({len(SUBSET)})" in page


def test_health_reports_the_seq(server: ServeProcess, demo_store: tuple[str, int]) -> None:
    r = httpx.get(server.url + "/health", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["seq"] == demo_store[1] == len(SUBSET)  # one changeset per manifest entry


def test_layer_list_as_json(server: ServeProcess) -> None:
    r = httpx.get(server.url + "/api/layers", timeout=10)
    assert r.status_code == 200
    layers = {m["name"]: m for m in r.json()["layers"]}
    assert set(layers) == set(SUBSET)
    assert layers["water"]["geometry_type"] == "polygon"
    assert layers["stations"]["geometry_type"] == "point"
    assert layers["stations"]["licence"] == "ODbL-1.0"
    assert layers["coastline"]["attribution"].startswith("GSHHG")


@pytest.mark.parametrize("path", ["/no/such/page", "/api/nothing", "/favicon.ico"])
def test_unknown_paths_answer_404(server: ServeProcess, path: str) -> None:
    r = httpx.get(server.url + path, timeout=10)
    assert r.status_code == 404


def test_server_survives_bad_requests(server: ServeProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.post("/health").status_code == 405
        assert c.get("/%ff%fe").status_code == 404
        assert c.get("/health").status_code == 200


def test_serve_fails_cleanly_on_an_unusable_store(tmp_path: Path) -> None:
    proc = _cli("serve", "--store", str(tmp_path / "missing-dir" / "x.mapnode"),
                "--port", str(free_port()))
    assert proc.returncode != 0
    assert "错误 / error" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_load_twice_yields_no_changes(store: VersionedStore) -> None:
    """The whole demo manifest through the real CLI, on both backends."""
    url = store.url
    env = {**os.environ, "MAPNODE_STORE": url}
    first = _cli("load", "--quiet", str(MANIFEST), env=env)
    assert first.returncode == 0, first.stderr
    entries = _entries()
    seq = store.current_seq()
    assert seq == len(entries)  # one changeset per entry
    for name in entries:
        assert f"{name}: 序号/seq" in first.stdout
    roads = store.count(Actor.system(), "roads")
    assert roads == 38_800

    second = _cli("load", "--quiet", str(MANIFEST), env=env)
    assert second.returncode == 0, second.stderr
    assert "无变化 / no changes" in second.stdout.splitlines()[-1]
    for name in entries:
        assert f"{name}: 无变化 / no changes" in second.stdout
    assert store.current_seq() == seq
    assert store.count(Actor.system(), "roads") == roads


def test_the_access_log_can_be_turned_off(demo_store: tuple[str, int],
                                          server: ServeProcess) -> None:
    httpx.get(server.url + "/health", timeout=10)
    assert 200 in server.statuses()  # ServeProcess runs with --access-log
    quiet = ServeProcess(demo_store[0], args=("--no-access-log",))
    try:
        assert httpx.get(quiet.url + "/health", timeout=10).status_code == 200
        assert httpx.get(quiet.url + "/api/layers", timeout=10).status_code == 200
    finally:
        out = quiet.stop()
    assert "GET /api/layers" not in out and quiet.statuses() == []
