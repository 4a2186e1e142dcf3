"""Signed distance field glyphs for MapLibre: 24 px glyphs with a 3 px buffer.

A glyph is drawn by FreeType at 4× (96 px) and thresholded; the exact Euclidean distance
transform (scipy) of inside and outside gives a signed distance at high resolution, averaged per
1× pixel. Values follow MapLibre's convention (as TinySDF and fontnik): radius 8 px, cutoff 0.25,
so the outline sits at 191 and 0 is 6 px outside it.
"""

from __future__ import annotations

import math

import freetype
import numpy as np
from scipy.ndimage import distance_transform_edt

from mapnode.assets.glyph_pbf import Glyph

SIZE = 24
BUFFER = 3
SCALE = 4
RADIUS = 8.0
CUTOFF = 0.25


def open_face(path: str, index: int) -> freetype.Face:
    face = freetype.Face(path, index)
    face.set_pixel_sizes(0, SIZE * SCALE)
    return face


def ascender(face: freetype.Face) -> int:
    """The font's ascender at 24 px: glyph tops are given relative to it (as fontnik does)."""
    return round(face.size.ascender / 64 / SCALE)


def render(face: freetype.Face, codepoint: int, ascent: int) -> Glyph | None:
    """The SDF glyph of one code point, or None when the face has no glyph for it."""
    if face.get_char_index(codepoint) == 0:
        return None
    face.load_char(codepoint, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
    slot = face.glyph
    bm = slot.bitmap
    advance = round(slot.advance.x / 64 / SCALE)
    if bm.width == 0 or bm.rows == 0:
        return Glyph(codepoint, b"", 0, 0, 0, -ascent, advance)
    hi = np.array(bm.buffer, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, :bm.width]
    left4, top4 = slot.bitmap_left, slot.bitmap_top
    left, right = math.floor(left4 / SCALE), math.ceil((left4 + bm.width) / SCALE)
    top, bottom = math.ceil(top4 / SCALE), math.floor((top4 - bm.rows) / SCALE)
    width, height = right - left, top - bottom
    cols, rows = width + 2 * BUFFER, height + 2 * BUFFER
    inside = np.zeros((rows * SCALE, cols * SCALE), dtype=bool)
    ox, oy = left4 - (left - BUFFER) * SCALE, (top + BUFFER) * SCALE - top4
    inside[oy:oy + bm.rows, ox:ox + bm.width] = hi >= 128
    # distance to the outline from each side, in 4× pixels; the outline is half a pixel away
    outside_d = distance_transform_edt(~inside) - 0.5
    inside_d = distance_transform_edt(inside) - 0.5
    signed = np.where(inside, -inside_d, outside_d)
    per_pixel = signed.reshape(rows, SCALE, cols, SCALE).mean(axis=(1, 3)) / SCALE
    values = np.clip(np.round(255 - 255 * (per_pixel / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)
    return Glyph(codepoint, values.tobytes(), width, height, left, top - ascent, advance)
