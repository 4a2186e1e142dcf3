"""Pick a reader for a file by its name (or the user's explicit format)."""

from __future__ import annotations

from pathlib import Path

from mapnode.errors import InvalidData, ProblemItem
from mapnode.ingest.source import Reader
from mapnode.ingest.vector import GdalVectorReader

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".fgb", ".kml", ".gml")


def open_reader(path: Path, options: object) -> Reader:
    name = path.name.lower()
    encoding = getattr(options, "encoding", None)
    layers = getattr(options, "source_layers", None)
    if name.endswith(VECTOR_SUFFIXES):
        return GdalVectorReader(path, encoding=encoding, layer_names=layers)
    raise InvalidData("不支持的文件格式", "unsupported file format",
                      [ProblemItem("不支持的格式", "unsupported format", path.name)],
                      {"file": path.name})
