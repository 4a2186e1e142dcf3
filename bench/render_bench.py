"""Server-side raster tile rendering: ms per 256 px and 512 px (@2x) base-map tile, uncached,
over a fixed list of Hangzhou tiles from level 10 to 16, in WebMercatorQuad and CGCS2000Quad,
on both backends; beside it, the same mapnik map reading PostGIS directly (the peer).

    .venv/bin/python -m bench.render_bench [--rounds 2]

Data (loaded once, cached in bench/.cache/render.mapnode and database `mapnode_bench_render`,
schema `render`): the whole OSM Hangzhou base map of `osm_hangzhou_roads_water_landuse.gpkg`
(38,8xx roads, 2,7xx water and 8,7xx landuse polygons), the 2024 amenity points (8,9xx) and
the railway stations of China (19,055), imported with `mapnode.ingest.import_file`.

Tiles: for each level 10…16, the tiles holding four places (西湖, 湖滨, 钱江新城, 滨江), made
up to four with neighbours where they share one: 28 tiles per grid. Each tile is rendered
once to warm up, then `--rounds` times; p50/p99 are over every timed render.

- `mapnode`: `services.raster_tiles.render_tile` (what a cache miss costs): the store read as
  of the current seq with the caller's access, generalisation, inline GeoJSON, mapnik, PNG.
- `mapnik+PostGIS direct` (peer, PostGIS only): the same planned mapnik map (same style
  layers, zoom, buffer, labels), but each layer is mapnik's own `postgis` datasource on the
  store's current rows (`versions WHERE layer_id = … AND seq_to IS NULL`, the partial GiST
  index): no access check, no generalisation, no GeoJSON. It bounds what a leaner data path
  could gain.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import ensure_database, machine_line, pg_admin, print_table
from mapnode.grids import grid
from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.render import encode
from mapnode.render.env import mapnik
from mapnode.render.plan import draw, plan_map
from mapnode.services.raster_tiles import raster_tileset, render_tile
from mapnode.store import VersionedStore, open_store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"
PG_DB = "mapnode_bench_render"
SCHEMA = "render"
PLACES = [(120.1417, 30.2472), (120.1630, 30.2580), (120.2120, 30.2450), (120.2050, 30.1950)]
LEVELS = range(10, 17)
SOURCES = [
    ("osm_hangzhou_roads_water_landuse_2019/hangzhou_osm_roads_water_landuse.gpkg", "roads",
     "roads"),
    ("osm_hangzhou_roads_water_landuse_2019/hangzhou_osm_roads_water_landuse.gpkg", "water_a",
     "water"),
    ("osm_hangzhou_roads_water_landuse_2019/hangzhou_osm_roads_water_landuse.gpkg",
     "landuse_a", "landuse"),
    ("osm_hangzhou_amenities_2024/hangzhou_osm_amenities_2024.gpkg", "amenities_points",
     "pois"),
    ("osm_china_railway_stations_2025/china_railway_stations_osm_2025.gpkg", None, "stations"),
]


def store_for(backend: str) -> VersionedStore:
    """The cached bench store of a backend, loaded on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        url = str(CACHE / "render.mapnode")
    else:
        ensure_database(PG_DB)
        url = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}?schema={SCHEMA}"
    store = open_store(url)
    have = {m.name for m in store.layers(Actor.system())}
    for path, source_layer, name in SOURCES:
        if name in have:
            continue
        t0 = time.perf_counter()
        options = ImportOptions(layer=name, source_layers=[source_layer] if source_layer else None)
        report = import_file(store, Actor.system(), DATA / path, options)
        print(f"  loaded {name} into {backend}: {report.features_read:,} features in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
    if backend == "postgis":
        pg_admin(f"ANALYZE {SCHEMA}.versions", dbname=PG_DB)
    return store


def tile_list(tms: str) -> list[tuple[int, int, int]]:
    g = grid(tms)
    out: list[tuple[int, int, int]] = []
    for z in LEVELS:
        tiles = list(dict.fromkeys(g.tile_of(lon, lat, z) for lon, lat in PLACES))
        x0, y0 = tiles[0]
        for dx, dy in ((1, 0), (0, 1), (1, 1), (-1, 0), (0, -1)):
            if len(tiles) >= 4:
                break
            if (x0 + dx, y0 + dy) not in tiles:
                tiles.append((x0 + dx, y0 + dy))
        out += [(z, x, y) for x, y in tiles[:4]]
    return out


def time_tiles(store: VersionedStore, tms: str, scale: int, rounds: int,
               peer: bool) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """ms per render by level, for mapnode and (if `peer`) the direct peer; the two run
    alternately on each tile, so the shared machine's load falls on both alike."""
    actor, g = Actor.anonymous(), grid(tms)
    ts = raster_tileset(store, actor, "basemap")
    seq = store.current_seq()
    ours: dict[int, list[float]] = {}
    theirs: dict[int, list[float]] = {}
    for z, x, y in tile_list(tms):
        for i in range(rounds + 1):  # the first round warms up
            t0 = time.perf_counter()
            data, _ = render_tile(store, actor, ts, g, z, x, y, "png", scale, seq)
            ms = (time.perf_counter() - t0) * 1000
            assert data.startswith(b"\x89PNG")
            if i:
                ours.setdefault(z, []).append(ms)
            if peer:
                ms = direct(store, g, z, x, y, scale)
                if i:
                    theirs.setdefault(z, []).append(ms)
    return ours, theirs


def postgis_sources(store: VersionedStore, fields: dict[str, set[str]]) -> dict[str, Any]:
    m = mapnik()
    out = {}
    for layer, names in fields.items():
        layer_id = store._layer_id(Actor.system(), layer)[0]
        cols = "".join(f", v.props->>'{n}' AS \"{n}\"" for n in sorted(names))
        table = (f"(SELECT v.geom{cols} FROM {SCHEMA}.versions v WHERE v.layer_id = {layer_id}"
                 " AND v.seq_to IS NULL) AS t")
        out[layer] = m.Datasource(type="postgis", host="127.0.0.1", user="postgres",
                                  dbname=PG_DB, table=table, geometry_field="geom",
                                  srid=4490, extent="-180,-90,180,90",
                                  estimate_extent="false", persist_connection="true")
    return out


def direct(store: VersionedStore, g: Any, z: int, x: int, y: int, scale: int) -> float:
    """ms for the same map with mapnik's own PostGIS datasources."""
    t0 = time.perf_counter()
    plan = plan_map(store, Actor.anonymous(), style="basemap", layers=None,
                    bbox=g.bounds(z, x, y), crs=f"EPSG:{g.srid}", width=256 * scale,
                    height=256 * scale, fmt="png", transparent=False, bgcolor=None,
                    as_of=None, scale=scale)
    data = encode(draw(plan, postgis_sources(store, plan.fields)), "png", False)
    assert data.startswith(b"\x89PNG")
    return (time.perf_counter() - t0) * 1000


def p(ms: list[float], q: float) -> float:
    ms = sorted(ms)
    return ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]


def row(name: str, backend: str, tms: str, scale: int, by_level: dict[int, list[float]]
        ) -> list[str]:
    ms = [v for vs in by_level.values() for v in vs]
    return [name, backend, grid(tms).id, str(256 * scale), str(len(ms)), f"{p(ms, 0.5):.0f}",
            f"{p(ms, 0.99):.0f}", f"{statistics.fmean(ms):.0f}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2, help="timed renders per tile")
    ap.add_argument("--backends", default="sqlite,postgis")
    args = ap.parse_args()
    print(machine_line())
    rows, levels = [], []
    for backend in args.backends.split(","):
        store = store_for(backend)
        for tms in ("w", "c"):
            for scale in (1, 2):
                ours, theirs = time_tiles(store, tms, scale, args.rounds, backend == "postgis")
                rows.append(row("mapnode", backend, tms, scale, ours))
                print("  " + " | ".join(rows[-1]), flush=True)
                levels.append(["mapnode", backend, grid(tms).id, str(256 * scale),
                               *(f"{p(ours[z], 0.5):.0f}" for z in LEVELS)])
                if theirs:
                    rows.append(row("mapnik+PostGIS direct", backend, tms, scale, theirs))
                    print("  " + " | ".join(rows[-1]), flush=True)
                    levels.append(["mapnik+PostGIS direct", backend, grid(tms).id,
                                   str(256 * scale),
                                   *(f"{p(theirs[z], 0.5):.0f}" for z in LEVELS)])
        store.close()
    print(f"\nUncached base-map tiles, levels {LEVELS.start}-{LEVELS.stop - 1}, "
          f"{len(tile_list('w'))} tiles per grid, {args.rounds} timed renders each (ms):\n")
    print_table(["renderer", "backend", "grid", "px", "renders", "p50", "p99", "mean"], rows)
    print("\np50 ms by level:\n")
    print_table(["renderer", "backend", "grid", "px", *(f"z{z}" for z in LEVELS)], levels)


if __name__ == "__main__":
    main()
