"""The MapLibre glyph protobuf (`glyphs.proto`), encoded and decoded by hand.

    message glyph { required uint32 id = 1; optional bytes bitmap = 2; required uint32 width = 3;
                    required uint32 height = 4; required sint32 left = 5; required sint32 top = 6;
                    required uint32 advance = 7; }
    message fontstack { required string name = 1; required string range = 2;
                        repeated glyph glyphs = 3; }
    message glyphs { repeated fontstack stacks = 1; }
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Glyph:
    """One glyph: `bitmap` is (width + 6) × (height + 6) SDF bytes (3 px buffer), or empty."""

    id: int
    bitmap: bytes
    width: int
    height: int
    left: int
    top: int
    advance: int


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _field(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes(number: int, data: bytes) -> bytes:
    return _field(number, 2) + _varint(len(data)) + data


def _uint(number: int, value: int) -> bytes:
    return _field(number, 0) + _varint(value)


def encode_glyph(g: Glyph) -> bytes:
    body = _uint(1, g.id)
    if g.bitmap:
        body += _bytes(2, g.bitmap)
    body += (_uint(3, g.width) + _uint(4, g.height) + _uint(5, _zigzag(g.left))
             + _uint(6, _zigzag(g.top)) + _uint(7, g.advance))
    return body


def encode(name: str, start: int, end: int, glyphs: list[Glyph]) -> bytes:
    """One `glyphs` message holding one fontstack with the range `start-end`."""
    stack = _bytes(1, name.encode()) + _bytes(2, f"{start}-{end}".encode())
    stack += b"".join(_bytes(3, encode_glyph(g)) for g in glyphs)
    return _bytes(1, stack)


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(buf, i)
            out.append((number, value))
        elif wire == 2:
            size, i = _read_varint(buf, i)
            out.append((number, buf[i:i + size]))
            i += size
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def _int(v: int | bytes) -> int:
    if not isinstance(v, int):
        raise ValueError("expected a varint")
    return v


def _unzig(v: int | bytes) -> int:
    n = _int(v)
    return (n >> 1) ^ -(n & 1)


def decode(data: bytes) -> tuple[str, str, list[Glyph]]:
    """(name, range, glyphs) of the first fontstack in a glyph PBF (used by tests and tools)."""
    name, rng, glyphs = "", "", []
    for number, stack in _fields(data):
        if number != 1 or not isinstance(stack, bytes):
            continue
        for n, value in _fields(stack):
            if n == 1 and isinstance(value, bytes):
                name = value.decode()
            elif n == 2 and isinstance(value, bytes):
                rng = value.decode()
            elif n == 3 and isinstance(value, bytes):
                f = {k: v for k, v in _fields(value)}
                bitmap = f.get(2, b"")
                glyphs.append(Glyph(_int(f[1]), bitmap if isinstance(bitmap, bytes) else b"",
                                    _int(f[3]), _int(f[4]), _unzig(f[5]), _unzig(f[6]), _int(f[7])))
        break
    return name, rng, glyphs
