"""The part of an address below the divisions: road 路街巷, door number 门牌号, POI/小区,
building 楼栋, unit 单元, floor 楼层, room 室.

A left-to-right scan: typed pieces (door, building, unit, floor, room) are recognised by their
markers; the free text between them is a road when it ends with a road word and a POI otherwise.
Known road names (from a road layer) make the road/POI split exact when given.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from mapnode.places.address_text import CN_NUMBER, arabic

ROAD_ENDINGS = ("大道", "大街", "大路", "公路", "胡同", "路", "街", "巷", "弄", "里", "道", "线")
_ROAD_END = re.compile(r"(?:大道|大街|大路|公路|高速|高架|胡同|路|街|巷|弄|里|道|"
                       r"(?<=[a-z])(?:lu|jie|dadao|road|street)|\b(?:road|street|avenue|lu|jie|dadao))$",
                       re.IGNORECASE)
# Words that end a POI name; a road found after them is the road, the rest the POI.
_POI_END = re.compile(r"(?:小区|花园|公寓|大厦|家园|新村|校区|大学|学院|中学|小学|医院|宾馆|酒店|饭店|银行|"
                      r"支行|大楼|大院)")
_NUM = rf"(?:\d+|{CN_NUMBER}|[A-Za-z])"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("building", re.compile(rf"(?P<v>{_NUM}(?:-\d+)?)(?:号楼|号館|幢|栋|座|号?#楼?|#)")),
    ("unit", re.compile(rf"(?P<v>{_NUM})(?:单元|门洞)")),
    ("floor", re.compile(rf"(?P<v>-?{_NUM})(?:楼|层|F(?![0-9]))")),
    ("floor", re.compile(r"F(?P<v>\d+)(?![0-9])")),
    ("room", re.compile(r"(?P<v>\d+[A-Za-z]?)(?:室|房|号房)")),
]
_DOOR = re.compile(r"(?P<v>(?:\d+弄)?\d+[A-Za-z]?(?:[-之]\d+[A-Za-z]?)*)"
                   r"(?:号院?(?!楼|房)|hao|(?![0-9楼室幢栋层#号]|单元|[A-Za-z](?![0-9])))", re.IGNORECASE)
_EXPLICIT_DOOR = re.compile(r"\d+(?:-\d+)*(?:号(?!楼|房|院)|$)")
_LANE = re.compile(r"(?P<v>\d+)弄(?=\d)")
_TRAILING_ROOM = re.compile(r"(?P<v>\d{3,4})$")


@dataclass
class TailPiece:
    kind: str  # road | door | poi | building | unit | floor | room | village | township
    text: str
    value: str
    start: int
    end: int


def parse_tail(text: str, offset: int = 0, *, roads: Container[str] | None = None,
               door_allowed: bool = False) -> list[TailPiece]:
    """Pieces of `text` (positions shifted by `offset`). `door_allowed`: a number may be a door
    number even without a road before it (after a village: 高桥村18号)."""
    pieces: list[TailPiece] = []
    buf_start = 0
    pos = 0
    seen: set[str] = set()

    def flush(upto: int, force_road: bool = False) -> None:
        nonlocal buf_start
        if upto > buf_start:
            pieces.extend(_free_text(text[buf_start:upto], offset + buf_start, roads, seen, force_road))
        buf_start = upto

    while pos < len(text):
        buf = text[buf_start:pos]
        door_ok = door_allowed or _ends_road(buf, roads) or (
            pos == buf_start and "road" in seen and "door" not in seen)
        # 大龙驹坞168号, 三衙前8: a name right before a door number (with 号, or ending the
        # address) is its road
        bare_road = not door_ok and "road" not in seen and _bare_road(buf) \
            and _EXPLICIT_DOOR.match(text, pos) is not None
        piece = _typed_at(text, pos, seen, door_ok or bare_road)
        if piece is None:
            pos += 1
            continue
        flush(pos, force_road=bare_road and piece[0] == "door")
        kind, m = piece
        value = _value(kind, m)
        pieces.append(TailPiece(kind, m.group(0), value, offset + pos, offset + m.end()))
        seen.add(kind)
        pos = buf_start = m.end()
    flush(len(text))
    _trailing_room(pieces)
    return pieces


def _typed_at(text: str, pos: int, seen: set[str], door_ok: bool) -> tuple[str, re.Match[str]] | None:
    if pos > 0 and text[pos - 1].isdigit() and text[pos].isdigit():
        return None  # never start inside a number
    for kind, pattern in _PATTERNS:
        if kind in seen:
            continue
        m = pattern.match(text, pos)
        if m and (kind != "building" or not m.group("v").isalpha() or _letter_building(text, m)):
            return kind, m
    if door_ok and "door" not in seen and text[pos].isdigit():
        m = _DOOR.match(text, pos)
        if m:
            return "door", m
    return None


def _letter_building(text: str, m: re.Match[str]) -> bool:
    """"A座" is a building; the A of "ABC银行" is not."""
    return m.group(0).endswith(("座", "幢", "栋", "号楼"))


def _value(kind: str, m: re.Match[str]) -> str:
    v = arabic(m.group("v")).upper()
    return {"door": f"{v}号", "building": f"{v}幢" if not v.isalpha() else f"{v}座",
            "unit": f"{v}单元", "floor": f"{v}层", "room": f"{v}室"}[kind]


def _ends_road(buf: str, roads: Container[str] | None) -> bool:
    buf = buf.rstrip()
    if not buf:
        return False
    if roads is not None and any(s in roads for s in _suffixes(buf)):
        return True
    return bool(_ROAD_END.search(buf)) or bool(_LANE.fullmatch(buf))


def _suffixes(buf: str) -> list[str]:
    return [buf[i:] for i in range(max(0, len(buf) - 14), len(buf) - 1)]


def _bare_road(buf: str) -> bool:
    return 2 <= len(buf) <= 8 and bool(re.fullmatch(r"[\u4e00-\u9fff]+", buf)) and not _POI_END.search(buf)


def _free_text(buf: str, at: int, roads: Container[str] | None, seen: set[str],
               force_road: bool = False) -> list[TailPiece]:
    """Free text between typed pieces: road, POI, or POI + road (浙江大学紫金港校区余杭塘路)."""
    buf_clean = buf.strip("()-_ ")
    if not buf_clean:
        return []
    lead = buf.index(buf_clean[0])
    buf, at = buf_clean, at + lead
    road = (_road_suffix(buf, roads) or (buf if force_road else None)) if "road" not in seen else None
    if road is None:
        seen.add("poi")
        return [TailPiece("poi", buf, buf, at, at + len(buf))]
    seen.add("road")
    out = []
    if len(road) < len(buf):
        head = buf[: len(buf) - len(road)]
        out.append(TailPiece("poi", head, head, at, at + len(head)))
        seen.add("poi")
    start = at + len(buf) - len(road)
    out.append(TailPiece("road", road, road, start, start + len(road)))
    return out


def _road_suffix(buf: str, roads: Container[str] | None) -> str | None:
    """The road at the end of `buf`: the longest known road name, else everything after the last
    POI word, when it ends with a road word."""
    if roads is not None:
        for s in [*_suffixes(buf), buf]:
            if len(s) >= 2 and s in roads:
                return s
    if not _ROAD_END.search(buf) or len(buf) < 2:
        return None
    cut = 0
    for m in _POI_END.finditer(buf):
        if m.end() < len(buf) - 1:
            cut = m.end()
    road = buf[cut:]
    return road if len(road) >= 2 else None


def _trailing_room(pieces: list[TailPiece]) -> None:
    """"…2单元301" → room 301: a bare 3–4 digit number after a building or unit is a room."""
    if not pieces or pieces[-1].kind != "poi" or any(p.kind == "room" for p in pieces):
        return
    last = pieces[-1]
    if len(pieces) >= 2 and pieces[-2].kind in ("building", "unit", "floor"):
        m = _TRAILING_ROOM.fullmatch(last.text)
        if m:
            pieces[-1] = TailPiece("room", last.text, f"{m.group('v')}室", last.start, last.end)
