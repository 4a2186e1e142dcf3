"""The tile cache follows the log: publishing an edit removes exactly the cached tiles its bbox
touches, at every level, for the tilesets that hold the edited layer; the rest stay hits."""

from __future__ import annotations

from pathlib import Path

import mapbox_vector_tile
import numpy as np
import shapely
from starlette.testclient import TestClient

from mapnode.grids import grid
from mapnode.model import Actor, Changeset
from mapnode.services import tiles as tiles_module
from mapnode.services.tile_cache import MARGIN_PX, POINT_MARGIN_PX, TileCache
from mapnode.services.tiles import TileService
from tests.tiles.conftest import City, editor

NANSHAN_ROAD = "589384551"  # 南山路
OFFSET = np.array([0.0004, 0.0002])  # about 45 m north-east
Key = tuple[str, str, int, int, int]


def _check_invalidation(client: TestClient, city: City, layer: str, fid: str,
                        levels: tuple[tuple[str, int], ...], margin: float) -> None:
    """Cache a block of tiles around a feature, move it, and check that exactly the tiles
    within `margin` px of its old and new bbox were re-made, and that only they changed."""
    store, public = city.store, Actor.anonymous()
    feature = store.feature(public, layer, fid)
    mid = feature.geometry.centroid
    requests: list[Key] = []
    for tms, z in levels:
        cx, cy = grid(tms).tile_of(mid.x, mid.y, z)
        for tileset in (layer, "basemap", "water"):
            requests += [(tileset, tms, z, x, y) for x in range(cx - 2, cx + 2)
                         for y in range(cy - 2, cy + 2)]

    def fetch() -> dict[Key, tuple[str, bytes]]:
        out = {}
        for ts, tms, z, x, y in requests:
            r = client.get(f"/tiles/{ts}/{tms}/{z}/{x}/{y}.mvt")
            assert r.status_code in (200, 204)
            out[(ts, tms, z, x, y)] = (r.headers["x-cache"], r.content)
        return out

    fetch()
    before = fetch()
    assert {c for c, data in before.values() if data} == {"hit"}
    moved = shapely.transform(feature.geometry, lambda xy: xy + OFFSET)
    entry = store.apply(editor(), Changeset("t", f"move {fid}").update(
        layer, fid, feature.version, moved, feature.properties))
    assert entry is not None
    try:
        bbox = entry.layers[layer].bbox
        assert bbox is not None
        after = fetch()
        changed = set()
        for key, (status, data) in after.items():
            ts, tms, z, x, y = key
            x0, y0, x1, y1 = grid(tms).tile_range(bbox, z, margin)
            touched = ts != "water" and x0 <= x <= x1 and y0 <= y <= y1
            if data:
                assert status == ("miss" if touched else "hit"), key
            if data != before[key][1]:
                assert touched, key  # only re-made tiles can differ
                changed.add(key)
                if layer != "pois":  # a thinned point may move a neighbour's: not only its own
                    near = shapely.box(*grid(tms).lonlat_bounds(z, x, y)).buffer(1e-4)
                    assert near.intersects(feature.geometry) or near.intersects(moved), key
                    assert layer in mapbox_vector_tile.decode(data)
        for tms, z in levels:
            x, y = grid(tms).tile_of(moved.centroid.x, moved.centroid.y, z)
            assert (layer, tms, z, x, y) in changed or layer == "pois"
        assert changed
        assert {c for c, _ in fetch().values() if c != "empty"} == {"hit"}
    finally:
        store.undo(editor(), entry.seq)


def test_an_edit_invalidates_only_the_tiles_it_touches(client: TestClient, city: City) -> None:
    _check_invalidation(client, city, "roads", NANSHAN_ROAD, (("w", 14), ("w", 17), ("c", 16)),
                        MARGIN_PX)


def test_a_moved_point_invalidates_its_thinning_neighbourhood(client: TestClient,
                                                              city: City) -> None:
    # a named amenity near 湖滨, where tiles at these levels are dense enough to be thinned
    poi = next(f for f in city.store.features(Actor.anonymous(), "pois",
                                              bbox=(120.160, 30.255, 120.168, 30.262))
               if f.properties.get("name"))
    _check_invalidation(client, city, "pois", poi.fid, (("w", 13), ("c", 15)), POINT_MARGIN_PX)


def test_margins_cover_buffer_and_coarsest_thinning_cell() -> None:
    buffer_px = tiles_module.BUFFER / tiles_module.EXTENT * 256
    coarsest = tiles_module.THIN_CELL_PX * 2 ** (tiles_module.MAX_ATTEMPTS - 1)
    assert buffer_px <= MARGIN_PX and buffer_px + coarsest <= POINT_MARGIN_PX


def test_follower_survives_a_restart_and_skips_unknown_caches(city: City,
                                                              tiles: TileService) -> None:
    """A new TileCache on the same directory resumes from the recorded seq."""
    public = Actor.anonymous()
    x, y = grid("w").tile_of(120.15, 30.25, 15)
    assert tiles.tile(public, "roads", "w", 15, x, y).cache == "miss"
    assert tiles.tile(public, "roads", "w", 15, x, y).cache == "hit"
    again = TileService(city.store, TileCache(tiles.cache.root))
    assert again.tile(public, "roads", "w", 15, x, y).cache == "hit"
    tiles.cache.close()  # no poller of the first two may write "seq" again
    again.cache.close()
    (tiles.cache.root / "seq").unlink()  # what was followed is unknown: start again
    fresh = TileService(city.store, TileCache(tiles.cache.root))
    assert fresh.tile(public, "roads", "w", 15, x, y).cache == "miss"


def test_a_cache_that_cannot_be_written_still_serves_tiles(city: City, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    service = TileService(city.store, TileCache(blocked))
    x, y = grid("w").tile_of(120.15, 30.25, 15)
    first = service.tile(Actor.anonymous(), "roads", "w", 15, x, y)
    second = service.tile(Actor.anonymous(), "roads", "w", 15, x, y)
    assert first.data and first.data == second.data
    assert (first.cache, second.cache) == ("miss", "miss")
