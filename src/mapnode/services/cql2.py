"""CQL2 (OGC API Features Part 3, Basic CQL2 + S_INTERSECTS) in text and JSON encodings.

Both encodings parse into the store's typed filters (`AttrFilter`, `And`, `Or`, `Not`) and at
most one spatial geometry, which the store runs as parameterised SQL. Property names are only
looked up in the layer's queryables; nothing the user wrote is ever placed in SQL.

Supported: `= <> < <= > >=`, `LIKE`, `BETWEEN`, `IN`, `IS [NOT] NULL`, `AND`/`OR`/`NOT`,
`TRUE`/`FALSE`, `DATE('…')`/`TIMESTAMP('…')` literals, and `S_INTERSECTS(geometry, literal)`
with WKT, GeoJSON or `BBOX(…)` literals. The spatial predicate must be part of the top-level
conjunction (`S_INTERSECTS(…) AND …`), because the store applies one geometry per read; under
OR or NOT it is refused with a clear error. LIKE matches ASCII case-insensitively, as the
store's LIKE does on both backends.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from mapnode.errors import InvalidParameter
from mapnode.model.layer import FieldType
from mapnode.store.filters import And, AttrFilter, Filter, Not, Or

MAX_LENGTH = 20_000
MAX_DEPTH = 64
GEOMETRY_NAMES = ("geometry", "geom")
_COMPARE = {"=": "eq", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_WKT = {"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
        "GEOMETRYCOLLECTION"}

GeomFn = Callable[[BaseGeometry], BaseGeometry]


@dataclass(frozen=True)
class Compiled:
    """A parsed filter: attribute conditions for the store and an optional geometry."""

    filter: Filter | None
    intersects: BaseGeometry | None


@dataclass(frozen=True)
class _Prop:
    name: str


@dataclass(frozen=True)
class _Spatial:
    geometry: BaseGeometry


_Node = Filter | _Spatial


def fail(reason_zh: str, reason_en: str, **context: Any) -> InvalidParameter:
    return InvalidParameter(f"CQL2 过滤条件无效：{reason_zh}", f"invalid CQL2 filter: {reason_en}",
                            {"parameter": "filter", **context})


# ---------------------------------------------------------------------- shared checks
class _Context:
    def __init__(self, fields: Mapping[str, FieldType], to_storage: GeomFn | None) -> None:
        self.fields = fields
        self.to_storage = to_storage

    def prop(self, value: Any) -> str:
        if not isinstance(value, _Prop):
            raise fail("左侧必须是属性名", "the left operand must be a property", value=str(value))
        if value.name in GEOMETRY_NAMES:
            raise fail("几何属性只能用于空间函数", "the geometry is only usable in S_INTERSECTS",
                       property=value.name)
        if value.name not in self.fields:
            raise fail("没有该可查询属性", "unknown queryable", property=value.name)
        return value.name

    def literal(self, value: Any) -> Any:
        if isinstance(value, _Prop | BaseGeometry | list | dict):
            raise fail("右侧必须是字面值", "the right operand must be a literal", value=str(value))
        if isinstance(value, float) and not math.isfinite(value):
            raise fail("数值无效", "number is not finite", value=str(value))
        return value

    def compare(self, op: str, left: Any, right: Any) -> Filter:
        if isinstance(right, _Prop) and not isinstance(left, _Prop):
            left, right, op = right, left, _FLIP[op]
        return AttrFilter(self.prop(left), op, self.literal(right))

    def like(self, left: Any, pattern: Any) -> Filter:
        if not isinstance(pattern, str):
            raise fail("LIKE 模式必须是字符串", "LIKE needs a string pattern", value=str(pattern))
        return AttrFilter(self.prop(left), "like", pattern)

    def spatial(self, name: str, a: Any, b: Any) -> _Spatial:
        if name != "s_intersects":
            raise fail("不支持的空间函数", "unsupported spatial function", function=name)
        prop, geom = (a, b) if isinstance(a, _Prop) else (b, a)
        if not isinstance(prop, _Prop) or prop.name not in GEOMETRY_NAMES:
            raise fail("S_INTERSECTS 的一个参数必须是几何属性", "S_INTERSECTS needs the geometry "
                       "property", expected=GEOMETRY_NAMES[0])
        if not isinstance(geom, BaseGeometry):
            raise fail("S_INTERSECTS 的另一个参数必须是几何字面值",
                       "S_INTERSECTS needs a geometry literal")
        if geom.is_empty or not all(math.isfinite(v) for v in geom.bounds):
            raise fail("几何字面值为空或坐标无效", "empty geometry or invalid coordinates")
        if self.to_storage is not None:
            geom = self.to_storage(geom)
        return _Spatial(geom)


def _bbox_geometry(values: list[Any]) -> BaseGeometry:
    if len(values) not in (4, 6) or not all(isinstance(v, int | float) for v in values):
        raise fail("BBOX 需要 4 或 6 个数值", "BBOX needs 4 or 6 numbers")
    x0, y0, x1, y1 = (values[0], values[1], values[2], values[3]) if len(values) == 4 else (
        values[0], values[1], values[3], values[4])
    if x0 > x1 or y0 > y1:
        raise fail("BBOX 最小值大于最大值", "BBOX min greater than max")
    return shapely.box(x0, y0, x1, y1)


def _finish(node: _Node) -> Compiled:
    """Split the top-level conjunction into attribute filters and one geometry."""
    parts = list(node.items) if isinstance(node, And) else [node]
    spatial = [p for p in parts if isinstance(p, _Spatial)]
    rest = [p for p in parts if not isinstance(p, _Spatial)]
    if len(spatial) > 1:
        raise fail("最多一个空间条件", "at most one spatial predicate is supported")
    for p in rest:
        _no_spatial_inside(p)
    attr: Filter | None = None if not rest else rest[0] if len(rest) == 1 else And(tuple(rest))
    return Compiled(attr, spatial[0].geometry if spatial else None)


def _no_spatial_inside(node: Any) -> None:
    if isinstance(node, _Spatial):
        raise fail("空间条件只能与其他条件以 AND 连接", "a spatial predicate may only be combined "
                   "with AND at the top level")
    if isinstance(node, And | Or):
        for item in node.items:
            _no_spatial_inside(item)
    elif isinstance(node, Not):
        _no_spatial_inside(node.item)


def _and(items: list[_Node]) -> _Node:
    flat: list[Any] = []
    for item in items:
        flat.extend(item.items if isinstance(item, And) else [item])
    return flat[0] if len(flat) == 1 else And(tuple(flat))


# ---------------------------------------------------------------------- text encoding
_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<qid>"(?:[^"]|"")+")
  | (?P<op><>|<=|>=|=|<|>|\(|\)|,)
  | (?P<id>[^\W\d][\w.:]*)
)""", re.VERBOSE)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "id" else ""


def _tokens(text: str) -> list[_Tok]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise fail("无法识别的字符", "unexpected character", position=pos)
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


class _TextParser:
    def __init__(self, text: str, ctx: _Context) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.ctx = ctx
        self.depth = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise fail("过滤条件意外结束", "unexpected end of filter")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text.upper() != text:
            raise fail(f"此处应为 {text}", f"expected {text}", position=tok.pos, found=tok.text)

    def accept(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and (tok.word == word or (tok.kind == "op" and tok.text == word)):
            self.i += 1
            return True
        return False

    def parse(self) -> _Node:
        node = self.expr()
        tok = self.peek()
        if tok is not None:
            raise fail("多余的内容", "unexpected trailing text", position=tok.pos, found=tok.text)
        return node

    def expr(self) -> _Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise fail("嵌套过深", "filter is nested too deeply")
        items = [self.term()]
        while self.accept("OR"):
            items.append(self.term())
        self.depth -= 1
        return items[0] if len(items) == 1 else Or(tuple(items))  # type: ignore[arg-type]

    def term(self) -> _Node:
        items = [self.factor()]
        while self.accept("AND"):
            items.append(self.factor())
        return _and(items)

    def factor(self) -> _Node:
        if self.accept("NOT"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise fail("嵌套过深", "filter is nested too deeply")
            node = self.factor()
            self.depth -= 1
            return Not(node)  # type: ignore[arg-type]
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.next()
            node = self.expr()
            self.expect(")")
            return node
        if tok is not None and tok.kind == "id" and tok.word.startswith("S_"):
            nxt = self.peek(1)
            if nxt is not None and nxt.text == "(":
                return self.spatial()
        return self.predicate()

    def spatial(self) -> _Spatial:
        name = self.next().word.lower()
        self.expect("(")
        a = self.operand()
        self.expect(",")
        b = self.operand()
        self.expect(")")
        return self.ctx.spatial(name, a, b)

    def predicate(self) -> _Node:
        left = self.operand()
        tok = self.peek()
        if tok is None or tok.text == ")" or tok.word in ("AND", "OR"):
            if isinstance(left, bool):
                return And(()) if left else Or(())
            raise fail("缺少比较运算符", "expected a comparison", found=str(left))
        negate = self.accept("NOT")
        tok = self.next()
        if tok.kind == "op" and tok.text in _COMPARE and not negate:
            return self.ctx.compare(_COMPARE[tok.text], left, self.operand())
        if tok.word == "LIKE":
            node: Filter = self.ctx.like(left, self.operand())
        elif tok.word == "BETWEEN":
            lo = self.operand()
            self.expect("AND")
            hi = self.operand()
            node = AttrFilter(self.ctx.prop(left), "between",
                              (self.ctx.literal(lo), self.ctx.literal(hi)))
        elif tok.word == "IN":
            self.expect("(")
            values = [self.ctx.literal(self.operand())]
            while self.accept(","):
                values.append(self.ctx.literal(self.operand()))
            self.expect(")")
            node = AttrFilter(self.ctx.prop(left), "in", values)
        elif tok.word == "IS" and not negate:
            op = "notnull" if self.accept("NOT") else "isnull"
            self.expect("NULL")
            return AttrFilter(self.ctx.prop(left), op)
        else:
            raise fail("无法识别的运算符", "unknown operator", position=tok.pos, found=tok.text)
        return Not(node) if negate else node

    def operand(self) -> Any:
        tok = self.next()
        if tok.kind == "str":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "num":
            value = float(tok.text)
            return int(value) if re.fullmatch(r"[+-]?\d+", tok.text) else value
        if tok.kind == "qid":
            return _Prop(tok.text[1:-1].replace('""', '"'))
        if tok.kind != "id":
            raise fail("此处应为属性名或值", "expected a property or a value", position=tok.pos,
                       found=tok.text)
        word = tok.word
        if word in ("TRUE", "FALSE"):
            return word == "TRUE"
        nxt = self.peek()
        if word in ("DATE", "TIMESTAMP") and nxt is not None and nxt.text == "(":
            self.next()
            value = self.operand()
            self.expect(")")
            if not isinstance(value, str):
                raise fail("DATE/TIMESTAMP 需要字符串", "DATE/TIMESTAMP need a string")
            return value
        if word == "BBOX" and nxt is not None and nxt.text == "(":
            self.next()
            values = [self.operand()]
            while self.accept(","):
                values.append(self.operand())
            self.expect(")")
            return _bbox_geometry(values)
        if word in _WKT and nxt is not None and (nxt.text == "(" or nxt.word in ("Z", "EMPTY")):
            return self.wkt(tok)
        if nxt is not None and nxt.text == "(":
            raise fail("不支持的函数", "unsupported function", function=tok.text)
        return _Prop(tok.text)

    def wkt(self, start: _Tok) -> BaseGeometry:
        depth, end = 0, None
        while True:
            tok = self.next()
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
                if depth == 0:
                    end = tok.pos + 1
                    break
        try:
            return shapely.from_wkt(self.text[start.pos:end])
        except shapely.errors.ShapelyError as exc:
            raise fail("WKT 几何无效", "invalid WKT geometry", position=start.pos) from exc


def parse_text(text: str, fields: Mapping[str, FieldType],
               to_storage: GeomFn | None = None) -> Compiled:
    """Parse a CQL2 text filter against a layer's queryables."""
    if len(text) > MAX_LENGTH:
        raise fail("过滤条件过长", "filter too long", limit=MAX_LENGTH)
    if not text.strip():
        raise fail("过滤条件为空", "empty filter")
    return _finish(_TextParser(text, _Context(fields, to_storage)).parse())


# ---------------------------------------------------------------------- JSON encoding
def parse_json(doc: str | Any, fields: Mapping[str, FieldType],
               to_storage: GeomFn | None = None) -> Compiled:
    """Parse a CQL2 JSON filter (a JSON text or an already decoded value)."""
    if isinstance(doc, str):
        if len(doc) > MAX_LENGTH:
            raise fail("过滤条件过长", "filter too long", limit=MAX_LENGTH)
        try:
            doc = orjson.loads(doc)
        except orjson.JSONDecodeError as exc:
            raise fail("不是有效的 JSON", "not valid JSON") from exc
    return _finish(_JsonParser(_Context(fields, to_storage)).node(doc, 0))


class _JsonParser:
    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx

    def node(self, value: Any, depth: int) -> _Node:
        if depth > MAX_DEPTH:
            raise fail("嵌套过深", "filter is nested too deeply")
        if isinstance(value, bool):
            return And(()) if value else Or(())
        if not isinstance(value, dict) or not isinstance(value.get("op"), str):
            raise fail("此处应为带 op 的对象", "expected an object with 'op'")
        op, args = value["op"].lower(), value.get("args")
        if not isinstance(args, list):
            raise fail("args 必须是数组", "'args' must be an array", op=op)
        if op in ("and", "or"):
            if len(args) < 2:
                raise fail("AND/OR 至少需要两个参数", "and/or need at least two arguments", op=op)
            items = [self.node(a, depth + 1) for a in args]
            return _and(items) if op == "and" else Or(tuple(items))  # type: ignore[arg-type]
        if op == "not":
            self.arity(op, args, 1)
            return Not(self.node(args[0], depth + 1))  # type: ignore[arg-type]
        if op in _COMPARE:
            self.arity(op, args, 2)
            return self.ctx.compare(_COMPARE[op], self.operand(args[0]), self.operand(args[1]))
        if op == "like":
            self.arity(op, args, 2)
            return self.ctx.like(self.operand(args[0]), self.operand(args[1]))
        if op == "between":
            self.arity(op, args, 3)
            return AttrFilter(self.ctx.prop(self.operand(args[0])), "between",
                              (self.ctx.literal(self.operand(args[1])),
                               self.ctx.literal(self.operand(args[2]))))
        if op == "in":
            self.arity(op, args, 2)
            if not isinstance(args[1], list):
                raise fail("IN 的第二个参数必须是数组", "the second argument of in must be an array")
            return AttrFilter(self.ctx.prop(self.operand(args[0])), "in",
                              [self.ctx.literal(self.operand(v)) for v in args[1]])
        if op == "isnull":
            self.arity(op, args, 1)
            return AttrFilter(self.ctx.prop(self.operand(args[0])), "isnull")
        if op.startswith("s_"):
            self.arity(op, args, 2)
            return self.ctx.spatial(op, self.operand(args[0]), self.operand(args[1]))
        raise fail("不支持的运算", "unsupported operator", op=op)

    @staticmethod
    def arity(op: str, args: list[Any], n: int) -> None:
        if len(args) != n:
            raise fail("参数个数不对", "wrong number of arguments", op=op, expected=n)

    def operand(self, value: Any) -> Any:
        if isinstance(value, str | bool | int | float) or value is None:
            if value is None:
                raise fail("不支持 null 字面值，请用 isNull", "null literal: use isNull")
            return value
        if isinstance(value, list):
            return value
        if not isinstance(value, dict):
            raise fail("无法识别的操作数", "unrecognised operand")
        if isinstance(value.get("property"), str):
            return _Prop(value["property"])
        for key in ("date", "timestamp"):
            if isinstance(value.get(key), str):
                return value[key]
        if isinstance(value.get("bbox"), list):
            return _bbox_geometry(value["bbox"])
        if "type" in value and ("coordinates" in value or "geometries" in value):
            try:
                return shape(value)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError,
                    shapely.errors.ShapelyError) as exc:
                raise fail("GeoJSON 几何无效", "invalid GeoJSON geometry") from exc
        raise fail("无法识别的操作数", "unrecognised operand")
