"""bench/nominatim_osm.py: the OSM XML that Nominatim imports is well formed and faithful."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import shapely
from bench.nominatim_osm import OsmWriter


def _parse(w: OsmWriter) -> ET.Element:
    return ET.fromstring("\n".join(list(w.lines())[1:]))  # without the XML declaration


def test_ways_areas_and_nodes_keep_names_tags_and_coordinates() -> None:
    w = OsmWriter()
    w.way([(120.1, 30.2), (120.2, 30.3)], {"highway": "primary", "name": "文三路", "ref": ""})
    w.area(shapely.box(120.0, 30.0, 120.1, 30.1), {"natural": "water", "name": "西湖"})
    holed = shapely.box(120.0, 30.0, 121.0, 31.0).difference(shapely.box(120.4, 30.4, 120.6, 30.6))
    w.area(holed, {"leisure": "park", "name": "公园 & <花园>"})
    w.node(120.2, 30.25, {"place": "city", "name": "杭州市"})
    root = _parse(w)
    nodes = {n.get("id"): n for n in root.iter("node")}
    ways = list(root.iter("way"))
    rels = list(root.iter("relation"))
    assert [t.get("v") for t in ways[0].iter("tag")] == ["primary", "文三路"]  # empty ref dropped
    first = nodes[ways[0].find("nd").get("ref")]  # type: ignore[union-attr]
    assert (first.get("lon"), first.get("lat")) == ("120.1000000", "30.2000000")
    square = [nd.get("ref") for nd in ways[1].iter("nd")]
    assert len(square) == 5 and square[0] == square[-1]  # closed ring, first node reused
    assert len(rels) == 1  # the polygon with a hole is a multipolygon relation
    roles = [m.get("role") for m in rels[0].iter("member")]
    assert roles == ["outer", "inner"]
    tags = {t.get("k"): t.get("v") for t in rels[0].iter("tag")}
    assert tags == {"type": "multipolygon", "leisure": "park", "name": "公园 & <花园>"}
    ids = [int(n.get("id") or 0) for n in root.iter("node")]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # osm2pgsql wants sorted input
    assert any(t.get("v") == "杭州市" for t in root.iter("tag"))
