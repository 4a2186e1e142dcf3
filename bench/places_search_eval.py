"""Place-name search: a development evaluation (accuracy and latency), printed as figures.

    python bench/places_search_eval.py [--store /tmp/places-eval.mapnode] [--sample 400]
        [--boundaries] [--seed 2026] [--accuracy-only] [--show-failures N] [--http]

Builds (once) an embedded store from demo/manifest.json plus the cpca county seats of
../shared/data (as `admin_seats`, GCJ-02 converted) and, with --boundaries, the DataV county
polygons of Zhejiang and Guangdong (as `admin_boundaries`: the GCJ-02 original imported with
`crs=gcj02`, i.e. through mapnode's own conversion; no licence, evaluation only, never the
demo; use another --store), indexes it, then:
- accuracy: top-1 for queries built from a seeded random sample of real names (not a fixed
  list): POI name; POI name with its county (admin filter); POI name with one character
  replaced (with the county); POI name geocoded after 杭州市; road name geocoded with city and
  district ("杭州市西湖区文三路"); door addresses (杭州市 + addr:street + addr:housenumber).
- reverse geocoding: the county code for the sampled POIs and for seeded random points in
  Hangzhou's counties.

Rules (what counts as right, and why):
- An answer is right when it lies within max(100 m, half the feature's size) of a place the
  query can mean (the issue's rule). A name can mean several places: every feature of an
  indexed layer (POIs, stations, water, landuse, roads) with the same normalised name, and
  for the county query those in that county; the answer may be any of them (肯德基 is 17
  places in one district; 赵伍路 is a bus stop and a road). "(unique)" rows keep only the
  names that mean one place. A road answer is right near any way whose name has the same
  Chinese part (临东路 = 临东路 Lindong Rd). A door answer is right near any address point
  with the same street (Chinese part) and number.
- The county of a query and the truth of reverse geocoding are the DataV polygon (WGS84
  copy) that holds the point (a person names the county the place is in, not the county
  the service guessed); points in no polygon or in two are skipped. Without --boundaries
  the service only has seats, so its counties near borders are guesses: that run measures
  the fallback, and reverse county accuracy needs published boundaries.
- Not scored, counted and printed: door addresses whose street has no Chinese character
  (Powerlong Plaza 30号: not a Chinese address). Sampled POIs have a Chinese name.
- latency: search and suggest calls from 1 and 32 concurrent threads against the service,
  and (with --http) against `mapnode serve` over HTTP; p50/p90/p99 in ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
COUNTIES = SHARED / "admin_boundaries_datav" / "gd_zj_counties_wgs84.geojson"
COUNTIES_GCJ = SHARED / "admin_boundaries_datav" / "gd_zj_counties_gcj02.geojson"


def build(path: Path, boundaries: bool = False) -> Any:
    from mapnode.ingest import ImportOptions, import_file
    from mapnode.manifest import load_manifest, read_manifest
    from mapnode.model import Actor
    from mapnode.store import open_store

    store = open_store(str(path))
    system = Actor.system()
    if store.current_seq() == 0:
        t0 = time.perf_counter()
        load_manifest(store, system, read_manifest(REPO / "demo" / "manifest.json"))
        seats = SHARED / "admin_points_misc" / "cpca_adcodes_seat_points.csv"
        import csv
        import tempfile
        with open(seats, encoding="utf-8-sig") as fh, tempfile.NamedTemporaryFile(
                "w", suffix=".csv", delete=False, encoding="utf-8") as out:
            rows = [r for r in csv.DictReader(fh) if r["longitude"]]
            w = csv.DictWriter(out, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        import_file(store, system, out.name, ImportOptions(
            layer="admin_seats", key="adcode", crs="gcj02", lon_field="longitude",
            lat_field="latitude"))
        if boundaries:  # DataV polygons, no licence stated: evaluation only, never the demo
            # the GCJ-02 original through mapnode's own conversion; the truth is the WGS84 copy
            import_file(store, system, COUNTIES_GCJ, ImportOptions(
                layer="admin_boundaries", key="adcode", crs="gcj02", repair=True))
        print(f"store built in {time.perf_counter() - t0:.1f} s: {path}")
    return store


def sample_pois(store: Any, n: int, rng: random.Random) -> list[Any]:
    from mapnode.model import Actor

    feats = [f for f in store.features(Actor.system(), "poi_points")
             if f.properties.get("name") and any("\u4e00" <= c <= "\u9fff" for c in
                                                 f.properties["name"])]
    return rng.sample(feats, min(n, len(feats)))


def top1(ok: list[bool]) -> str:
    return f"{100 * sum(ok) / max(1, len(ok)):5.1f}% of {len(ok)}"


class Scores:
    """Right/wrong per class, with what went wrong (printed by --show-failures)."""

    def __init__(self) -> None:
        self.ok: dict[str, list[bool]] = defaultdict(list)
        self.failures: dict[str, list[str]] = defaultdict(list)

    def print(self, title: str, show: int) -> None:
        print(f"\n{title}")
        for k, v in self.ok.items():
            print(f"  {k:36s} {top1(v)}")
        for k, lines in self.failures.items():
            for line in lines[:show]:
                print(f"    ✗ {k}: {line}")


def tolerance(geom: Any) -> float:
    """max(100 m, half the feature's size): the issue's rule for a right answer."""
    x0, y0, x1, y1 = geom.bounds
    kx = 111_320.0 * float(np.cos(np.radians((y0 + y1) / 2)))
    return max(100.0, 0.5 * float(np.hypot((x1 - x0) * kx, (y1 - y0) * 110_574.0)))


@dataclass(frozen=True)
class Case:
    """One evaluation query: what is typed, how mapnode is asked, and where a right answer lies."""

    classes: tuple[str, ...]  # the figures it counts in ("POI name", "POI name (unique)", …)
    text: str  # as a user types it
    call: str  # "search" or "geocode"
    truths: tuple[Any, ...]  # right when within tolerance() of any of these geometries
    admin: str | None = None  # county code (search filter)
    admin_name: str | None = None  # that county's name, for a geocoder without the filter
    kinds: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # the levels the geocoder may report (empty: any)


Answer = tuple[float | None, float | None, str | None, str]  # lon, lat, level, what (for failures)


def eval_cases(svc: Any, store: Any, n: int, seed: int) -> tuple[list[Case], list[Any], Counter[str]]:
    """The evaluation set (seeded sample of real names and addresses, see the rules above), the
    sampled POIs, and what was counted but not scored."""
    from mapnode.model import Actor
    from mapnode.services.search.text import has_han, normalise, street_key

    rng = random.Random(seed)
    pois = sample_pois(store, n, rng)
    truth = CountyTruth()
    locate = svc.gazetteer.locator.county_at
    divisions = svc.gazetteer.divisions

    def county_at(x: float, y: float) -> str | None:
        """The county a person would name: the DataV polygon's, else the service's own."""
        return truth(x, y) or locate(x, y).code

    # every place a name can mean: features of every indexed layer with that (normalised) name
    meant: dict[str, list[Any]] = defaultdict(list)
    for spec in svc.config.sources:
        for f in store.features(Actor.system(), spec.layer):
            for k in spec.name_fields:
                if f.properties.get(k):
                    meant[normalise(str(f.properties[k]), divisions.normaliser)].append(f.geometry)
    meant = {k: list({g.wkb: g for g in v}.values()) for k, v in meant.items()}
    county_of = {g.wkb: county_at(*representative(g)) for v in meant.values() for g in v}
    cases: list[Case] = []
    skipped: Counter[str] = Counter()
    for f in pois:
        name = f.properties["name"]
        same = tuple(meant.get(svc.keyword(name, required=True)) or [f.geometry])
        unique = len(same) == 1
        cases.append(Case(("POI name",) + (("POI name (unique)",) if unique else ()), name,
                          "search", same, kinds=("poi",)))
        county = county_at(f.geometry.x, f.geometry.y)
        in_county = tuple(g for g in same if county_of.get(g.wkb) == county) or (f.geometry,) \
            if county else same
        cname = divisions.get(county).name if county else None
        if county:
            cases.append(Case(("POI name + county",) + (
                ("POI name + county (unique)",) if len(in_county) == 1 else ()),
                name, "search", in_county, admin=county, admin_name=cname))
        if len(name) >= 4:
            i = rng.randrange(1, len(name) - 1)
            cases.append(Case(("POI name, one wrong char",), name[:i] + "囗" + name[i + 1:],
                              "search", in_county, admin=county, admin_name=cname))
        cases.append(Case(("geocode 杭州市+POI name",) + (
            ("geocode 杭州市+POI name (unique)",) if unique else ()), f"杭州市{name}", "geocode",
            same, levels=("poi", "road")))  # 赵伍路: a stop and a road
    roads = defaultdict(list)
    by_street = defaultdict(list)  # 临东路 and 临东路 Lindong Rd are one street
    for r in store.features(Actor.system(), "roads"):
        if r.properties.get("name"):
            roads[r.properties["name"]].append(r.geometry)
            by_street[street_key(r.properties["name"])].append(r.geometry)
    for name in rng.sample(sorted(roads), min(n, len(roads))):
        mid = shapely.union_all(roads[name]).representative_point()
        county = county_at(mid.x, mid.y)
        prefix = divisions.full_name(county)[3:] if county else "杭州市"
        cases.append(Case(("geocode city+district+road",), f"{prefix}{name}", "geocode",
                          tuple(by_street[street_key(name)]), levels=("road",)))
    doors: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for f in store.features(Actor.system(), "poi_points"):
        street, number = f.properties.get("addr:street"), f.properties.get("addr:housenumber")
        if street and number and str(number).removesuffix("号").isdigit():
            doors[(street_key(str(street)), str(number).removesuffix("号"))].append(f)
    for (street, number), feats in sorted(doors.items()):
        if not has_han(street):  # Powerlong Plaza 30: not a Chinese address
            skipped["door address: street without Chinese"] += len(feats)
            continue
        typed = str(feats[0].properties["addr:street"])
        cases.append(Case(("geocode door address",), f"杭州市{typed}{number}号", "geocode",
                          tuple(x.geometry for x in feats), levels=("door",)))
    return cases, pois, skipped


def score(cases: list[Case], answer: Any, level: bool = True) -> Scores:
    """Top-1 right or wrong per class: the answer lies within max(100 m, half the feature's
    size) of a truth geometry (and, with `level`, has a level the case allows)."""
    from mapnode.store.base import metric_distances

    s = Scores()
    for case in cases:
        lon, lat, got, what = answer(case)
        ok = lon is not None and lat is not None and (
            not level or not case.levels or got in case.levels) and any(
            float(m) <= tolerance(g) for m, g in zip(
                metric_distances(lon, lat, list(case.truths)), case.truths, strict=True))
        for c in case.classes:
            s.ok[c].append(ok)
            if not ok:
                where = f" @{case.admin}" if case.admin else ""
                s.failures[c].append(f"{case.text}{where} -> {what}")
    return s


def service_answer(svc: Any) -> Any:
    """Ask the place-name service in process, as the HTTP routes do."""
    from mapnode.model import Actor
    from mapnode.services.search import Query

    public = Actor.anonymous()

    def described(hit: Any, level: str | None) -> Answer:
        if hit is None or hit.lon is None:
            return None, None, None, "no answer"
        return hit.lon, hit.lat, level, f"{level} {hit.name} ({hit.lon:.5f}, {hit.lat:.5f})"

    def answer(case: Case) -> Answer:
        if case.call == "geocode":
            g = svc.geocode(public, case.text)
            return described(g, g.level)
        hits = svc.search(public, Query(text=svc.keyword(case.text, required=True),
                                        admin=case.admin, kinds=case.kinds, limit=1)).hits
        return described(hits[0], hits[0].kind) if hits else described(None, None)

    return answer


def accuracy(svc: Any, store: Any, n: int, seed: int, show: int = 0) -> list[Any]:
    cases, pois, skipped = eval_cases(svc, store, n, seed)
    score(cases, service_answer(svc)).print("accuracy (top-1)", show)
    for reason, count in skipped.items():
        print(f"  not scored: {count} ({reason})")
    return pois


def representative(geom: Any) -> tuple[float, float]:
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return p.x, p.y


class CountyTruth:
    """The county of a point by the DataV polygons (WGS84 copy; Zhejiang): None in no polygon
    or in two."""

    def __init__(self) -> None:
        import json

        data = json.loads(COUNTIES.read_text())
        self.polygons = [(str(f["properties"]["adcode"]),
                          shapely.from_geojson(json.dumps(f["geometry"])))
                         for f in data["features"] if str(f["properties"]["adcode"]).startswith("33")]
        self.tree = shapely.STRtree([g for _, g in self.polygons])

    def __call__(self, x: float, y: float) -> str | None:
        found = [self.polygons[i][0]
                 for i in self.tree.query(shapely.Point(x, y), predicate="intersects")]
        return found[0] if len(found) == 1 else None


def reverse_county(svc: Any, pois: list[Any], n: int, seed: int, show: int = 0) -> None:
    """County-code accuracy of reverse geocoding against the DataV county polygons."""
    from mapnode.model import Actor

    truth = CountyTruth()
    rng = random.Random(seed)
    hz = shapely.union_all([g for c, g in truth.polygons if c.startswith("3301")])
    x0, y0, x1, y1 = hz.bounds
    randoms: list[tuple[float, float]] = []
    while len(randoms) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if hz.contains(shapely.Point(x, y)):
            randoms.append((x, y))
    public = Actor.anonymous()
    s = Scores()
    how: Counter[str] = Counter()
    for label, points in (("at sampled POIs", [representative(f.geometry) for f in pois]),
                          ("random points in 杭州", randoms)):
        for x, y in points:
            t = truth(x, y)
            if t is None:
                continue
            r = svc.reverse(public, x, y)
            got = r["admin"][-1]["code"] if r["admin"] else None
            s.ok[label].append(got == t)
            if got != t:
                s.failures[label].append(f"({x:.5f}, {y:.5f}) in {t} -> {got}")
            how[r["admin_how"]] += 1
    s.print(f"reverse geocoding, county code (truth: DataV county polygons; county from: "
            f"{dict(how)})", show)


def queries(store: Any, rng: random.Random, n: int = 400) -> list[str]:
    pois = [f.properties["name"] for f in sample_pois(store, n, rng)]
    from mapnode.services.search.text import pinyin_of

    out = pois[: n // 4] + [p[:2] for p in pois[n // 4: n // 2]] + [p[:3] for p in pois[n // 2:]]
    out += [pinyin_of(p)[1][:2] for p in pois[: n // 8]]
    rng.shuffle(out)
    return [q for q in out if q]


def latency(call: Any, qs: list[str], clients: int = 32, rounds: int = 3) -> str:
    times: list[float] = []
    lock = threading.Lock()
    work = [q for _ in range(rounds) for q in qs]

    def worker(part: list[str]) -> None:
        local = []
        for q in part:
            t0 = time.perf_counter()
            call(q)
            local.append(time.perf_counter() - t0)
        with lock:
            times.extend(local)

    threads = [threading.Thread(target=worker, args=(work[i::clients],)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = np.array(times) * 1000
    return (f"p50 {np.percentile(ms, 50):6.2f} ms  p90 {np.percentile(ms, 90):6.2f} ms  "
            f"p99 {np.percentile(ms, 99):6.2f} ms  ({len(ms)} calls, {len(ms) / wall:.0f}/s, "
            f"mean {statistics.fmean(ms):.2f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="/tmp/places-eval.mapnode")
    ap.add_argument("--sample", type=int, default=400)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--boundaries", action="store_true",
                    help="publish the DataV county polygons as admin_boundaries (another --store)")
    ap.add_argument("--show-failures", type=int, default=0, metavar="N",
                    help="print the first N wrong answers of each class")
    ap.add_argument("--accuracy-only", action="store_true", help="skip the latency runs")
    ap.add_argument("--http", action="store_true", help="also measure over HTTP (mapnode serve)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (--http)")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from mapnode.model import Actor
    from mapnode.services.search import PlacesService, Query

    store = build(Path(args.store), args.boundaries)
    svc = PlacesService(store)
    t0 = time.perf_counter()
    svc.gazetteer.rebuild()
    entries = store.query("SELECT kind, COUNT(*) FROM search_entries GROUP BY kind")
    print(f"index rebuilt in {time.perf_counter() - t0:.1f} s: {dict(entries)}")
    pois = accuracy(svc, store, args.sample, args.seed, args.show_failures)
    reverse_county(svc, pois, args.sample, args.seed + 2, args.show_failures)
    if args.accuracy_only:
        return
    qs = queries(store, random.Random(args.seed + 1))
    public = Actor.anonymous()
    def search(q: str) -> Any:
        return svc.search(public, Query(text=svc.keyword(q, required=True), limit=10))

    def suggest(q: str) -> Any:
        return svc.suggest(public, svc.keyword(q, required=True))

    for clients in (1, 32):
        print(f"\nlatency, {clients} client thread(s), {len(qs)} real-name queries x 3 "
              "(service calls; with 32 on 2 cores the figures are mostly queueing for the GIL)")
        print("  search  ", latency(search, qs, clients))
        print("  suggest ", latency(suggest, qs, clients))
    if args.http:
        http_latency(args.store, qs, args.workers)


def http_latency(store: str, qs: list[str], workers: int = 1) -> None:
    import httpx

    port = 18765
    proc = subprocess.Popen([sys.executable, "-m", "mapnode.cli", "serve", "--store", store,
                             "--port", str(port), "--workers", str(workers)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        for _ in range(workers * 4):  # each worker builds its service on first use
            httpx.get(f"{base}/api/search", params={"q": "杭州"}, timeout=120)
        local = threading.local()

        def call(path: str, q: str) -> None:
            if not hasattr(local, "c"):
                local.c = httpx.Client(base_url=base, timeout=30)
            local.c.get(path, params={"q": q}).raise_for_status()

        for clients in (1, 32):
            print(f"\nlatency over HTTP (uvicorn, {workers} worker(s)), {clients} client(s) on the "
                  "same 2 cores")
            print("  /api/search  ", latency(lambda q: call("/api/search", q), qs, clients))
            print("  /api/suggest ", latency(lambda q: call("/api/suggest", q), qs, clients))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
