"""The sprite sheet: the names the base-map style uses, 1× and 2× sheets whose index matches the
image, icons that are drawn (opaque where the index says), determinism and the disk cache."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from starlette.testclient import TestClient

from mapnode.assets.sprites import build
from mapnode.store import VersionedStore

NAMES = {"poi-default", "poi-restaurant", "poi-school", "poi-hospital", "poi-bank", "poi-shop",
         "poi-hotel", "poi-park", "poi-government", "station-rail", "station-bus", "marker"}


def _sheet(client: TestClient, suffix: str) -> tuple[dict[str, dict[str, int]], np.ndarray]:
    index = client.get(f"/sprites/mapnode{suffix}.json")
    png = client.get(f"/sprites/mapnode{suffix}.png")
    assert index.status_code == png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert index.headers["content-type"] == "application/json"
    return index.json(), np.asarray(Image.open(io.BytesIO(png.content)).convert("RGBA"))


def test_sheets_hold_every_named_icon(client: TestClient) -> None:
    one, img1 = _sheet(client, "")
    two, img2 = _sheet(client, "@2x")
    assert set(one) == set(two) == NAMES
    assert img2.shape[0] == 2 * img1.shape[0] and img2.shape[1] == 2 * img1.shape[1]
    crops = {}
    for index, img, ratio in ((one, img1, 1), (two, img2, 2)):
        for name, box in index.items():
            assert box["pixelRatio"] == ratio
            assert box["x"] + box["width"] <= img.shape[1]
            assert box["y"] + box["height"] <= img.shape[0]
            crop = img[box["y"]:box["y"] + box["height"], box["x"]:box["x"] + box["width"]]
            alpha = crop[..., 3]
            # an icon: opaque in the middle, transparent in the corners
            assert alpha[box["height"] // 2, box["width"] // 2] == 255, name
            assert alpha[0, 0] == 0 and alpha[0, -1] == 0, name
            assert (alpha > 0).mean() > 0.4, name
            if ratio == 2:
                crops[name] = crop
        assert one[name]["width"] * 2 == two[name]["width"]
    # icons differ from each other (a sign or a colour each)
    flat = [c.tobytes() for c in crops.values()]
    assert len(set(flat)) == len(flat)
    # the white sign in the middle of a round icon
    hospital = crops["poi-hospital"]
    assert (hospital[20, 20, :3] > 240).all()


def test_sheets_are_deterministic_and_cached(client: TestClient, store: VersionedStore) -> None:
    assert build(2) == build(2)
    first = client.get("/sprites/mapnode@2x.png")
    cached = store.data_dir / "sprites" / "mapnode@2x.png"
    assert cached.read_bytes() == first.content == build(2)[0]
    r = client.get("/sprites/mapnode@2x.png", headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 304


def test_unknown_sprites_are_404_problems(client: TestClient) -> None:
    for path in ("/sprites/other.json", "/sprites/mapnode@3x.png", "/sprites/mapnode.svg"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["title"] == "精灵图不存在"
