"""Glyph PBFs: what making them costs, and what they cost a browser map.

    .venv/bin/python -m bench.glyphs_bench [--ranges 12] [--rounds 2]

1. **Making a range** (256 code points, Noto Sans CJK SC Regular, ranges from U+4E00 up):
   mapnode's SDF (`mapnode.assets.glyphs.build`: FreeType at 3×, scipy distance transform,
   protobuf) beside FreeType 2.13's own SDF renderer (`FT_RENDER_MODE_SDF`, the peer: bitmaps
   only, no protobuf) over the same glyphs. ms per range, p50 and max.
2. **MapLibre in Chromium** (tests/browser/maplibre_view.mjs, the West Lake view at z14,
   1024×768, demo map layers in a SQLite store): time from navigation to `idle` with CJK from
   mapnode's glyphs, cold (empty glyph cache) and warm, beside MapLibre's default (the peer:
   CJK drawn locally from the browser's fonts with TinySDF).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import freetype
from tests.support.browser import DEMO_LAYERS, MANIFEST, run_page
from tests.support.server import ServeProcess

from bench.common import machine_line, print_table
from mapnode.assets.fonts import FACES, REGULAR
from mapnode.assets.glyphs import build
from mapnode.manifest import load_manifest, read_manifest
from mapnode.model import Actor
from mapnode.store import open_store

FIRST = 0x4E00


def freetype_sdf(start: int) -> int:
    """FreeType's SDF renderer over one range; returns the bitmap bytes made."""
    face = FACES[REGULAR]
    ft = freetype.Face(str(face.path), face.index)
    ft.set_pixel_sizes(0, 24)
    total = 0
    for cp in range(start, start + 256):
        if ft.get_char_index(cp):
            ft.load_char(cp, freetype.FT_LOAD_DEFAULT)
            ft.glyph.render(freetype.FT_RENDER_MODE_SDF)
            total += ft.glyph.bitmap.rows * ft.glyph.bitmap.pitch
    return total


def ranges_table(n: int, rounds: int) -> None:
    starts = [FIRST + 256 * i for i in range(n)]
    rows = []
    for label, fn in (("mapnode SDF + PBF", lambda s: build(FACES[REGULAR], s, s + 255)),
                      ("FreeType FT_RENDER_MODE_SDF (peer)", freetype_sdf)):
        times = []
        for _ in range(rounds):
            for s in starts:
                t = time.perf_counter()
                fn(s)
                times.append((time.perf_counter() - t) * 1000)
        rows.append([label, str(len(times)), f"{statistics.median(times):.0f}",
                     f"{max(times):.0f}"])
    print_table(["glyph range (256 CJK code points)", "runs", "p50 ms", "max ms"], rows)


def page_table(rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="glyphs-bench-"))
    store = open_store(str(work / "demo.mapnode"))
    load_manifest(store, Actor.system(), read_manifest(MANIFEST), only=list(DEMO_LAYERS))
    store.close()
    rows = []
    for run in range(rounds):
        cache = work / f"glyphs-{run}"
        server = ServeProcess(str(work / "demo.mapnode"),
                              env={"MAPNODE_GLYPH_CACHE_DIR": str(cache)})
        try:
            for label, local in (("mapnode glyphs, cold cache", False),
                                 ("mapnode glyphs, warm cache", False),
                                 ("browser-drawn CJK (peer)", True)):
                facts = run_page("maplibre_view.mjs", server.url, timeout=600,
                                 out_dir=work, args={
                                     "style": "/styles/basemap.json", "zoom": 14,
                                     "center": [120.15, 30.25], "name": "bench",
                                     "localIdeographs": local, "timeout_ms": 550000})
                facts.assert_clean()
                fonts = [r for r in facts.responses if "/fonts/" in r["url"]]
                rows.append([label, str(run + 1), str(len(fonts)),
                             f"{facts.values['idle_ms'] / 1000:.1f}",
                             str(facts.values["symbols"])])
        finally:
            server.stop()
    print_table(["MapLibre, West Lake z14", "round", "glyph requests", "s to idle",
                 "symbols placed"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranges", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    a = parser.parse_args()
    print(machine_line())
    ranges_table(a.ranges, a.rounds)
    print()
    page_table(a.rounds)


if __name__ == "__main__":
    main()
