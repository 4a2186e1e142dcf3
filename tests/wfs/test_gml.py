"""The GML writer and the GML reader of filters agree: real geometries (West Lake with its
islands, roads, points) written in GML 3.2 and 3.1.1 in several CRSs read back to the same
geometry. No store needed."""

from __future__ import annotations

import pytest
import shapely
from lxml import etree

from mapnode.services.wfs.crs import parse_srs
from mapnode.services.wfs.gml_in import read_geometry
from mapnode.services.wfs.gml_out import GmlWriter
from tests.store import hz

GML = {"3.2": "http://www.opengis.net/gml/3.2", "3.1.1": "http://www.opengis.net/gml"}


def _geometries() -> list[shapely.Geometry]:
    lake = hz.west_lake()
    roads = [r.geometry for r in hz.roads().rows[:3]]
    points = [r.geometry for r in hz.amenities().rows[:3]]
    return [lake, shapely.MultiLineString(roads), roads[0], points[0],
            shapely.MultiPoint(points), shapely.MultiPolygon(list(getattr(lake, "geoms",
                                                                          [lake])))]


@pytest.mark.parametrize("gml", ["3.2", "3.1.1"])
def test_multi_writes_single_parts_as_one_member_multis(gml: str) -> None:
    crs = parse_srs("urn:ogc:def:crs:EPSG::4490", "2.0.0", "srsName")
    lake = hz.west_lake()
    lake = lake if lake.geom_type == "Polygon" else lake.geoms[0]
    road = hz.roads().rows[0].geometry
    point = hz.amenities().rows[0].geometry
    geoms = crs.from_storage([lake, road, point])
    writer = GmlWriter(gml, crs, geoms, multi=True)
    want = {"MultiSurface": shapely.MultiPolygon([lake]),
            "MultiCurve": shapely.MultiLineString([road]), "Point": point}  # points stay
    for geom, (outer, expected) in zip(geoms, want.items(), strict=True):
        el = etree.fromstring(f'<r xmlns:gml="{GML[gml]}">{writer.geometry(geom, "g")}</r>')[0]
        assert etree.QName(el).localname == outer and el.get("srsName") == crs.urn
        back = read_geometry(el, parse_srs(None, "2.0.0", "filter"), "2.0.0")
        assert shapely.equals_exact(shapely.normalize(back), shapely.normalize(expected), 1e-8)


@pytest.mark.parametrize("gml", ["3.2", "3.1.1"])
@pytest.mark.parametrize("srs,version,tolerance", [
    ("urn:ogc:def:crs:EPSG::4490", "2.0.0", 1e-8),
    ("EPSG:4326", "1.1.0", 1e-8),
    ("urn:ogc:def:crs:EPSG::4547", "2.0.0", 1e-7),
    ("EPSG:3857", "2.0.0", 1e-7),
])
def test_written_gml_reads_back(gml: str, srs: str, version: str, tolerance: float) -> None:
    crs = parse_srs(srs, version, "srsName")
    stored = _geometries()
    out = crs.from_storage(stored)
    writer = GmlWriter(gml, crs, out)
    for original, geom in zip(stored, out, strict=True):
        text = writer.geometry(geom, "g1")
        el = etree.fromstring(f'<r xmlns:gml="{GML[gml]}">{text}</r>')[0]
        assert el.get("srsName") == crs.urn
        if original.geom_type.startswith("Multi"):  # GML 3.2 needs ids on every part
            assert ('gml:id="g1.1"' in text) == (gml == "3.2")
        back = read_geometry(el, parse_srs(None, version, "filter"), version)
        assert back.geom_type.replace("Multi", "") in original.geom_type
        assert shapely.equals_exact(shapely.normalize(back), shapely.normalize(original),
                                    tolerance), (srs, original.geom_type)
