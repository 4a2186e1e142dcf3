"""EXCEPTIONS=INIMAGE: the error message drawn on an image of the requested size and format."""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mapnode.services.wms.maps import MapQuery, encode

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default()


def message_image(q: MapQuery, message: str) -> bytes:
    """A white (or transparent) image with `message` in dark red, wrapped to the width."""
    image = Image.new("RGBA", (q.width, q.height), (255, 255, 255, 0 if q.transparent else 255))
    draw = ImageDraw.Draw(image)
    size = max(8, min(14, q.width // 30))
    chars = max(8, q.width // size)
    y = 4
    for line in textwrap.wrap(message, chars):
        draw.text((4, y), line, fill=(160, 0, 0, 255), font=font(size))
        y += size + 4
    return encode(image, q.fmt, q.transparent)
