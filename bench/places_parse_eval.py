"""Address parser evaluation on real data: prints accuracy per component.

Two sets, both from ../shared/data (or MAPNODE_SHARED_DATA):
- osm: the Hangzhou OSM amenities with addr:* tags, each address written as 省市区 + street +
  housenumber from its own tags; truth = each tag read on its own inside Zhejiang.
- synthetic: real road names of the Hangzhou roads layer, placed in the county whose (WGS84)
  polygon holds the road's midpoint, with real township/community names of that county, real
  小区 names (OSM residential landuse), door numbers and building/unit/room; written in
  variants: full, no province, short names (浙江杭州西湖区), all short (杭州西湖), district first
  (with and without a hint),
  traditional characters, full-width digits, one wrong character (a homophone), one missing
  character, noise (label, phone, postcode, spaces), city in pinyin.

    python bench/places_parse_eval.py [--bases 300] [--seed 7] [--show-errors 10]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mapnode.places import AdminDivisions, Division, ParsedAddress

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPNODE_SHARED_DATA", REPO.parent / "shared" / "data"))
ROADS_GPKG = SHARED / "osm_hangzhou_roads_water_landuse_2019" / "hangzhou_osm_roads_water_landuse.gpkg"
AMENITIES_CSV = SHARED / "osm_hangzhou_amenities_2024" / "hangzhou_osm_amenities_named_points.csv"
COUNTIES_WGS84 = SHARED / "admin_boundaries_datav" / "gd_zj_counties_wgs84.geojson"

ADMIN = ("province", "city", "district", "township", "community")
OTHER = ("road", "door", "poi", "building", "unit", "room")
_ROAD_WORD = re.compile(r"(?:路|街|大道|大街|巷|弄)$")


@dataclass
class Case:
    """One address and what a correct parse finds: codes for divisions, values for the rest."""

    text: str
    truth: dict[str, str]
    variant: str
    hint: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- loading
def load_divisions() -> AdminDivisions:
    from mapnode.places.sources import load_default

    return load_default(SHARED, villages=("33",))


def _norm_door(value: str) -> str:
    return value.upper().replace("号", "").replace(" ", "")


# ---------------------------------------------------------------------------------- OSM set
def osm_cases(divisions: AdminDivisions) -> list[Case]:
    """The amenities with addr:* tags (one case each)."""
    from mapnode.places.address_text import clean

    cases = []
    with open(AMENITIES_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            tags = {k: (row.get(f"addr:{k}") or "").strip() for k in
                    ("province", "city", "district", "street", "housenumber")}
            if not any(tags.values()):
                continue
            text = "".join(tags[k] for k in ("province", "city", "district", "street", "housenumber"))
            truth: dict[str, str] = {}
            for key in ("province", "city", "district"):
                if tags[key]:
                    d = _tag_division(tags[key], divisions)
                    if d is not None and d.level <= 4:
                        truth[_kind_of(d)] = d.code
            street = clean(tags["street"], divisions).text if tags["street"] else ""
            street = _strip_township(street, divisions, truth)
            if re.search(r"[\u4e00-\u9fff]", street):  # 延安路 Yan'an Road → 延安路
                street = re.sub(r"[A-Za-z' ]+(?=\d|$)", "", street)
            if street and re.search(r"[\u4e00-\u9fff]", street):
                m = re.match(r"^(.*?(?:路|街|道|巷|弄|里))(\d.*)?$", street)
                truth["road"] = m.group(1) if m else street
                if m and m.group(2):
                    truth["door"] = _norm_door(m.group(2))
            door = clean(tags["housenumber"], divisions).text if tags["housenumber"] else ""
            if door and re.fullmatch(r"\d+[A-Za-z]?(?:-\d+[A-Za-z]?)?号?", door) and street:
                truth["door"] = _norm_door(door)
            if "province" in truth or "city" in truth:
                truth.setdefault("province", "33")
            cases.append(Case(text, truth, "osm", meta={"name": row["name"]}))
    return cases


def _strip_township(street: str, divisions: AdminDivisions, truth: dict[str, str]) -> str:
    """addr:street = 锦城街道 or 中泰街道国文路: the township is truth for the township."""
    for k in range(len(street), 2, -1):
        hits = [d for d, how in divisions.names_of(street[:k]) if how == "name" and d.level == 4
                and d.code.startswith("33")]
        if len(hits) == 1:
            truth["township"] = hits[0].code
            return street[k:]
    return street


def _tag_division(tag: str, divisions: AdminDivisions):
    matches = divisions.lookup(tag, within="33", fuzzy=False)
    return matches[0].division if len(matches) == 1 else None


def _kind_of(d: Division) -> str:
    return ADMIN[int(d.level) - 1]


# ---------------------------------------------------------------------------------- synthetic set
def _roads_by_county(divisions: AdminDivisions) -> dict[str, list[str]]:
    """Named roads (ending 路/街/大道…) of the Hangzhou layer, by the county holding their middle."""
    import shapely
    from pyogrio.raw import read

    from mapnode.places.boundaries import BoundaryIndex

    counties = BoundaryIndex.from_geojson(json.loads(COUNTIES_WGS84.read_text(encoding="utf-8")))
    meta, _, geoms, fields = read(ROADS_GPKG, layer="roads", columns=["name", "fclass"])
    cols = dict(zip(meta["fields"], fields, strict=True))
    lines = shapely.from_wkb(geoms)
    out: dict[str, set[str]] = defaultdict(set)
    for name, fclass, line in zip(cols["name"], cols["fclass"], lines, strict=True):
        if not name or fclass.startswith("motorway") or not _ROAD_WORD.search(name) \
                or not re.fullmatch(r"[\u4e00-\u9fff0-9]+", name):
            continue
        mid = line.interpolate(0.5, normalized=True)
        codes = [c for c in counties.containing(mid.x, mid.y) if c.startswith("33")]
        if len(codes) == 1 and divisions.find(codes[0]) is not None:
            out[codes[0]].add(name)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _residential_names() -> list[str]:
    from pyogrio.raw import read

    meta, _, _, fields = read(ROADS_GPKG, layer="landuse_a", columns=["name", "fclass"], read_geometry=False)
    cols = dict(zip(meta["fields"], fields, strict=True))
    return sorted({n for n, f in zip(cols["name"], cols["fclass"], strict=True)
                   if n and f == "residential" and re.fullmatch(r"[\u4e00-\u9fff]{3,10}", n)
                   and not _ROAD_WORD.search(n)})


@dataclass
class Base:
    """The parts of one synthetic address."""

    province: Division
    city: Division
    district: Division
    road: str
    door: str
    township: Division | None = None
    community: Division | None = None
    poi: str | None = None
    building: int | None = None
    unit: int | None = None
    room: int | None = None

    def truth(self) -> dict[str, str]:
        t = {"province": self.province.code, "city": self.city.code, "district": self.district.code,
             "road": self.road, "door": _norm_door(self.door)}
        for key in ("township", "community"):
            d = getattr(self, key)
            if d is not None:
                t[key] = d.code
        if self.poi:
            t["poi"] = self.poi
        if self.building is not None:
            t.update(building=f"{self.building}幢", unit=f"{self.unit}单元", room=f"{self.room}室")
        return t


def synthetic_bases(divisions: AdminDivisions, n: int, seed: int) -> list[Base]:
    rng = random.Random(seed)
    roads = _roads_by_county(divisions)
    estates = _residential_names()
    pairs = [(code, road) for code, names in roads.items() for road in names]
    rng.shuffle(pairs)
    bases = []
    for code, road in pairs[:n]:
        district = divisions.get(code)
        city, province = divisions.get(code[:4]), divisions.get(code[:2])
        door = str(rng.randint(1, 999)) + (f"-{rng.randint(1, 9)}" if rng.random() < 0.1 else "")
        b = Base(province, city, district, road, door + "号")
        if rng.random() < 0.4:
            towns = divisions.children(code)
            b.township = rng.choice(towns) if towns else None
            if b.township is not None and rng.random() < 0.5:
                villages = divisions.children(b.township.code)
                b.community = rng.choice(villages) if villages else None
        if rng.random() < 0.5:
            b.poi = rng.choice(estates)
            if rng.random() < 0.7:
                b.building, b.unit, b.room = rng.randint(1, 30), rng.randint(1, 6), rng.randint(101, 2804)
        bases.append(b)
    return bases


def _write(b: Base, *, province: str | None, city: str | None, district: str,
           sep: str = "") -> str:
    parts = [province or "", city or "", district]
    parts += [x.name for x in (b.township, b.community) if x is not None]
    parts += [b.road + b.door]
    if b.poi:
        parts.append(b.poi)
    if b.building is not None:
        parts.append(f"{b.building}幢{b.unit}单元{b.room}室")
    return sep.join(p for p in parts if p)


def variants(b: Base, rng: random.Random, homophones: dict[str, list[str]]) -> Iterator[Case]:
    from opencc import OpenCC

    p, c, d = b.province.name, b.city.name, b.district.name
    truth = b.truth()
    yield Case(_write(b, province=p, city=c, district=d), truth, "full")
    yield Case(_write(b, province=None, city=c, district=d), truth, "no_province")
    yield Case(_write(b, province=b.province.short_name, city=b.city.short_name, district=d),
               truth, "short_names")
    yield Case(_write(b, province=None, city=b.city.short_name, district=b.district.short_name),
               truth, "all_short")
    yield Case(_write(b, province=None, city=None, district=d), truth, "district_first")
    yield Case(_write(b, province=None, city=None, district=d), truth, "district_first_hint",
               hint=b.city.code)
    yield Case(OpenCC("s2t").convert(_write(b, province=p, city=c, district=d)), truth, "traditional")
    yield Case(_fullwidth(_write(b, province=p, city=c, district=d)), truth, "fullwidth")
    wrong = _wrong_char(c if rng.random() < 0.5 else d, rng, homophones)
    if wrong is not None:
        name, typo = wrong
        text = _write(b, province=p, city=c, district=d).replace(name, typo, 1)
        yield Case(text, truth, "wrong_char", meta={"typo": f"{name}→{typo}"})
    missing = _missing_char(b, rng)
    if missing is not None:
        name, typo = missing
        text = _write(b, province=p, city=c, district=d).replace(name, typo, 1)
        yield Case(text, truth, "missing_char", meta={"typo": f"{name}→{typo}"})
    noisy = "地址：" + _write(b, province=p, city=c, district=d, sep=" ") + \
        f"，电话 0571-{rng.randint(80000000, 89999999)}，邮编 31{rng.randint(1000, 9999)}"
    yield Case(noisy, truth, "noise")
    if b.city.code == "3301":
        yield Case("Hangzhou " + _write(b, province=None, city=None, district=d), truth, "pinyin_city")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in text)


def _wrong_char(name: str, rng: random.Random, homophones: dict[str, list[str]]) -> tuple[str, str] | None:
    """One character of the name (not its 市/区/县 ending) replaced by a homophone."""
    positions = [i for i in range(len(name) - 1) if homophones.get(name[i])]
    if not positions:
        return None
    i = rng.choice(positions)
    return name, name[:i] + rng.choice(homophones[name[i]]) + name[i + 1:]


def _missing_char(b: Base, rng: random.Random) -> tuple[str, str] | None:
    """One character dropped from the longest division name with at least three before its ending."""
    names = [x.name for x in (b.township, b.district, b.city) if x is not None]
    names = [n for n in names if len(n) >= 4]
    if not names:
        return None
    name = max(names, key=len)
    i = rng.randrange(1, len(name) - 2)
    return name, name[:i] + name[i + 1:]


def homophone_table(divisions: AdminDivisions) -> dict[str, list[str]]:
    """Characters of division names grouped by pinyin: the typos a pinyin input method makes."""
    from pypinyin import lazy_pinyin

    chars = sorted({ch for d in divisions if d.level <= 3 for ch in d.name})
    by_sound: dict[str, list[str]] = defaultdict(list)
    for ch in chars:
        by_sound[lazy_pinyin(ch)[0]].append(ch)
    return {ch: [o for o in by_sound[lazy_pinyin(ch)[0]] if o != ch] for ch in chars}


def synthetic_cases(divisions: AdminDivisions, n: int = 300, seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    homophones = homophone_table(divisions)
    return [case for b in synthetic_bases(divisions, n, seed) for case in variants(b, rng, homophones)]


# ---------------------------------------------------------------------------------- scoring
def check(case: Case, parsed: ParsedAddress) -> dict[str, bool]:
    """Per component of the truth: did the parse get it right?"""
    out = {}
    for key, want in case.truth.items():
        if key in ADMIN:
            out[key] = parsed.code(key) == want
        elif key == "door":
            got = parsed.value("door")
            out[key] = got is not None and _norm_door(got) == want
        else:
            out[key] = parsed.value(key) == want
    return out


@dataclass
class Report:
    """Accuracy per (variant, component) and the failures."""

    totals: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    wrong_codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # a code, but not it
    failures: list[tuple[Case, ParsedAddress, list[str]]] = field(default_factory=list)
    seconds: float = 0.0
    count: int = 0

    def accuracy(self, component: str, variant: str | None = None) -> float:
        ok = n = 0
        for (v, c), (k, m) in self.totals.items():
            if c == component and (variant is None or v == variant):
                ok, n = ok + k, n + m
        return ok / n if n else float("nan")

    def support(self, component: str, variant: str | None = None) -> int:
        return sum(m for (v, c), (_, m) in self.totals.items()
                   if c == component and (variant is None or v == variant))


def evaluate(cases: Iterable[Case], divisions: AdminDivisions) -> Report:
    from mapnode.places import parse_address

    report = Report()
    t0 = time.perf_counter()
    for case in cases:
        parsed = parse_address(case.text, divisions, hint=case.hint)
        result = check(case, parsed)
        report.count += 1
        for key, ok in result.items():
            cell = report.totals[(case.variant, key)]
            cell[0] += ok
            cell[1] += 1
        wrong = [k for k, ok in result.items() if not ok]
        for k in wrong:
            if k in ADMIN and parsed.code(k) is not None:
                report.wrong_codes[k] += 1
        if wrong:
            report.failures.append((case, parsed, wrong))
    report.seconds = time.perf_counter() - t0
    return report


def print_report(title: str, report: Report) -> None:
    variants_seen = sorted({v for v, _ in report.totals}, key=lambda v: list(_VARIANT_ORDER).index(v)
                           if v in _VARIANT_ORDER else 99)
    comps = [c for c in (*ADMIN, *OTHER) if report.support(c)]
    per = report.seconds * 1000 / max(report.count, 1)
    print(f"\n## {title}: {report.count} addresses, {per:.2f} ms each")
    print(f"{'variant':<22}" + "".join(f"{c:>11}" for c in comps))
    for v in variants_seen:
        cells = []
        for c in comps:
            n = report.support(c, v)
            cells.append(f"{report.accuracy(c, v) * 100:6.1f}%{'':1}" if n else "      –  ")
        print(f"{v:<22}" + "".join(f"{x:>11}" for x in cells))
    print(f"{'all':<22}" + "".join(f"{report.accuracy(c) * 100:9.1f}% " for c in comps))
    print(f"{'(n)':<22}" + "".join(f"{report.support(c):>10} " for c in comps))
    print(f"{'wrong code given':<22}" + "".join(
        f"{report.wrong_codes.get(c, 0):>10} " if c in ADMIN else f"{'':>10} " for c in comps))


_VARIANT_ORDER = ("osm", "full", "no_province", "short_names", "all_short", "district_first",
                  "district_first_hint", "traditional", "fullwidth", "wrong_char", "missing_char", "noise",
                  "pinyin_city")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bases", type=int, default=300, help="synthetic base addresses")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show-errors", type=int, default=0, help="print this many failures per set")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    divisions = load_divisions()
    print(f"divisions loaded: {len(divisions)} in {time.perf_counter() - t0:.1f} s")
    for title, cases in (("OSM Hangzhou amenities with addr:*", osm_cases(divisions)),
                         ("synthetic (real names)", synthetic_cases(divisions, args.bases, args.seed))):
        report = evaluate(cases, divisions)
        print_report(title, report)
        for case, parsed, wrong in report.failures[: args.show_errors]:
            got = {k: (parsed.code(k) if k in ADMIN else parsed.value(k)) for k in wrong}
            want = {k: case.truth[k] for k in wrong}
            print(f"  ✗ [{case.variant}] {case.text}  want {want} got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
