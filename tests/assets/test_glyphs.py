"""Glyph PBFs: the protobuf MapLibre reads, SDF shapes that match the font, fontstack fallback,
ranges (empty and malformed) and the disk cache."""

from __future__ import annotations

import dataclasses
import gzip

import freetype
import numpy as np
import pytest
from starlette.testclient import TestClient

from mapnode.assets import glyph_pbf, sdf
from mapnode.assets.fonts import BOLD, FACES, REGULAR
from mapnode.assets.glyphs import build
from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.store import VersionedStore

XI = ord("西")  # 35199, in 35072-35327
HU = ord("湖")


def _range_of(cp: int) -> str:
    start = cp // 256 * 256
    return f"{start}-{start + 255}"


def _glyph(client: TestClient, fontstack: str, cp: int) -> tuple[str, glyph_pbf.Glyph]:
    r = client.get(f"/fonts/{fontstack}/{_range_of(cp)}.pbf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/x-protobuf"
    name, rng, glyphs = glyph_pbf.decode(r.content)
    assert rng == _range_of(cp)
    return name, next(g for g in glyphs if g.id == cp)


def _sdf(g: glyph_pbf.Glyph) -> np.ndarray:
    assert len(g.bitmap) == (g.width + 6) * (g.height + 6)
    return np.frombuffer(g.bitmap, np.uint8).reshape(g.height + 6, g.width + 6)


def _freetype_coverage(fontname: str, cp: int) -> tuple[np.ndarray, int, int]:
    """FreeType's own 24 px rendering of the glyph: (inside mask, left, top)."""
    face = FACES[fontname]
    ft = freetype.Face(str(face.path), face.index)
    ft.set_pixel_sizes(0, 24)
    ft.load_char(cp, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
    bm = ft.glyph.bitmap
    a = np.array(bm.buffer, np.uint8).reshape(bm.rows, bm.pitch)[:, :bm.width]
    return a >= 128, ft.glyph.bitmap_left, ft.glyph.bitmap_top


def _ascender(fontname: str) -> int:
    face = FACES[fontname]
    return sdf.ascender(sdf.open_face(str(face.path), face.index))


def _paint(canvas: np.ndarray, mask: np.ndarray, left: int, top: int) -> None:
    """Put a bitmap whose top-left pixel is at (left, top) (y up, baseline 0) on a canvas."""
    row, col = 40 - top, 10 + left
    canvas[row:row + mask.shape[0], col:col + mask.shape[1]] |= mask


def _iou_with_freetype(fontname: str, g: glyph_pbf.Glyph) -> float:
    """Overlap of the SDF's inside (> 191, MapLibre's edge) with FreeType's own 24 px bitmap
    of code point `g.id`, both placed by their metrics (the SDF has a 3 px buffer)."""
    ft_inside, left, top = _freetype_coverage(fontname, g.id)
    a, b = np.zeros((64, 64), bool), np.zeros((64, 64), bool)
    _paint(a, _sdf(g) > 191, g.left - 3, g.top + _ascender(fontname) + 3)
    _paint(b, ft_inside, left, top)
    return float((a & b).sum() / (a | b).sum())


def test_cjk_glyphs_are_sdfs_of_the_noto_shapes(client: TestClient) -> None:
    name, xi = _glyph(client, REGULAR, XI)
    assert name == REGULAR
    assert 18 <= xi.width <= 24 and 16 <= xi.height <= 24 and xi.advance == 24
    sdf = _sdf(xi)
    # the buffer is outside the glyph (low values), the strokes are inside (> 191)
    assert sdf[0].max() < 120 and sdf[:, 0].max() < 120
    assert (sdf > 191).sum() > 60
    assert _iou_with_freetype(REGULAR, xi) > 0.75
    # a different character's SDF does not match 西's shape
    _, hu = _glyph(client, REGULAR, HU)
    assert _iou_with_freetype(REGULAR, hu) > 0.75
    assert _iou_with_freetype(REGULAR, dataclasses.replace(hu, id=XI)) < 0.5


def test_latin_range_and_space(client: TestClient) -> None:
    r = client.get("/fonts/Noto Sans CJK SC Regular/0-255.pbf")
    _, rng, glyphs = glyph_pbf.decode(r.content)
    ids = {g.id for g in glyphs}
    assert rng == "0-255" and set(range(ord("A"), ord("Z") + 1)) <= ids
    space = next(g for g in glyphs if g.id == 32)
    assert space.bitmap == b"" and space.width == 0 and space.advance > 0
    a = next(g for g in glyphs if g.id == ord("A"))
    assert _iou_with_freetype(REGULAR, a) > 0.7


def test_fontstacks_pick_the_first_known_font_or_regular(client: TestClient) -> None:
    bold_name, bold = _glyph(client, f"Open Sans Regular,{BOLD}", XI)
    regular_name, regular = _glyph(client, "Open Sans Regular,Arial Unicode MS Regular", XI)
    assert bold_name == BOLD and regular_name == REGULAR
    # bold strokes are thicker: more of the SDF is inside
    assert (_sdf(bold) > 191).sum() > 1.2 * (_sdf(regular) > 191).sum()
    assert _iou_with_freetype(BOLD, bold) > 0.75


def test_a_range_without_glyphs_is_a_valid_empty_pbf(client: TestClient) -> None:
    r = client.get(f"/fonts/{REGULAR}/262144-262399.pbf")  # plane 4: no glyphs in the font
    assert r.status_code == 200
    name, rng, glyphs = glyph_pbf.decode(r.content)
    assert (name, rng, glyphs) == (REGULAR, "262144-262399", [])


@pytest.mark.parametrize("bad", ["0-254", "1-256", "256-255", "a-b", "0_255", "-256-0",
                                 "1114112-1114367", "99999999-100000254"])
def test_malformed_ranges_are_400_problems(client: TestClient, bad: str) -> None:
    r = client.get(f"/fonts/{REGULAR}/{bad}.pbf")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["detail"]["parameter"] == "range" and "字形范围" in body["title"]


def test_ranges_are_cached_on_disk_gzipped_with_etag(client: TestClient,
                                                     store: VersionedStore) -> None:
    path = f"/fonts/{BOLD}/20224-20479.pbf"
    first = client.get(path)
    assert first.headers["content-encoding"] == "gzip"
    files = list((store.data_dir / "fonts").rglob("*.pbf.gz"))
    assert [f.name for f in files] == ["20224-20479.pbf.gz"]
    assert gzip.decompress(files[0].read_bytes()) == first.content
    mtime = files[0].stat().st_mtime_ns
    second = client.get(path)
    assert second.content == first.content and files[0].stat().st_mtime_ns == mtime
    etag = first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == first.content


def test_build_is_deterministic() -> None:
    assert build(FACES[REGULAR], 0, 255) == build(FACES[REGULAR], 0, 255)


def test_a_shared_glyph_cache_dir_serves_every_store(store: VersionedStore, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shared = tmp_path / "glyphs"
    with TestClient(create_app(Settings(store=store.url, glyph_cache_dir=str(shared)),
                               store=store)) as c:
        assert c.get(f"/fonts/{REGULAR}/0-255.pbf").status_code == 200
    assert [p.relative_to(shared).as_posix() for p in shared.rglob("*.pbf.gz")] == [
        f"v{sdf.VERSION}/noto-sans-cjk-sc-regular/0-255.pbf.gz"]
    assert not (store.data_dir / "fonts").exists()
