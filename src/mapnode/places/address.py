"""Chinese address parser: 省 / 市 / 区县 / 乡镇街道 / 社区村 / 路街巷 / 门牌号 / 小区 / 楼栋 / 单元 / 室.

`parse_address(text, divisions)` returns every component found, admin ones with their codes.
How it reads an address:
1. clean: full-width → half-width, traditional → simplified, phone numbers, postcodes and
   punctuation out, pinyin division names (Hangzhou) → Chinese (`address_text`);
2. find every division name in the text (full, short, alias, former name) and, for spans ending
   with 省/市/区/县…, names one edit away (杭洲市 → 杭州市);
3. choose the best chain of spans that is consistent (each one inside the previous), e.g.
   杭州 + 西湖区 → 浙江省 › 杭州市 › 西湖区; missing levels are inferred from the codes; equally
   good chains with different divisions (西湖区 alone: Hangzhou or Nanchang) are kept as
   candidates and decided by what follows (a township of one of them), a `hint` or not at all;
4. below the deepest division: its townships and villages by name (one wrong character
   allowed), then road, door number, POI, building, unit, floor and room (`address_tail`).
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from mapnode.places.address_admin import AdminReading, find_spans, rank_chains, read_children
from mapnode.places.address_tail import parse_tail
from mapnode.places.address_text import clean
from mapnode.places.divisions import AdminDivisions, Division, normalise_code
from mapnode.places.names import Level

ADMIN_KINDS = ("province", "city", "district", "township", "community")
KINDS = (*ADMIN_KINDS, "road", "door", "poi", "building", "unit", "floor", "room")
LEVEL_KIND = {Level.PROVINCE: "province", Level.CITY: "city", Level.COUNTY: "district",
              Level.TOWNSHIP: "township", Level.VILLAGE: "community"}
HOW_WEIGHT = {"name": 1.0, "alias": 0.9, "short": 0.9, "former": 0.8, "pinyin": 0.8, "fuzzy": 0.65,
              "pattern": 0.7, "inferred": 1.0, "ambiguous": 0.5}


@dataclass(frozen=True)
class Component:
    """One part of an address. `text` as found in the cleaned input ("" when inferred),
    `value` the standard form (official name, "478号", "3幢"), `code` for divisions."""

    kind: str
    text: str
    value: str
    code: str | None = None
    how: str = "name"  # name short alias former pinyin fuzzy pattern inferred ambiguous

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value, "code": self.code, "how": self.how}


@dataclass
class ParsedAddress:
    """What `parse_address` found; `candidates` lists the admin readings it weighed."""

    text: str
    normalised: str
    components: dict[str, Component] = field(default_factory=dict)
    confidence: float = 0.0
    candidates: list[AdminReading] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)  # text that fitted nowhere

    def __getattr__(self, name: str) -> Component | None:
        if name in KINDS:
            return self.components.get(name)
        raise AttributeError(name)

    def value(self, kind: str) -> str | None:
        c = self.components.get(kind)
        return c.value if c is not None else None

    def code(self, kind: str) -> str | None:
        c = self.components.get(kind)
        return c.code if c is not None else None

    @property
    def admin_code(self) -> str | None:
        """Code of the deepest division found (6-digit form for province/city/county)."""
        for kind in reversed(ADMIN_KINDS):
            c = self.components.get(kind)
            if c is not None and c.code:
                return c.code.ljust(6, "0") if len(c.code) < 6 else c.code
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "normalised": self.normalised,
                "components": {k: c.to_dict() for k, c in self.components.items()},
                "admin_code": self.admin_code, "confidence": round(self.confidence, 3),
                "candidates": [c.to_dict() for c in self.candidates],
                "notes": self.notes, "rest": self.rest}


def parse_address(text: str, divisions: AdminDivisions, *, hint: str | None = None,
                  roads: Container[str] | None = None) -> ParsedAddress:
    """Split an address into its components. `hint`: a division code the caller prefers when a
    name is ambiguous (a city node passes its own code). `roads`: known road names (a set), which
    make the road / POI split exact."""
    cleaned = clean(text, divisions)
    s = cleaned.text
    result = ParsedAddress(text=text, normalised=s)
    if cleaned.noise:
        result.notes.append(f"已去除 / removed: {' '.join(cleaned.noise)}")
    spans = find_spans(s, divisions, cleaned.pinyin_spans)
    hint_code = normalise_code(hint) if hint else None
    readings = rank_chains(s, spans, divisions, hint_code)
    result.candidates = readings[:8]
    chosen, ambiguous = _choose(readings)
    end = 0
    if chosen is not None:
        end = _fill_admin(result, chosen, ambiguous, divisions)
        lead = s[: chosen.spans[0].start] if chosen.spans else ""
        if lead:
            result.rest.append(lead)
    if chosen is not None and not ambiguous:
        end = _give_back_suffix(result, s, end)
    deepest = _deepest(result, divisions)
    end, children = read_children(s, end, deepest, divisions) if not ambiguous else (end, [])
    for sp in children:
        result.components[LEVEL_KIND[sp.level]] = Component(
            LEVEL_KIND[sp.level], sp.text, sp.division.name if sp.division else sp.text,
            sp.division.code if sp.division else None, sp.how)
    after_village = any(sp.level is Level.VILLAGE for sp in children)
    for piece in parse_tail(s[end:], end, roads=roads, door_allowed=after_village):
        if piece.kind in result.components:
            result.rest.append(piece.text)
        else:
            result.components[piece.kind] = Component(piece.kind, piece.text, piece.value, how="pattern")
    if "poi" not in result.components and result.rest and chosen is not None:
        lead = result.rest.pop(0)
        result.components["poi"] = Component("poi", lead, lead, how="pattern")
    result.confidence = _confidence(result, chosen, ambiguous)
    return result


def _choose(readings: list[AdminReading]) -> tuple[AdminReading | None, list[AdminReading]]:
    """The best reading, and the equally good rivals (empty when the best one stands alone)."""
    if not readings:
        return None, []
    best = readings[0]
    rivals = [r for r in readings[1:] if r.score >= best.score - 1e-6
              and not r.deepest.code.startswith(best.deepest.code)
              and not best.deepest.code.startswith(r.deepest.code)]
    return best, rivals


def _fill_admin(result: ParsedAddress, chosen: AdminReading, rivals: list[AdminReading],
                divisions: AdminDivisions) -> int:
    """Admin components of the chosen reading; with rivals only what all readings share."""
    end = max(sp.end for sp in chosen.spans)
    if rivals:
        result.notes.append("行政区划有歧义 / ambiguous division: " + "、".join(
            r.full_name for r in [chosen, *rivals]))
        for sp in chosen.spans:  # the text is known, the division is not
            kind = LEVEL_KIND[sp.level]
            name = sp.division.name if sp.division is not None else sp.text
            result.components[kind] = Component(kind, sp.text, name, None, "ambiguous")
        _shared_ancestors(result, [chosen, *rivals], divisions)
        return end
    by_code = {sp.division.code: sp for sp in chosen.spans if sp.division is not None}
    for d in divisions.chain(chosen.deepest.code):
        found = by_code.get(d.code)
        kind = LEVEL_KIND[d.level]
        result.components[kind] = (Component(kind, found.text, d.name, d.code, found.how) if found
                                   else Component(kind, "", d.name, d.code, "inferred"))
    _municipality_city(result, chosen.deepest, divisions)
    for note in chosen.conflicts:
        result.notes.append(f"与所选区划不一致，已忽略 / inconsistent, ignored: {note}")
    return max(end, chosen.skip_to)


_ONE_CHAR_ROAD = re.compile(r"[\u4e00-\u9fff](?:路|街|巷)(?!路|街|巷)")


def _give_back_suffix(result: ParsedAddress, s: str, end: int) -> int:
    """杭州市心路 is 杭州 + 市心路, not 杭州市 + 心路: one-character road names are rare, and
    市/县 often begin road names (市心路, 县前街), so the ending of the division name starts the road."""
    if not _ONE_CHAR_ROAD.match(s, end):
        return end
    for kind in reversed(ADMIN_KINDS):
        c = result.components.get(kind)
        if c is None or not c.text:
            continue
        if c.how == "name" and c.text.endswith(("市", "县")) and len(c.text) >= 3 \
                and s.endswith(c.text, 0, end):
            result.components[kind] = Component(kind, c.text[:-1], c.value, c.code, "short")
            return end - 1
        return end
    return end


def _shared_ancestors(result: ParsedAddress, readings: list[AdminReading],
                      divisions: AdminDivisions) -> None:
    chains = [divisions.chain(r.deepest.code) for r in readings]
    for level_divs in zip(*chains, strict=False):
        if len({d.code for d in level_divs}) != 1:
            break
        d = level_divs[0]
        kind = LEVEL_KIND[d.level]
        if kind not in result.components or result.components[kind].code is None:
            result.components[kind] = Component(kind, "", d.name, d.code, "inferred")


def _municipality_city(result: ParsedAddress, deepest: Division, divisions: AdminDivisions) -> None:
    """北京市朝阳区: the city of a municipality's district is the municipality itself (code 1101)."""
    if "city" in result.components or deepest.level < Level.COUNTY:
        return
    d: Division | None = deepest
    while d is not None and d.level > Level.CITY:
        d = divisions.find(d.parent_code) if d.parent_code else None
    if d is not None and d.is_pseudo and d.name in ("市辖区", "县"):
        province = divisions.get(d.code[:2])
        result.components["city"] = Component("city", "", province.name, d.code, "inferred")


def _deepest(result: ParsedAddress, divisions: AdminDivisions) -> Division | None:
    for kind in reversed(ADMIN_KINDS):
        c = result.components.get(kind)
        if c is not None and c.code:
            return divisions.find(c.code)
    return None


def _confidence(result: ParsedAddress, chosen: AdminReading | None, rivals: list[AdminReading]) -> float:
    if chosen is None:
        return 0.3 if result.components else 0.05
    conf = 1.0
    for kind in ADMIN_KINDS:
        c = result.components.get(kind)
        if c is not None:
            conf *= HOW_WEIGHT.get(c.how, 0.8)
    if rivals:
        conf /= len(rivals) + 1
    if chosen.conflicts:
        conf *= 0.6
    return round(max(0.05, min(conf, 1.0)), 3)
