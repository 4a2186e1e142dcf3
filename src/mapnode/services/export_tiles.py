"""Export a tileset to MBTiles 1.3 or PMTiles v3, through `TileService.tile` (so through the
cache, and exactly the bytes the server sends).

Both formats address Web Mercator tiles only, so the export grid is WebMercatorQuad.
- **MBTiles 1.3**: `metadata` (name, format, bounds, center, minzoom, maxzoom, attribution,
  description, type, version, and for vector tiles `json` with `vector_layers`) and `tiles`
  with TMS rows (`tile_row = 2^z − 1 − y`); vector tiles are gzip-compressed PBF as the spec
  asks; empty tiles are left out.
- **PMTiles v3** via the `pmtiles` package: tiles are written in tile-id (Hilbert) order so the
  archive is clustered; the JSON metadata carries the same `vector_layers`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write as pmtiles_write

from mapnode.errors import InvalidParameter
from mapnode.model import Actor
from mapnode.services.seed import SeedPlan, fetch
from mapnode.services.tiles import TileService

MBTILES_FORMAT = {"mvt": "pbf", "png": "png", "jpg": "jpg", "webp": "webp"}
PM_TYPE = {"mvt": TileType.MVT, "png": TileType.PNG, "jpg": TileType.JPEG, "webp": TileType.WEBP}


@dataclass
class ExportSummary:
    path: Path
    visited: int = 0
    tiles: int = 0
    empty: int = 0
    bytes: int = 0


def metadata(service: TileService, actor: Actor, plan: SeedPlan) -> dict[str, Any]:
    """MBTiles-style metadata of the export (values as they go into the file)."""
    west, south, east, north = plan.bbox
    centre_z = min(plan.zmax, max(plan.zmin, (plan.zmin + plan.zmax) // 2))
    info: dict[str, Any] = {
        "name": plan.tileset, "format": MBTILES_FORMAT[plan.fmt], "type": "baselayer",
        "version": "1.0.0", "minzoom": str(plan.zmin), "maxzoom": str(plan.zmax),
        "bounds": f"{west},{south},{east},{north}",
        "center": f"{(west + east) / 2},{(south + north) / 2},{centre_z}",
        "description": f"mapnode {plan.tileset} ({plan.grid})", "attribution": "",
    }
    if plan.fmt == "mvt":
        tilejson = service.tilejson(actor, plan.tileset, plan.grid, "")
        info["name"] = tilejson["name"]
        info["attribution"] = tilejson["attribution"]
        info["json"] = {"vector_layers": [{**v, "minzoom": plan.zmin, "maxzoom": plan.zmax}
                                          for v in tilejson["vector_layers"]]}
    return info


def check_plan(plan: SeedPlan) -> None:
    if plan.grid != "WebMercatorQuad":
        raise InvalidParameter("MBTiles/PMTiles 只支持 WebMercatorQuad（w）网格",
                               "MBTiles and PMTiles hold WebMercatorQuad (w) tiles only",
                               {"grid": plan.grid})


def export_mbtiles(service: TileService, actor: Actor, plan: SeedPlan, path: Path,
                   on_tile: Callable[[ExportSummary], None] | None = None) -> ExportSummary:
    """Write the plan's tiles to a new MBTiles file at `path` (replaced if it exists)."""
    import json

    check_plan(plan)
    meta = metadata(service, actor, plan)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    summary = ExportSummary(path)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
            "CREATE UNIQUE INDEX name ON metadata (name);")
        db.executemany("INSERT INTO metadata VALUES (?, ?)",
                       [(k, json.dumps(v, ensure_ascii=False) if k == "json" else v)
                        for k, v in meta.items()])
        for z, x, y in plan.tiles():
            result = fetch(service, actor, plan, z, x, y)
            summary.visited += 1
            if result.data:
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           (z, x, (1 << z) - 1 - y, result.data))
                summary.tiles += 1
                summary.bytes += len(result.data)
            else:
                summary.empty += 1
            if on_tile is not None:
                on_tile(summary)
        db.commit()
    finally:
        db.close()
    tmp.replace(path)
    return summary


def export_pmtiles(service: TileService, actor: Actor, plan: SeedPlan, path: Path,
                   on_tile: Callable[[ExportSummary], None] | None = None) -> ExportSummary:
    """Write the plan's tiles to a new PMTiles v3 archive at `path` (clustered)."""
    check_plan(plan)
    meta = metadata(service, actor, plan)
    order = sorted((zxy_to_tileid(z, x, y), z, x, y) for z, x, y in plan.tiles())
    tmp = path.with_name(path.name + ".part")
    summary = ExportSummary(path)
    with pmtiles_write(str(tmp)) as writer:
        for tile_id, z, x, y in order:
            result = fetch(service, actor, plan, z, x, y)
            summary.visited += 1
            if result.data:
                writer.write_tile(tile_id, result.data)
                summary.tiles += 1
                summary.bytes += len(result.data)
            else:
                summary.empty += 1
            if on_tile is not None:
                on_tile(summary)
        if not summary.tiles:
            raise InvalidParameter("范围内没有瓦片", "no tiles in this range",
                                   {"bbox": meta["bounds"]})
        west, south, east, north = plan.bbox
        header = {
            "tile_type": PM_TYPE[plan.fmt],
            "tile_compression": Compression.GZIP if plan.fmt == "mvt" else Compression.NONE,
            "min_lon_e7": int(west * 1e7), "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7), "max_lat_e7": int(north * 1e7),
            "center_zoom": int(meta["center"].split(",")[2]),
            "center_lon_e7": int((west + east) / 2 * 1e7),
            "center_lat_e7": int((south + north) / 2 * 1e7),
        }
        writer.finalize(header, {k: v for k, v in meta.items() if k not in ("json",)}
                        | meta.get("json", {}))
    tmp.replace(path)
    return summary


def export(service: TileService, actor: Actor, plan: SeedPlan, path: Path,
           on_tile: Callable[[ExportSummary], None] | None = None) -> ExportSummary:
    """Export by file suffix: `.mbtiles` or `.pmtiles`."""
    suffix = path.suffix.lower()
    if suffix == ".mbtiles":
        return export_mbtiles(service, actor, plan, path, on_tile)
    if suffix == ".pmtiles":
        return export_pmtiles(service, actor, plan, path, on_tile)
    raise InvalidParameter("输出文件须为 .mbtiles 或 .pmtiles",
                           "the output must be .mbtiles or .pmtiles", {"output": str(path)})


__all__ = ["ExportSummary", "export", "export_mbtiles", "export_pmtiles", "metadata"]
