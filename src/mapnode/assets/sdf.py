"""Signed distance field glyphs for MapLibre: 24 px glyphs with a 3 px buffer.

A glyph is drawn by FreeType at 3× (72 px) and thresholded; the exact Euclidean distance
transform (scipy) of inside and outside gives a signed distance at high resolution, averaged per
1× pixel. Values follow MapLibre's convention (as TinySDF and fontnik): radius 8 px, cutoff 0.25,
so the outline sits at 191 and 0 is 6 px outside it.
"""

from __future__ import annotations

import ctypes
import math

import freetype
import numpy as np
from scipy.ndimage import distance_transform_edt

from mapnode.assets.glyph_pbf import Glyph

VERSION = 1  # bump when the output changes (cache folders are per version)
SIZE = 24
BUFFER = 3
SCALE = 3
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
    raw = ctypes.string_at(bm._FT_Bitmap.buffer, bm.rows * bm.pitch)  # bm.buffer is a slow list
    hi = np.frombuffer(raw, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, :bm.width]
    left_hi, top_hi = slot.bitmap_left, slot.bitmap_top
    left, right = math.floor(left_hi / SCALE), math.ceil((left_hi + bm.width) / SCALE)
    top, bottom = math.ceil(top_hi / SCALE), math.floor((top_hi - bm.rows) / SCALE)
    width, height = right - left, top - bottom
    cols, rows = width + 2 * BUFFER, height + 2 * BUFFER
    inside = np.zeros((rows * SCALE, cols * SCALE), dtype=bool)
    ox, oy = left_hi - (left - BUFFER) * SCALE, (top + BUFFER) * SCALE - top_hi
    inside[oy:oy + bm.rows, ox:ox + bm.width] = hi >= 128
    # distance to the outline from each side, in high-resolution pixels; the outline is half a pixel away
    outside_d = distance_transform_edt(~inside) - 0.5
    inside_d = distance_transform_edt(inside) - 0.5
    signed = np.where(inside, -inside_d, outside_d)
    per_pixel = signed.reshape(rows, SCALE, cols, SCALE).mean(axis=(1, 3)) / SCALE
    values = np.clip(np.round(255 - 255 * (per_pixel / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)
    return Glyph(codepoint, values.tobytes(), width, height, left, top - ascent, advance)
