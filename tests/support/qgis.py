"""QGIS as a client: a PyQGIS script run headless by Debian's /usr/bin/python3.

PyQGIS imports only in Debian's own Python (the `python3-qgis` package), not in the project's
.venv, so a test runs `tests/qgis/qgis_client.py` as a subprocess with `QT_QPA_PLATFORM=
offscreen` and a fresh HOME and QGIS profile, passing what to check as JSON in
`MAPNODE_QGIS_ARGS`. The script prints one JSON object of facts (what QGIS saw, per check,
plus the messages QGIS logged); the test asserts on them. Rendered images go to
`artifacts/qgis/` (git-ignored). A missing QGIS fails the test with what to install; nothing is
skipped.

    facts = run_qgis({"checks": [{"kind": "wms", "name": "lake", ...}]}, tmp_path)
    assert facts["checks"]["lake"]["valid"]
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.data import REPO

PYTHON = Path(os.environ.get("MAPNODE_QGIS_PYTHON", "/usr/bin/python3"))
SCRIPT = REPO / "tests" / "qgis" / "qgis_client.py"
ARTIFACTS = REPO / "artifacts" / "qgis"
INSTALL = ("apt-get install --no-install-recommends qgis python3-qgis qgis-providers "
           "(scripts/test installs them)")


def require_qgis() -> None:
    """Fail (never skip) when Debian's Python cannot import PyQGIS."""
    if not PYTHON.is_file():
        pytest.fail(f"QGIS 测试需要 / QGIS tests need {PYTHON}: {INSTALL}", pytrace=False)
    probe = subprocess.run([str(PYTHON), "-c", "import qgis.core"], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL,
                           env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"})
    if probe.returncode != 0:
        pytest.fail(f"QGIS 测试需要 / QGIS tests need PyQGIS in {PYTHON}: {INSTALL}\n"
                    f"{probe.stderr[-2000:]}", pytrace=False)


def run_qgis(args: dict[str, Any], home: Path, timeout: float = 300) -> dict[str, Any]:
    """Run the PyQGIS client script with `args`; returns its facts. `home` becomes HOME and
    holds the QGIS profile, so no user settings (proxies, caches) leak in."""
    require_qgis()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "XDG_RUNTIME_DIR": str(runtime), "LANG": "C.UTF-8", "NO_PROXY": "127.0.0.1,localhost",
           "MAPNODE_QGIS_ARGS": json.dumps({"out_dir": str(ARTIFACTS), **args})}
    try:
        done = subprocess.run([str(PYTHON), str(SCRIPT)], capture_output=True, text=True,
                              env=env, timeout=timeout, stdin=subprocess.DEVNULL, cwd=home)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"qgis_client.py ran over {timeout} s:\n{exc.stdout}\n{exc.stderr}",
                    pytrace=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        pytest.fail(f"qgis_client.py exited {done.returncode} without facts:\n"
                    f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}", pytrace=False)
    facts: dict[str, Any] = json.loads(lines[-1])
    return facts
