"""Batch geocoding: a CSV of addresses in, the same rows with coordinates out.

Input is UTF-8 (with or without BOM) or GBK/GB18030, read as text once; the address column
is named (default 地址, else `address`). Each row gains `lon`, `lat`, `level`, `confidence`,
`matched_name` and `admin_code`; rows whose address is empty or not found keep empty values
and level `none`. Output is UTF-8 with a BOM, so spreadsheet programs read the Chinese text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mapnode.errors import InvalidData, InvalidParameter
from mapnode.model import Actor
from mapnode.services.search.service import PlacesService

OUT_FIELDS = ("lon", "lat", "level", "confidence", "matched_name", "admin_code")
DEFAULT_COLUMNS = ("地址", "address", "Address", "ADDRESS", "addr")
ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    column: int  # index of the address column
    encoding: str


def decode(data: bytes, source: str = "input") -> tuple[str, str]:
    """(text, encoding): UTF-8 first, then GB18030 (a superset of GBK)."""
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InvalidData("文件既不是 UTF-8 也不是 GBK 编码", "file is neither UTF-8 nor GBK text",
                      context={"file": source})


def read_table(data: bytes, column: str | None = None, source: str = "input") -> Table:
    text, enc = decode(data, source)
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise InvalidData("CSV 为空", "the CSV is empty", context={"file": source})
    header = [h.strip() for h in rows[0]]
    wanted = [column] if column else list(DEFAULT_COLUMNS)
    index = next((header.index(c) for c in wanted if c in header), None)
    if index is None:
        raise InvalidParameter(f"CSV 没有地址列 {'/'.join(wanted)}（现有列：{', '.join(header)}）",
                               f"the CSV has no address column {'/'.join(wanted)} "
                               f"(columns: {', '.join(header)})", {"parameter": "address_column"})
    return Table(header, [r + [""] * (len(header) - len(r)) for r in rows[1:]], index, enc)


def geocode_one(svc: PlacesService, actor: Actor, address: str) -> dict[str, Any]:
    text = address.strip()
    empty = {"lon": None, "lat": None, "level": "none", "confidence": 0.0, "matched_name": "",
             "admin_code": ""}
    if not text or len(text) > svc.config.max_keyword:
        return empty
    r = svc.geocode(actor, text)
    if r.lon is None or r.lat is None:
        return {**empty, "admin_code": r.admin_code or ""}
    return {"lon": round(r.lon, 7), "lat": round(r.lat, 7), "level": r.level,
            "confidence": r.confidence, "matched_name": r.name, "admin_code": r.admin_code or ""}


def geocode_all(svc: PlacesService, actor: Actor, addresses: Iterable[str],
                progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    out = []
    for address in addresses:
        out.append(geocode_one(svc, actor, address))
        if progress:
            progress(1)
    return out


def write_table(table: Table, results: Sequence[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    extra = [f for f in OUT_FIELDS if f not in table.header]
    w.writerow(table.header + extra)
    for row, res in zip(table.rows, results, strict=True):
        cells = list(row)
        for f in OUT_FIELDS:
            value = "" if res[f] is None else str(res[f])
            if f in table.header:
                cells[table.header.index(f)] = value
            else:
                cells.append(value)
        w.writerow(cells)
    return buf.getvalue().encode("utf-8-sig")
