"""Real clients against `mapnode serve` as a real process: GDAL/OGR (OAPIF driver), OWSLib,
the `ogctests` OGC API Features suites and a schemathesis run over the OpenAPI document."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import ogctests
import pytest
import shapely
from owslib.ogcapi.features import Features

from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ogcapi.conftest import GOV_KEY, load_hangzhou
from tests.ogcapi.server import OgcServer
from tests.store import hz
from tests.support.backends import backend_store

OGCTESTS = Path(ogctests.__file__).parent


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[tuple[OgcServer, VersionedStore]]:
    tmp = tmp_path_factory.mktemp("ogc-clients")

    def run(store: VersionedStore) -> Iterator[tuple[OgcServer, VersionedStore]]:
        load_hangzhou(store)
        srv = OgcServer(store.url, tmp / "server.log")
        try:
            yield srv, store
        finally:
            srv.stop()

    with backend_store(request.param, tmp) as store:
        yield from run(store)


def _ogr(*args: str) -> str:
    exe = shutil.which(args[0])
    assert exe, f"{args[0]} missing: apt-get install gdal-bin (scripts/test installs it)"
    proc = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_ogrinfo_lists_the_public_layers_and_reads_features(
        server: tuple[OgcServer, VersionedStore], tmp_path: Path) -> None:
    srv, store = server
    listing = _ogr("ogrinfo", "-ro", f"OAPIF:{srv.ogc}")
    assert "1: roads (title: 测试 roads) (Line String)" in listing
    assert "amenities" not in listing
    summary = _ogr("ogrinfo", "-ro", "-so", f"OAPIF:{srv.ogc}", "roads")
    count = store.count(Actor.system(), "roads")
    assert f"Feature Count: {count}" in summary
    out = tmp_path / "roads.geojson"
    _ogr("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{srv.ogc}", "roads",
         "-oo", "PAGE_SIZE=1000")
    features = json.loads(out.read_text())["features"]
    assert sorted(str(f["properties"]["id"]) for f in features) == sorted(
        f.fid for f in store.features(Actor.system(), "roads"))
    named = {f["properties"]["name"] for f in features}
    assert "北山街（新）" in named and "西湖大道" in named
    box = (120.14, 30.24, 120.16, 30.26)
    spat = _ogr("ogrinfo", "-ro", "-q", f"OAPIF:{srv.ogc}", "roads", "-spat", *map(str, box),
                "-oo", "PAGE_SIZE=1000")
    want = list(store.features(Actor.system(), "roads", intersects=shapely.box(*box)))
    assert spat.count("OGRFeature(roads)") == len(want)  # GDAL refines the bbox itself


def test_ogrinfo_with_a_government_key_sees_the_government_layer(
        server: tuple[OgcServer, VersionedStore]) -> None:
    srv, _ = server
    listing = _ogr("ogrinfo", "-ro", "--config", "GDAL_HTTP_HEADERS", f"X-API-Key: {GOV_KEY}",
                   f"OAPIF:{srv.ogc}")
    assert "amenities" in listing and "roads" in listing
    where = _ogr("ogrinfo", "-ro", "-q", "--config", "GDAL_HTTP_HEADERS",
                 f"X-API-Key: {GOV_KEY}", f"OAPIF:{srv.ogc}", "amenities",
                 "-where", "amenity = 'hospital'")
    hospitals = [r for r in hz.amenities().rows if r.properties["amenity"] == "hospital"]
    assert hospitals and where.count("OGRFeature(amenities)") == len(hospitals)


def test_owslib_reads_collections_items_and_queryables(
        server: tuple[OgcServer, VersionedStore]) -> None:
    srv, store = server
    api = Features(srv.ogc)
    assert [c["id"] for c in api.collections()["collections"]] == ["roads"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()[
        "conformsTo"]
    primary = api.collection_items("roads", limit=5, fclass="primary")
    want = [f for f in store.features(Actor.system(), "roads")
            if f.properties["fclass"] == "primary"]
    assert primary["numberMatched"] == len(want) and primary["numberReturned"] == 5
    assert "maxspeed" in api.collection_queryables("roads")["properties"]
    gov = Features(srv.ogc)
    # OWSLib 0.35 updates its module-wide REQUEST_HEADERS with `headers=`, which would give
    # every later client the key; give this one a dict of its own instead.
    gov.headers = {**gov.headers, "X-API-Key": GOV_KEY}
    assert {c["id"] for c in gov.collections()["collections"]} == {"roads", "amenities"}
    row = hz.amenities().rows[0]
    assert gov.collection_item("amenities", row.fid)["properties"]["osmid"] == row.properties[
        "osmid"]
    with pytest.raises(RuntimeError):  # OWSLib raises on the 404 problem response
        api.collection_item("amenities", row.fid)


def test_the_configured_maximum_is_documented_and_enforced(
        server: tuple[OgcServer, VersionedStore]) -> None:
    srv, _ = server  # started with MAPNODE_OGCAPI_MAX_LIMIT=5000
    doc = httpx.get(f"{srv.ogc}/api", timeout=10).json()
    assert doc["components"]["parameters"]["limit"]["schema"]["maximum"] == 5000
    assert httpx.get(f"{srv.ogc}/collections/roads/items?limit=5000", timeout=30
                     ).json()["numberReturned"] > 2000
    r = httpx.get(f"{srv.ogc}/collections/roads/items?limit=5001", timeout=10)
    assert r.status_code == 400 and r.json()["detail"]["maximum"] == "5000"


def _pytest_suite(scope: str, url: str, tmp: Path) -> dict[str, str]:
    """Run an ogctests suite as its own pytest process; outcome per test from JUnit XML."""
    import xml.etree.ElementTree as ET

    report = tmp / f"{scope.replace('/', '-')}.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "no:randomly", f"--rootdir={OGCTESTS}", f"--junit-xml={report}",
                    str(OGCTESTS / scope)], capture_output=True, text=True, timeout=300,
                   env={"INSTANCE_URL": url, "PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL,
                   cwd=tmp)
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        kinds = {child.tag for child in case}
        outcomes[case.get("name", "")] = ("failed" if kinds & {"failure", "error"} else
                                          "skipped" if "skipped" in kinds else "passed")
    return outcomes


def test_ogctests_core_suite_passes(server: tuple[OgcServer, VersionedStore],
                                    tmp_path: Path) -> None:
    srv, _ = server
    outcomes = _pytest_suite("features/core", srv.ogc, tmp_path)
    assert len(outcomes) >= 29
    assert {k for k, v in outcomes.items() if v != "passed"} == set()


def test_ogctests_filtering_suite(server: tuple[OgcServer, VersionedStore],
                                  tmp_path: Path) -> None:
    """ogctests 0.1.15's filtering suite is marked work in progress: test_ct2 looks for an
    `href` member its own Link-header parser never produces, so ct2 and the tests that build on
    it (ct3, ct5, ct7–ct10) cannot pass against any server. The independent ones must pass."""
    srv, _ = server
    outcomes = _pytest_suite("features/filtering", srv.ogc, tmp_path)
    assert {k for k, v in outcomes.items() if v == "passed"} >= {"test_ct1", "test_ct4",
                                                                 "test_ct6"}


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # once: keeps the suite short
def test_schemathesis_finds_no_server_error(server: tuple[OgcServer, VersionedStore],
                                            tmp_path: Path) -> None:
    srv, _ = server
    before = len(srv.statuses())
    exe = Path(sys.executable).with_name("schemathesis")
    proc = subprocess.run(
        [str(exe), "run", f"{srv.ogc}/api", "--checks",
         "not_a_server_error,status_code_conformance,content_type_conformance",
         "--max-examples", "40", "--seed", "1", "--workers", "1", "--no-color"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=tmp_path)
    statuses = srv.statuses()[before:]
    server_errors = [s for s in statuses if s >= 500]
    print(f"schemathesis: {len(statuses)} requests, {len(server_errors)} server errors")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert len(statuses) > 500
    assert server_errors == []
