"""/staticimage (天地图's static map shape) on both backends: the base map of the view, markers and
paths drawn where their coordinates are, both grids, formats, past states, access and bad input
as problem JSON."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from starlette.testclient import TestClient

from mapnode import render
from mapnode.http.staticimage import StaticMap, parse
from mapnode.model import Actor, Changeset, Edition, Role
from tests.tiles.conftest import GOV_KEY, City, editor
from tests.wmts.conftest import LAKE

VIEW = {"center": f"{LAKE[0]},{LAKE[1]}", "zoom": "14", "width": "400", "height": "300"}


def get(client: TestClient, **params: str) -> Image.Image:
    r = client.get("/staticimage", params={**VIEW, **params})
    assert r.status_code == 200, r.text
    return Image.open(io.BytesIO(r.content))


def view(**params: str) -> StaticMap:
    return parse({k.lower(): v for k, v in {**VIEW, **params}.items()})


@pytest.mark.parametrize("grid", ["w", "c"])
def test_base_map_is_the_rendered_view(client: TestClient, city: City, grid: str) -> None:
    img = get(client, layers=f"vec_{grid}").convert("RGB")
    assert img.size == (400, 300)
    sm = view(layers=f"vec_{grid}")
    expected = Image.open(io.BytesIO(render.render_map(
        city.store, Actor.anonymous(), style="basemap", bbox=sm.bbox(), crs=sm.crs, width=400,
        height=300))).convert("RGB")
    assert img.tobytes() == expected.tobytes()
    red, _, blue = img.getpixel((200, 150))
    assert blue > red + 20  # 西湖 in the middle


def test_markers_and_paths_are_drawn_at_their_coordinates(client: TestClient) -> None:
    marker = (120.135, 30.245)
    line = "120.13,30.24;120.15,30.255"
    square = "120.145,30.235;120.155,30.235;120.155,30.242;120.145,30.242;120.145,30.235"
    plain = get(client, layers="vec_c").convert("RGB")
    img = get(client, layers="vec_c", markers=f"{marker[0]},{marker[1]}",
              paths=f"{line}|{square}", pathStyles="0xff0000,4|0x00aa00,2,0x00ff00aa")
    img = img.convert("RGB")
    sm = view(layers="vec_c")
    mx, my = sm.pixel(*marker)
    r, g, b = img.getpixel((round(mx), round(my - 11)))  # the red pin above its tip
    assert r > 180 and g < 100 and b < 100, (r, g, b)
    assert min(img.getpixel((round(mx), round(my - 17)))) > 240  # its white dot
    ax, ay = sm.pixel(120.13, 30.24)
    bx, by = sm.pixel(120.15, 30.255)
    mid = (round((ax + bx) / 2), round((ay + by) / 2))
    r, g, b = img.getpixel(mid)
    assert r > 200 and g < 80 and b < 80, (r, g, b)  # the red line
    cx, cy = sm.pixel(120.15, 30.2385)
    r, g, b = img.getpixel((round(cx), round(cy)))
    assert g > r + 40 and g > b + 40, (r, g, b)  # filled green polygon
    far = (390, 10)
    assert img.getpixel(far) == plain.getpixel(far)  # nothing else changed


def test_layers_formats_and_labels(client: TestClient) -> None:
    jpeg = client.get("/staticimage", params={**VIEW, "layers": "vec_w,cva_w", "format": "jpg"})
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(jpeg.content)).format == "JPEG"
    base = get(client, layers="vec_w").convert("RGB")
    labelled = get(client, layers="vec_w,cva_w").convert("RGB")
    assert base.tobytes() != labelled.tobytes()  # the labels are drawn over the base map
    imagery = get(client, layers="img_c", zoom="6").convert("RGB")
    assert len(imagery.getcolors(1 << 16) or []) > 20
    # as written in the wild: a space after `?`, a trailing space in layers, imagery labels
    r = client.get(f"/staticimage? center={LAKE[0]},{LAKE[1]}&width=300&height=200&zoom=12"
                   "&layers=img_c,cia_c%20&markers=120.14,30.24")
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (300, 200)


def test_the_caller_is_the_one_drawn_for(client: TestClient, city: City) -> None:
    """The image is render_map's for the caller's actor: a government key gets the government
    rendering (which has `gov_roads`), the public the public one."""
    gov = Actor("gov", Edition.GOVERNMENT, frozenset({Role.READER}))
    sm = view(layers="vec_c")
    for actor, key in ((gov, GOV_KEY), (Actor.anonymous(), None)):
        expected = Image.open(io.BytesIO(render.render_map(
            city.store, actor, style="basemap", bbox=sm.bbox(), crs=sm.crs, width=400,
            height=300))).convert("RGB")
        got = get(client, layers="vec_c", **({"tk": key} if key else {})).convert("RGB")
        assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize(("params", "parameter"), [
    ({"center": "120.1"}, "center"),
    ({"center": "200,30"}, "center"),
    ({"zoom": "25"}, "zoom"),
    ({"zoom": "abc"}, "zoom"),
    ({"width": "5000"}, "width"),
    ({"height": "0"}, "height"),
    ({"layers": "vec_x"}, "layers"),
    ({"layers": "vec_w,cva_c"}, "layers"),
    ({"markers": "120.1,30.2|oops"}, "markers"),
    ({"markers": "|".join(["120.1,30.2"] * 51)}, "markers"),
    ({"paths": "120.1,30.2"}, "paths"),
    ({"pathStyles": "0xzz0000,3"}, "pathStyles"),
    ({"format": "gif"}, "format"),
    ({"datetime": "yesterday"}, "datetime"),
    ({"bogus": "1"}, "bogus"),
])
def test_bad_input_is_problem_json(client: TestClient, params: dict[str, str],
                                   parameter: str) -> None:
    r = client.get("/staticimage", params={**VIEW, **params})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["detail"]["parameter"] == parameter and body["title"] and body["title_en"]
    missing = client.get("/staticimage", params={"zoom": "3"})
    assert missing.status_code == 400 and missing.json()["detail"]["parameter"] == "center"


def test_datetime_draws_the_map_as_it_was(client: TestClient, city: City) -> None:
    store = city.store
    before = store.log(editor(), 0, 10_000)[-1].time.isoformat()
    fid = "589384551"  # 南山路
    feature = store.feature(editor(), "roads", fid)
    lon, lat = feature.geometry.interpolate(0.5, normalized=True).coords[0]
    params = {**VIEW, "center": f"{lon},{lat}", "zoom": "16", "layers": "vec_w,cva_w"}
    image_before = client.get("/staticimage", params=params).content
    entry = store.apply(editor(), Changeset("t", "rename a road").update(
        "roads", fid, feature.version, feature.geometry,
        {**feature.properties, "name": "测试改名路"}))
    assert entry is not None
    try:
        assert client.get("/staticimage", params=params).content != image_before
        then = client.get("/staticimage", params={**params, "datetime": before})
        assert then.status_code == 200 and then.content == image_before
    finally:
        current = store.feature(editor(), "roads", fid)
        store.apply(editor(), Changeset("t", "rename back").update(
            "roads", fid, current.version, current.geometry, feature.properties))
