"""The `mapnode` sprite sheet, drawn with Pillow: round coloured icons with a white sign (a
Chinese character from Noto Sans CJK or a simple shape) and a map pin.

Icons are drawn at 4× the target size and reduced (anti-aliasing); the output is deterministic
(same bytes each run). Names are part of the style contract (`styles/basemap.json` uses them).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mapnode.assets.fonts import BOLD, FACES
from mapnode.styles import palette

ICON = 20        # icon size in CSS pixels
SUPER = 4        # drawn at this factor, then reduced
Draw = Callable[[ImageDraw.ImageDraw, float], None]  # draws the white sign in a box of size s


@dataclass(frozen=True)
class Icon:
    name: str
    sign: str | Draw  # a character or a drawing function

    @property
    def colour(self) -> str:
        """The style's colour for this icon (the server renderer draws the same colour)."""
        return palette.ICON_COLOURS[self.name]


def _dot(d: ImageDraw.ImageDraw, s: float) -> None:
    d.ellipse((s * 0.36, s * 0.36, s * 0.64, s * 0.64), fill="white")


def _cross(d: ImageDraw.ImageDraw, s: float) -> None:
    a, b = s * 0.42, s * 0.58
    d.rectangle((a, s * 0.24, b, s * 0.76), fill="white")
    d.rectangle((s * 0.24, a, s * 0.76, b), fill="white")


def _tree(d: ImageDraw.ImageDraw, s: float) -> None:
    d.ellipse((s * 0.27, s * 0.18, s * 0.73, s * 0.6), fill="white")
    d.rectangle((s * 0.44, s * 0.5, s * 0.56, s * 0.8), fill="white")


ICONS = [
    Icon("poi-default", _dot),
    Icon("poi-restaurant", "食"),
    Icon("poi-school", "学"),
    Icon("poi-hospital", _cross),
    Icon("poi-bank", "¥"),
    Icon("poi-shop", "购"),
    Icon("poi-hotel", "宿"),
    Icon("poi-park", _tree),
    Icon("poi-government", "政"),
    Icon("station-rail", "铁"),
    Icon("station-bus", "交"),
]
MARKER = "marker"
NAMES = [i.name for i in ICONS] + [MARKER]


def _font(px: int) -> ImageFont.FreeTypeFont:
    face = FACES[BOLD]
    return ImageFont.truetype(str(face.path), px, index=face.index)


def _icon(icon: Icon, ratio: int) -> Image.Image:
    s = ICON * ratio * SUPER
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, s - 1, s - 1), fill="white")
    ring = s * 0.08
    d.ellipse((ring, ring, s - 1 - ring, s - 1 - ring), fill=icon.colour)
    if isinstance(icon.sign, str):
        d.text((s / 2, s / 2), icon.sign, font=_font(int(s * 0.5)), fill="white", anchor="mm")
    else:
        icon.sign(d, s)
    return img.resize((ICON * ratio, ICON * ratio), Image.Resampling.LANCZOS)


def _marker(ratio: int) -> Image.Image:
    w, h = ICON * ratio * SUPER, int(ICON * 1.5) * ratio * SUPER
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    for pad, colour in ((0.0, "white"), (w * 0.07, palette.ICON_COLOURS[MARKER])):
        r = w / 2 - pad
        d.ellipse((w / 2 - r, w / 2 - r, w / 2 + r, w / 2 + r), fill=colour)
        d.polygon([(w / 2 - r * 0.87, w / 2 + r * 0.5), (w / 2 + r * 0.87, w / 2 + r * 0.5),
                   (w / 2, h - 1 - pad * 1.6)], fill=colour)
    d.ellipse((w * 0.34, w * 0.34, w * 0.66, w * 0.66), fill="white")
    return img.resize((ICON * ratio, int(ICON * 1.5) * ratio), Image.Resampling.LANCZOS)


def build(ratio: int) -> tuple[bytes, bytes]:
    """(PNG, JSON index) of the sheet at a pixel ratio of 1 or 2: one row of icons."""
    images = [(i.name, _icon(i, ratio)) for i in ICONS] + [(MARKER, _marker(ratio))]
    gap = 2 * ratio
    width = sum(im.width + gap for _, im in images)
    height = max(im.height for _, im in images)
    sheet = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    index, x = {}, 0
    for name, im in images:
        sheet.paste(im, (x, 0))
        index[name] = {"x": x, "y": 0, "width": im.width, "height": im.height,
                       "pixelRatio": ratio}
        x += im.width + gap
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue(), json.dumps(index, indent=1, sort_keys=True).encode()


class SpriteCache:
    """The sheets, built once at first request and kept on disk under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    def get(self, ratio: int, ext: str) -> bytes:
        suffix = "@2x" if ratio == 2 else ""
        path = self.root / f"mapnode{suffix}.{ext}"
        with self._lock:
            if not path.is_file():
                png, index = build(ratio)
                self.root.mkdir(parents=True, exist_ok=True)
                for p, data in ((self.root / f"mapnode{suffix}.png", png),
                                (self.root / f"mapnode{suffix}.json", index)):
                    tmp = p.with_suffix(p.suffix + ".tmp")
                    tmp.write_bytes(data)
                    tmp.replace(p)
        return path.read_bytes()
