"""`mapnode glyphs` as a real process: makes the ranges ahead into the store's data_dir,
skips what is there, and the server answers the very same bytes."""

from __future__ import annotations

import gzip
import subprocess
import sys

from starlette.testclient import TestClient

from mapnode.assets import sdf
from mapnode.assets.fonts import BOLD
from mapnode.store import VersionedStore


def _glyphs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mapnode.cli", "glyphs", "--quiet", *args],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_glyphs_are_made_ahead_and_served(store: VersionedStore, client: TestClient) -> None:
    done = _glyphs("--store", store.url, "--font", BOLD, "--start", "0", "--start", "26368")
    assert done.returncode == 0, done.stderr
    folder = store.data_dir / "fonts" / f"v{sdf.VERSION}" / "noto-sans-cjk-sc-bold"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["0-255.pbf.gz", "26368-26623.pbf.gz"]
    made = (folder / "26368-26623.pbf.gz").stat().st_mtime_ns
    again = _glyphs("--store", store.url, "--font", BOLD, "--start", "26368")
    assert again.returncode == 0 and (folder / "26368-26623.pbf.gz").stat().st_mtime_ns == made
    r = client.get(f"/fonts/{BOLD}/26368-26623.pbf", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == gzip.decompress((folder / "26368-26623.pbf.gz").read_bytes())


def test_a_bad_start_is_refused(store: VersionedStore) -> None:
    done = _glyphs("--store", store.url, "--start", "100")
    assert done.returncode == 2 and "字形范围" in done.stderr and "Traceback" not in done.stderr
