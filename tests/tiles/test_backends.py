"""The same tiles from both backends: PostGIS (`ST_AsMVT`) and the embedded store (Python
encoder) give the same features with the same ids and attributes, and geometries that agree
to the tile grid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import shape

from mapnode import mvt
from mapnode.grids import grid
from mapnode.model import Actor
from mapnode.services.tiles import render, tileset_layers
from mapnode.store import VersionedStore, open_store
from mapnode.store.postgis import FID_IS_NUMBER, ID_IS_FID
from tests.store import hz
from tests.support.pg import pg_store
from tests.tiles.conftest import fid_of, polygons

BOX = hz.WEST_LAKE_BOX


def _load(store: VersionedStore) -> None:
    system = Actor.system()
    for name, source in (("landuse", "landuse_a"), ("water", "water_a")):
        data = polygons(source)
        box = shapely.box(*BOX)
        hz.load(store, system, name, data, rows=tuple(r for r in data.rows
                                                      if box.intersects(r.geometry)))
    hz.load(store, system, "roads", hz.roads())
    hz.load(store, system, "pois", hz.amenities())


def _tiles(store: VersionedStore) -> dict[tuple[str, int, int, int], dict[str, Any]]:
    public = Actor.anonymous()
    metas = tileset_layers(store, public, "basemap")
    seq = store.current_seq()
    out = {}
    for tms, zooms in (("w", (11, 13, 15, 17)), ("c", (12, 14, 16))):
        g = grid(tms)
        for z in zooms:
            x, y = g.tile_of(120.15, 30.255, z)
            out[(tms, z, x, y)] = mapbox_vector_tile.decode(
                render(store, public, metas, g, z, x, y, seq)[0])
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[Any, Any], dict[Any, Any]]:
    lite = open_store(str(Path(tmp_path_factory.mktemp("both")) / "lake.mapnode"))
    _load(lite)
    a = _tiles(lite)
    lite.close()
    with pg_store() as pg:
        _load(pg)
        b = _tiles(pg)
    return a, b


TILE = shapely.box(0, 0, 4096, 4096)


def _inside(geom: dict[str, Any]) -> Any:
    """The part of a decoded geometry inside the tile proper (the buffer is not drawn)."""
    return shapely.intersection(shape(geom), TILE)


def _negligible(g: Any) -> bool:
    """Less than a pixel (16 units) of area or two pixels of length: what GEOS and
    liblwgeom may round away differently (thin slivers, tiny loops, lines on the buffer edge)."""
    return g.is_empty or (g.area < 256 if g.area > 0 else g.length < 32)


def test_same_features_and_attributes(both: tuple[dict[Any, Any], dict[Any, Any]]) -> None:
    lite, pg = both
    assert lite.keys() == pg.keys()
    compared = differing = 0
    for key in lite:
        assert set(lite[key]) == set(pg[key]), key
        for layer in lite[key]:
            a = {fid_of(f): f for f in lite[key][layer]["features"]}
            b = {fid_of(f): f for f in pg[key][layer]["features"]}
            for fid in a.keys() ^ b.keys():
                assert _negligible(_inside((a.get(fid) or b[fid])["geometry"])), (key, layer, fid)
                differing += 1
            for fid in a.keys() & b.keys():
                fa, fb = a[fid], b[fid]
                assert fa["properties"] == fb["properties"], (key, layer, fid)
                assert fa.get("id") == fb.get("id"), (key, layer, fid)
                ga, gb = _inside(fa["geometry"]), _inside(fb["geometry"])
                if ga.is_empty or gb.is_empty:
                    assert _negligible(ga) and _negligible(gb), (key, layer, fid)
                elif layer == "pois":
                    assert ga.equals(gb), (key, layer, fid)
                else:  # simplification and validity repair may keep other vertices
                    assert shapely.hausdorff_distance(ga, gb) <= 64, (key, layer, fid)
                    if ga.area > 0:
                        diff = shapely.symmetric_difference(ga.buffer(0), gb.buffer(0)).area
                        # on average the outlines are within a quarter pixel (4 units)
                        assert diff <= 4 * ga.length, (key, layer, fid)
                compared += 1
    assert compared > 3000 and differing <= compared // 200


FIDS = ["0", "7", "123456789012345678", "1234567890123456789", "007", "00", "w123", "12a", "",
        "-5", "１２"]


def test_a_fid_attribute_only_where_the_id_does_not_give_the_fid(
        both: tuple[dict[Any, Any], dict[Any, Any]]) -> None:
    """Both backends leave the `fid` attribute out exactly when the MVT id, written in
    decimal, is the fid; the PostGIS pattern agrees with mapnode.mvt's on odd fids."""
    for tiles in both:
        for layers in tiles.values():
            for layer in layers.values():
                for f in layer["features"]:
                    assert ("fid" in f["properties"]) == (f.get("id") is None), f
    expected = ["fid" in mvt.attributes(fid, {}) for fid in FIDS]
    assert expected == [False, False, False, True, True, True, True, True, True, True, True]
    ids = [int(fid) if fid.isascii() and fid.isdigit() and len(fid) <= 18 else None
           for fid in FIDS]
    with pg_store() as pg:
        got = pg.query(f"SELECT {ID_IS_FID}, CASE WHEN {FID_IS_NUMBER} THEN v.fid::bigint END "
                       f"FROM unnest(?::text[]) AS v(fid)", [FIDS])
    assert [not row[0] for row in got] == expected
    assert [row[1] for row in got] == ids
