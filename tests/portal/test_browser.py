"""The portal in real headless Chromium (tests/support/browser.py), on both backends: load with
no console errors, base maps, division zoom, search, reverse geocoding, measuring (checked
against pyproj), drawing and export, feature info, PNG, the time slider, comparing two dates,
English; every resource-centre link; a phone viewport; the developer page. Screenshots and the
page-weight / first-map figures go to artifacts/browser/."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from defusedxml import ElementTree
from PIL import Image
from pyproj import Geod, Transformer

from mapnode.grids import grid
from tests.portal.conftest import (
    ADDED,
    ADDED_AT,
    OPERATOR,
    OSM,
    RENAMED,
    REVIEW,
    WEST_LAKE_EAST,
    PortalServer,
)
from tests.support.browser import ARTIFACTS, PageFacts, run_page

HERE = Path(__file__).parent  # the page scripts live beside this file
TOUR = HERE / "portal_tour.mjs"
WEST_LAKE = [120.155, 30.25, 15]
GEOD = Geod(ellps="GRS80")
_runs: dict[tuple[str, str], PageFacts] = {}


def visible_log(server: PortalServer) -> list[dict[str, Any]]:
    entries = httpx.get(f"{server.url}/api/log", timeout=30).json()["entries"]
    return [e for e in entries if e["layers"]]


def page(server: PortalServer, script: Path, **kw: Any) -> PageFacts:
    """Run a page script once per backend and keep its facts for every test that reads them."""
    key = (server.demo.backend, script.name)
    if key not in _runs:
        entries = visible_log(server)
        args = {"view": WEST_LAKE, "query": "西湖", "division": "西湖区", "added": ADDED,
                "added_layer": "poi_points", "added_at": list(ADDED_AT),
                "past": len(entries) - 2, "edit_bbox": list(WEST_LAKE_EAST), "pick": "water",
                "layer": "roads"}
        _runs[key] = run_page(script, server.url, args=args, ignore=[], timeout=600, **kw)
    return _runs[key]


def assert_clean(facts: PageFacts) -> None:
    """The harness's check, except tile requests the map itself cancelled (MapLibre aborts
    tiles it no longer needs while the view moves); a tile answering 4xx/5xx still counts."""
    aborted = [r for r in facts.failed_requests
               if r["error"] == "net::ERR_ABORTED" and re.search(r"/tiles/.*\.(mvt|png)", r["url"])]
    facts.failed_requests = [r for r in facts.failed_requests if r not in aborted]
    facts.assert_clean()


def assert_screenshots(facts: PageFacts, names: list[str], size: tuple[int, int]) -> None:
    """The named screenshots were saved under artifacts/browser/ as PNGs of the viewport."""
    saved = {Path(p).stem: Path(p) for p in facts.screenshots}
    for name in names:
        with Image.open(saved[name]) as image:
            assert image.format == "PNG" and image.size == size, name
            assert len(image.convert("RGB").getcolors(1 << 24) or []) > 50, name  # not blank


def tour(server: PortalServer) -> dict[str, Any]:
    facts = page(server, TOUR, viewport=(1280, 800))
    assert_clean(facts)
    return facts.values


def test_loads_clean_in_chinese_with_footer_and_figures(portal_server: PortalServer) -> None:
    v = tour(portal_server)
    load = v["load"]
    assert load["lang"] == "zh-CN"
    assert REVIEW in load["footer"] and OPERATOR in load["footer"] and OSM in load["footer"]
    assert load["canvas"][0] > 800 and load["canvas"][1] > 500
    assert load["symbol_layers"] > 0  # labels from mapnode's own glyphs
    assert 0 < load["load_ms"] <= load["idle_ms"] < 60_000
    assert_screenshots(page(portal_server, TOUR), [
        "portal-load", "portal-imagery", "portal-search", "portal-measure", "portal-past",
        "portal-compare-swipe", "portal-compare-side"], (1280, 800))
    facts = page(portal_server, TOUR)
    first = {"until_ms": load["until_ms"], "pattern": r"^https?:"}
    figures = {"backend": portal_server.demo.backend, "first_map_ms": round(load["load_ms"]),
               "first_idle_ms": round(load["idle_ms"]),
               "bytes_transferred": facts.page_weight(**first),
               "script_bytes": facts.page_weight(**{**first, "pattern": r"\.js$"}),
               "tile_bytes": facts.page_weight(**{**first, "pattern": r"/tiles/"}),
               "requests": len(facts.requests(**first))}
    assert figures["script_bytes"] > 200_000  # MapLibre alone, gzipped
    assert figures["tile_bytes"] > 0 and figures["requests"] > 20
    (ARTIFACTS / f"portal-figures-{portal_server.demo.backend}.json").write_text(
        json.dumps(figures, indent=1))
    print(figures)


def test_every_request_stays_on_the_node(portal_server: PortalServer) -> None:
    """No CDN, no outside fonts or tiles: all the tour fetched came from mapnode itself."""
    facts = page(portal_server, TOUR, viewport=(1280, 800))
    urls = [r["url"] for r in facts.responses]
    assert len(urls) > 50
    outside = [u for u in urls if not u.startswith((portal_server.url + "/", "data:", "blob:"))]
    assert not outside, outside[:10]
    assert facts.responses_to(r"/portal/static/vendor/maplibre-gl/maplibre-gl\.js$") == {200}


def test_scale_bar_matches_the_map(portal_server: PortalServer) -> None:
    s = tour(portal_server)["scale"]
    assert s is not None, "no scale bar"
    m = re.fullmatch(r"\s*([\d.]+)\s*(m|km)\s*", s["text"])
    assert m, s["text"]
    metres = float(m.group(1)) * (1000 if m.group(2) == "km" else 1)
    # Web Mercator at MapLibre's 512 px tiles, haversine on its 6,371,008.8 m sphere
    per_px = 2 * math.pi * 6371008.8 * math.cos(math.radians(s["lat"])) / (512 * 2 ** s["zoom"])
    assert 40 <= s["px"] <= 120
    assert metres / s["px"] == pytest.approx(per_px, rel=0.01)


def test_cursor_coordinates_are_cgcs2000_and_gauss_kruger(portal_server: PortalServer) -> None:
    c = tour(portal_server)["cursor"]
    shown = c["shown"]
    lon, lat = float(shown["lon"]), float(shown["lat"])
    assert lon == pytest.approx(c["expected"][0], abs=1e-4)  # the pixel under the mouse
    assert lat == pytest.approx(c["expected"][1], abs=1e-4)
    easting, northing = Transformer.from_crs(4490, 4549, always_xy=True).transform(lon, lat)
    assert int(shown["zone"]) == 40
    assert float(shown["y"]) == pytest.approx(easting, abs=0.001)
    assert float(shown["x"]) == pytest.approx(northing, abs=0.001)
    assert "3°带 40" in c["text"] and f"{northing:.2f}" in c["text"]


def test_base_maps_switch(portal_server: PortalServer) -> None:
    v = tour(portal_server)
    assert v["imagery"]["raster"] == ["relief-raster"]
    assert v["imagery"]["symbol"] > 0  # labels over the imagery
    assert v["imagery_no_labels"] == 0
    assert v["vector_again"]["raster"] == 0 and v["vector_again"]["symbol"] > 0
    assert v["vector_no_labels"] == 0
    statuses = page(portal_server, TOUR).responses_to(
        r"/tiles/relief/WebMercatorQuad/\d+/\d+/\d+\.png")
    assert statuses and statuses <= {200, 204}


def test_zoom_to_a_division(portal_server: PortalServer) -> None:
    d = tour(portal_server)["division"]
    assert d["code"].startswith("330106")  # 西湖区
    assert d["zoom"] > 10
    assert 119.9 < d["center"][0] < 120.3 and 30.0 < d["center"][1] < 30.4


def test_search_suggests_lists_and_flies_to_a_result(portal_server: PortalServer) -> None:
    v = tour(portal_server)
    assert any("西湖" in s for s in v["suggestions"])
    assert re.search(r"共 \d+ 条结果", v["results"]["summary"])
    assert len(v["results"]["items"]) == 10 and "西湖" in v["results"]["items"][0]
    assert v["results"]["page2"] and v["results"]["page2"] != v["results"]["items"]
    assert "西湖" in v["picked"]["popup"]
    lon, lat = v["picked"]["center"]
    assert 120.0 < lon < 120.3 and 30.1 < lat < 30.4


def test_right_click_gives_the_address(portal_server: PortalServer) -> None:
    text = tour(portal_server)["reverse"]
    assert "此处地址" in text and re.search(r"[路街湖]", text)


def test_measured_distance_and_area_match_pyproj(portal_server: PortalServer) -> None:
    v = tour(portal_server)
    pts = v["distance"]["vertices"]
    assert len(pts) == 3
    expected = sum(GEOD.inv(*a, *b)[2] for a, b in itertools.pairwise(pts))
    assert v["distance"]["metres"] == pytest.approx(expected, rel=1e-6)
    assert "米" in v["distance"]["text"] or "千米" in v["distance"]["text"]
    ring = v["area"]["vertices"]
    assert len(ring) == 4
    area, _ = GEOD.polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])
    assert v["area"]["m2"] == pytest.approx(abs(area), rel=1e-4)
    assert "亩" in v["area"]["text"]


def test_drawings_export_as_geojson_and_the_view_as_png(portal_server: PortalServer) -> None:
    v = tour(portal_server)
    kinds = [f["geometry"]["type"] for f in v["exported"]["features"]]
    assert kinds == ["Point", "LineString", "Polygon"]
    assert v["exported_name"] == "mapnode-drawing.geojson"
    ring = v["exported"]["features"][2]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 4
    assert v["png"]["name"] == "mapnode-map.png" and v["png"]["magic"] == "PNG"
    assert v["png"]["bytes"] > 20_000  # a drawn map, not an empty canvas


def test_feature_info_on_click(portal_server: PortalServer) -> None:
    v = tour(portal_server)
    assert v["info_target"] is not None
    assert v["info_target"]["layer"] in v["info"]


def test_feature_info_on_a_thematic_layer_and_hiding_it(portal_server: PortalServer) -> None:
    t = tour(portal_server)["thematic"]
    assert t["target"] is not None, "no named POI drawn near the edit"
    info = [i for i in t["info"] if i["layer"] == "poi_points"]
    assert info and t["target"]["name"] in info[0]["text"]
    assert t["hidden_drawn"] is None and "poi_points" not in t["hidden_info"]
    assert t["shown_again"] is not None


def test_time_slider_shows_the_past(portal_server: PortalServer) -> None:
    s = tour(portal_server)["slider"]
    assert s["now_count"] >= 1  # the café the edit added is in today's tiles
    assert s["past_count"] == 0  # …and not in the tiles of the day before
    assert s["back_count"] >= 1
    assert s["datetime"] and s["tiles"]  # the map asked for tiles again after the move…
    assert all(f"datetime={quote(s['datetime'], safe='')}" in u  # …all of them as of then
               for u in s["tiles"] if "/basemap/" in u)
    statuses = page(portal_server, TOUR).responses_to(
        r"/tiles/basemap/.*datetime=")
    assert statuses and statuses <= {200, 204}


def test_comparing_two_dates_lists_the_changes_in_view(portal_server: PortalServer) -> None:
    c = tour(portal_server)["compare"]
    assert c["b_visible"] and c["swipe_visible"]
    assert c["a_count"] == 0 and c["b_count"] >= 1  # left: before the edit; right: after
    texts = {(x["layer"], x["kind"]): x["text"] for x in c["changes"]}
    assert ADDED in texts[("poi_points", "added")]
    assert RENAMED in texts[("roads", "changed")]
    assert portal_server.deleted in texts[("poi_points", "removed")]
    assert ["roads", "changed", 1] in c["counts"]
    assert abs(c["side"][0] - c["side"][1]) <= 4  # side by side: two halves (and a border)


def test_english_is_remembered(portal_server: PortalServer) -> None:
    e = tour(portal_server)["english"]
    assert e == {"lang": "en", "nav": "Resources", "placeholder": "Search places, addresses, POIs"}


def _valid(link: dict[str, Any]) -> bool:
    kind, text = link["kind"], link.get("text", "")
    if kind == "json":  # parsed whole in the page script
        return "error" not in link["json"] and bool(link["json"]["keys"])
    if kind == "geojson":
        return link["json"].get("type") == "FeatureCollection" and link["json"]["features"] > 0
    if kind == "xml":
        return "Capabilities" in ElementTree.fromstring(text.encode()).tag
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        return len(rows) > 1 and len(rows[0]) > 1
    if kind == "gpkg":
        return bool(link["magic"].startswith("SQLite format 3"))
    if kind == "zip":
        return bool(link["magic"].startswith("PK\x03\x04"))
    if kind == "png":
        return bool(link["magic"].startswith("\x89PNG"))
    return False


def test_every_resource_centre_link_answers(portal_server: PortalServer) -> None:
    facts = page(portal_server, HERE / "resources_links.mjs",
                 viewport=(1280, 900))
    assert_clean(facts)
    v = facts.values
    assert {"roads", "water", "poi_points", "stations", "relief"} <= set(v["cards"])
    roads = v["metadata"]["roads"]  # the catalogue's metadata, as the manifest gave it
    assert roads["标识"] == "roads" and roads["许可"] == "ODbL-1.0" and roads["署名"] == OSM
    assert roads["分类"] == "400000" and "name" in roads["字段"].split(", ")
    x0, y0, x1, y1 = (float(c) for c in roads["范围"].split(","))
    assert 119.5 < x0 < x1 < 121 and 29.5 < y0 < y1 < 31  # Hangzhou
    kinds = {link["kind"] for link in v["links"]}
    assert kinds == {"json", "geojson", "xml", "csv", "gpkg", "zip", "png"}
    bad = [(x["url"], x["status"]) for x in v["links"] if x["status"] != 200 or not _valid(x)]
    assert not bad
    urls = " ".join(x["url"] for x in v["links"])
    for needle in ["/tiles/basemap/w/tilejson.json", "/tiles/basemap/c/tilejson.json",
                   "/wmts?SERVICE=WMTS", "/vec_c/wmts", "/wms?SERVICE=WMS", "/wfs?SERVICE=WFS",
                   "/ogcapi", "download?f=shp"]:
        assert needle in urls, needle
    assert all(w > 0 for w in v["thumbs_loaded"])
    formats: dict[str, set[str]] = {}  # every layer with features offers all four downloads
    for m in re.finditer(r"/api/layers/(\w+)/download\?f=(\w+)", urls):
        formats.setdefault(m.group(1), set()).add(m.group(2))
    assert set(formats) == set(v["cards"]) - {"relief"}
    assert all(f == {"geojson", "gpkg", "shp", "csv"} for f in formats.values()), formats
    names = {s.split("\n")[0] for s in v["snippets"]}
    assert any("maplibregl" in s for s in v["snippets"])
    assert any("L.tileLayer" in s for s in v["snippets"])
    assert any("WMTSCapabilities" in s for s in v["snippets"])
    assert any("iface.add" in s for s in v["snippets"])
    assert names
    assert any("/c/{z}/{x}/{y}.mvt" in u for u in v["copyable"])


def test_phone_viewport(portal_server: PortalServer) -> None:
    facts = page(portal_server, HERE / "phone.mjs", viewport=(390, 844))
    assert_clean(facts)
    v = facts.values
    assert v["start"]["scroll_width"] <= 390
    assert v["start"]["collapsed"] and not v["opened"]["collapsed"]
    assert v["start"]["map"][2] == 390 and v["start"]["map"][3] > 400
    assert v["start"]["features"] > 100 and v["start"]["scale_bar"]  # a drawn map, not a frame
    assert v["suggest"]["items"] > 0 and v["suggest"]["right"] <= 390
    assert v["resources"]["scroll_width"] <= 390 and v["resources"]["card"] <= 390
    assert_screenshots(facts, ["portal-phone", "portal-phone-search", "portal-phone-resources"],
                       (390, 844))


def test_developer_page_examples_run(portal_server: PortalServer) -> None:
    facts = page(portal_server, HERE / "docs_page.mjs", viewport=(1280, 900))
    assert_clean(facts)
    v = facts.values
    assert "/collections/{collectionId}/items" in " ".join(v["operations"]) or any(
        "items" in p for p in v["operations"])
    assert "/api/diff" in v["operations"] and "/api/search" in v["operations"]
    assert v["runs"] and all(r["status"] == 200 for r in v["runs"]), v["runs"]
    urls = " ".join(r["url"] for r in v["runs"])
    assert "/v2/search" in urls and "/geocoder" in urls and "/vec_w/wmts" in urls


def _fetch_tile(template: str, lon: float, lat: float, z: int) -> httpx.Response:
    """A tile URL template ({z}/{x}/{y} or {z}/{y}/{x}) filled for the point and fetched."""
    x, y = grid("w").tile_of(lon, lat, z)
    return httpx.get(template.replace("{z}", str(z)).replace("{x}", str(x))
                     .replace("{y}", str(y)), timeout=120)


def test_snippets_run_in_maplibre_and_openlayers(portal_server: PortalServer) -> None:
    facts = page(portal_server, HERE / "snippets_run.mjs", viewport=(800, 600))
    assert_clean(facts)
    runs = {(r["owner"], r["name"].split(" ")[0]): r for r in facts.values["runs"]}
    assert set(runs) == {(o, lib) for o in ("node", "roads") for lib in ("MapLibre", "OpenLayers")}
    assert runs[("node", "MapLibre")]["features"] > 100  # the base map style, drawn
    assert runs[("roads", "MapLibre")]["features"] > 10  # the roads tiles, drawn as lines
    for owner in ("node", "roads"):  # WMTS PNG tiles in EPSG:4490, drawn: not a blank canvas
        pixels = runs[(owner, "OpenLayers")]["pixels"]
        assert pixels["opaque"] > 0.005 and pixels["colours"] > 8, (owner, pixels)
    assert runs[("node", "OpenLayers")]["pixels"]["opaque"] > 0.95  # the base map covers all
    for layer in ("basemap", "roads"):  # OpenLayers asked for PNG tiles of the CGCS2000 grid
        tiles = rf"/wmts\?layer={layer}&.*tilematrixset=CGCS2000Quad&.*Request=GetTile.*image%2Fpng"
        assert facts.responses_to(tiles) == {200}, layer


def test_leaflet_and_qgis_snippets_name_urls_that_answer(portal_server: PortalServer) -> None:
    """No Leaflet or QGIS here: the URLs in their snippets, read as they would read them."""
    snippets = page(portal_server, HERE / "snippets_run.mjs", viewport=(800, 600)).values["snippets"]
    code = {(s["owner"], s["name"].split(" ")[0]): s["code"] for s in snippets}
    lon, lat, _ = WEST_LAKE
    for owner in ("node", "roads"):
        leaflet = re.search(r'L\.tileLayer\("([^"]+)"', code[(owner, "Leaflet")])
        assert leaflet and "L.map(" in code[(owner, "Leaflet")]
        r = _fetch_tile(leaflet.group(1), lon, lat, 14)
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG"), leaflet.group(1)
        uris = re.findall(r'iface\.add(\w+)Layer\("([^"]+)"', code[(owner, "QGIS")])
        assert [kind for kind, _ in uris] == ["VectorTile", "Raster"]
        for kind, uri in uris:  # QGIS splits a data source URI at "&" into key=value pairs
            params = dict(part.split("=", 1) for part in uri.split("&"))
            if kind == "VectorTile":
                r = _fetch_tile(params["url"], lon, lat, 14)
                assert r.status_code == 200 and "mapbox-vector-tile" in r.headers["content-type"]
                assert r.content
            else:
                r = httpx.get(params["url"], timeout=60)
                assert r.status_code == 200, params["url"]
                caps = ElementTree.fromstring(r.content)
                ows, wmts = "{http://www.opengis.net/ows/1.1}", "{http://www.opengis.net/wmts/1.0}"
                layers = {e.findtext(f"{ows}Identifier") for e in caps.iter(f"{wmts}Layer")}
                sets = {e.findtext(f"{ows}Identifier") for e in caps.iter(f"{wmts}TileMatrixSet")}
                assert params["layers"] in layers and params["tileMatrixSet"] in sets
