"""mapnode's own MVT encoder, read back by mapbox-vector-tile's decoder (an independent
implementation of the spec)."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry import shape

from mapnode.mvt_encoder import encode_layer


def decode(data: bytes) -> dict:  # type: ignore[type-arg]
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_points_lines_and_attributes() -> None:
    geoms = np.array([shapely.Point(10, 20), shapely.MultiPoint([(1, 1), (4095, 4095)]),
                      shapely.Point(-30, 5000)], dtype=object)
    attrs = [{"name": "西湖", "n": 3, "neg": -7, "x": 1.5, "ok": True, "big": 2**62},
             {"name": "断桥", "ok": False}, {}]
    data = encode_layer("pois", 4096, geoms, attrs, [12, None, 2**62])
    layer = decode(data)["pois"]
    assert layer["extent"] == 4096 and layer["version"] == 2
    f = layer["features"]
    assert [x["id"] for x in f] == [12, 0, 2**62]  # no id decodes as the default, 0
    assert f[0]["properties"] == attrs[0] and f[1]["properties"] == attrs[1]
    assert shape(f[0]["geometry"]).equals(shapely.Point(10, 20))
    assert shape(f[1]["geometry"]).equals(shapely.MultiPoint([(1, 1), (4095, 4095)]))
    assert shape(f[2]["geometry"]).equals(shapely.Point(-30, 5000))

    lines = np.array([shapely.LineString([(0, 0), (0, 0), (100, 50), (200, 50)]),
                      shapely.MultiLineString([[(5, 5), (5, 6)], [(7, 7), (7, 7)],
                                               [(9, 9), (300, 9)]]),
                      shapely.LineString([(1, 1), (1, 1)])], dtype=object)
    f = decode(encode_layer("roads", 4096, lines, [{}, {}, {}], [1, 2, 3]))["roads"]["features"]
    assert [x["id"] for x in f] == [1, 2]  # the one-point line is dropped
    assert shape(f[0]["geometry"]).equals(shapely.LineString([(0, 0), (100, 50), (200, 50)]))
    assert shape(f[1]["geometry"]).equals(shapely.MultiLineString([[(5, 5), (5, 6)],
                                                                    [(9, 9), (300, 9)]]))


def test_polygons_with_holes_keep_their_winding() -> None:
    donut = shapely.Polygon([(0, 0), (100, 0), (100, 100), (0, 100)],
                            [[(20, 20), (20, 40), (40, 40), (40, 20)]])
    two = shapely.MultiPolygon([shapely.box(200, 200, 300, 300), shapely.box(400, 0, 410, 10)])
    flat = shapely.Polygon([(500, 500), (600, 500), (500, 500.2)])  # collapses when snapped
    geoms = shapely.orient_polygons(shapely.set_precision(
        np.array([donut, two, flat], dtype=object), 1.0))
    f = decode(encode_layer("landuse", 4096, geoms, [{"a": 1}, {"a": 2}, {"a": 3}],
                            [None, None, None]))["landuse"]["features"]
    assert [x["properties"]["a"] for x in f] == [1, 2]
    got = shape(f[0]["geometry"])
    assert got.equals(donut) and got.area == donut.area
    assert shape(f[1]["geometry"]).equals(two)
    # MVT 2.1: exterior rings have a positive area in tile coordinates, holes a negative one
    ring = np.array(f[0]["geometry"]["coordinates"][0])
    hole = np.array(f[0]["geometry"]["coordinates"][1])

    def area(xy: np.ndarray) -> float:
        return float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]) / 2)

    assert area(ring) > 0 > area(hole)


def test_empty_layer() -> None:
    assert encode_layer("x", 4096, np.array([None, shapely.Point()], dtype=object),
                        [{}, {}], [None, None]) == b""
