"""OpenStreetMap files (.osm.pbf, .osm) through pyosmium: layers `points`, `lines`, `polygons`.

- points: nodes with tags; lines: tagged ways that are not areas; polygons: closed ways that
  are areas by their tags (building, landuse, area=yes …) and multipolygon/boundary relations.
- Every tag is a (string) property, so `name`, `name:zh`, `name:en` survive; `osm_key`
  ("n123", "w45", "r7") identifies features and is the default key, so a re-import of a newer
  extract writes only the differences.
- Streaming: one pass per layer (plus a first pass listing tag keys and counts). Node
  locations live in osmium's C++ index (on disk for large files), never in Python objects.
  Polygons from closed ways are built here, so an invalid ring reaches the geometry check
  (reported with its reason, repairable with `--repair`); relations are assembled by osmium.
"""

from __future__ import annotations

import os
import struct
import tempfile
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import osmium.filter
import osmium.geom
import osmium.index
import osmium.osm

from mapnode.errors import InvalidData, ProblemItem
from mapnode.ingest.source import SourceBatch, SourceLayer
from mapnode.model.layer import FieldType, GeometryType

KEY_FIELD = "osm_key"
OSM_CRS = "EPSG:4326"
POINTS, LINES, POLYGONS = "points", "lines", "polygons"
# Files larger than this keep node locations in a temporary file instead of memory.
DISK_INDEX_BYTES = 256 << 20
# Tags that alone do not make a node a feature (editor bookkeeping).
_BORING = frozenset({"created_by", "source", "converted_by", "odbl", "odbl:note"})
# A closed way with one of these keys is an area unless `area=no` (after GDAL's osmconf.ini
# `closed_ways_are_polygons`, plus water/landcover/area:highway).
_AREA_KEYS = frozenset({
    "aeroway", "amenity", "boundary", "building", "building:part", "craft", "geological",
    "historic", "landuse", "leisure", "military", "natural", "office", "place", "shop", "sport",
    "tourism", "water", "landcover", "area:highway", "indoor", "ruins", "healthcare"})
_AREA_TAGS = frozenset({
    ("highway", "platform"), ("highway", "rest_area"), ("highway", "services"),
    ("public_transport", "platform"), ("public_transport", "station"),
    ("railway", "platform"), ("railway", "station"), ("waterway", "riverbank"),
    ("waterway", "dock"), ("waterway", "boatyard"), ("man_made", "pier"),
    ("man_made", "bridge"), ("man_made", "works"), ("man_made", "wastewater_plant"),
    ("power", "plant"), ("power", "substation"), ("power", "generator")})
# Values of area keys that are linear even on a closed way.
_LINEAR_TAGS = frozenset({
    ("natural", "coastline"), ("natural", "cliff"), ("natural", "ridge"),
    ("natural", "tree_row"), ("natural", "arete"), ("leisure", "track"),
    ("historic", "citywalls")})
_POINT = struct.Struct("<BIdd")
_POLYGON_HEAD = struct.pack("<BII", 1, 3, 1)  # little-endian Polygon with one ring


def unreadable(source: str, exc: Exception) -> InvalidData:
    return InvalidData("无法读取 OSM 文件（损坏、截断或格式不支持）",
                       "cannot read OSM file (corrupt, truncated or unsupported format)",
                       [ProblemItem("无法读取", str(exc).strip()[:300], source)],
                       {"file": source})


def is_area_way(tags: osmium.osm.TagList) -> bool:
    """Whether a closed way is an area by its tags."""
    area = tags.get("area")
    if area is not None:
        return area != "no"
    for tag in tags:
        pair = (tag.k, tag.v)
        if pair in _AREA_TAGS:
            return True
        if tag.k in _AREA_KEYS and tag.v != "no" and pair not in _LINEAR_TAGS:
            return True
    return False


def way_layer(way: osmium.osm.Way) -> str:
    """`polygons` for a closed way (at least 4 nodes) that is an area, else `lines`."""
    closed = len(way.nodes) > 3 and way.is_closed()
    return POLYGONS if closed and is_area_way(way.tags) else LINES


def _interesting(tags: osmium.osm.TagList) -> bool:
    return any(t.k not in _BORING for t in tags)


def _is_area_relation(tags: osmium.osm.TagList) -> bool:
    return tags.get("type") in ("multipolygon", "boundary") and any(
        t.k != "type" for t in tags)


class OsmReader:
    """Streams an OSM file as three layers. With `repair`, features whose geometry cannot be
    built (missing nodes or relation members) are skipped and noted instead of failing."""

    def __init__(self, path: str | Path, repair: bool = False,
                 index: str | None = None) -> None:
        self.path = Path(path)
        self.source = self.path.name
        self.notes: list[ProblemItem] = []
        self.repair = repair
        self._index = index
        self._relations: np.ndarray | None = None  # sorted ids of area relations

    # ------------------------------------------------------------------ first pass
    def layers(self) -> list[SourceLayer]:
        keys: dict[str, set[str]] = {POINTS: set(), LINES: set(), POLYGONS: set()}
        counts = dict.fromkeys(keys, 0)
        relations = array("q")
        try:
            obj: Any
            for obj in osmium.FileProcessor(str(self.path)).with_filter(
                    osmium.filter.EmptyTagFilter()):
                kind = obj.type_str()
                if kind == "n":
                    if not _interesting(obj.tags):
                        continue
                    layer = POINTS
                elif kind == "w":
                    layer = way_layer(obj)
                elif _is_area_relation(obj.tags):
                    layer = POLYGONS
                    relations.append(obj.id)
                else:
                    continue
                counts[layer] += 1
                found = keys[layer]
                for tag in obj.tags:
                    if tag.k not in found:
                        found.add(tag.k)
        except (RuntimeError, ValueError, OSError) as exc:
            raise unreadable(self.source, exc) from exc
        self._relations = np.sort(np.frombuffer(relations, dtype=np.int64)) if relations else (
            np.zeros(0, dtype=np.int64))
        family = {POINTS: GeometryType.POINT, LINES: GeometryType.LINE,
                  POLYGONS: GeometryType.POLYGON}
        out = []
        for name, n in counts.items():
            if n == 0:
                continue
            fields = {KEY_FIELD: FieldType.STRING}
            fields.update({k: FieldType.STRING for k in sorted(keys[name]) if k != KEY_FIELD})
            out.append(SourceLayer(name, family[name], fields, OSM_CRS, n, KEY_FIELD,
                                   extra={"declared_type": family[name].value,
                                          "suffix_always": True}))
        return out

    # ------------------------------------------------------------------ layer passes
    def batches(self, layer: SourceLayer, batch_size: int) -> Iterator[SourceBatch]:
        builder = {POINTS: self._points, LINES: self._lines, POLYGONS: self._polygons}[layer.name]
        batch = SourceBatch()
        try:
            for key, wkb, tags, error in builder():
                if error is not None and self.repair:
                    self._skip(key, error)
                    continue
                _append(batch, key, wkb, tags, error)
                if len(batch.labels) >= batch_size:
                    yield batch
                    batch = SourceBatch()
        except (RuntimeError, ValueError, OSError) as exc:
            raise unreadable(f"{self.source} ({layer.name})", exc) from exc
        if batch.labels:
            yield batch

    def _skip(self, key: str, error: tuple[str, str]) -> None:
        self.notes.append(ProblemItem(f"已跳过：{error[0]}", f"skipped: {error[1]}", self.source,
                                      key))

    def _points(self) -> Iterator[tuple[str, bytes | None, Any, tuple[str, str] | None]]:
        fp = osmium.FileProcessor(str(self.path), osmium.osm.NODE).with_filter(
            osmium.filter.EmptyTagFilter())
        node: Any
        for node in fp:
            if not _interesting(node.tags):
                continue
            loc = node.location
            key = f"n{node.id}"
            if not loc.valid():
                yield key, None, node.tags, ("节点坐标无效", "node has no valid location")
                continue
            yield key, _POINT.pack(1, 1, loc.lon, loc.lat), node.tags, None

    def _lines(self) -> Iterator[tuple[str, bytes | None, Any, tuple[str, str] | None]]:
        factory = osmium.geom.WKBFactory()
        way: Any
        with self._locations() as index:
            fp = (osmium.FileProcessor(str(self.path), osmium.osm.NODE | osmium.osm.WAY)
                  .with_locations(index)  # type: ignore[arg-type]  # a LocationTable is allowed
                  .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                  .with_filter(osmium.filter.EmptyTagFilter()))
            for way in fp:
                if way_layer(way) == POLYGONS:
                    continue
                key = f"w{way.id}"
                wkb, error = _way_line(factory, way)
                yield key, wkb, way.tags, error

    def _polygons(self) -> Iterator[tuple[str, bytes | None, Any, tuple[str, str] | None]]:
        factory = osmium.geom.WKBFactory()
        relations = self._relation_ids()
        made = np.zeros(len(relations), dtype=bool)
        obj: Any
        with self._locations() as index:
            fp = (osmium.FileProcessor(str(self.path))
                  .with_locations(index)  # type: ignore[arg-type]  # a LocationTable is allowed
                  .with_areas()
                  .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY | osmium.osm.AREA))
                  .with_filter(osmium.filter.EmptyTagFilter()))
            for obj in fp:
                if obj.type_str() == "w":
                    if way_layer(obj) != POLYGONS:
                        continue
                    wkb, error = _way_line(factory, obj)
                    if wkb is not None:  # the closed line's point count and points become a ring
                        wkb = _POLYGON_HEAD + wkb[5:]
                    yield f"w{obj.id}", wkb, obj.tags, error
                    continue
                if obj.from_way():
                    continue
                rid = obj.orig_id()
                pos = int(np.searchsorted(relations, rid))
                if pos < len(relations) and relations[pos] == rid:
                    made[pos] = True
                try:
                    yield f"r{rid}", bytes.fromhex(factory.create_multipolygon(obj)), obj.tags, None
                except (RuntimeError, osmium.InvalidLocationError):
                    yield f"r{rid}", None, obj.tags, _BROKEN_RELATION
        for rid in relations[~made]:
            yield f"r{int(rid)}", None, {}, _BROKEN_RELATION

    def _relation_ids(self) -> np.ndarray:
        if self._relations is None:
            self.layers()
        assert self._relations is not None
        return self._relations

    @contextmanager
    def _locations(self) -> Iterator[osmium.index.LocationTable]:
        """A node-location index: C++ memory for small files, a temporary file for large ones."""
        spec = self._index
        if spec is None and self.path.stat().st_size <= DISK_INDEX_BYTES:
            spec = "flex_mem"
        if spec is not None:
            yield osmium.index.create_map(spec)
            return
        fd, name = tempfile.mkstemp(prefix="mapnode-nodes-", suffix=".idx")
        os.close(fd)
        try:
            yield osmium.index.create_map(f"sparse_file_array,{name}")
        finally:
            Path(name).unlink(missing_ok=True)


_BROKEN_RELATION = ("多边形关系无法组成面（成员缺失或环不闭合）",
                    "multipolygon relation cannot be assembled (missing members or open rings)")


def _way_line(factory: osmium.geom.WKBFactory, way: osmium.osm.Way
              ) -> tuple[bytes | None, tuple[str, str] | None]:
    try:
        return bytes.fromhex(factory.create_linestring(way)), None
    except osmium.InvalidLocationError:
        return None, ("路径引用的节点不在文件中（文件不完整？）",
                      "way references nodes missing from the file (incomplete extract?)")
    except RuntimeError as exc:
        return None, ("路径的有效节点少于两个", f"way has fewer than two distinct nodes: {exc}")


def _append(batch: SourceBatch, key: str, wkb: bytes | None, tags: Any,
            error: tuple[str, str] | None) -> None:
    """Add one OSM object to a batch: all its tags as properties, its key as label."""
    props = {t.k: t.v for t in tags} if not isinstance(tags, dict) else dict(tags)
    props[KEY_FIELD] = key
    if error is not None:
        batch.errors[len(batch.labels)] = error
    batch.geometries.append(wkb)
    batch.properties.append(props)
    batch.labels.append(key)
