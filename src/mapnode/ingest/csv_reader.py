"""CSV/TSV (optionally gzipped): points from lon/lat columns, or a table without geometry.

Streamed with the `csv` module. Column types (integer / real / string) are inferred from a
bounded sample at the start of the file; later values that do not fit their column's type are
passed on as text and reported by the attribute check as type clashes (row and field named).
The encoding is the user's (`--encoding`), a BOM, UTF-8, or GBK when UTF-8 fails (noted).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import math
import re
import struct
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any, cast

from mapnode.errors import InvalidData, ProblemItem
from mapnode.ingest.source import SourceBatch, SourceLayer
from mapnode.model.layer import FieldType, GeometryType

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "lon_wgs84", "longitude_wgs84")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "lat_wgs84", "latitude_wgs84")
SAMPLE_ROWS = 10_000
SAMPLE_BYTES = 1 << 20
DEFAULT_CRS = "EPSG:4326"
_GBK_ALIASES = {"gbk", "gb2312", "gb-2312", "cp936", "936", "gb18030", "euc-cn"}
_INT = re.compile(r"[+-]?(0|[1-9][0-9]{0,17})")
_REAL = re.compile(r"[+-]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_POINT = struct.Struct("<BIdd")
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes `surrogateescape` could not decode

csv.field_size_limit(64 << 20)


def _fail(source: str, zh: str, en: str, line: int | None = None,
          field_name: str | None = None) -> InvalidData:
    feature = None if line is None else str(line)
    return InvalidData(zh, en, [ProblemItem(zh, en, source, feature, field_name)],
                       {"file": source})


def normalise_encoding(name: str, source: str) -> str:
    """A Python codec for the user's encoding name; GBK and its relatives read as GB18030."""
    key = name.strip().lower()
    if key in _GBK_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise _fail(source, f"未知的字符编码：{name}", f"unknown encoding: {name}") from None


def infer_type(values: list[str]) -> FieldType:
    """integer if every non-empty sample value is one (no leading zeros), else real, else string."""
    seen = [v for v in values if v != ""]
    if not seen:
        return FieldType.STRING
    if all(_INT.fullmatch(v) for v in seen):
        return FieldType.INTEGER
    if all(_REAL.fullmatch(v) for v in seen):
        return FieldType.REAL
    return FieldType.STRING


def convert(value: str, ftype: FieldType) -> Any:
    """A CSV cell as its column's type; text that does not fit is returned as text."""
    if ftype is FieldType.INTEGER and _INT.fullmatch(value):
        return int(value)
    if ftype is FieldType.REAL and _REAL.fullmatch(value):
        return float(value)
    return value


class CsvReader:
    """Reads `.csv`, `.tsv`, `.txt` and their `.gz` forms as one layer."""

    def __init__(self, path: str | Path, encoding: str | None = None,
                 lon_field: str | None = None, lat_field: str | None = None,
                 sample_rows: int = SAMPLE_ROWS) -> None:
        self.path = Path(path)
        self.source = self.path.name
        self.notes: list[ProblemItem] = []
        self.lon_field = lon_field
        self.lat_field = lat_field
        self.sample_rows = sample_rows
        self._encoding = normalise_encoding(encoding, self.source) if encoding else None
        self._delimiter = "\t" if ".tsv" in self.path.name.lower() else ""
        self._head_bytes: bytes | None = None

    # ------------------------------------------------------------------ opening
    def _binary(self) -> IO[bytes]:
        try:
            if self.path.name.lower().endswith(".gz"):
                return cast(IO[bytes], gzip.open(self.path, "rb"))
            return self.path.open("rb")
        except OSError as exc:
            raise _fail(self.source, "无法打开文件", f"cannot open file: {exc}") from exc

    def _head(self) -> bytes:
        """Up to SAMPLE_BYTES from the start; a damaged file fails later, naming the line."""
        if self._head_bytes is None:
            chunks: list[bytes] = []
            with self._binary() as f:
                try:
                    while sum(map(len, chunks)) < SAMPLE_BYTES and (chunk := f.read(1 << 16)):
                        chunks.append(chunk)
                except (OSError, EOFError) as exc:
                    if not chunks:
                        raise _fail(self.source, "无法读取文件（损坏或截断）",
                                    f"cannot read file (corrupt or truncated): {exc}") from exc
            self._head_bytes = b"".join(chunks)
        return self._head_bytes

    def encoding(self) -> str:
        """The encoding to read with, detected once from the head of the file."""
        if self._encoding is None:
            self._encoding = self._detect(self._head())
        return self._encoding

    def delimiter(self) -> str:
        """`\t` for .tsv; otherwise the most frequent of , TAB ; | in the header line."""
        if not self._delimiter:
            decoder = codecs.getincrementaldecoder(self.encoding())(errors="replace")
            first = decoder.decode(self._head()[:65536], final=False).split("\n", 1)[0]
            self._delimiter = _sniff(first)
        return self._delimiter

    def _detect(self, head: bytes) -> str:
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in head:
            raise _fail(self.source, "不是文本文件（含二进制内容），无法按 CSV 读取",
                        "not a text file (binary content); cannot read as CSV")
        if _decodes(head, "utf-8"):
            return "utf-8"
        if _decodes(head, "gb18030"):
            self.notes.append(ProblemItem(
                "文件不是 UTF-8 编码，已按 GBK（GB18030）读取；如有误请用 --encoding 指定",
                "file is not UTF-8; read as GBK (GB18030); name the encoding with --encoding "
                "if this is wrong", self.source))
            return "gb18030"
        raise _fail(self.source, "无法识别文件编码，请用 --encoding 指定",
                    "cannot detect the encoding; name it with --encoding")

    def _rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """(line number, cells) for every record, header included; decoding errors name the line."""
        encoding = self.encoding()
        delimiter = self.delimiter()
        with self._binary() as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            reader = csv.reader(text, delimiter=delimiter)
            line = 0
            try:
                for cells in reader:
                    line = reader.line_num
                    yield line, cells
            except UnicodeDecodeError as exc:
                bad = self._undecodable_line(encoding, delimiter) or line + 1
                raise _fail(self.source, f"第 {bad} 行不是 {encoding} 编码；请用 --encoding "
                            "指定正确的编码（如 GBK）",
                            f"line {bad} is not {encoding}; name the encoding with --encoding "
                            f"(e.g. GBK): {exc.reason}", bad) from exc
            except csv.Error as exc:
                raise _fail(self.source, f"第 {line + 1} 行 CSV 格式错误",
                            f"malformed CSV near line {line + 1}: {exc}", line + 1) from exc
            except (OSError, EOFError) as exc:
                raise _fail(self.source, f"第 {line + 1} 行附近无法读取（文件损坏或截断）",
                            f"cannot read near line {line + 1} (corrupt or truncated): {exc}",
                            line + 1) from exc

    def _undecodable_line(self, encoding: str, delimiter: str) -> int | None:
        """The first line with bytes that do not decode (only run after a decoding error)."""
        with self._binary() as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
            reader = csv.reader(text, delimiter=delimiter)
            for cells in reader:
                if any(_ESCAPED.search(c) for c in cells):
                    return reader.line_num
        return None

    # ------------------------------------------------------------------ the layer
    def layers(self) -> list[SourceLayer]:
        rows = self._rows()
        first = next(rows, None)
        if first is None or not any(c.strip() for c in first[1]):
            raise _fail(self.source, "空文件：没有表头", "empty file: no header row", 1)
        header = _header(first[1])
        lon, lat = self._coordinate_columns(header)
        columns: list[list[str]] = [[] for _ in header]
        for count, (_, cells) in enumerate(rows, start=1):
            for j in range(min(len(cells), len(header))):
                columns[j].append(cells[j].strip())
            if count >= self.sample_rows:
                break
        rows.close()
        fields = {name: infer_type(columns[j]) for j, name in enumerate(header)
                  if j not in (lon, lat)}
        extra: dict[str, Any] = {"header": header, "lon": lon, "lat": lat,
                                 "declared_type": "Point" if lon is not None else ""}
        if lon is None:
            return [SourceLayer(_stem(self.path), GeometryType.NONE, fields, None, None,
                                extra=extra)]
        return [SourceLayer(_stem(self.path), GeometryType.POINT, fields, DEFAULT_CRS, None,
                            extra=extra)]

    def _coordinate_columns(self, header: list[str]) -> tuple[int | None, int | None]:
        if self.lon_field or self.lat_field:
            if not (self.lon_field and self.lat_field):
                raise _fail(self.source, "--lon 与 --lat 须同时给出", "give both --lon and --lat")
            out = []
            for name in (self.lon_field, self.lat_field):
                if name not in header:
                    raise _fail(self.source, f"文件中没有字段 {name}（表头：{', '.join(header)}）",
                                f"no column {name} in the file (header: {', '.join(header)})",
                                1, name)
                out.append(header.index(name))
            return out[0], out[1]
        lowered = [h.strip().lower() for h in header]
        lon = next((lowered.index(n) for n in LON_NAMES if n in lowered), None)
        lat = next((lowered.index(n) for n in LAT_NAMES if n in lowered), None)
        if lon is None or lat is None:
            return None, None
        return lon, lat

    def batches(self, layer: SourceLayer, batch_size: int) -> Iterator[SourceBatch]:
        header: list[str] = layer.extra["header"]
        lon: int | None = layer.extra["lon"]
        lat: int | None = layer.extra["lat"]
        types = [layer.fields.get(h, FieldType.STRING) for h in header]
        keep = [j for j in range(len(header)) if j not in (lon, lat)]
        batch = SourceBatch()
        rows = self._rows()
        next(rows, None)  # header
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue  # blank line
            i = len(batch.labels)
            batch.labels.append(str(line))
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                batch.error(i, f"列数 {len(cells)} 多于表头的 {len(header)} 列",
                            f"{len(cells)} columns, the header has {len(header)}")
            props: dict[str, Any] = {}
            for j in keep:
                if j < len(cells):
                    value = cells[j].strip()
                    if value != "":
                        props[header[j]] = convert(value, types[j])
            batch.properties.append(props)
            if lon is None or lat is None:
                batch.geometries.append(None)
            else:
                batch.geometries.append(_point(batch, i, cells, header, lon, lat))
            if len(batch.labels) >= batch_size:
                yield batch
                batch = SourceBatch()
        if batch.labels:
            yield batch


def _point(batch: SourceBatch, i: int, cells: list[str], header: list[str], lon: int,
           lat: int) -> bytes | None:
    xy = []
    for j, (zh, en) in ((lon, ("经度", "longitude")), (lat, ("纬度", "latitude"))):
        text = cells[j].strip() if j < len(cells) else ""
        if text == "":
            batch.error(i, f"{zh}为空", f"{en} is empty", header[j])
            return None
        try:
            value = float(text)
        except ValueError:
            batch.error(i, f"{zh}不是数值：{text!r}", f"{en} is not a number: {text!r}", header[j])
            return None
        if not math.isfinite(value):
            batch.error(i, f"{zh}不是有限数值：{text!r}", f"{en} is not finite: {text!r}", header[j])
            return None
        xy.append(value)
    return _POINT.pack(1, 1, xy[0], xy[1])


def _decodes(head: bytes, encoding: str) -> bool:
    """True if `head` decodes (a character cut at the end of the sample is allowed)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _sniff(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(cells: list[str]) -> list[str]:
    out: list[str] = []
    for j, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff") or f"field_{j + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def _stem(path: Path) -> str:
    return path.name.split(".")[0] or "csv"
