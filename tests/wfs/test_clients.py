"""Real clients against `mapnode serve` as a real process on both backends: GDAL/OGR's WFS
driver (ogrinfo, ogr2ogr) and OWSLib's WebFeatureService 2.0.0 and 1.1.0."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pyogrio
import pytest
import shapely
from owslib.etree import etree
from owslib.fes import PropertyIsEqualTo as Equal11
from owslib.fes2 import Filter, PropertyIsEqualTo
from owslib.wfs import WebFeatureService

from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ogcapi.conftest import GOV_KEY, KEYS, load_hangzhou
from tests.support.backends import backend_store
from tests.support.server import ServeProcess

BOX = (120.14, 30.24, 120.16, 30.26)


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[tuple[ServeProcess, VersionedStore]]:
    tmp = tmp_path_factory.mktemp("wfs-clients")

    def run(store: VersionedStore) -> Iterator[tuple[ServeProcess, VersionedStore]]:
        load_hangzhou(store)
        srv = ServeProcess(store.url, env={"MAPNODE_API_KEYS": json.dumps(KEYS)},
                           log=tmp / "server.log")
        try:
            yield srv, store
        finally:
            srv.stop()

    with backend_store(request.param, tmp) as store:
        yield from run(store)


def _ogr(*args: str) -> str:
    exe = shutil.which(args[0])
    assert exe, f"{args[0]} missing: apt-get install gdal-bin (scripts/test installs it)"
    proc = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _count(summary: str) -> int:
    line = next(ln for ln in summary.splitlines() if ln.startswith("Feature Count:"))
    return int(line.split(":")[1])


def test_ogrinfo_lists_layers_per_edition(server: tuple[ServeProcess, VersionedStore]) -> None:
    srv, _ = server
    listing = _ogr("ogrinfo", "-ro", f"WFS:{srv.url}/wfs")
    assert "1: mapnode:roads (title: 测试 roads) (Multi Curve)" in listing  # GDAL: MultiCurve
    assert "amenities" not in listing
    gov = _ogr("ogrinfo", "-ro", f"WFS:{srv.url}/wfs?tk={GOV_KEY}")
    assert "mapnode:amenities (title: 测试 amenities) (Point)" in gov
    assert "mapnode:roads" in gov


def test_ogrinfo_counts_with_spat_and_where(server: tuple[ServeProcess, VersionedStore]) -> None:
    srv, store = server
    system = Actor.system()
    url = f"WFS:{srv.url}/wfs"
    assert _count(_ogr("ogrinfo", "-ro", "-so", url, "mapnode:roads")) == store.count(
        system, "roads")
    spat = _ogr("ogrinfo", "-ro", "-so", url, "mapnode:roads", "-spat", *map(str, BOX))
    want = list(store.features(system, "roads", intersects=shapely.box(*BOX)))
    assert _count(spat) == len(want) > 100
    where = _ogr("ogrinfo", "-ro", "-so", url, "mapnode:roads", "-where", "fclass = 'primary'")
    primary = [f for f in store.features(system, "roads") if f.properties["fclass"] == "primary"]
    assert _count(where) == len(primary) > 10
    log = unquote_plus(srv.log.read_text())
    assert "<PropertyIsEqualTo><ValueReference>fclass</ValueReference><Literal>primary" in log
    both = _ogr("ogrinfo", "-ro", "-q", url, "mapnode:roads", "-where", "fclass = 'primary'",
                "-spat", *map(str, BOX))
    box = shapely.box(*BOX)
    assert both.count("OGRFeature(mapnode:roads)") == sum(
        1 for f in primary if f.geometry.intersects(box))
    old = _ogr("ogrinfo", "-ro", "-q", f"{url}?VERSION=1.1.0", "mapnode:roads", "-where",
               "fclass = 'primary'", "-spat", *map(str, BOX))  # WFS 1.1.0, Filter 1.1
    assert old.count("OGRFeature(mapnode:roads)") == both.count("OGRFeature(mapnode:roads)")
    assert not [s for s in srv.statuses() if s >= 500]


def test_ogrinfo_order_by_is_sorted_by_the_server(
        server: tuple[ServeProcess, VersionedStore]) -> None:
    srv, store = server
    out = _ogr("ogrinfo", "-ro", "-q", f"WFS:{srv.url}/wfs", "-sql",
               'SELECT osm_id, name FROM "mapnode:roads" WHERE fclass = \'primary\' '
               "ORDER BY osm_id DESC")
    got = [int(ln.split("=")[1]) for ln in out.splitlines() if "osm_id (Integer64) =" in ln]
    want = sorted((f.properties["osm_id"] for f in store.features(Actor.system(), "roads")
                   if f.properties["fclass"] == "primary"), reverse=True)
    assert got == want
    assert "SORTBY=osm_id DESC" in unquote_plus(srv.log.read_text())


def test_ogr2ogr_copies_every_feature(server: tuple[ServeProcess, VersionedStore],
                                      tmp_path: Path) -> None:
    srv, store = server
    out = tmp_path / "roads.gpkg"
    _ogr("ogr2ogr", "-f", "GPKG", str(out), f"WFS:{srv.url}/wfs", "mapnode:roads",
         "-nln", "roads")
    info = pyogrio.read_info(out, layer="roads")
    assert info["features"] == store.count(Actor.system(), "roads")
    df = pyogrio.read_dataframe(out, layer="roads")
    assert "北山街（新）" in set(df["name"]) and "fclass" in df.columns
    first = store.feature(Actor.system(), "roads", str(int(df.iloc[0]["osm_id"]))).geometry
    if first.geom_type == "LineString":  # the schema declares MultiCurve (as QGIS needs)
        first = shapely.MultiLineString([first])
    assert df.geometry.iloc[0].equals_exact(first, 1e-7)  # lon/lat back in place


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0"])
def test_owslib(server: tuple[ServeProcess, VersionedStore], version: str) -> None:
    srv, store = server
    wfs = WebFeatureService(f"{srv.url}/wfs", version=version)
    assert list(wfs.contents) == ["mapnode:roads"]
    layer = wfs.contents["mapnode:roads"]
    assert layer.title == "测试 roads"
    bbox, _ = store.extent(Actor.system(), "roads")
    assert layer.boundingBoxWGS84 == pytest.approx(bbox)
    member = b"<wfs:member>" if version == "2.0.0" else b"<gml:featureMember>"
    data = wfs.getfeature(typename=["mapnode:roads"], bbox=BOX, maxfeatures=5000).read()
    want = list(store.features(Actor.system(), "roads", intersects=shapely.box(*BOX)))
    assert data.count(member) == len(want)
    if version == "2.0.0":
        xml = etree.tostring(Filter(PropertyIsEqualTo("fclass", "primary")).toXML()).decode()
    else:
        xml = ('<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">'
               + etree.tostring(Equal11("fclass", "primary").toXML()).decode() + "</ogc:Filter>")
    primary = sum(1 for f in store.features(Actor.system(), "roads")
                  if f.properties["fclass"] == "primary")
    # OWSLib 0.35 quirks: a 2.0.0 GET filter goes into a non-standard `query` parameter, and
    # a 1.1.0 POST filter must come wrapped in some element
    calls = [("Post", xml)] if version == "2.0.0" else [("Get", xml), ("Post", f"<w>{xml}</w>")]
    for method, text in calls:
        data = wfs.getfeature(typename=["mapnode:roads"], filter=text, method=method).read()
        assert data.count(member) == primary, method
    gov = WebFeatureService(f"{srv.url}/wfs?tk={GOV_KEY}", version=version)
    assert set(gov.contents) == {"mapnode:roads", "mapnode:amenities"}
