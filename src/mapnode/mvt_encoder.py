"""A small Mapbox Vector Tile 2.1 encoder for one layer whose geometries are already in tile
coordinates (snapped by `shapely.set_precision(…, 1)`; polygons valid, exteriors of positive
area in tile coordinates as `shapely.orient_polygons` gives).

Geometry commands for all features of a layer are built at once with numpy over
`shapely.to_ragged_array`, and all varints are encoded in one vectorised pass; only the
attribute tables and the final per-feature framing are Python loops. It replaced
mapbox-vector-tile, which spent most of a dense tile's time in per-feature Python (figures in
services/tiles.py).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely import GeometryType as G

POINT, LINESTRING, POLYGON = 1, 2, 3
_FAMILY = {POINT: (G.POINT, G.MULTIPOINT), LINESTRING: (G.LINESTRING, G.MULTILINESTRING),
           POLYGON: (G.POLYGON, G.MULTIPOLYGON)}


def encode_layer(name: str, extent: int, geoms: np.ndarray, attrs: Sequence[dict[str, Any]],
                 ids: Sequence[int | None]) -> bytes:
    """One `layers` entry of a tile (field 3 of Tile), or b"" when no feature is left."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    usable = ~shapely.is_empty(geoms) & (types >= 0)
    kind = next((k for k, fam in _FAMILY.items() if np.isin(types[usable], fam).any()), None)
    if kind is None:
        return b""
    chosen = np.nonzero(usable & np.isin(types, _FAMILY[kind]))[0]
    stream, sizes = _geometry(geoms[chosen], kind)
    chosen, sizes = chosen[sizes > 0], sizes[sizes > 0]
    if not len(chosen):
        return b""
    keys: dict[str, int] = {}
    values: dict[tuple[type, Any], int] = {}
    tags: list[int] = []
    tag_counts = []
    order: list[int] = chosen.tolist()
    for i in order:
        for k, v in attrs[i].items():
            tags.append(keys.setdefault(k, len(keys)))
            tags.append(values.setdefault((type(v), v), len(values)))
        tag_counts.append(2 * len(attrs[i]))
    tag_bytes, tag_at = _varints(np.asarray(tags, dtype=np.uint64))
    geom_bytes, geom_at = _varints(stream)
    tag_bounds = tag_at[np.concatenate([[0], np.cumsum(tag_counts)])]
    geom_bounds = geom_at[np.concatenate([[0], np.cumsum(sizes)])]
    head = b"\x18" + bytes([kind]) + b"\x22"
    parts = [b"\x78\x02", _bytes_field(1, name.encode())]
    for n, i in enumerate(order):
        fid = ids[i]
        t = tag_bytes[tag_bounds[n]:tag_bounds[n + 1]]
        g = geom_bytes[geom_bounds[n]:geom_bounds[n + 1]]
        body = b"\x12" + _varint(len(t)) + t + head + _varint(len(g)) + g
        if fid is not None:
            body = b"\x08" + _varint(fid) + body
        parts.append(b"\x12" + _varint(len(body)) + body)
    parts += [_bytes_field(3, k.encode()) for k in keys]
    parts += [_bytes_field(4, _value(v)) for (_, v) in values]
    parts.append(b"\x28" + _varint(extent))
    return _bytes_field(3, b"".join(parts))


def _geometry(geoms: np.ndarray, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """The command stream of all geometries, and how many ints each one has (0: dropped)."""
    _, coords, offsets = shapely.to_ragged_array(geoms)
    xy = np.rint(coords).astype(np.int64)
    n = len(geoms)
    if kind == POINT:
        feat_off = offsets[0] if offsets else np.arange(n + 1)
        return _points(xy, feat_off, n)
    if kind == LINESTRING:
        part_off = offsets[0]
        part_feat = (np.repeat(np.arange(n), np.diff(offsets[1])) if len(offsets) > 1
                     else np.arange(n))
        return _paths(xy, part_off, part_feat, n, None)
    ring_off, ring_poly = offsets[0], np.repeat(np.arange(len(offsets[1]) - 1),
                                                np.diff(offsets[1]))
    poly_feat = (np.repeat(np.arange(n), np.diff(offsets[2])) if len(offsets) > 2
                 else np.arange(n))
    exterior = np.zeros(len(ring_poly), dtype=bool)
    exterior[offsets[1][:-1][np.diff(offsets[1]) > 0]] = True
    return _paths(xy, ring_off, poly_feat[ring_poly], n, (ring_poly, exterior))


def _points(xy: np.ndarray, feat_off: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.diff(feat_off)
    feat = np.repeat(np.arange(n), counts)
    deltas = _deltas(xy, feat)
    sizes = np.where(counts > 0, 1 + 2 * counts, 0)
    starts = np.concatenate([[0], np.cumsum(sizes)])[:-1]
    out = np.zeros(int(sizes.sum()), dtype=np.uint64)
    has = counts > 0
    out[starts[has]] = (1 | (counts[has] << 3)).astype(np.uint64)
    j = np.arange(len(xy)) - feat_off[:-1][feat]
    pos = starts[feat] + 1 + 2 * j
    out[pos], out[pos + 1] = deltas[:, 0], deltas[:, 1]
    return out, sizes


def _paths(xy: np.ndarray, part_off: np.ndarray, part_feat: np.ndarray, n: int,
           rings: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """Lines (rings None) or polygon rings ((polygon of each ring, is-exterior))."""
    nparts = len(part_off) - 1
    lengths = np.diff(part_off)
    pidx = np.repeat(np.arange(nparts), lengths)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    keep[part_off[:-1][lengths > 0]] = True
    if rings is not None:
        keep[part_off[1:][lengths > 0] - 1] = False  # the closing point: ClosePath draws it
    counts = np.bincount(pidx[keep], minlength=nparts)
    ok = counts >= (3 if rings is not None else 2)
    if rings is not None:  # a polygon whose exterior collapsed goes with its holes
        ring_poly, exterior = rings
        poly_ok = np.ones(int(ring_poly.max()) + 1 if len(ring_poly) else 0, dtype=bool)
        poly_ok[ring_poly[exterior]] = ok[exterior]
        ok &= poly_ok[ring_poly]
    keep &= ok[pidx]
    counts = np.where(ok, counts, 0)
    kx, kp = xy[keep], pidx[keep]
    deltas = _deltas(kx, part_feat[kp])
    closed = 1 if rings is not None else 0
    sizes = np.where(ok, 2 + 2 * counts + closed, 0)
    starts = np.concatenate([[0], np.cumsum(sizes)])[:-1]
    out = np.zeros(int(sizes.sum()), dtype=np.uint64)
    good = np.nonzero(ok)[0]
    out[starts[good]] = 9  # MoveTo(1)
    out[starts[good] + 3] = (2 | ((counts[good] - 1) << 3)).astype(np.uint64)  # LineTo(n-1)
    if closed:
        out[starts[good] + sizes[good] - 1] = 15  # ClosePath(1)
    first = np.concatenate([[0], np.cumsum(counts)])[:-1]
    j = np.arange(len(kx)) - first[kp]
    pos = starts[kp] + 1 + 2 * j + (j >= 1)
    out[pos], out[pos + 1] = deltas[:, 0], deltas[:, 1]
    return out, np.bincount(part_feat, weights=sizes, minlength=n).astype(np.int64)


def _deltas(xy: np.ndarray, feat: np.ndarray) -> np.ndarray:
    """Zigzag-encoded moves from the previous point; the cursor starts at 0,0 per feature."""
    d = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    if len(xy):
        starts = np.ones(len(xy), dtype=bool)
        starts[1:] = feat[1:] != feat[:-1]
        d[starts] = xy[starts]
    return ((d << 1) ^ (d >> 63)).astype(np.uint64)


def _varints(a: np.ndarray) -> tuple[bytes, np.ndarray]:
    """All values as protobuf varints, and the byte offset where each value starts (plus the
    end)."""
    a = a.astype(np.uint64)
    n = np.ones(len(a), dtype=np.int64)
    for shift in range(7, 64, 7):
        n += a >= (np.uint64(1) << np.uint64(shift))
    width = int(n.max()) if len(a) else 1
    table = np.zeros((len(a), width), dtype=np.uint8)
    for i in range(width):
        more = (i < n - 1).astype(np.uint8) << np.uint8(7)
        table[:, i] = ((a >> np.uint64(7 * i)) & np.uint64(0x7F)).astype(np.uint8) | more
    mask = np.arange(width) < n[:, None]
    return table[mask].tobytes(), np.concatenate([[0], np.cumsum(n)])


def _varint_slow(v: int) -> bytes:
    out = bytearray()
    while v > 0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


_SMALL = [_varint_slow(i) for i in range(1 << 14)]


def _varint(v: int) -> bytes:
    return _SMALL[v] if v < 16384 else _varint_slow(v)


def _bytes_field(field: int, data: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _value(v: Any) -> bytes:
    """A Value message: string 1, double 3, int 4 (negative), uint 5, bool 7."""
    if isinstance(v, bool):
        return b"\x38" + (b"\x01" if v else b"\x00")
    if isinstance(v, int) and -(2**63) <= v < 2**64:
        if v >= 0:
            return b"\x28" + _varint(v)
        return b"\x20" + _varint(v & 0xFFFFFFFFFFFFFFFF)
    if isinstance(v, float):
        return b"\x19" + struct.pack("<d", v)
    return _bytes_field(1, str(v).encode())
