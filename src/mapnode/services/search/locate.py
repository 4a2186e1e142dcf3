"""Which county a place lies in, decided once at index time.

Order of evidence (the first that answers wins):
1. the county polygon that contains the place's representative point, when the node has
   published a boundary layer (`admin_boundaries`, polygons with `adcode`);
2. the place's own address tags (addr:province / addr:city / addr:district), read by the
   address parser, when they name a county;
3. the nearest county seat (`admin_seats` points), within 60 km. A seat is a proxy for the
   county's area: near borders it can be wrong, and the entry says how its code was found.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from mapnode.errors import MapnodeError, NotFound
from mapnode.model import Actor
from mapnode.places import AdminDivisions, BoundaryIndex, Level, parse_address
from mapnode.places.sources import code_text, load_from_store

MAX_SEAT_KM = 60.0
NEAR_SEATS_KM = 100.0
ADDR_FIELDS = ("addr:province", "addr:city", "addr:district")


def load_divisions(store: Any, actor: Actor, admin_layers: Sequence[str], seats_layer: str,
                   boundaries_layer: str, code_field: str) -> AdminDivisions:
    """Divisions from the store's table layers, with seats and boundaries when published. A
    seat whose code was retired (临安市 330185) goes to the division of its `name` now."""
    div = load_from_store(store, actor, layers=admin_layers)
    with contextlib.suppress(NotFound):
        div.set_seats((code_text(f.properties[code_field]),
                       str(f.properties["name"]) if f.properties.get("name") else None,
                       f.geometry.x, f.geometry.y)
                      for f in store.features(actor, seats_layer)
                      if f.properties.get(code_field) is not None and f.geometry is not None
                      and f.geometry.geom_type == "Point")
    try:
        boundaries = BoundaryIndex.from_store(store, actor, boundaries_layer, code_field)
        if len(boundaries):
            div.attach_boundaries(boundaries)
    except (NotFound, MapnodeError):
        pass
    return div


@dataclass
class Located:
    code: str | None
    how: str  # boundary | address | seat | none


class AdminLocator:
    """Assigns county codes to representative points (see the module docstring)."""

    def __init__(self, divisions: AdminDivisions) -> None:
        self.divisions = divisions
        seats = [(d.code, d.seat) for d in divisions.at_level(Level.COUNTY) if d.seat is not None]
        seats += [(code, (lon, lat)) for code, lon, lat in divisions.extra_seats
                  if len(code) == 6]  # a merged county's seat still marks its old area
        self._seat_codes = [code for code, _ in seats]
        self._seats = np.array([shapely.Point(*p) for _, p in seats], dtype=object)
        self._tree = STRtree(self._seats) if seats else None
        self.has_boundaries = bool(getattr(divisions, "_boundaries", None))
        self._near: dict[str, tuple[str, ...]] = {}

    def locate(self, points: Sequence[BaseGeometry | None],
               props: Sequence[dict[str, Any]]) -> list[Located]:
        out = [Located(None, "none") for _ in points]
        for i, p in enumerate(points):
            if p is not None and self.has_boundaries:
                chain = self.divisions.contains(p.x, p.y)
                county = [d for d in chain if d.level is Level.COUNTY]
                if county:
                    out[i] = Located(county[-1].code, "boundary")
                    continue
            code = self._from_address(props[i])
            if code is not None:
                out[i] = Located(code, "address")
        self._from_seats(points, out)
        return out

    def _from_address(self, props: dict[str, Any]) -> str | None:
        parts = [str(props[k]) for k in ADDR_FIELDS if props.get(k)]
        if not parts or not props.get("addr:district"):
            return None
        parsed = parse_address("".join(parts), self.divisions)
        code = parsed.code("district")
        return code if code and len(code) == 6 else None

    def _from_seats(self, points: Sequence[BaseGeometry | None], out: list[Located]) -> None:
        todo = [i for i, p in enumerate(points) if out[i].code is None and p is not None]
        if not todo or self._tree is None:
            return
        geoms = np.array([points[i] for i in todo], dtype=object)
        idx_in, idx_tree = self._tree.query_nearest(geoms, all_matches=False)
        for a, b in zip(idx_in, idx_tree, strict=True):
            p, seat = geoms[a], self._seats[b]
            km = np.hypot((p.x - seat.x) * 111.32 * np.cos(np.radians(p.y)), (p.y - seat.y) * 110.57)
            if km <= MAX_SEAT_KM:
                out[todo[a]] = Located(self._seat_codes[b], "seat")

    def neighbours(self, code: str, k: int = 12) -> tuple[str, ...]:
        """Counties where a place of county `code` may have been put by the nearest seat: those
        whose seats are the `k` nearest to its seat(s) within NEAR_SEATS_KM; for a county
        without a seat (钱塘区, new in 2021), the other counties of its city."""
        if code not in self._near:
            mine = [self._seats[i] for i, c in enumerate(self._seat_codes) if c == code]
            xy = np.array([(p.x, p.y) for p in self._seats]).reshape(-1, 2)
            out: dict[str, None] = {}
            for p in mine:
                km = np.hypot((xy[:, 0] - p.x) * 111.32 * np.cos(np.radians(p.y)),
                              (xy[:, 1] - p.y) * 110.57)
                for i in np.argsort(km)[:k + 1]:
                    if km[i] <= NEAR_SEATS_KM and self._seat_codes[i] != code:
                        out[self._seat_codes[i]] = None
            if not mine:
                out.update((c, None) for c in self._seat_codes if c[:4] == code[:4] and c != code)
            self._near[code] = tuple(out)
        return self._near[code]

    def county_at(self, lon: float, lat: float) -> Located:
        return self.locate([shapely.Point(lon, lat)], [{}])[0]


def representative_point(geom: BaseGeometry | None) -> BaseGeometry | None:
    """A point on the feature: itself, a line's middle, a polygon's point on surface."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Point":
        return geom
    if geom.geom_type in ("LineString", "MultiLineString"):
        line = geom if geom.geom_type == "LineString" else max(geom.geoms, key=lambda g: g.length)
        return line.interpolate(0.5, normalized=True)
    return geom.point_on_surface()
