"""Benchmark inputs built from the real Hangzhou OSM roads, water and landuse (50,228 features).

The large input replicates the real data with coordinate offsets: copy k is shifted east/north
on a grid of 1.3° × 0.8° steps (the data spans 1.26° × 0.77°), so copies never overlap and stay
within valid lon/lat. Lines and polygons cannot share a mapnode layer, so the GeoPackage has two
layers: `roads` (LineString, copies of the 38,800 roads) and `areas` (MultiPolygon, copies of
the 2,721 water + 8,707 landuse polygons, with a `kind` column). Both layers are filled in the
source's proportion (77% / 23%); the last copy of each is partial. `osm_id` is made unique per
layer and copy: `copy·10¹⁰ + tag·10⁹ + original id` (tag separates water/landuse and the 13
duplicated ids of the source), so `--key osm_id` works; the source id stays in `src_osm_id`.

    python -m bench.make_inputs --size 1m     # writes bench/.cache/hangzhou_x1000000.gpkg
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

SOURCE = Path("/work/shared/data/osm_hangzhou_roads_water_landuse_2019/"
              "hangzhou_osm_roads_water_landuse.gpkg")
CACHE = Path(__file__).resolve().parent / ".cache"
STEP_LON, STEP_LAT = 1.3, 0.8
ID_COPY, ID_TAG = 10_000_000_000, 1_000_000_000


@dataclass
class Table:
    """One layer in memory: shapely geometries and named attribute columns."""

    geoms: np.ndarray
    fields: dict[str, np.ndarray]
    geometry_type: str

    def __len__(self) -> int:
        return len(self.geoms)

    def take(self, n: int) -> Table:
        return Table(self.geoms[:n], {k: v[:n] for k, v in self.fields.items()},
                     self.geometry_type)


def parse_size(text: str) -> int:
    """'10k' → 10_000, '1m' → 1_000_000, '2500' → 2500."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _read(layer: str) -> Table:
    meta, _fids, wkb, columns = pyogrio.raw.read(SOURCE, layer=layer)
    fields = {str(name): col for name, col in zip(meta["fields"], columns, strict=True)}
    return Table(shapely.from_wkb(wkb), fields, str(meta["geometry_type"]))


def _occurrence(ids: np.ndarray) -> np.ndarray:
    """0 for the first time an id is seen, 1 for the second, ..."""
    out = np.zeros(len(ids), dtype=np.int64)
    seen: dict[int, int] = {}
    for i, v in enumerate(ids.tolist()):
        out[i] = seen.get(v, 0)
        seen[v] = out[i] + 1
    return out


def load_hangzhou() -> dict[str, Table]:
    """The source as two tables, `roads` and `areas`, each with a unique `osm_id` base key."""
    roads = _read("roads")
    roads.fields["src_osm_id"] = roads.fields["osm_id"].copy()
    water, landuse = _read("water_a"), _read("landuse_a")
    names = ["osm_id", "code", "fclass", "name"]
    areas_fields = {n: np.concatenate([water.fields[n], landuse.fields[n]]) for n in names}
    areas_fields["kind"] = np.array(["water"] * len(water) + ["landuse"] * len(landuse),
                                    dtype=object)
    src = areas_fields["osm_id"]
    tag = np.concatenate([np.ones(len(water), np.int64), np.full(len(landuse), 2, np.int64)])
    areas_fields["src_osm_id"] = src.copy()
    areas_fields["osm_id"] = (tag + 3 * _occurrence(src * 4 + tag)) * ID_TAG + src
    areas = Table(np.concatenate([water.geoms, landuse.geoms]), areas_fields, "MultiPolygon")
    for t in (roads, areas):
        assert len(np.unique(t.fields["osm_id"])) == len(t), "osm_id not unique"
    return {"roads": roads, "areas": areas}


def grid_offset(copy: int, cols: int) -> tuple[float, float]:
    """The (east, north) shift of copy number `copy` on a grid `cols` copies wide."""
    return (copy % cols) * STEP_LON, (copy // cols) * STEP_LAT


def shifted(table: Table, copy: int, cols: int) -> Table:
    """A copy of `table` moved by `grid_offset(copy, cols)` with ids unique to the copy."""
    dx, dy = grid_offset(copy, cols)
    geoms = table.geoms if copy == 0 else shapely.transform(
        table.geoms, lambda xy: xy + np.array([dx, dy]))
    fields = dict(table.fields)
    fields["osm_id"] = table.fields["osm_id"] + copy * ID_COPY
    return Table(geoms, fields, table.geometry_type)


def split_counts(total: int, tables: dict[str, Table]) -> dict[str, int]:
    """How many features of each table make `total`, in the source's proportion."""
    whole = sum(len(t) for t in tables.values())
    names = list(tables)
    counts = {n: round(total * len(tables[n]) / whole) for n in names[1:]}
    counts[names[0]] = total - sum(counts.values())
    return counts


def large_input(n: int = 1_000_000, *, quiet: bool = False) -> Path:
    """The replicated GeoPackage with `n` features, built once and cached under bench/.cache."""
    path = CACHE / f"hangzhou_x{n}.gpkg"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tables = load_hangzhou()
    counts = split_counts(n, tables)
    copies = max(-(-counts[k] // len(t)) for k, t in tables.items())
    cols = max(1, int(np.ceil(np.sqrt(copies * STEP_LAT / STEP_LON))))
    tmp = path.with_suffix(".partial.gpkg")
    tmp.unlink(missing_ok=True)
    written = False
    for name, table in tables.items():
        left = counts[name]
        copy = 0
        while left > 0:
            part = shifted(table, copy, cols).take(min(left, len(table)))
            assert shapely.is_valid(part.geoms).all(), f"copy {copy} of {name} has invalid shapes"
            pyogrio.raw.write(tmp, shapely.to_wkb(part.geoms), list(part.fields.values()),
                              list(part.fields), layer=name, driver="GPKG",
                              geometry_type=table.geometry_type, crs="EPSG:4326",
                              append=written)
            written = True
            left -= len(part)
            copy += 1
    tmp.rename(path)
    if not quiet:
        print(f"wrote {path} ({size_label(n)} features: {counts}, grid {cols} copies wide) "
              f"in {time.perf_counter() - t0:.1f} s")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1m", help="features, e.g. 100k, 1m (default 1m)")
    args = ap.parse_args()
    print(large_input(parse_size(args.size)))


if __name__ == "__main__":
    main()
