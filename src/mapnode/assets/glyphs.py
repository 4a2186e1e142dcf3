"""Glyph PBFs per fontstack and 256-code-point range, made on first request and kept on disk
(gzip-compressed) under `cache_dir/v{sdf.VERSION}/{font}/{start}-{end}.pbf.gz` (the version
changes whenever the glyphs would come out differently, so a shared cache never serves stale
ones)."""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import threading
from pathlib import Path

from mapnode.assets import glyph_pbf, sdf
from mapnode.assets.fonts import FontFace, resolve
from mapnode.errors import InvalidParameter

_RANGE = re.compile(r"([0-9]{1,7})-([0-9]{1,7})")
MAX_CODEPOINT = 0x10FFFF


def parse_range(text: str) -> tuple[int, int]:
    """`"19968-20223"` → (19968, 20223); a range must be 256 code points from a multiple of 256."""
    m = _RANGE.fullmatch(text)
    start, end = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    if not m or start % 256 or end != start + 255 or end > MAX_CODEPOINT:
        raise InvalidParameter("字形范围必须是 {start}-{end}，start 为 256 的倍数，end = start + 255",
                               "glyph range must be {start}-{end} with start a multiple of 256 and "
                               "end = start + 255", {"parameter": "range", "value": text})
    return start, end


def build(face: FontFace, start: int, end: int) -> bytes:
    """The uncompressed PBF of one range (a valid empty fontstack when no glyph is in it)."""
    ft = sdf.open_face(str(face.path), face.index)
    ascent = sdf.ascender(ft)
    glyphs = [g for cp in range(start, end + 1) if (g := sdf.render(ft, cp, ascent)) is not None]
    return glyph_pbf.encode(face.name, start, end, glyphs)


class GlyphCache:
    """Gzipped glyph PBFs on disk; each range is made once even under concurrent requests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._building: dict[Path, threading.Lock] = {}

    def _lock_for(self, path: Path) -> threading.Lock:
        with self._lock:
            return self._building.setdefault(path, threading.Lock())

    def get(self, fontstack: str, range_text: str) -> bytes:
        """The gzipped PBF for a fontstack (first known font, else Regular) and a range."""
        start, _ = parse_range(range_text)
        return self.ensure(resolve(fontstack), start).read_bytes()

    def ensure(self, face: FontFace, start: int) -> Path:
        """The cached file of the range from `start`, made first if missing."""
        end = start + 255
        path = self.root / f"v{sdf.VERSION}" / face.slug / f"{start}-{end}.pbf.gz"
        if path.is_file():
            return path
        with self._lock_for(path):  # one build per range; other ranges build meanwhile
            if not path.is_file():
                data = gzip.compress(build(face, start, end), mtime=0)
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
        return path
