"""Vector files through GDAL (pyogrio, Arrow batches): GeoJSON, GeoPackage, zipped Shapefile.

Reading is streamed in Arrow record batches, so memory stays flat whatever the file size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio
import pyogrio.raw
from pyogrio.errors import DataLayerError, DataSourceError

from mapnode.errors import InvalidData, ProblemItem
from mapnode.ingest.source import SourceBatch, SourceLayer
from mapnode.model.layer import FieldType, GeometryType

_OGR_GEOM = {
    "Point": GeometryType.POINT, "MultiPoint": GeometryType.POINT,
    "LineString": GeometryType.LINE, "MultiLineString": GeometryType.LINE,
    "Polygon": GeometryType.POLYGON, "MultiPolygon": GeometryType.POLYGON,
}


def field_type_of_arrow(t: pa.DataType) -> FieldType:
    if pa.types.is_boolean(t):
        return FieldType.BOOLEAN
    if pa.types.is_integer(t):
        return FieldType.INTEGER
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return FieldType.REAL
    if pa.types.is_date(t):
        return FieldType.DATE
    if pa.types.is_timestamp(t):
        return FieldType.DATETIME
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return FieldType.STRING
    return FieldType.JSON


def unreadable(source: str, exc: Exception) -> InvalidData:
    if isinstance(exc, UnicodeDecodeError):
        return InvalidData("属性文字的编码不符，请用 --encoding 指定（如 GBK）",
                           "attribute text is not in the expected encoding; name it with "
                           "--encoding (e.g. GBK)",
                           [ProblemItem("编码错误", str(exc).strip()[:300], source)],
                           {"file": source})
    return InvalidData("无法读取文件（损坏、截断或格式不支持）",
                       "cannot read file (corrupt, truncated or unsupported format)",
                       [ProblemItem("无法读取", str(exc).strip()[:300], source)],
                       {"file": source})


_GUESSES = ("UTF-8", "GB18030")
_SAMPLE = 5000


class GdalVectorReader:
    """Any vector format GDAL reads. `encoding` overrides what the file declares (e.g. GBK)."""

    def __init__(self, path: str | Path, encoding: str | None = None,
                 layer_names: list[str] | None = None) -> None:
        self.path = str(path)
        self.source = Path(self.path).name
        self.encoding = encoding
        self.layer_names = layer_names
        self.notes: list[ProblemItem] = []

    def _open_path(self) -> str:
        p = self.path
        if p.lower().endswith(".zip") and not p.startswith("/vsizip/"):
            return "/vsizip/" + p
        return p

    def layers(self) -> list[SourceLayer]:
        path = self._open_path()
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
            raise unreadable(self.source, exc) from exc
        if self.layer_names:
            missing = [n for n in self.layer_names if n not in names]
            if missing:
                raise InvalidData("文件中没有该图层", "layer not in file",
                                  [ProblemItem("没有图层 " + m, "no layer " + m, self.source)
                                   for m in missing], {"file": self.source})
            names = list(self.layer_names)
        out = []
        for name in names:
            try:
                info = pyogrio.read_info(path, layer=name, encoding=self.encoding)
                if (self.encoding is None and info.get("driver") == "ESRI Shapefile"
                        and info.get("encoding") == "ISO-8859-1"):
                    self.encoding = self._guess_encoding(path, name)
                with pyogrio.raw.open_arrow(path, layer=name, batch_size=1, use_pyarrow=True,
                                            encoding=self.encoding) as (meta, reader):
                    schema = reader.schema
            except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
                raise unreadable(self.source, exc) from exc
            geom_name = meta.get("geometry_name") or "wkb_geometry"
            fields = {f.name: field_type_of_arrow(f.type) for f in schema if f.name != geom_name}
            gtype = info.get("geometry_type") or ""
            family = _OGR_GEOM.get(gtype.removesuffix(" Z").removesuffix(" M"),
                                   GeometryType.NONE if not gtype else GeometryType.POINT)
            if gtype in ("Unknown", "GeometryCollection", "Geometry"):
                family = GeometryType.NONE  # mixed: decided from the first feature
            count = info.get("features")
            out.append(SourceLayer(name, family, fields, info.get("crs"),
                                   count if count and count > 0 else None,
                                   extra={"geometry_name": geom_name,
                                          "declared_type": gtype}, typed=True))
        return out

    def _guess_encoding(self, path: str, layer: str) -> str | None:
        """A shapefile without .cpg: UTF-8 if a sample decodes as UTF-8, else GBK (noted)."""
        for encoding in _GUESSES:
            try:
                _, sample = pyogrio.raw.read_arrow(path, layer=layer, encoding=encoding,
                                                   max_features=_SAMPLE, read_geometry=False)
                sample.validate(full=True)  # strings that are not valid UTF-8 fail here
            except (UnicodeDecodeError, DataSourceError, DataLayerError, pa.ArrowInvalid):
                continue
            if encoding != "UTF-8":
                self.notes.append(ProblemItem(
                    "Shapefile 未声明编码（无 .cpg），属性已按 GBK 读取；如有误请用 --encoding 指定",
                    "the shapefile declares no encoding (no .cpg); attributes were read as GBK; "
                    "name the encoding with --encoding if this is wrong", self.source))
            return encoding
        return None

    def batches(self, layer: SourceLayer, batch_size: int) -> Iterator[SourceBatch]:
        geom_name = layer.extra.get("geometry_name", "wkb_geometry")
        row = 0
        try:
            with pyogrio.raw.open_arrow(self._open_path(), layer=layer.name,
                                        batch_size=batch_size, use_pyarrow=True,
                                        encoding=self.encoding) as (_meta, reader):
                for batch in reader:
                    yield _to_source_batch(batch, geom_name, row)
                    row += batch.num_rows
        except (DataSourceError, DataLayerError, OSError, ValueError, pa.ArrowException) as exc:
            raise unreadable(f"{self.source} (行/row {row})", exc) from exc
        if layer.count is not None and row != layer.count:
            # GDAL can end a stream early on a damaged page without raising (seen with GPKG)
            raise InvalidData("文件读取中断（损坏或截断）", "reading stopped early (corrupt or truncated)",
                              [ProblemItem(f"声明 {layer.count} 个要素，只读出 {row} 个",
                                           f"declares {layer.count} features, only {row} could "
                                           "be read", self.source, str(row + 1))],
                              {"file": self.source, "layer": layer.name})


def _to_source_batch(batch: pa.RecordBatch, geom_name: str, first_row: int) -> SourceBatch:
    names = batch.schema.names
    columns: dict[str, list[Any]] = {}
    geoms: list[bytes | None] = [None] * batch.num_rows
    for i, name in enumerate(names):
        values = batch.column(i).to_pylist()
        if name == geom_name:
            geoms = values
        else:
            columns[name] = values
    props = [{k: v[j] for k, v in columns.items() if v[j] is not None}
             for j in range(batch.num_rows)]
    labels = [str(first_row + j + 1) for j in range(batch.num_rows)]
    return SourceBatch(geoms, props, labels)
