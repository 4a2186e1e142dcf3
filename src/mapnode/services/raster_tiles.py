"""Raster tiles (PNG, JPEG, WebP; 256 px, or 512 px with `scale` 2) rendered server-side from
the map style by mapnode.render, natively in each grid's CRS (3857, 4490, 4326).

Tilesets: `basemap` (天地图 vec), `labels` (cva: transparent, labels only), `imagery` (img:
every raster layer the caller may see), or one layer: a vector layer drawn with its style
layers of the base map on a transparent background, a raster layer drawn as itself.
Tiles are drawn as metatiles of up to 4 × 4 (`MetaTile`): a label that crosses a tile edge is
cut from one image on both sides, and labels are kept off the metatile's outer edge, so no
label is ever cut. A miss stores every tile of its metatile that is not cached yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapnode import render
from mapnode.errors import InvalidParameter, NotFound
from mapnode.grids import TILE_SIZE, Grid
from mapnode.model import Actor, LayerKind
from mapnode.services.tile_cache import safe_name, tileset_key
from mapnode.store import VersionedStore
from mapnode.styles import STYLES

RASTER_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp"}
SCALES = (1, 2)
META = 4  # a metatile is up to 4 × 4 tiles (1024 px, or 2048 px at scale 2)


@dataclass(frozen=True)
class RasterTileset:
    """What a raster tile of a tileset draws, and under which cache directory."""

    style: str
    layers: tuple[str, ...] | None  # None: the whole style
    depends_on: tuple[str, ...]  # store layers whose edits change the tiles
    cache_dir: str
    transparent: bool


def raster_format(fmt: str) -> str:
    """png | jpeg | webp for a URL extension (jpg and jpeg are the same); NotFound otherwise."""
    out = RASTER_FORMATS.get(fmt)
    if out is None:
        raise NotFound("不支持的瓦片格式", "unsupported tile format",
                       {"format": fmt, "supported": "mvt, pbf, png, jpg, jpeg, webp"})
    return out


def raster_tileset(store: VersionedStore, actor: Actor, tileset: str) -> RasterTileset:
    """The tileset as the actor may see it; hidden, unknown and table layers are NotFound."""
    if tileset in STYLES:
        metas = store.layers(actor)
        kind = LayerKind.RASTER if tileset == "imagery" else LayerKind.VECTOR
        names = tuple(sorted(m.name for m in metas if m.kind is kind))
        # under basemap~<hash>: the cache's log follower drops these tiles on any edit
        return RasterTileset(tileset, None, names, tileset_key("basemap", names),
                             tileset == "labels")
    meta = store.layer(actor, tileset)
    if meta.kind is LayerKind.TABLE or (meta.kind is LayerKind.RASTER and not meta.raster_path):
        raise NotFound("该图层没有栅格瓦片", "this layer has no raster tiles", {"layer": tileset})
    return RasterTileset("basemap", (tileset,), (tileset,), safe_name(tileset), True)


def cache_style(ts: RasterTileset, fmt: str, scale: int) -> str:
    """The cache key's style part: which style, format and pixel ratio."""
    return f"{ts.style}.{fmt}" + ("@2x" if scale == 2 else "")


def check_scale(scale: int) -> None:
    if scale not in SCALES:
        raise InvalidParameter("瓦片倍率只能是 1 或 2", "tile scale must be 1 or 2",
                               {"scale": scale})


class MetaTile:
    """Up to `META`×`META` neighbouring tiles drawn as one image, with no label buffer and
    labels kept off its outer edge: a label crossing a tile edge inside it is cut from the
    same image on both sides, and no label is ever cut at its edge."""

    def __init__(self, store: VersionedStore, actor: Actor, ts: RasterTileset, g: Grid, z: int,
                 x: int, y: int, fmt: str, scale: int, seq: int) -> None:
        x0, y0 = x - x % META, y - y % META
        self.members = [(tx, ty) for ty in range(y0, y0 + META) for tx in range(x0, x0 + META)
                        if _in_grid(g, z, tx, ty)]
        self.x0, self.y0 = x0, y0
        x1 = max(tx for tx, _ in self.members)
        y1 = max(ty for _, ty in self.members)
        west, south, _, _ = g.bounds(z, x0, y1)
        _, _, east, north = g.bounds(z, x1, y0)
        self.size, self.fmt, self.transparent = TILE_SIZE * scale, fmt, ts.transparent
        self.image = render.render_image(
            store, actor, style=ts.style, layers=ts.layers, bbox=(west, south, east, north),
            crs=f"EPSG:{g.srid}", width=(x1 - x0 + 1) * self.size,
            height=(y1 - y0 + 1) * self.size, fmt=fmt, transparent=ts.transparent,
            bgcolor=None, as_of=seq, scale=scale, buffer_px=0, avoid_edges=True)

    def tile(self, tx: int, ty: int) -> tuple[bytes, bool]:
        """(image bytes, empty) of one member; `empty` when a transparent tile shows nothing."""
        px, py = (tx - self.x0) * self.size, (ty - self.y0) * self.size
        view = self.image.view(px, py, self.size, self.size)
        empty = (self.transparent and bool(view.is_solid())
                 and self.image.get_pixel(px, py) >> 24 == 0)
        return render.encode(view, self.fmt, self.transparent), empty


def _in_grid(g: Grid, z: int, x: int, y: int) -> bool:
    try:
        g.check(z, x, y)
    except InvalidParameter:
        return False
    return True


def render_tile(store: VersionedStore, actor: Actor, ts: RasterTileset, g: Grid, z: int, x: int,
                y: int, fmt: str, scale: int, seq: int) -> tuple[bytes, bool]:
    """(image bytes, empty) of one tile, cut from its metatile."""
    return MetaTile(store, actor, ts, g, z, x, y, fmt, scale, seq).tile(x, y)
