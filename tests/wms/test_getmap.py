"""GetMap on both backends: decoded images, a known feature's colour at the expected pixel in
EPSG:4490 (1.3.0 lat/lon), EPSG:3857 and 1.1.1 EPSG:4326 (lon/lat), which proves the axis
order; formats, TRANSPARENT, BGCOLOR, several layers, TIME and access."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pyproj import Transformer

from mapnode.styles.palette import LAND, WATER
from tests.wms.conftest import GOV_KEY, GOV_ZONE, LAKE_POINT, LAND_POINT, NEW_LAKE, Served

LONLAT = (120.12, 30.225, 120.17, 30.27)  # 0.05° × 0.045°: 500 × 450 px at 1e-4°/px
W, H = 500, 450
MERC = Transformer.from_crs(4490, 3857, always_xy=True)


def rgb(text: str) -> tuple[int, int, int]:
    return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def close(a: tuple[int, ...], b: tuple[int, ...], tol: int = 10) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a[:3], b[:3], strict=True))


def getmap(served: Served, version: str = "1.3.0", **params: str) -> Image.Image:
    crs_key = "CRS" if version == "1.3.0" else "SRS"
    query = {"SERVICE": "WMS", "VERSION": version, "REQUEST": "GetMap", "LAYERS": "basemap",
             "STYLES": "", crs_key: "EPSG:4490",
             "BBOX": ",".join(map(str, (LONLAT[1], LONLAT[0], LONLAT[3], LONLAT[2]))),
             "WIDTH": str(W), "HEIGHT": str(H), "FORMAT": "image/png", **params}
    r = served.client.get("/wms", params=query)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == query["FORMAT"]
    image = Image.open(io.BytesIO(r.content))
    image.load()
    return image


def px(lon: float, lat: float) -> tuple[int, int]:
    """The pixel of a lon/lat point on the LONLAT map of W × H."""
    return (int((lon - LONLAT[0]) / (LONLAT[2] - LONLAT[0]) * W),
            int((LONLAT[3] - lat) / (LONLAT[3] - LONLAT[1]) * H))


def test_4490_lat_lon_order_puts_the_lake_where_it_is(served: Served) -> None:
    image = getmap(served).convert("RGBA")
    assert image.size == (W, H)
    assert len(set(image.get_flattened_data())) > 5  # not blank
    assert close(image.getpixel(px(*LAKE_POINT)), rgb(WATER))
    assert not close(image.getpixel(px(*LAND_POINT)), rgb(WATER))


def test_3857_and_111_lon_lat_draw_the_same_place(served: Served) -> None:
    x0, y0 = MERC.transform(LONLAT[0], LONLAT[1])
    x1, y1 = MERC.transform(LONLAT[2], LONLAT[3])
    merc = getmap(served, CRS="EPSG:3857", BBOX=f"{x0},{y0},{x1},{y1}").convert("RGBA")
    lx, ly = MERC.transform(*LAKE_POINT)
    pixel = (int((lx - x0) / (x1 - x0) * W), int((y1 - ly) / (y1 - y0) * H))
    assert close(merc.getpixel(pixel), rgb(WATER))
    old = getmap(served, "1.1.1", SRS="EPSG:4326",
                 BBOX=",".join(map(str, LONLAT))).convert("RGBA")
    assert close(old.getpixel(px(*LAKE_POINT)), rgb(WATER))
    crs84 = getmap(served, CRS="CRS:84", BBOX=",".join(map(str, LONLAT))).convert("RGBA")
    assert close(crs84.getpixel(px(*LAKE_POINT)), rgb(WATER))


@pytest.mark.parametrize(("fmt", "kind"), [("image/jpeg", "JPEG"), ("image/webp", "WEBP")])
def test_jpeg_and_webp(served: Served, fmt: str, kind: str) -> None:
    image = getmap(served, FORMAT=fmt)
    assert image.format == kind and image.size == (W, H)
    assert close(image.convert("RGB").getpixel(px(*LAKE_POINT)), rgb(WATER), 16)


def test_transparent_and_bgcolor(served: Served) -> None:
    roads = getmap(served, LAYERS="roads", TRANSPARENT="TRUE").convert("RGBA")
    assert roads.getpixel(px(*LAKE_POINT))[3] == 0  # no road in the middle of the lake
    assert max(a for *_, a in roads.get_flattened_data()) == 255  # but roads are drawn
    red = getmap(served, LAYERS="roads", BGCOLOR="0xFF0000").convert("RGBA")
    assert close(red.getpixel(px(*LAKE_POINT)), (255, 0, 0))


def test_several_layers_are_drawn_in_order(served: Served) -> None:
    both = getmap(served, LAYERS="water,roads", STYLES=",").convert("RGBA")
    assert close(both.getpixel(px(*LAKE_POINT)), rgb(WATER))
    over = getmap(served, LAYERS="water,labels", TRANSPARENT="TRUE").convert("RGBA")
    lake = over.getpixel(px(*LAKE_POINT))
    assert lake[3] == 255 and close(lake, rgb(WATER))
    assert over.getpixel(px(*LAND_POINT))[3] == 0 or not close(over.getpixel(
        px(*LAND_POINT)), rgb(LAND))


def test_time_draws_the_data_as_it_was(served: Served) -> None:
    centre = NEW_LAKE.centroid  # its label is drawn at the centre: look beside it
    centre = type(centre)(centre.x, NEW_LAKE.bounds[1] + 0.0005)
    now = getmap(served, LAYERS="water").convert("RGBA")
    then = getmap(served, LAYERS="water", TIME=served.before.isoformat()).convert("RGBA")
    assert close(now.getpixel(px(centre.x, centre.y)), rgb(WATER))
    assert not close(then.getpixel(px(centre.x, centre.y)), rgb(WATER))
    assert close(then.getpixel(px(*LAKE_POINT)), rgb(WATER))


def _zone_pixels(image: Image.Image) -> list[tuple[int, ...]]:
    (x0, y1), (x1, y0) = px(GOV_ZONE.bounds[0], GOV_ZONE.bounds[1]), px(*GOV_ZONE.bounds[2:])
    return [image.getpixel((x, y)) for x in range(x0 + 2, x1 - 2) for y in range(y0 + 2, y1 - 2)]


def test_public_basemap_never_draws_a_government_layer(served: Served) -> None:
    public = getmap(served).convert("RGBA")
    gov = getmap(served, tk=GOV_KEY).convert("RGBA")
    differ = sum(a != b for a, b in zip(_zone_pixels(public), _zone_pixels(gov), strict=True))
    assert differ > 0.5 * len(_zone_pixels(public))
    outside = px(*LAKE_POINT)
    assert public.getpixel(outside) == gov.getpixel(outside)
    r = served.client.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "gov_zones",
        "STYLES": "", "CRS": "EPSG:4490", "BBOX": "30.2,120.1,30.3,120.2", "WIDTH": "64",
        "HEIGHT": "64", "FORMAT": "image/png"})
    assert r.status_code == 400 and b'code="LayerNotDefined"' in r.content
    getmap(served, LAYERS="gov_zones", tk=GOV_KEY)


def test_legend_graphic(served: Served) -> None:
    for layer in ("water", "roads", "basemap", "labels"):
        r = served.client.get("/wms", params={"SERVICE": "WMS", "VERSION": "1.3.0",
                                              "REQUEST": "GetLegendGraphic", "LAYER": layer,
                                              "FORMAT": "image/png"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
        image = Image.open(io.BytesIO(r.content)).convert("RGBA")
        assert len(set(image.get_flattened_data())) > 1
    water = Image.open(io.BytesIO(served.client.get("/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic", "LAYER": "water",
        "FORMAT": "image/png"}).content)).convert("RGBA")
    assert close(water.getpixel((10, 10)), rgb(WATER), 20)
    hidden = served.client.get("/wms", params={"SERVICE": "WMS", "VERSION": "1.3.0",
                                               "REQUEST": "GetLegendGraphic",
                                               "LAYER": "gov_zones", "FORMAT": "image/png"})
    assert hidden.status_code == 400 and b"LayerNotDefined" in hidden.content
    allowed = served.client.get("/wms", params={"SERVICE": "WMS", "VERSION": "1.3.0",
                                                "REQUEST": "GetLegendGraphic", "tk": GOV_KEY,
                                                "LAYER": "gov_zones", "FORMAT": "image/png"})
    assert allowed.status_code == 200


def test_4549_northing_easting_in_130_and_easting_northing_in_111(served: Served) -> None:
    gk = Transformer.from_crs(4490, 4549, always_xy=True)  # CGCS2000 3° GK, CM 120°E
    e0, n0 = gk.transform(LONLAT[0], LONLAT[1])
    e1 = e0 + 5000.0  # a 5 km × 4.5 km map, 10 m per pixel
    n1 = n0 + 4500.0
    le, ln = gk.transform(*LAKE_POINT)
    pixel = (int((le - e0) / 10.0), int((n1 - ln) / 10.0))
    new = getmap(served, CRS="EPSG:4549", BBOX=f"{n0},{e0},{n1},{e1}").convert("RGBA")
    assert close(new.getpixel(pixel), rgb(WATER))
    old = getmap(served, "1.1.1", SRS="EPSG:4549", BBOX=f"{e0},{n0},{e1},{n1}").convert("RGBA")
    assert close(old.getpixel(pixel), rgb(WATER))
    assert new.tobytes() == old.tobytes()
