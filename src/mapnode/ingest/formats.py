"""Pick a reader for a file by its name. Rasters (GeoTIFF) go to `raster.import_raster`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mapnode.errors import InvalidData, ProblemItem
from mapnode.ingest.csv_reader import CsvReader
from mapnode.ingest.osm import OsmReader
from mapnode.ingest.raster import RASTER_SUFFIXES
from mapnode.ingest.source import Reader, SourceBatch, SourceLayer
from mapnode.ingest.vector import GdalVectorReader

if TYPE_CHECKING:
    from mapnode.ingest.importer import ImportOptions

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")
VECTOR_SUFFIXES = (".geojson", ".json", ".geojsonl", ".geojsons", ".gpkg", ".zip", ".shp",
                   ".fgb", ".kml", ".gml", ".gpx")
SUPPORTED = ("GeoJSON, GeoPackage, Shapefile (.shp/.zip), FlatGeobuf, KML, GML, GPX, "
             "CSV/TSV (.gz), OSM (.osm.pbf/.osm), GeoTIFF")


def open_reader(path: Path, options: ImportOptions) -> Reader:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return _only(CsvReader(path, encoding=options.encoding, lon_field=options.lon_field,
                               lat_field=options.lat_field), options.source_layers)
    if name.endswith(OSM_SUFFIXES):
        return _only(OsmReader(path, repair=options.repair), options.source_layers)
    if name.endswith(VECTOR_SUFFIXES):
        return GdalVectorReader(path, encoding=options.encoding,
                                layer_names=options.source_layers)
    hint = "（栅格请用 .tif）" if name.endswith(RASTER_SUFFIXES) else ""
    raise InvalidData(f"不支持的文件格式{hint}", "unsupported file format",
                      [ProblemItem(f"不支持的格式；支持：{SUPPORTED}",
                                   f"unsupported format; supported: {SUPPORTED}", path.name)],
                      {"file": path.name})


class _Only:
    """A reader restricted to some of its layers (`--source-layer`)."""

    def __init__(self, reader: Reader, names: list[str]) -> None:
        self.reader = reader
        self.names = names
        self.source = reader.source
        self.notes = reader.notes

    def layers(self) -> list[SourceLayer]:
        found = {sl.name: sl for sl in self.reader.layers()}
        missing = [n for n in self.names if n not in found]
        if missing:
            raise InvalidData("文件中没有该图层", "layer not in file",
                              [ProblemItem(f"没有图层 {m}（有：{', '.join(found)}）",
                                           f"no layer {m} (found: {', '.join(found)})",
                                           self.source) for m in missing],
                              {"file": self.source})
        return [found[n] for n in self.names]

    def batches(self, layer: SourceLayer, batch_size: int) -> Iterator[SourceBatch]:
        return self.reader.batches(layer, batch_size)


def _only(reader: Reader, names: list[str] | None) -> Reader:
    return _Only(reader, names) if names else reader
