"""QGIS (PyQGIS 3.22, headless) as a real client of `mapnode serve` on the demo data, on both
backends: WMS 1.3.0 rendered in EPSG:4490, 3857 and 4549 and as WMS-T at a past instant,
Identify (GetFeatureInfo), WFS 2.0 / 1.1.0 and OGC API Features read through QGIS's WFS and
OAPIF providers, WMTS in the 天地图 `c` grid and Web Mercator through the `wms` provider.
One QGIS run per backend does every check (`tests/qgis/qgis_client.py`); the tests assert on
the facts it reports. Images: `artifacts/qgis/{backend}-{check}.png`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import shapely
from PIL import Image

from mapnode.model import Actor
from mapnode.styles.palette import WATER
from tests.support import qgis as qgis_support
from tests.support.browser import DemoServer
from tests.support.qgis import run_qgis
from tests.wms.conftest import LAKE_POINT, LAND_POINT
from tests.wms.test_getmap import close, rgb

# one worker runs every QGIS test (scripts/test uses --dist loadgroup): the module's QGIS run
# per backend (~45 s) is then made once, not once per worker
pytestmark = pytest.mark.xdist_group("qgis")

VIEW = (120.12, 30.225, 120.17, 30.27)  # lon/lat around 西湖
FEATURE_BOX = (120.1, 30.2, 120.2, 30.3)  # 141 water polygons
POINTS = {"lake": LAKE_POINT, "land": LAND_POINT}
LAYER = "water"  # 2,721 polygons; `osm_id` identifies them for the comparison
KEY = "osm_id"
LAKE_NAME = "西湖"
SUBSET = "\"fclass\" = 'river'"  # a layer filter QGIS sends to the WFS as an FES filter
# QgsWkbTypes: the vector layer's declared type must be what its features are
POLYGON, MULTIPOLYGON = 3, 6


def checks(base: str, backend: str, lake_ids: list[str], past: str) -> list[dict[str, Any]]:
    """What QGIS is asked to do, with the URIs its "Add layer" dialogs would make; `past` is
    an instant when the demo store held the roads but not yet the water."""
    capabilities = quote("SERVICE=WMTS&REQUEST=GetCapabilities", safe="=")
    raster = {"kind": "raster", "bbox": VIEW, "points": POINTS}
    vector = {"kind": "vector", "key": KEY, "values": lake_ids, "bbox": FEATURE_BOX}
    return [
        {**raster, "name": f"{backend}-wms-4490", "crs": "EPSG:4490",
         "uri": f"crs=EPSG:4490&format=image/png&layers=basemap&styles=&url={base}/wms"},
        {**raster, "name": f"{backend}-wms-3857", "crs": "EPSG:3857",
         "uri": f"crs=EPSG:3857&format=image/png&layers=basemap&styles=&url={base}/wms"},
        {**raster, "name": f"{backend}-wms-4549", "crs": "EPSG:4549",
         "uri": f"crs=EPSG:4549&format=image/png&layers=basemap&styles=&url={base}/wms"},
        {**raster, "name": f"{backend}-wms-past", "crs": "EPSG:4490", "wmst": "basemap",
         "time": past, "legend": True,
         "uri": f"crs=EPSG:4490&format=image/png&layers=basemap&styles=&url={base}/wms"},
        {"kind": "identify", "name": f"{backend}-identify", "point": LAKE_POINT,
         "formats": ["feature", "html"],
         "uri": f"crs=EPSG:4490&format=image/png&layers={LAYER}&styles=&url={base}/wms"},
        {**raster, "name": f"{backend}-wmts-c", "crs": "EPSG:4490",
         "uri": ("crs=EPSG:4490&format=image/png&layers=vec&styles=default&tileMatrixSet=c"
                 f"&url={base}/vec_c/wmts?{capabilities}")},
        {**raster, "name": f"{backend}-wmts-3857", "crs": "EPSG:3857",
         "uri": ("crs=EPSG:3857&format=image/png&layers=basemap&styles=default"
                 f"&tileMatrixSet=WebMercatorQuad&url={base}/wmts?{capabilities}")},
        {**vector, "name": f"{backend}-wfs", "provider": "WFS", "subset": SUBSET,
         "uri": (f"url='{base}/wfs' typename='mapnode:{LAYER}' version='2.0.0' "
                 "srsname='EPSG:4490'")},
        {**vector, "name": f"{backend}-wfs11", "provider": "WFS",
         "uri": (f"url='{base}/wfs' typename='mapnode:{LAYER}' version='1.1.0' "
                 "srsname='EPSG:4490'")},
        {**vector, "name": f"{backend}-oapif", "provider": "OAPIF",
         "uri": f"url='{base}/ogcapi' typename='{LAYER}'"},
    ]


@pytest.fixture(scope="module")
def qgis(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[tuple[DemoServer, dict[str, Any]]]:
    """One QGIS run over every check; the facts keyed by check name without the backend."""
    lake = [str(f.properties[KEY]) for f in demo_server.store.features(Actor.system(), LAYER)
            if f.properties.get("name") == LAKE_NAME]
    assert lake
    before = len(demo_server.process.statuses())
    facts = run_qgis({"checks": checks(demo_server.url, demo_server.backend, lake,
                                       _before_water(demo_server))},
                     tmp_path_factory.mktemp("qgis-home"))
    facts["checks"] = {k.split("-", 1)[1]: v for k, v in facts["checks"].items()}
    yield demo_server, facts
    assert not [s for s in demo_server.process.statuses()[before:] if s >= 500]


def _before_water(server: DemoServer) -> str:
    """A whole second (QGIS sends seconds) after the roads were loaded, before the water."""
    log = server.store.log(Actor.system())
    roads = next(e for e in log if "roads" in e.layers)
    water = next(e for e in log if "water" in e.layers)
    at = roads.time.replace(microsecond=0) + timedelta(seconds=1)
    assert roads.seq < water.seq and at < water.time, "the demo loads roads, then water"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(facts: dict[str, Any]) -> Image.Image:
    assert facts["valid"], facts.get("error")
    assert facts["errors"] == []
    image = Image.open(facts["image"]).convert("RGBA")
    assert image.size == (512, 512)
    assert len(image.getcolors(1 << 16) or []) > 200  # a map, not a blank or one colour
    return image


def _water_at(facts: dict[str, Any], point: str) -> bool:
    """Whether the rendered image has the water colour at a named point."""
    return close(_image(facts).getpixel(tuple(facts["points"][point])), rgb(WATER), 16)


@pytest.mark.parametrize("crs", ["4490", "3857", "4549"])
def test_wms_renders_west_lake(qgis: tuple[DemoServer, dict[str, Any]], crs: str) -> None:
    _, facts = qgis
    wms = facts["checks"][f"wms-{crs}"]
    assert _water_at(wms, "lake") and not _water_at(wms, "land")
    maps = [u for u in facts["requests"] if "REQUEST=GetMap" in u and f"EPSG:{crs}" in u]
    assert maps and all("VERSION=1.3.0" in u for u in maps)
    if crs == "4490":  # WMS 1.3.0 in EPSG:4490 is lat/lon: QGIS sends the box that way
        assert all("BBOX=30.2" in u for u in maps)
    if crs == "4549":  # and Gauss-Krüger CM 120°E northing first (~3,345 km north)
        assert all("BBOX=334" in u for u in maps)
    lon0, lat0, lon1, lat1 = wms["extent_lonlat"]
    assert lon0 < VIEW[0] and lat0 < VIEW[1] and lon1 > VIEW[2] and lat1 > VIEW[3]


def test_wms_time_through_the_temporal_controller(qgis: tuple[DemoServer, dict[str, Any]],
                                                   ) -> None:
    """Added as WMS-T (the layer's time dimension), rendered at an instant before the water
    was loaded: the roads are there, West Lake is not; the legend graphic comes too."""
    _, facts = qgis
    past = facts["checks"]["wms-past"]
    assert past["temporal"] is True
    assert not _water_at(past, "lake")
    assert [u for u in facts["requests"] if "REQUEST=GetMap" in u and "&TIME=" in u]
    assert isinstance(past["legend"], list) and min(past["legend"]) >= 16


def test_identify_reads_feature_info(qgis: tuple[DemoServer, dict[str, Any]]) -> None:
    """QGIS's Identify tool on the WMS water layer at West Lake: GetFeatureInfo as GML gives
    the feature with the store's attributes; HTML gives the page."""
    server, facts = qgis
    found = facts["checks"]["identify"]
    assert found["valid"], found.get("error")
    _, _, lake, _ = _expected(server)
    assert found["feature"]["valid"] and found["html"]["valid"]
    want = [w["properties"] for w in lake.values()]
    got = [{n: f.get(n) for n in want[0]} for f in found["feature"]["features"]]
    assert got and all(g in want for g in got)
    assert LAKE_NAME in "".join(found["html"]["texts"])


@pytest.mark.parametrize("grid", ["c", "3857"])
def test_wmts_renders_west_lake(qgis: tuple[DemoServer, dict[str, Any]], grid: str) -> None:
    _, facts = qgis
    wmts = facts["checks"][f"wmts-{grid}"]
    assert _water_at(wmts, "lake") and not _water_at(wmts, "land")
    matrix_set = "TILEMATRIXSET=c&" if grid == "c" else "TILEMATRIXSET=WebMercatorQuad&"
    tiles = [u for u in facts["requests"] if "REQUEST=GetTile" in u and matrix_set in u]
    assert len(tiles) >= 4


def _expected(server: DemoServer) -> tuple[int, list[str], dict[str, dict[str, Any]],
                                          list[str]]:
    """The store's own answers: count, fields, West Lake's features, ids in FEATURE_BOX."""
    system = Actor.system()
    meta = server.store.layer(system, LAYER)
    lake = {str(f.properties[KEY]): f for f in server.store.features(system, LAYER)
            if f.properties.get("name") == LAKE_NAME}
    inside = sorted(str(f.properties[KEY]) for f in server.store.features(
        system, LAYER, intersects=shapely.box(*FEATURE_BOX)))
    return (server.store.count(system, LAYER), list(meta.fields),
            {k: {"properties": {n: f.properties.get(n) for n in meta.fields},
                 "bounds": list(f.geometry.bounds)} for k, f in lake.items()}, inside)


@pytest.mark.parametrize("provider", ["wfs", "wfs11", "oapif"])
def test_vector_layer_equals_the_store(qgis: tuple[DemoServer, dict[str, Any]],
                                       provider: str) -> None:
    """Feature count, fields, every page read, West Lake's attributes and position (axis
    order), the features in a filter rectangle, and a layer type that fits its features."""
    server, facts = qgis
    layer = facts["checks"][provider]
    assert layer["valid"], layer.get("error")
    count, fields, lake, inside = _expected(server)
    assert layer["feature_count"] == count
    assert layer["features_read"] == count and layer["null_geometries"] == 0
    added = {"id"} if provider == "oapif" else set()  # QGIS's OAPIF adds the feature id
    assert [f for f in layer["fields"] if f not in added] == fields
    assert set(layer["found"]) == set(lake)
    for key, want in lake.items():
        got = layer["found"][key]
        assert {n: got["attributes"].get(n) for n in fields} == want["properties"]
        assert got["bounds"] == pytest.approx(want["bounds"], abs=1e-6)
    assert layer["bbox_ids"] == inside and len(inside) > 100
    assert layer["feature_wkb_types"] == [layer["wkb_type"]]
    assert layer["wkb_type"] in (POLYGON, MULTIPOLYGON)
    if provider == "wfs":  # the layer filter became an FES filter on the server
        rivers = sorted(str(f.properties[KEY]) for f in server.store.features(
            Actor.system(), LAYER) if f.properties.get("fclass") == "river")
        assert layer["subset_ok"] and layer["subset_ids"] == rivers and len(rivers) > 100
        assert [u for u in facts["requests"] if "&FILTER=" in u and "river" in u]


def test_qgis_logs_no_provider_errors(qgis: tuple[DemoServer, dict[str, Any]]) -> None:
    _, facts = qgis
    assert facts["qgis"].startswith("3.")
    bad = [m for m in facts["messages"] if m["level"] >= 1 and m["tag"] in (
        "WMS", "WFS", "OAPIF", "Network")]  # Qgis.Warning = 1, Critical = 2
    assert bad == []


def test_images_are_kept_as_artifacts(qgis: tuple[DemoServer, dict[str, Any]]) -> None:
    _, facts = qgis
    for check in ("wms-4490", "wms-3857", "wms-past", "wmts-c", "wmts-3857"):
        path = Path(facts["checks"][check]["image"])
        assert path.parent.parts[-2:] == ("artifacts", "qgis") and path.stat().st_size > 10_000


@pytest.mark.parametrize("python", ["/nonexistent/python3", "/bin/false"])
def test_missing_qgis_fails_with_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                 python: str) -> None:
    """No Debian Python, or one where `import qgis.core` fails: the tests fail, never skip."""
    monkeypatch.setattr(qgis_support, "PYTHON", Path(python))
    with pytest.raises(pytest.fail.Exception, match="qgis python3-qgis qgis-providers"):
        qgis_support.require_qgis()
