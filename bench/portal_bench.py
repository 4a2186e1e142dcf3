"""The portal's page weight and time to the first rendered map, in headless Chromium.

    .venv/bin/python -m bench.portal_bench [--runs 5] [--warm 2] [--backend sqlite]
        [--viewports desktop,phone] [--views initial,westlake]

`mapnode serve` over the demo's map layers (`tests.support.browser.serve_demo`, the browser
tests' server), once the place index is built. One untimed load first fills the server's
glyph and tile caches, so every figure is the browser's side of a warm server. Then, per
viewport (desktop 1280×800 @1, phone 390×844 @2), `--runs` fresh Chromium profiles each load
each view cold (empty HTTP cache) and come back `--warm` times (bench/portal_load.mjs on
tests/browser/harness.mjs). Two views: `/` opens at the portal's own initial view (the median
extent of the layers in the log: all of Hangzhou at z8.7, no labels), `#map=15/30.25/120.155`
is West Lake at z15 (the browser tests' view: labels, so glyphs and sprites).

- **Time to the first rendered map**: ms from navigation start to MapLibre's `load` event.
  In MapLibre 5 it fires after the first frame drawn with the style and every tile of the
  view loaded (`map.loaded()`), so it is the complete first map, not an empty canvas. The
  first `idle` beside it also waits for label fade-in (300 ms) and placement to finish.
  Each load is checked to have drawn tiles (rendered features > 0, `areTilesLoaded()`).
- **Bytes**: headers + bodies on the wire (Chromium's encoded sizes; gzip where served so)
  of every http request started between navigation and the first `idle`, split by kind; a
  response from the HTTP cache moves 0 bytes, a revalidation (304) only headers. Requests:
  every http request the page made in that window, those answered from the cache included.

Medians over the runs (min–max beside the times). Screenshots and the raw figures go to
artifacts/bench-portal/.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from tests.support.browser import PageFacts, run_page, serve_demo
from tests.support.data import REPO

from bench.common import machine_line, print_table

SCRIPT = Path(__file__).with_name("portal_load.mjs")
OUT = REPO / "artifacts" / "bench-portal"
VIEWPORTS: dict[str, tuple[tuple[int, int], float]] = {
    "desktop": ((1280, 800), 1), "phone": ((390, 844), 2)}
# kinds of request, first match wins; "page" is the HTML document
KINDS: list[tuple[str, str]] = [
    ("page", r"^https?://[^/]+/(\?.*)?$"), ("JS", r"\.m?js(\?|$)"), ("CSS", r"\.css(\?|$)"),
    ("styles", r"/styles/"), ("tiles", r"/tiles/|/wmts"), ("glyphs", r"/fonts/"),
    ("sprites", r"/sprites/"), ("API", r"/api/")]
# the views measured: the portal's own initial view, and West Lake at z15 with labels
VIEWS = {"initial": "/", "westlake": "/#map=15/30.25/120.155"}


def kind_of(url: str) -> str:
    """The kind of a request URL (KINDS), or "other"."""
    return next((name for name, pattern in KINDS if re.search(pattern, url)), "other")


def visit_figures(facts: PageFacts, visit: dict[str, Any]) -> dict[str, Any]:
    """Bytes per kind, request count and times of one visit, with the check that it drew."""
    if not (visit["features"] > 0 and visit["tiles_loaded"] and visit["idle_ms"]):
        raise SystemExit(f"the map was not drawn: {visit}")
    window = (visit["from_ms"], visit["until_ms"])
    responses = facts.requests(r"^https?:", *window)
    by_kind = {name: 0 for name, _ in KINDS} | {"other": 0}
    for r in responses:
        by_kind[kind_of(r["url"])] += r.get("bytes") or 0
    return {"cold": visit["cold"], "requests": len(responses),
            "bytes": facts.page_weight(r"^https?:", *window), "by_kind": by_kind,
            "tile_requests": sum(kind_of(r["url"]) == "tiles" for r in responses),
            "load_ms": visit["load_ms"], "idle_ms": visit["idle_ms"],
            "features": visit["features"], "view": visit["view"]}


def one_browser(url: str, path: str, viewport: str, warm: int,
                name: str | None) -> list[dict[str, Any]]:
    """A fresh Chromium: one cold visit to `path` and `warm` return visits."""
    size, scale = VIEWPORTS[viewport]
    facts = run_page(SCRIPT, url, viewport=size, scale=scale, out_dir=OUT, timeout=600,
                     args={"warm": warm, "name": name, "path": path})
    if facts.problems():
        raise SystemExit("\n".join(facts.problems()[:20]))
    return [visit_figures(facts, v) for v in facts.values["visits"]]


def kb(n: float) -> str:
    return f"{max(n, 0) / 1024:,.1f}"


def spread(values: Sequence[float]) -> str:
    """Median (min–max) of times in ms."""
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def table(results: dict[str, list[list[dict[str, Any]]]]) -> list[list[str]]:
    """One row per view, viewport and visit kind (cold, warm): medians over the runs."""
    rows = []
    for key, runs in results.items():
        for cold in (True, False):
            visits = [v for run in runs for v in run if v["cold"] is cold]
            if not visits:
                continue
            kinds = {k: statistics.median(v["by_kind"][k] for v in visits)
                     for k in visits[0]["by_kind"]}
            rows.append([f"{key} {'cold' if cold else 'warm'}", str(len(visits)),
                         f"{statistics.median(v['requests'] for v in visits):.0f}",
                         kb(statistics.median(v["bytes"] for v in visits)),
                         *(kb(kinds[k]) for k in ("page", "JS", "CSS", "styles", "tiles",
                                                  "glyphs", "sprites", "API", "other")),
                         spread([v["load_ms"] for v in visits]),
                         spread([v["idle_ms"] for v in visits])])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh browsers per viewport")
    ap.add_argument("--warm", type=int, default=2, help="return visits per browser")
    ap.add_argument("--backend", choices=["sqlite", "postgis"], default="sqlite")
    ap.add_argument("--viewports", default="desktop,phone")
    ap.add_argument("--views", default=",".join(VIEWS), help="names in VIEWS, comma-separated")
    args = ap.parse_args()
    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp, \
            serve_demo(args.backend, Path(tmp)) as demo:
        httpx.get(f"{demo.url}/api/suggest", params={"q": "西湖"}, timeout=600).raise_for_status()
        results: dict[str, list[list[dict[str, Any]]]] = {}
        for name in args.views.split(","):
            path = VIEWS[name]
            for viewport in args.viewports.split(","):
                one_browser(demo.url, path, viewport, 0, None)  # server caches (glyphs, tiles)
                results[f"{name} {viewport}"] = [
                    one_browser(demo.url, path, viewport, args.warm,
                                f"portal-{name}-{viewport}" if i == 0 else None)
                    for i in range(args.runs)]
                print(f"{path} {viewport}: {args.runs} browsers done", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "figures.json").write_text(json.dumps(results, indent=1))
    print(f"\nthe demo map layers ({args.backend}); views: "
          + "; ".join(f"{name} = {VIEWS[name]}" for name in args.views.split(","))
          + "; KB on the wire (medians); ms from navigation start, median (min–max)\n")
    print_table(["load", "n", "requests", "KB total", "page", "JS", "CSS", "styles", "tiles",
                 "glyphs", "sprites", "API", "other", "first map (load) ms",
                 "first idle ms"],
                table(results))
    print(f"\nraw figures: {OUT / 'figures.json'}; screenshots: {OUT}/portal-*.png")


if __name__ == "__main__":
    main()
