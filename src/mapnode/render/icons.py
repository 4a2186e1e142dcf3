"""Icons for the server renderer: the browser's own sprite (mapnode.assets.sprites, the @2x
sheet), cut into one PNG per icon in a temporary folder once per process. Symbolizers draw
them at half size (`ICON_TRANSFORM`), so a map at scale 2 shows the @2x pixels as they are."""

from __future__ import annotations

import io
import json
import tempfile
import threading
from functools import cache
from pathlib import Path

from PIL import Image

ICON_TRANSFORM = "scale(0.5)"
_lock = threading.Lock()


@cache
def _icons() -> dict[str, str]:
    from mapnode.assets.sprites import build

    with _lock:
        png, index = build(2)
        sheet = Image.open(io.BytesIO(png))
        folder = Path(tempfile.mkdtemp(prefix="mapnode-icons-"))
        out = {}
        for name, box in json.loads(index).items():
            icon = sheet.crop((box["x"], box["y"], box["x"] + box["width"],
                               box["y"] + box["height"]))
            path = folder / f"{name}.png"
            icon.save(path)
            out[name] = str(path)
        return out


def icon_file(name: str) -> str:
    """The PNG of a sprite icon; an unknown name is the default POI icon."""
    icons = _icons()
    return icons.get(name, icons["poi-default"])
