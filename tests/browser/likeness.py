"""How alike two renderings of one view are, for the server-vs-browser comparison.

Both images are blurred (labels and 1 px offsets matter little) and reduced to the mean colour
of each 32 × 32 px block. Two numbers come out: the share of blocks whose colours are within
`CLOSE` (RGB distance) of each other, and the correlation of the blocks' lightness (the map's
layout: water, parks, roads). Alike means both are high: a blank image has no layout (correlation
0), the same colours in other places (a mirrored or shifted view) correlate poorly, and another
style has other colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

BLOCK = 32
BLUR = 4
CLOSE = 24.0            # RGB distance (of 441) under which two blocks count as the same colour
MIN_CLOSE_SHARE = 0.9
MIN_CORRELATION = 0.9


@dataclass(frozen=True)
class Likeness:
    close_share: float   # share of blocks of about the same colour
    correlation: float   # Pearson correlation of the blocks' lightness
    mean_distance: float  # mean RGB distance of the blocks

    @property
    def alike(self) -> bool:
        return self.close_share >= MIN_CLOSE_SHARE and self.correlation >= MIN_CORRELATION

    def __str__(self) -> str:
        return (f"close blocks {self.close_share:.1%} (≥ {MIN_CLOSE_SHARE:.0%}), lightness "
                f"correlation {self.correlation:.3f} (≥ {MIN_CORRELATION}), mean distance "
                f"{self.mean_distance:.1f}")


def blocks(image: Image.Image | str | Path, size: tuple[int, int]) -> np.ndarray:
    """Mean RGB per block of the blurred image, resized first to `size`."""
    img = image if isinstance(image, Image.Image) else Image.open(image)
    img = img.convert("RGBA")
    flat = Image.new("RGBA", img.size, (255, 255, 255, 255))
    flat.alpha_composite(img)
    rgb = flat.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    rgb = rgb.filter(ImageFilter.GaussianBlur(BLUR))
    small = rgb.resize((size[0] // BLOCK, size[1] // BLOCK), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64)


def likeness(a: Image.Image | str | Path, b: Image.Image | str | Path,
             size: tuple[int, int] = (1024, 768)) -> Likeness:
    ba, bb = blocks(a, size), blocks(b, size)
    distance = np.sqrt(((ba - bb) ** 2).sum(axis=2))
    weights = np.array([0.299, 0.587, 0.114])
    la, lb = (ba * weights).sum(axis=2).ravel(), (bb * weights).sum(axis=2).ravel()
    flat = la.std() < 1e-6 or lb.std() < 1e-6  # a blank image has no layout to correlate
    correlation = 0.0 if flat else float(np.corrcoef(la, lb)[0, 1])
    return Likeness(float((distance < CLOSE).mean()), correlation, float(distance.mean()))
