"""`mapnode seed` (progress, resume after Ctrl-C, a second run skips what is done) and
`mapnode export-tiles` (MBTiles read by GDAL's ogrinfo, PMTiles read by the pmtiles reader; a
tile out of either file equals the served tile), run as real commands on both backends."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import TileType
from starlette.testclient import TestClient

from mapnode.grids import grid
from mapnode.model import Actor
from mapnode.services.seed import SeedPlan
from mapnode.services.tile_cache import TileCache
from mapnode.services.tiles import TileService
from tests.tiles.conftest import City
from tests.wmts.conftest import LAKE

BOX = "120.10,30.20,120.20,30.30"


def mapnode(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([sys.executable, "-m", "mapnode.cli", *args], capture_output=True,
                       text=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def summary(stdout: str) -> dict[str, int]:
    found = {k: int(v) for k, v in re.findall(r"\b(tiles|empty|skipped|bytes|made) (\d+)\b",
                                               stdout.replace("/", " "))}
    done, total = re.search(r"done (\d+)/(\d+)", stdout).groups()  # type: ignore[union-attr]
    return {**found, "done": int(done), "total": int(total)}


def test_seed_fills_the_cache_and_a_second_run_skips(city: City, tmp_path: Path) -> None:
    progress = tmp_path / "seed.json"
    args = ["seed", "--store", city.store.url, "--tileset", "basemap", "--grid", "w", "--bbox",
            BOX, "--zoom", "10-13", "--progress", str(progress)]
    first = summary(mapnode(*args).stdout)
    plan = SeedPlan.make("basemap", "w", (120.10, 30.20, 120.20, 30.30), 10, 13)
    assert first["total"] == first["done"] == plan.count() > 10
    assert first["tiles"] + first["empty"] == plan.count() and first["skipped"] == 0
    assert first["tiles"] > 0 and first["bytes"] > 1000
    # the tiles are in the server's cache: a server over the store answers them as hits
    service = TileService(city.store, TileCache(city.store.data_dir / "tiles"))
    x, y = grid("w").tile_of(*LAKE, 13)
    assert service.tile(Actor.anonymous(), "basemap", "w", 13, x, y).cache == "hit"
    second = mapnode(*args)
    again = summary(second.stdout)
    assert again["skipped"] == plan.count() and again["tiles"] == 0 and again["done"] == plan.count()


def test_seed_resumes_after_ctrl_c(city: City, tmp_path: Path) -> None:
    progress = tmp_path / "seed.json"
    args = [sys.executable, "-m", "mapnode.cli", "seed", "--store", city.store.url, "--tileset",
            "roads", "--grid", "c", "--bbox", BOX, "--zoom", "12-16", "--progress", str(progress)]
    # a suite started in the background of a non-interactive shell (`cmd &`) runs with SIGINT
    # ignored, and a child inherits that: give it the default back, as a terminal's would be
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if progress.exists() and json.loads(progress.read_text())["done"] >= 20:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    stopped = summary(out)
    saved = json.loads(progress.read_text())
    assert 20 <= saved["done"] == stopped["done"] < saved["total"]
    rest = summary(mapnode(*args[3:]).stdout)
    assert rest["skipped"] == saved["done"]
    assert rest["done"] == rest["total"] == saved["total"]
    assert rest["tiles"] + rest["empty"] == saved["total"] - saved["done"]


def test_export_mbtiles_read_by_gdal(city: City, client: TestClient, tmp_path: Path) -> None:
    out = tmp_path / "hz.mbtiles"
    r = mapnode("export-tiles", "--store", city.store.url, "--tileset", "basemap", "--bbox", BOX,
                "--zoom", "12-14", "-o", str(out))
    assert re.search(r"tiles (\d+)", r.stdout.replace("/", " "))
    info = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert "MBTiles" in info.stdout or "MVT" in info.stdout
    for layer in ("roads", "water", "landuse", "pois"):
        assert f"Layer name: {layer}" in info.stdout
    assert "gov_roads" not in info.stdout  # exported as the public sees it
    db = sqlite3.connect(out)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    assert meta["format"] == "pbf" and meta["minzoom"] == "12" and meta["maxzoom"] == "14"
    assert [v["id"] for v in json.loads(meta["json"])["vector_layers"]] == [
        "landuse", "water", "roads", "pois"]
    x, y = grid("w").tile_of(*LAKE, 14)
    (blob,) = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = 14 AND tile_column = ? "
                         "AND tile_row = ?", (x, (1 << 14) - 1 - y)).fetchone()
    served = client.get(f"/tiles/basemap/w/14/{x}/{y}.mvt")
    assert gzip.decompress(blob) == served.content
    count = db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0]
    assert count == len(list(SeedPlan.make("basemap", "w", (120.10, 30.20, 120.20, 30.30),
                                           12, 14).tiles()))  # the box is all on land or lake


def test_export_pmtiles(city: City, client: TestClient, tmp_path: Path) -> None:
    out = tmp_path / "roads.pmtiles"
    mapnode("export-tiles", "--store", city.store.url, "--tileset", "roads", "--bbox", BOX,
            "--zoom", "11-14", "-o", str(out), "-q")
    with out.open("rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT
        assert (header["min_zoom"], header["max_zoom"]) == (11, 14)
        assert [v["id"] for v in reader.metadata()["vector_layers"]] == ["roads"]
        for z in (11, 14):
            x, y = grid("w").tile_of(*LAKE, z)
            data = reader.get(z, x, y)
            assert data is not None
            assert gzip.decompress(data) == client.get(f"/tiles/roads/w/{z}/{x}/{y}.mvt").content


def test_export_refuses_other_grids_and_suffixes(city: City, tmp_path: Path) -> None:
    r = mapnode("export-tiles", "--store", city.store.url, "--grid", "c", "--bbox", BOX, "--zoom",
                "12", "-o", str(tmp_path / "x.mbtiles"), check=False)
    assert r.returncode == 1 and "WebMercatorQuad" in r.stderr
    r = mapnode("export-tiles", "--store", city.store.url, "--bbox", BOX, "--zoom", "12",
                "-o", str(tmp_path / "x.zip"), check=False)
    assert r.returncode == 1 and ".mbtiles" in r.stderr
    r = mapnode("seed", "--store", city.store.url, "--tileset", "gov_roads", "--bbox", BOX,
                "--zoom", "12", check=False)
    assert r.returncode == 1 and "gov_roads" in r.stderr  # public by default: hidden
    r = mapnode("seed", "--store", city.store.url, "--bbox", "120,31,119,30", "--zoom", "12",
                check=False)
    assert r.returncode == 1 and "bbox" in r.stderr


def test_export_png_mbtiles_read_by_gdalinfo(city: City, client: TestClient,
                                             tmp_path: Path) -> None:
    out = tmp_path / "hz_png.mbtiles"
    mapnode("export-tiles", "--store", city.store.url, "--tileset", "basemap", "--format", "png",
            "--bbox", "120.12,30.22,120.16,30.26", "--zoom", "13-14", "-o", str(out), "-q")
    info = subprocess.run(["gdalinfo", str(out)], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert "Driver: MBTiles" in info.stdout and 'ID["EPSG",3857]' in info.stdout
    assert "ZOOM_LEVEL=14" in info.stdout
    db = sqlite3.connect(out)
    assert dict(db.execute("SELECT name, value FROM metadata"))["format"] == "png"
    x, y = grid("w").tile_of(*LAKE, 14)
    (blob,) = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = 14 AND tile_column = ? "
                         "AND tile_row = ?", (x, (1 << 14) - 1 - y)).fetchone()
    assert blob == client.get(f"/tiles/basemap/w/14/{x}/{y}.png").content


def test_seed_png_in_the_cgcs2000_grid(city: City, tiles: TileService, tmp_path: Path) -> None:
    """Raster seeding through the API: the seeded images are cache hits afterwards, and the
    same plan run again does nothing. A render stores its whole metatile, so a plan's later
    tiles can already be cached by an earlier one of the same run."""
    from mapnode.services.seed import seed

    plan = SeedPlan.make("basemap", "c", (120.12, 30.22, 120.16, 30.26), 13, 14, "png")
    progress = tmp_path / "png.json"
    first = seed(tiles, Actor.anonymous(), plan, progress)
    assert first.done == first.total == plan.count() and 0 < first.made <= first.tiles
    assert first.tiles + first.empty == plan.count()
    for z, x, y in plan.tiles(0):
        again_tile = tiles.tile(Actor.anonymous(), "basemap", "c", z, x, y, fmt="png")
        assert again_tile.cache in ("hit", "empty"), (z, x, y)
    x, y = grid("c").tile_of(*LAKE, 14)
    hit = tiles.tile(Actor.anonymous(), "basemap", "c", 14, x, y, fmt="png")
    assert hit.cache == "hit" and hit.data.startswith(b"\x89PNG")
    again = seed(tiles, Actor.anonymous(), plan, progress)
    assert again.skipped == plan.count() and again.tiles == 0
