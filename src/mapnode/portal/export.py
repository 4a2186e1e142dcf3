"""Export a layer as GeoPackage, GeoJSON, Shapefile (zip) or CSV with pyogrio.

The features come from `store.features(actor, …)`, so access is the store's: a layer the actor
may not see is NotFound here too. Coordinates stay as stored (CGCS2000 lon/lat, EPSG:4490).
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyogrio.raw import write

from mapnode.errors import InvalidParameter
from mapnode.model import Actor, Feature, FieldType, LayerMeta
from mapnode.store import VersionedStore


@dataclass(frozen=True)
class Format:
    driver: str
    suffix: str
    media_type: str


FORMATS = {
    "gpkg": Format("GPKG", ".gpkg", "application/geopackage+sqlite3"),
    "geojson": Format("GeoJSON", ".geojson", "application/geo+json"),
    "shp": Format("ESRI Shapefile", ".zip", "application/zip"),
    "csv": Format("CSV", ".csv", "text/csv; charset=utf-8"),
}
CRS = "EPSG:4490"


def check_format(f: str | None) -> Format:
    if f not in FORMATS:
        raise InvalidParameter("f 应为 gpkg、geojson、shp 或 csv 之一",
                               "f must be one of gpkg, geojson, shp, csv",
                               {"parameter": "f", "value": f or ""})
    return FORMATS[f]


def export_layer(store: VersionedStore, actor: Actor, name: str, f: str, directory: Path,
                 as_of: int | datetime | None = None) -> Path:
    """Write the layer into `directory` and return the file to send."""
    fmt = check_format(f)
    meta = store.layer(actor, name)
    features = list(store.features(actor, name, as_of=as_of))
    out = directory / f"{name}{'.shp' if f == 'shp' else fmt.suffix}"
    _write(out, fmt, meta, features)
    if f != "shp":
        return out
    renamed = {full: short for full, short in shapefile_names(_names(meta)).items() if full != short}
    if renamed:  # the DBF keeps 10-byte names: say which is which
        (directory / f"{name}.fields.txt").write_text(
            "".join(f"{short}\t{full}\n" for full, short in renamed.items()), encoding="utf-8")
    archive = directory / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(directory.glob(f"{name}.*")):
            if part != archive:
                z.write(part, part.name)
    return archive


def _names(meta: LayerMeta) -> list[str]:
    """The columns written: the feature id, then the layer's fields."""
    return ["mapnode_fid" if "fid" in meta.fields else "fid", *meta.fields]


def shapefile_names(names: list[str]) -> dict[str, str]:
    """Unique DBF field names of at most 10 bytes, cut on a character boundary (GDAL would cut
    a Chinese name inside a character)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for full in names:
        safe = re.sub(r"\W", "_", full)  # as GDAL launders (addr:street → addr_street)
        short = _cut(safe, 10)
        n = 1
        while short.lower() in used:
            tail = f"_{n}"
            short = _cut(safe, 10 - len(tail)) + tail
            n += 1
        used.add(short.lower())
        out[full] = short
    return out


def _cut(text: str, size: int) -> str:
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def _write(out: Path, fmt: Format, meta: LayerMeta, features: list[Feature]) -> None:
    id_name, *fields = _names(meta)
    types = {id_name: FieldType.STRING, **meta.fields}
    limit = 254 if fmt.driver == "ESRI Shapefile" else None  # DBF strings: 254 bytes
    columns = [_column([f.fid if n == id_name else f.properties.get(n) for f in features],
                       types[n], limit) for n in [id_name, *fields]]
    names = [id_name, *fields]
    if fmt.driver == "ESRI Shapefile":
        short = shapefile_names(names)
        names = [short[n] for n in names]
    geoms = [f.geometry for f in features]
    has_geometry = any(g is not None for g in geoms)
    kinds = {g.geom_type for g in geoms if g is not None}
    layer_options: dict[str, Any] = {}
    geometry_type, promote = None, None
    if has_geometry:
        promote = len(kinds) > 1  # mixed single and multi parts: write all as multi
        geometry_type = _multi(kinds) if promote else next(iter(kinds))
    if fmt.driver == "CSV":
        layer_options["GEOMETRY"] = "AS_XY" if geometry_type == "Point" else "AS_WKT"
    if fmt.driver == "GPKG":
        layer_options["FID"] = "gpkg_fid"  # the GeoPackage row id; ours is a text field
    if fmt.driver == "ESRI Shapefile":
        layer_options["ENCODING"] = "UTF-8"
    wkb = (np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
           if has_geometry else None)
    write(str(out), wkb, [c for c, _ in columns], names, field_mask=[m for _, m in columns],
          layer=meta.name, driver=fmt.driver, geometry_type=geometry_type,
          crs=CRS if has_geometry else None, promote_to_multi=promote,
          layer_options=layer_options)


def _multi(kinds: Iterable[str]) -> str:
    base = {k.removeprefix("Multi") for k in kinds}
    return "Multi" + base.pop() if len(base) == 1 else "Unknown"


def _column(values: list[Any], ftype: FieldType,
            max_bytes: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """One field as a numpy array and its null mask (None where nothing is null)."""
    mask = np.array([v is None for v in values], dtype=bool)
    if ftype is FieldType.INTEGER:
        data = np.array([0 if v is None else int(v) for v in values], dtype=np.int64)
    elif ftype is FieldType.REAL:
        data = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    elif ftype is FieldType.BOOLEAN:
        data = np.array([bool(v) for v in values], dtype=bool)
    else:
        texts = [None if v is None else _text(v) for v in values]
        if max_bytes is not None:  # cut on a character boundary (GDAL cuts inside one)
            texts = [t if t is None or len(t) * 3 <= max_bytes else _cut(t, max_bytes)
                     for t in texts]
        data = np.array(texts, dtype=object)
        return data, None
    return data, (mask if mask.any() else None)


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def temp_directory() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="mapnode-export-")
