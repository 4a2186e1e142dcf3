"""The one place that imports mapnik.

`import mapnik` points PROJ_LIB at a folder of its wheel that has no proj.db, which breaks
rasterio and pyproj afterwards; and mapnik's PROJ needs a proj.db of layout 1.6 or newer,
which pyproj's bundled one (1.4) is not. So before importing mapnik, PROJ_LIB/PROJ_DATA are set
to rasterio's bundled PROJ data (layout 1.6), which mapnik, rasterio and pyproj all accept.
The Noto CJK fonts of Debian's fonts-noto-cjk are registered once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from functools import cache
from pathlib import Path
from types import ModuleType

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/wqy")
_lock = threading.Lock()


def _layout_minor(proj_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{proj_dir / 'proj.db'}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM metadata WHERE key = "
                             "'DATABASE.LAYOUT.VERSION.MINOR'").fetchone()
        return int(row[0]) if row else -1
    except (sqlite3.Error, ValueError):
        return -1


def proj_data_dir() -> str:
    """A PROJ data folder every PROJ in the process accepts (the newest proj.db layout)."""
    import pyproj.datadir
    import rasterio

    candidates = [Path(rasterio.__file__).parent / "proj_data", Path(pyproj.datadir.get_data_dir())]
    return str(max(candidates, key=_layout_minor))


@cache
def mapnik() -> ModuleType:
    """The mapnik module, imported with PROJ data set and the CJK fonts registered."""
    with _lock:
        data = proj_data_dir()
        os.environ["PROJ_LIB"] = data
        os.environ["PROJ_DATA"] = data
        import mapnik as m

        os.environ["PROJ_LIB"] = data  # whatever mapnik's bootstrap did
        os.environ["PROJ_DATA"] = data
        for d in FONT_DIRS:
            if Path(d).is_dir():
                m.register_fonts(d)
        return m


def face_names() -> list[str]:
    return list(mapnik().FontEngine.face_names())
