"""Spatial reads on real Hangzhou data: bbox, exact intersection with the West Lake polygon,
paging, and nearest features with distances checked against pyproj.Geod (CGCS2000 ellipsoid)."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Geod

from mapnode.errors import InvalidParameter
from mapnode.model import Actor, Changeset
from mapnode.store import AttrFilter, VersionedStore
from tests.store import hz

GEOD = Geod(ellps="GRS80")  # CGCS2000 uses GRS80's shape to well under a millimetre
BROKEN_BRIDGE = (120.1515, 30.2590)  # 断桥残雪, on the north shore of West Lake
INNER_BOX = (120.14, 30.24, 120.16, 30.26)


def _bbox_overlaps(rows: tuple[hz.Row, ...], box: tuple[float, float, float, float]) -> set[str]:
    q = shapely.box(*box)
    return {r.fid for r in rows if q.intersects(shapely.box(*r.geometry.bounds))}


def test_bbox_returns_the_features_whose_bbox_overlaps(store: VersionedStore, system: Actor,
                                                       roads: hz.Slice) -> None:
    expected = _bbox_overlaps(roads.rows, INNER_BOX)
    got = [f.fid for f in store.features(system, "roads", bbox=INNER_BOX)]
    assert set(got) == expected and len(got) == len(expected) > 100
    assert got == sorted(got)
    assert store.count(system, "roads", bbox=INNER_BOX) == len(expected)
    assert store.count(system, "roads", bbox=(121.4, 31.1, 121.5, 31.2)) == 0  # Shanghai
    with pytest.raises(InvalidParameter):
        store.count(system, "roads", bbox=(120.2, 30.2, 120.1, 30.3))


def test_intersects_is_exact_not_just_bbox(store: VersionedStore, system: Actor,
                                           roads: hz.Slice) -> None:
    lake = hz.west_lake()
    exact = {r.fid for r in roads.rows if lake.intersects(r.geometry)}
    candidates = _bbox_overlaps(roads.rows, lake.bounds)
    assert exact and len(candidates) > len(exact) + 100  # the bbox alone would be far off
    got = [f.fid for f in store.features(system, "roads", intersects=lake)]
    assert set(got) == exact and len(got) == len(exact)
    causeways = {f.properties["name"] for f in store.features(system, "roads", intersects=lake)}
    assert "苏堤" in causeways or "白堤" in causeways
    clipped = store.features(system, "roads", intersects=lake, bbox=INNER_BOX)
    inner = shapely.box(*INNER_BOX)
    assert {f.fid for f in clipped} == {
        r.fid for r in roads.rows if lake.intersects(r.geometry)
        and inner.intersects(shapely.box(*r.geometry.bounds))}


def test_paging_with_limit_and_offset(store: VersionedStore, system: Actor,
                                      roads: hz.Slice) -> None:
    lake = hz.west_lake()
    for kw in ({"bbox": INNER_BOX}, {"intersects": lake}, {}):
        every = [f.fid for f in store.features(system, "roads", **kw)]  # type: ignore[arg-type]
        pages = []
        for offset in range(0, len(every) + 40, 40):
            pages += [f.fid for f in store.features(system, "roads", limit=40, offset=offset,
                                                    **kw)]  # type: ignore[arg-type]
        assert pages == every


def _geod_m(lon: float, lat: float, p: shapely.Point) -> float:
    return float(GEOD.inv(lon, lat, p.x, p.y)[2])


def test_nearest_points_with_distances_in_metres(store: VersionedStore, system: Actor) -> None:
    data = hz.amenities()
    hz.load(store, system, "amenities", data)
    lon, lat = BROKEN_BRIDGE
    found = store.nearest(system, "amenities", lon, lat, k=8)
    truth = sorted((_geod_m(lon, lat, r.geometry), r.fid) for r in data.rows)
    assert len(found) == 8
    for (feature, metres), (true_m, _) in zip(found, truth, strict=False):
        assert metres == pytest.approx(_geod_m(lon, lat, feature.geometry), rel=0.01)
        assert metres == pytest.approx(true_m, rel=0.01, abs=0.5)
    assert [m for _, m in found] == sorted(m for _, m in found)
    assert {f.fid for f, _ in found} <= {fid for _, fid in truth[:10]}
    toilets = store.nearest(system, "amenities", lon, lat, k=3,
                            filters=[AttrFilter("amenity", "eq", "toilets")])
    assert [f.properties["amenity"] for f, _ in toilets] == ["toilets"] * 3
    nearest_toilets = sorted(_geod_m(lon, lat, r.geometry) for r in data.rows
                             if r.properties["amenity"] == "toilets")[:3]
    assert [m for _, m in toilets] == pytest.approx(nearest_toilets, rel=0.01)


def test_nearest_respects_the_radius_and_the_seq(store: VersionedStore, system: Actor) -> None:
    data = hz.amenities()
    hz.load(store, system, "amenities", data)
    lon, lat = BROKEN_BRIDGE
    assert store.nearest(system, "amenities", 121.47, 31.23, max_distance_m=5_000) == []
    far = store.nearest(system, "amenities", lon, lat, k=len(data.rows) + 10,
                        max_distance_m=300)
    assert far and all(m <= 300 for _, m in far)
    got = {f.fid for f, _ in far}
    assert {r.fid for r in data.rows if _geod_m(lon, lat, r.geometry) <= 297} <= got
    assert got <= {r.fid for r in data.rows if _geod_m(lon, lat, r.geometry) <= 303}
    (first, _), = store.nearest(system, "amenities", lon, lat)
    store.apply(system, Changeset("t").delete("amenities", first.fid, 1))
    (now, _), = store.nearest(system, "amenities", lon, lat)
    (before, _), = store.nearest(system, "amenities", lon, lat, as_of=1)
    assert now.fid != first.fid and before.fid == first.fid
    with pytest.raises(InvalidParameter):
        store.nearest(system, "amenities", 200.0, 30.0)


def test_nearest_lines_measure_to_the_line_not_its_vertices(
        store: VersionedStore, system: Actor, roads: hz.Slice) -> None:
    lon, lat = BROKEN_BRIDGE
    (road, metres), = store.nearest(system, "roads", lon, lat)
    vertices = shapely.get_coordinates(road.geometry)
    to_vertices = min(float(GEOD.inv(lon, lat, x, y)[2]) for x, y in vertices)
    assert metres <= to_vertices * 1.01
    nearest_point = shapely.Point(shapely.get_coordinates(
        shapely.shortest_line(road.geometry, shapely.Point(lon, lat)))[0])
    assert metres == pytest.approx(_geod_m(lon, lat, nearest_point), rel=0.02, abs=1.0)
