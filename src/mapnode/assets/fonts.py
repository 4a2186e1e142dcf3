"""The fontstacks mapnode serves and where their faces live (Debian's fonts-noto-cjk)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mapnode.errors import NotFound

FONT_DIR = Path(os.environ.get("MAPNODE_FONT_DIR", "/usr/share/fonts/opentype/noto"))
REGULAR = "Noto Sans CJK SC Regular"
BOLD = "Noto Sans CJK SC Bold"


@dataclass(frozen=True)
class FontFace:
    """A face inside a font collection: file and face index (2 is SC in the Noto CJK .ttc)."""

    name: str
    file: str
    index: int

    @property
    def path(self) -> Path:
        return FONT_DIR / self.file

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-")


FACES = {REGULAR: FontFace(REGULAR, "NotoSansCJK-Regular.ttc", 2),
         BOLD: FontFace(BOLD, "NotoSansCJK-Bold.ttc", 2)}


def resolve(fontstack: str) -> FontFace:
    """The first known font of a comma-separated fontstack; Regular when none is known
    (MapLibre asks for lists such as "Open Sans Regular,Arial Unicode MS Regular")."""
    for name in fontstack.split(","):
        face = FACES.get(name.strip())
        if face is not None:
            break
    else:
        face = FACES[REGULAR]
    if not face.path.is_file():
        raise NotFound("字体文件不存在（请安装 fonts-noto-cjk）",
                       "font file missing (install fonts-noto-cjk)", {"path": str(face.path)})
    return face
