"""Write the non-PBF part of mapnode's Hangzhou gazetteer as an OSM XML file for Nominatim.

Nominatim reads only OSM files. The gazetteer also holds the roads, water and land use of the
flattened 2019 GeoPackage, the stations of the 2025 GeoPackage and the divisions' seats
(NBS names, cpca seats): each becomes what OSM would have had.
- roads: one way per row with `name`, `highway` = the Geofabrik fclass (`track_grade1` → track),
  `ref`, `oneway`;
- water and land use: the polygon's rings as closed ways; a polygon with holes or several
  parts becomes a `type=multipolygon` relation; tags from the fclass (water → natural=water,
  park → leisure=park, forest → landuse=forest …) and `name`; only named rows (unnamed areas
  are not in the gazetteer either);
- stations inside the data's extent: nodes with `railway=station` (+ `station=subway` …);
- divisions of 杭州 with a seat: place nodes (浙江省 place=state, 杭州市 place=city, its
  counties place=county) — Nominatim has no boundaries to build addresses from otherwise.
Ids start far above OSM's current ones so they never collide with the PBF's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

NODE_BASE, WAY_BASE, REL_BASE = 90_000_000_000, 9_000_000_000, 900_000_000
WATER = {"water": ("natural", "water"), "wetland": ("natural", "wetland"),
         "reservoir": ("landuse", "reservoir"), "riverbank": ("waterway", "riverbank"),
         "dock": ("waterway", "dock"), "glacier": ("natural", "glacier")}
LANDUSE = {"park": ("leisure", "park"), "nature_reserve": ("leisure", "nature_reserve"),
           "recreation_ground": ("leisure", "recreation_ground"), "scrub": ("natural", "scrub"),
           "heath": ("natural", "heath")}


class OsmWriter:
    """Collects nodes, ways and relations, then writes them sorted as OSM XML 0.6."""

    def __init__(self) -> None:
        self.nodes: list[str] = []
        self.ways: list[str] = []
        self.rels: list[str] = []

    def node(self, lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        nid = NODE_BASE + len(self.nodes) + 1
        inner = _tags(tags or {})
        head = f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        self.nodes.append(f"{head}>{inner}</node>" if inner else f"{head}/>")
        return nid

    def way(self, coords: Iterable[tuple[float, float]], tags: dict[str, str]) -> int:
        pts = [tuple(c[:2]) for c in coords]
        refs = [self.node(x, y) for x, y in (pts[:-1] if pts[0] == pts[-1] else pts)]
        if pts[0] == pts[-1]:
            refs.append(refs[0])
        wid = WAY_BASE + len(self.ways) + 1
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        self.ways.append(f'<way id="{wid}" version="1">{nds}{_tags(tags)}</way>')
        return wid

    def area(self, geom: Any, tags: dict[str, str]) -> None:
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        if len(polys) == 1 and not polys[0].interiors:
            self.way(polys[0].exterior.coords, tags)
            return
        members = []
        for p in polys:
            members.append(("outer", self.way(p.exterior.coords, {})))
            members += [("inner", self.way(r.coords, {})) for r in p.interiors]
        rid = REL_BASE + len(self.rels) + 1
        mem = "".join(f'<member type="way" ref="{ref}" role="{role}"/>' for role, ref in members)
        self.rels.append(f'<relation id="{rid}" version="1">{mem}'
                         f'{_tags({"type": "multipolygon", **tags})}</relation>')

    def lines(self) -> Iterator[str]:
        yield "<?xml version='1.0' encoding='UTF-8'?>"
        yield '<osm version="0.6" generator="mapnode bench/nominatim_osm.py">'
        yield from self.nodes
        yield from self.ways
        yield from self.rels
        yield "</osm>"


def _s(value: Any) -> str:
    """A text cell; '' for missing values (None, NaN)."""
    return value if isinstance(value, str) else ""


def _tags(tags: dict[str, str]) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in tags.items()
                   if v not in (None, ""))


def write_osm(out: Path, roads_gpkg: Path, stations_gpkg: Path,
              seats: Iterable[tuple[str, int, float, float]]) -> dict[str, int]:
    """Write the file; `seats` are (name, level 1–3, lon, lat). Returns counts per kind."""
    import pyogrio

    w = OsmWriter()
    counts: dict[str, int] = {}
    roads = pyogrio.read_dataframe(roads_gpkg, layer="roads")
    n = 0
    for row in roads.itertuples():
        if not _s(row.name) or row.geometry is None:
            continue
        highway = str(row.fclass).split("_grade")[0]
        w.way(row.geometry.coords, {"highway": highway, "name": row.name, "ref": _s(row.ref),
                                    "oneway": "yes" if row.oneway == "F" else ""})
        n += 1
    counts["roads (named ways)"] = n
    for layer, table in (("water_a", WATER), ("landuse_a", LANDUSE)):
        df = pyogrio.read_dataframe(roads_gpkg, layer=layer)
        n = 0
        for row in df.itertuples():
            if not _s(row.name) or row.geometry is None or row.geometry.is_empty:
                continue
            key, value = table.get(row.fclass, ("landuse", row.fclass))
            w.area(row.geometry, {key: value, "name": row.name})
            n += 1
        counts[f"{layer} (named areas)"] = n
    x0, y0, x1, y1 = roads.total_bounds
    st = pyogrio.read_dataframe(stations_gpkg)
    n = 0
    for row in st.itertuples():
        p = row.geometry
        if _s(row.name) and p is not None and x0 <= p.x <= x1 and y0 <= p.y <= y1:
            kind = _s(row.station)
            w.node(p.x, p.y, {"railway": "station", "public_transport": "station",
                              "station": kind if kind in ("subway", "light_rail") else "",
                              "name": row.name})
            n += 1
    counts["stations in the extent"] = n
    n = 0
    for name, level, lon, lat in seats:
        w.node(lon, lat, {"place": {1: "state", 2: "city"}.get(level, "county"), "name": name})
        n += 1
    counts["division seats (place nodes)"] = n
    with open(out, "w", encoding="utf-8") as fh:
        for line in w.lines():
            fh.write(line + "\n")
    return counts
