"""Icons for the server renderer: a small SVG dot per sprite icon name, in the icon's colour
(palette.ICON_COLOURS), written once per process to a temporary folder. The browser draws the
sprite's pictograms at the same places."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from mapnode.styles import palette

SIZE = 14


@cache
def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="mapnode-icons-"))


@cache
def icon_file(name: str) -> str:
    colour = palette.ICON_COLOURS.get(name, palette.ICON_COLOURS["poi-default"])
    r = SIZE / 2
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}">'
           f'<circle cx="{r}" cy="{r}" r="{r - 1.5}" fill="{colour}" stroke="#ffffff" '
           f'stroke-width="1.5"/></svg>')
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    path = _folder() / f"{safe}.svg"
    path.write_text(svg)
    return str(path)
