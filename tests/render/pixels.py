"""Pixel helpers for the rendering tests: decode images, find colours, map lon/lat to pixels
in a tile's own CRS."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mapnode.grids import Grid, from_lonlat


def rgba(data: bytes) -> np.ndarray:
    """An (h, w, 4) uint8 array of an encoded image."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def hex_rgb(text: str) -> np.ndarray:
    h = text.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)


def near(img: np.ndarray, colour: str, tol: float = 12.0) -> np.ndarray:
    """Boolean mask of pixels within `tol` (max channel difference) of a colour."""
    diff = np.abs(img[..., :3].astype(float) - hex_rgb(colour))
    return np.asarray(diff.max(axis=-1) <= tol)


def tile_pixel(g: Grid, z: int, x: int, y: int, lon: float, lat: float,
               size: int = 256) -> tuple[float, float]:
    """Column and row (fractional) of a lon/lat in tile z/x/y, in the grid's own CRS."""
    minx, miny, maxx, maxy = g.bounds(z, x, y)
    px, py = (lon, lat) if g.geographic else from_lonlat(lon, lat)
    return (px - minx) / (maxx - minx) * size, (maxy - py) / (maxy - miny) * size


def pixel_lonlat(g: Grid, z: int, x: int, y: int, col: float, row: float,
                 size: int = 256) -> tuple[float, float]:
    """The lon/lat at a pixel position of a tile (inverse of tile_pixel)."""
    from mapnode.grids import to_lonlat

    minx, miny, maxx, maxy = g.bounds(z, x, y)
    px = minx + col / size * (maxx - minx)
    py = maxy - row / size * (maxy - miny)
    return (px, py) if g.geographic else to_lonlat(px, py)
