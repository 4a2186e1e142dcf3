"""OpenLayers in chromium loads the EPSG:4490 WMTS (天地图 shape `/vec_c/wmts` and the generic
`/wmts` CGCS2000Quad), on both backends: the tile grid's origin is (-180, 90), the tiles it asks
for are the ones mapnode's grid puts under the view, and 西湖 is drawn in the middle."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from mapnode.grids import grid
from tests.support.browser import run_page
from tests.support.server import ServeProcess
from tests.tiles.conftest import City
from tests.wmts.conftest import LAKE

SCRIPT = __import__("pathlib").Path(__file__).with_name("openlayers_wmts.mjs")


@pytest.fixture(scope="module")
def server(city: City) -> Iterator[ServeProcess]:
    proc = ServeProcess(city.store.url)
    yield proc
    proc.stop()


def requested(facts, level: int) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(col, row) of the tiles at `level` the page fetched (KVP or REST)."""
    out = set()
    for r in facts.responses:
        url = urlparse(r["url"])
        q = {k.upper(): v[0] for k, v in parse_qs(url.query).items()}
        if q.get("REQUEST", "").lower() == "gettile" and q.get("TILEMATRIX") == str(level):
            out.add((int(q["TILECOL"]), int(q["TILEROW"])))
        m = re.search(r"/wmts/1\.0\.0/[^/]+/[^/]+/[^/]+/(\d+)/(\d+)/(\d+)\.", url.path)
        if m and int(m.group(1)) == level:
            out.add((int(m.group(3)), int(m.group(2))))
    return out


@pytest.mark.parametrize(("capabilities", "layer", "matrix_set"), [
    ("/vec_c/wmts?request=GetCapabilities&service=wmts", "vec", "c"),
    ("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "basemap", "CGCS2000Quad"),
])
def test_openlayers_loads_the_cgcs2000_wmts(server: ServeProcess, city: City, capabilities: str,
                                            layer: str, matrix_set: str) -> None:
    level = 14
    facts = run_page(SCRIPT, server.url, viewport=(768, 512), ignore=[r"favicon\.ico$"],
                     args={"capabilities": capabilities, "layer": layer,
                           "matrixSet": matrix_set, "center": list(LAKE), "level": level,
                           "name": f"openlayers_wmts_{city.backend}_{matrix_set}"})
    facts.assert_clean()
    v = facts.values
    assert v["rendered"] and v["projection"] in ("EPSG:4490", "urn:ogc:def:crs:EPSG::4490")
    assert v["origin"] == [-180, 90]
    assert v["resolution"] == pytest.approx(0.703125 / 2 ** (level - 1), rel=1e-9)
    x, y = grid("c").tile_of(*LAKE, level)
    tiles = requested(facts, level)
    assert (x, y) in tiles, sorted(tiles)
    assert all(abs(c - x) <= 2 and abs(r - y) <= 2 for c, r in tiles)  # 768×512 px: 3×2 or 4×3
    red, _, blue, alpha = v["centre_rgba"]
    assert alpha == 255 and blue > red + 20  # 西湖
    assert facts.screenshots
