"""MapLibre GL JS in Chromium renders mapnode's base-map style (vector tiles, glyphs, sprites
all from mapnode) over West Lake with no errors; the server's rendering of the same view (WMS
GetMap, the mapnik renderer) looks like the browser's. Both images stay in artifacts/browser/."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageOps

from tests.browser.likeness import likeness
from tests.support.browser import ARTIFACTS, DemoServer, PageFacts, run_page

WEST_LAKE = (120.15, 30.25)
LAKESIDE = (120.165, 30.257)  # 湖滨, the streets east of the lake
ZOOM = 14
VIEW = (1024, 768)
R = 6378137.0
_runs: dict[str, PageFacts] = {}


def browser_view(server: DemoServer, style: str = "/styles/basemap.json") -> PageFacts:
    """The basemap over West Lake in MapLibre (once per backend)."""
    if server.backend not in _runs:
        _runs[server.backend] = run_page(
            "maplibre_view.mjs", server.url, viewport=VIEW,
            args={"style": style, "center": list(WEST_LAKE), "zoom": ZOOM,
                  "name": f"maplibre-westlake-{server.backend}"}, timeout=300)
    return _runs[server.backend]


def mercator_bbox(lon: float, lat: float, zoom: float,
                  size: tuple[int, int]) -> tuple[float, ...]:
    """EPSG:3857 bbox of a MapLibre view (512 px world at zoom 0) of `size` CSS px."""
    x = math.radians(lon) * R
    y = R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    res = 2 * math.pi * R / (512 * 2**zoom)
    return (x - size[0] / 2 * res, y - size[1] / 2 * res, x + size[0] / 2 * res,
            y + size[1] / 2 * res)


def server_view(server: DemoServer, name: str, *, layers: str = "basemap",
                shift_px: int = 0) -> Path:
    """The server's rendering of the view (WMS GetMap, EPSG:3857), saved as an artifact."""
    box = list(mercator_bbox(*WEST_LAKE, ZOOM, VIEW))
    res = (box[2] - box[0]) / VIEW[0]
    box[0] += shift_px * res
    box[2] += shift_px * res
    params: dict[str, Any] = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap",
                              "LAYERS": layers, "STYLES": "", "CRS": "EPSG:3857",
                              "BBOX": ",".join(f"{v:.3f}" for v in box), "WIDTH": VIEW[0],
                              "HEIGHT": VIEW[1], "FORMAT": "image/png"}
    r = httpx.get(f"{server.url}/wms", params=params, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:500]
    path = ARTIFACTS / f"{name}-{server.backend}.png"
    path.write_bytes(r.content)
    return path


def tiles_view(server: DemoServer, name: str) -> Path:
    """The same view assembled from the server's 256 px raster tiles (`/tiles/basemap/w/…png`):
    MapLibre's zoom z is 256 px tile level z + 1."""
    level = ZOOM + 1
    world = 256 * 2**level
    cx = (WEST_LAKE[0] + 180) / 360 * world
    lat = math.radians(WEST_LAKE[1])
    cy = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * world
    left, top = round(cx - VIEW[0] / 2), round(cy - VIEW[1] / 2)
    image = Image.new("RGBA", VIEW)
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for tx in range(left // 256, (left + VIEW[0] - 1) // 256 + 1):
            for ty in range(top // 256, (top + VIEW[1] - 1) // 256 + 1):
                r = client.get(f"/tiles/basemap/w/{level}/{tx}/{ty}.png")
                assert r.status_code == 200 and r.headers["content-type"] == "image/png"
                tile = Image.open(io.BytesIO(r.content)).convert("RGBA")
                image.paste(tile, (tx * 256 - left, ty * 256 - top))
    path = ARTIFACTS / f"{name}-{server.backend}.png"
    image.save(path)
    return path


def test_maplibre_renders_the_basemap_without_errors(demo_server: DemoServer) -> None:
    facts = browser_view(demo_server)
    facts.assert_clean()
    v = facts.values
    assert v["webgl"].startswith("WebGL 2.0") and v["canvas"] == list(VIEW)
    assert v["center"] == pytest.approx(list(WEST_LAKE)) and v["zoom"] == ZOOM
    # glyphs and sprites came from mapnode, answered 200
    assert facts.responses_to(r"/fonts/Noto%20Sans%20CJK%20SC%20(Regular|Bold)/\d+-\d+\.pbf") == {200}
    # Chinese labels come from mapnode's glyphs (not the browser's fonts): ranges of CJK
    # ideographs (U+4E00–U+9FFF), 西 (U+897F) and 湖 (U+6E56) among them
    cjk = {int(r["url"].rsplit("/", 1)[1].split("-")[0]) for r in facts.responses
           if "/fonts/" in r["url"]}
    assert {0x8900, 0x6E00} <= cjk and len({c for c in cjk if 0x4E00 <= c <= 0x9FFF}) >= 20
    assert facts.responses_to(r"/sprites/mapnode\.json$") == {200}
    assert facts.responses_to(r"/sprites/mapnode\.png$") == {200}
    assert facts.responses_to(r"/tiles/basemap/WebMercatorQuad/14/") == {200}
    # the rendered map holds roads and water, West Lake by name, and placed labels
    assert v["features"]["roads"] > 200 and v["features"]["water"] > 5
    assert "西湖" in v["names"]["water"]
    assert {"北山街", "南山路"} & set(v["names"]["roads"])
    assert v["symbols"] > 30
    shot = Path(facts.screenshots[0])
    assert Image.open(shot).size == VIEW


def test_server_and_browser_renderings_look_alike(demo_server: DemoServer) -> None:
    browser = Path(browser_view(demo_server).screenshots[0])
    server = server_view(demo_server, "server-westlake")
    same = likeness(browser, server)
    assert same.alike, f"browser {browser.name} vs server {server.name}: {same}"
    tiled = tiles_view(demo_server, "server-tiles-westlake")
    from_tiles = likeness(browser, tiled)
    assert from_tiles.alike, f"browser {browser.name} vs tiles {tiled.name}: {from_tiles}"
    # the measure tells different images apart: blank, mirrored, another place, another style
    server_img = Image.open(server)
    blank = Image.new("RGB", VIEW, "#f6f4ee")
    elsewhere = server_view(demo_server, "server-westlake-shifted", shift_px=VIEW[0] // 4)
    labels_only = server_view(demo_server, "server-westlake-labels", layers="labels")
    for other, what in ((blank, "blank"), (ImageOps.mirror(server_img), "mirrored"),
                        (elsewhere, "shifted by 256 px"), (labels_only, "labels style")):
        different = likeness(browser, other)
        assert not different.alike, f"{what} passed as alike: {different}"


def test_a_phone_at_device_scale_2_gets_the_2x_sprite(demo_server: DemoServer) -> None:
    facts = run_page("maplibre_view.mjs", demo_server.url, viewport=(390, 844), scale=2,
                     args={"style": "/styles/basemap.json", "center": list(LAKESIDE),
                           "zoom": 15, "name": f"maplibre-phone-{demo_server.backend}"},
                     timeout=300)
    facts.assert_clean()
    assert facts.responses_to(r"/sprites/mapnode@2x\.(json|png)$") == {200}
    assert not facts.responses_to(r"/sprites/mapnode\.(json|png)$")
    assert facts.values["canvas"] == [780, 1688] and facts.values["symbols"] > 10
    assert Image.open(facts.screenshots[0]).size == (780, 1688)
