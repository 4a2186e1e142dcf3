"""OSM PBF ingest on real extracts: Hangzhou amenities (2024) and central Shanghai roads (2025)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import osmium
import pyogrio.raw
import pytest
import shapely

import mapnode.ingest.osm as osm
from mapnode.ingest import ImportOptions, import_file
from mapnode.ingest.osm import OsmReader
from mapnode.model import Actor, FieldType, GeometryType
from mapnode.store import VersionedStore
from tests.ingest.conftest import mapnode_import, state
from tests.support.data import AMENITIES_GPKG, AMENITIES_PBF, data

SHANGHAI_PBF = data("osm_shanghai_center_2025", "shanghai_center_roads_overpass_2025-08.osm.pbf")
SHANGHAI_GPKG = data("osm_shanghai_center_2025", "shanghai_center_osm.gpkg")


def _columns(path: Path, layer: str, *names: str) -> list[list[Any]]:
    """Columns of a GPKG layer by name, and its geometries (shapely) last."""
    meta, table = pyogrio.raw.read_arrow(path, layer=layer, columns=list(names))
    return [table.column(n).to_pylist() for n in names] + [
        list(shapely.from_wkb(table.column(meta["geometry_name"]).to_pylist()))]


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_hangzhou_amenities_three_layers_match_the_reference(store: VersionedStore,
                                                             system: Actor) -> None:
    report = import_file(store, system, AMENITIES_PBF, ImportOptions(layer="hz"))
    assert set(report.layers) == {"hz_points", "hz_lines", "hz_polygons"}
    for name, family in (("hz_points", GeometryType.POINT), ("hz_lines", GeometryType.LINE),
                         ("hz_polygons", GeometryType.POLYGON)):
        meta = store.layer(system, name)
        assert meta.geometry_type is family and meta.key_field == "osm_key"
        assert meta.fields["osm_key"] is FieldType.STRING
        assert all(t is FieldType.STRING for t in meta.fields.values())
    assert "name:zh" in store.layer(system, "hz_points").fields
    # the reference GPKG (osmnx, built independently from the same Overpass data)
    keys, names, geoms = _columns(AMENITIES_GPKG, "amenities", "osm_key", "name")
    reference = dict(zip(keys, zip(names, geoms, strict=True), strict=True))
    assert len(reference) == 8964
    got = {}
    for layer in ("hz_points", "hz_lines", "hz_polygons"):
        for f in store.features(system, layer):
            assert f.fid == f.properties["osm_key"]
            got[f.fid] = f
    assert reference.keys() <= got.keys()
    for key, (name, geom) in reference.items():
        f = got[key]
        assert f.properties.get("name") == name
        assert "amenity" in f.properties
        if geom.geom_type.endswith("Polygon"):
            assert f.geometry.symmetric_difference(geom).area <= 1e-9 * geom.area
        else:
            assert f.geometry.equals_exact(geom, 1e-9)
    chinese = [k for k, (name, _) in reference.items() if name and _cjk(name)]
    assert len(chinese) == 5893
    assert {k[0] for k in got if got[k].properties.get("name:zh")} >= {"n", "w"}
    relation = [f for f in got.values() if f.fid.startswith("r")]
    assert len(relation) == 32 and all(f.geometry.geom_type == "MultiPolygon" for f in relation)
    assert got["w255624668"].properties["name"] == "浙江大学医学院附属邵逸夫医院（庆春院区）"
    assert got["w255624668"].properties["name:en"] == "Sir Run Run Shaw Hospital"

    again = import_file(store, system, AMENITIES_PBF, ImportOptions(layer="hz"))
    assert again.seq is None  # osm_key is the default key: same file, nothing to write


def test_shanghai_roads_equal_the_gpkg_built_from_the_same_osm(store: VersionedStore,
                                                               system: Actor) -> None:
    report = import_file(store, system, SHANGHAI_PBF, ImportOptions(layer="sh"))
    assert report.layers["sh_lines"].inserted == 4701
    assert "sh_polygons" not in report.layers  # roads only: the few closed ways are roundabouts
    lines = {f.fid: f for f in store.features(system, "sh_lines")}
    assert sum(1 for f in lines.values() if "name" in f.properties) == 4228
    assert sum(1 for f in lines.values() if "name:en" in f.properties) == 4142
    # SOURCE.md says 2,216 name:zh; the file itself (osmium, and the GPKG) has 1,019
    assert sum(1 for f in lines.values() if "name:zh" in f.properties) == 1019
    assert {"西藏南路", "复兴中路"} <= {f.properties.get("name") for f in lines.values()}
    *columns, geoms = _columns(SHANGHAI_GPKG, "roads_overpass_2025", "osm_id", "name",
                               "name:zh", "name:en", "highway")
    assert len(geoms) == len(lines)
    for osm_id, name, zh, en, highway, geom in zip(*columns, geoms, strict=True):
        f = lines[f"w{osm_id}"]
        assert f.geometry.equals_exact(geom, 1e-9)
        assert (f.properties.get("name"), f.properties.get("name:zh"),
                f.properties.get("name:en"), f.properties["highway"]) == (name, zh, en, highway)
    # every tagged node, with all its tags and its location, read straight from the file
    nodes = {f"n{n.id}": (dict(n.tags), (n.location.lon, n.location.lat))
             for n in osmium.FileProcessor(str(SHANGHAI_PBF), osmium.osm.NODE)
             if set(dict(n.tags)) - {"created_by", "source"}}
    points = {f.fid: f for f in store.features(system, "sh_points")}
    assert points.keys() == nodes.keys()
    for key, (tags, xy) in nodes.items():
        assert points[key].properties == {**tags, "osm_key": key}
        assert (points[key].geometry.x, points[key].geometry.y) == xy
    stops = [f for f in points.values()
             if f.properties.get("public_transport") == "stop_position" and "name" in f.properties]
    assert len(stops) == 1225  # SOURCE.md says 1,228; the file has 1,225
    assert any(f.properties["name"] == "重庆南路复兴中路" for f in stops)


def _drop(src: Path, dst: Path, nodes: set[int], ways: set[int]) -> None:
    """Copy a real OSM file without some nodes and ways (an incomplete extract)."""
    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            kind = obj.type_str()
            if (kind == "n" and obj.id in nodes) or (kind == "w" and obj.id in ways):
                continue
            writer.add(obj)


def test_incomplete_extract_fails_per_feature_or_skips_with_repair(
        store: VersionedStore, system: Actor, tmp_path: Path) -> None:
    way = node = relation = member = None
    for obj in osmium.FileProcessor(str(AMENITIES_PBF), osmium.osm.WAY | osmium.osm.RELATION):
        if way is None and obj.type_str() == "w" and obj.tags.get("amenity") == "school":
            way, node = obj.id, obj.nodes[1].ref
        if relation is None and obj.type_str() == "r" and obj.tags.get("type") == "multipolygon":
            relation = obj.id
            member = next(m.ref for m in obj.members if m.type == "w")
    assert way and node and relation and member
    cut = tmp_path / "hz_incomplete.osm.pbf"
    _drop(AMENITIES_PBF, cut, {node}, {member})
    before = state(store)
    proc = mapnode_import(store, cut, "--layer", "hz")
    assert proc.returncode == 2, proc.stderr
    assert (f"hz_incomplete.osm.pbf, 要素/feature w{way}: 路径引用的节点不在文件中（文件不完整？） / "
            "way references nodes missing from the file") in proc.stderr
    assert (f"hz_incomplete.osm.pbf, 要素/feature r{relation}: 多边形关系无法组成面") in proc.stderr
    assert state(store) == before

    report = import_file(store, system, cut, ImportOptions(layer="hz", repair=True))
    skipped = {n.feature for n in report.notes}
    assert {f"w{way}", f"r{relation}"} <= skipped
    keys = {f.fid for f in store.features(system, "hz_polygons")}
    assert f"w{way}" not in keys and f"r{relation}" not in keys
    assert len(keys) > 4700


def test_reader_layers_and_counts_without_a_store() -> None:
    reader = OsmReader(AMENITIES_PBF)
    layers = {sl.name: sl for sl in reader.layers()}
    assert {k: v.count for k, v in layers.items()} == {"points": 5878, "lines": 6,
                                                        "polygons": 4816}
    assert {"name", "name:zh", "name:en", "amenity", "osm_key"} <= set(layers["points"].fields)
    sizes = [len(b) for b in reader.batches(layers["points"], 1000)]
    assert sum(sizes) == 5878 and max(sizes) == 1000


def test_node_locations_on_disk_give_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large files keep node locations in a temporary file; the geometry is the same."""

    def lines(reader: OsmReader) -> list[bytes | None]:
        [layer] = [sl for sl in reader.layers() if sl.name == "lines"]
        return [g for b in reader.batches(layer, 2000) for g in b.geometries]

    in_memory = lines(OsmReader(SHANGHAI_PBF))
    monkeypatch.setattr(osm, "DISK_INDEX_BYTES", 0)
    on_disk = lines(OsmReader(SHANGHAI_PBF))
    assert len(on_disk) == 4701 and all(g is not None for g in on_disk)
    assert on_disk == in_memory
