"""Fixtures for the ingest tests: real-data inputs (generated once per session into a pytest
temp dir), the `mapnode import` command as a real process, and a store-state snapshot."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyogrio.raw
import pytest

from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.support.data import HANGZHOU_GPKG

ROADS_SLICE = 2000  # named and unnamed Hangzhou roads, first rows of the layer


@dataclass(frozen=True)
class StoreState:
    """Everything a failed import must leave as it was."""

    seq: int
    layers: tuple[tuple[str, str, int, str], ...]  # name, metadata json, count, content digest


def state(store: VersionedStore) -> StoreState:
    actor = Actor.system()
    out = []
    for meta in store.layers(actor):
        digest = hashlib.sha256()
        for f in store.features(actor, meta.name):
            digest.update(f"{f.fid}:{f.version}:{f.seq_from};".encode())
        out.append((meta.name, repr(sorted(meta.to_dict().items())),
                    store.count(actor, meta.name), digest.hexdigest()))
    return StoreState(store.current_seq(), tuple(out))


def cli_env(store: VersionedStore) -> dict[str, str]:
    """Environment for a `mapnode` process on this store (PostGIS keeps files in a data dir)."""
    env = dict(os.environ)
    env["MAPNODE_DATA_DIR"] = str(store.data_dir)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def mapnode_import(store: VersionedStore, path: Path | str, *args: str,
                   timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `mapnode import` as a real process against the store."""
    return subprocess.run(
        [sys.executable, "-m", "mapnode.cli", "import", str(path), "--store", store.url,
         "--quiet", *args], capture_output=True, text=True, env=cli_env(store), timeout=timeout)


def import_popen(store: VersionedStore, path: Path | str, *args: str,
                 stderr: Path) -> subprocess.Popen[bytes]:
    """Start `mapnode import` with its progress bar written to `stderr`."""
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "mapnode.cli", "import", str(path), "--store", store.url,
             *args], stdout=subprocess.DEVNULL, stderr=err, env=cli_env(store))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where generated test inputs are cached for the session."""
    return tmp_path_factory.mktemp("ingest-data")


@pytest.fixture(scope="session")
def roads_gpkg(data_dir: Path) -> Path:
    """The first ROADS_SLICE Hangzhou roads (real OSM data) as a GeoPackage of their own."""
    path = data_dir / "hz_roads_slice.gpkg"
    if not path.exists():
        meta, table = pyogrio.raw.read_arrow(HANGZHOU_GPKG, layer="roads", max_features=ROADS_SLICE)
        pyogrio.raw.write_arrow(table, path, layer="roads", driver="GPKG",
                                geometry_name=meta["geometry_name"], geometry_type="LineString",
                                crs=meta["crs"])
    return path


BIG_COPIES = 8  # 8 × 38,800 = 310,400 real Hangzhou roads
CACHE = Path(os.environ.get("MAPNODE_TEST_CACHE", "/tmp/mapnode-test-cache"))


@pytest.fixture(scope="session")
def big_roads_gpkg() -> Path:
    """All Hangzhou roads replicated BIG_COPIES times (osm_id offset per copy), cached in /tmp."""
    path = CACHE / f"hz_roads_x{BIG_COPIES}.gpkg"
    if path.exists():
        return path
    import pyarrow as pa
    import pyarrow.compute as pc

    CACHE.mkdir(parents=True, exist_ok=True)
    meta, table = pyogrio.raw.read_arrow(HANGZHOU_GPKG, layer="roads")
    ids = table.schema.get_field_index("osm_id")
    copies = [table.set_column(ids, "osm_id", pc.add(table.column(ids), pa.scalar(k * 10**10)))
              for k in range(BIG_COPIES)]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.gpkg")
    pyogrio.raw.write_arrow(pa.concat_tables(copies), tmp, layer="roads", driver="GPKG",
                            geometry_name=meta["geometry_name"], geometry_type="LineString",
                            crs=meta["crs"])
    tmp.replace(path)
    return path
