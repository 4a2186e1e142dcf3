"""Browser tests: a real page in Debian's chromium, driven by npm playwright-core.

A test starts mapnode on demo data (`demo_server`, one per backend and session), runs a Node
script from `tests/browser/` that drives the page with `tests/browser/harness.mjs` and prints
one JSON object of facts (console errors, page errors, failed requests, responses with their
timing and size, evaluated values, timing, screenshots), then asserts on those facts in
Python. Screenshots go to `artifacts/browser/` (git-ignored). A missing chromium, node or
`web/node_modules` fails the test with a message saying what to install; nothing is skipped.

    from tests.support.browser import demo_server, run_page  # demo_server is a fixture

    def test_landing(demo_server):
        facts = run_page("landing.mjs", demo_server.url, viewport=(390, 844),
                         args={"path": "/"}, ignore=[r"favicon\\.ico$"])
        facts.assert_clean()                      # no console/page errors, no failed requests
        assert facts.values["title"].startswith("地理信息")
        assert facts.responses_to(r"/fonts/.*\\.pbf") == {200}
        assert facts.screenshots                  # artifacts/browser/landing.png

    // tests/browser/landing.mjs
    import { run } from './harness.mjs';
    await run(async ({ page, base, args, values, screenshot }) => {
      await page.goto(base + args.path);
      values.title = await page.title();
      await screenshot('landing');
    });
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mapnode.manifest import load_manifest, read_manifest
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.support.backends import BACKENDS, backend_store
from tests.support.data import REPO
from tests.support.server import ServeProcess

WEB = REPO / "web"
SCRIPTS = REPO / "tests" / "browser"
ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM = Path(os.environ.get("MAPNODE_CHROMIUM", "/usr/bin/chromium"))
MANIFEST = REPO / "demo" / "manifest.json"
# the map layers of the demo (about 5 s to load on either backend)
DEMO_LAYERS = ("roads", "water", "landuse", "poi", "stations")
# glyph PBFs shared by every demo server and kept between sessions: the first map with Chinese
# labels makes ~90 ranges (about 20 s of CPU); tests/assets covers making them
GLYPH_CACHE = REPO / "artifacts" / "glyph-cache"


def require_browser() -> str:
    """The node executable; fails (never skips) when chromium, node or the npm packages are
    missing."""
    node = shutil.which("node")
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (Debian: apt-get install chromium; scripts/test installs it)")
    if node is None:
        missing.append("node (Debian: apt-get install nodejs)")
    for package in ("playwright-core", "maplibre-gl"):
        if not (WEB / "node_modules" / package / "package.json").is_file():
            missing.append(f"web/node_modules/{package} (run: npm ci --prefix web)")
    if missing:
        pytest.fail("浏览器测试缺少 / browser tests need: " + "; ".join(missing), pytrace=False)
    assert node is not None
    return node


@dataclass
class PageFacts:
    """What a page script reported (see harness.mjs)."""

    console_errors: list[dict[str, str]]
    page_errors: list[str]
    failed_requests: list[dict[str, str]]
    bad_responses: list[dict[str, Any]]
    responses: list[dict[str, Any]]
    values: dict[str, Any]
    screenshots: list[str]
    timing: dict[str, int]
    error: str | None
    stderr: str = field(default="", repr=False)

    def problems(self) -> list[str]:
        """Everything that went wrong on the page, one line each."""
        out = [f"script error: {self.error}"] if self.error else []
        out += [f"console error: {e['text']} ({e.get('url', '')})" for e in self.console_errors]
        out += [f"page error: {e}" for e in self.page_errors]
        out += [f"request failed: {r['url']} {r['error']}" for r in self.failed_requests]
        out += [f"HTTP {r['status']}: {r['url']}" for r in self.bad_responses]
        return out

    def assert_clean(self) -> None:
        """No script error, console error, page error, failed request or 4xx/5xx response."""
        problems = self.problems()
        assert not problems, "\n".join(problems[:40])

    def page_weight(self, pattern: str = "", since_ms: float = 0,
                    until_ms: float = float("inf")) -> int:
        """Bytes on the wire (headers and bodies) of the responses whose URL matches and whose
        request started in [since_ms, until_ms) (ms from the script's start, `since()`)."""
        return sum(max(r.get("bytes") or 0, 0) for r in self.requests(pattern, since_ms, until_ms))

    def requests(self, pattern: str = "", since_ms: float = 0,
                 until_ms: float = float("inf")) -> list[dict[str, Any]]:
        """The finished responses whose URL matches and whose request started in the window."""
        def started(r: dict[str, Any]) -> float:  # -1: never finished, so no start known
            start = r.get("start_ms")
            return -1.0 if start is None else float(start)

        return [r for r in self.responses
                if re.search(pattern, r["url"]) and since_ms <= started(r) < until_ms]

    def responses_to(self, pattern: str) -> set[int]:
        """The statuses of the responses whose URL matches `pattern` (re.search)."""
        return {r["status"] for r in self.responses if re.search(pattern, r["url"])}


def run_page(script: str | Path, base_url: str, *, viewport: tuple[int, int] = (1024, 768),
             scale: float = 1, args: dict[str, Any] | None = None, out_dir: Path = ARTIFACTS,
             ignore: list[str] | None = None, timeout: float = 180) -> PageFacts:
    """Run a page script (a path, or a name in tests/browser/) and return its facts.

    `args` reach the script as `args`; `ignore` holds URL regexes whose failures are not
    counted. A script that crashes or prints no facts fails the test with its output."""
    node = require_browser()
    path = Path(script) if Path(script).is_absolute() else SCRIPTS / script
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MAPNODE_BASE_URL": base_url, "MAPNODE_VIEWPORT": f"{viewport[0]}x{viewport[1]}",
           "MAPNODE_SCALE": str(scale), "MAPNODE_OUT_DIR": str(out_dir),
           "MAPNODE_ARGS": json.dumps(args or {}), "MAPNODE_CHROMIUM": str(CHROMIUM),
           "MAPNODE_WEB_DIR": str(WEB), "MAPNODE_IGNORE": json.dumps(ignore or [])}
    try:
        done = subprocess.run([node, str(path)], capture_output=True, text=True, env=env,
                              timeout=timeout, stdin=subprocess.DEVNULL, cwd=SCRIPTS)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{path.name} ran over {timeout} s:\n{exc.stdout}\n{exc.stderr}", pytrace=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        pytest.fail(f"{path.name} exited {done.returncode} without facts:\n{done.stdout[-4000:]}\n"
                    f"{done.stderr[-4000:]}", pytrace=False)
    facts = json.loads(lines[-1])
    return PageFacts(**facts, stderr=done.stderr)


@dataclass
class DemoServer:
    """A running `mapnode serve` (`url`, `process`) over a demo store on one backend; the store
    stays open for tests that edit it or read it directly."""

    process: ServeProcess
    backend: str
    store: VersionedStore

    @property
    def url(self) -> str:
        return self.process.url


@contextmanager
def serve_demo(kind: str, directory: Path, layers: tuple[str, ...] = DEMO_LAYERS,
               env: dict[str, str] | None = None) -> Iterator[DemoServer]:
    """`mapnode serve` over a new store (`kind`: sqlite or postgis) holding demo layers."""
    with backend_store(kind, directory) as store:
        load_manifest(store, Actor.system(), read_manifest(MANIFEST), only=list(layers))
        env = {"MAPNODE_GLYPH_CACHE_DIR": str(GLYPH_CACHE), **(env or {})}
        server = ServeProcess(store.url, env=env, log=directory / "serve.log")
        try:
            yield DemoServer(server, kind, store)
        finally:
            server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def demo_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """mapnode serving the demo's map layers, once per backend and session. Import it into a
    conftest.py (`from tests.support.browser import demo_server  # noqa: F401`)."""
    with serve_demo(request.param, tmp_path_factory.mktemp(f"demo-{request.param}")) as server:
        yield server
