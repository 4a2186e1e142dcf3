"""The divisions of an address: every name found in the text, the consistent chains they form,
and the townships/villages below the chosen division."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from mapnode.places.divisions import AdminDivisions, Division
from mapnode.places.names import Level, pinyin_keys

_WEIGHT = {"name": 1.0, "alias": 0.9, "former": 0.8, "short": 0.8, "pinyin": 0.75, "fuzzy": 0.6}
_FUZZY_ENDS = frozenset("省市区县旗州盟")
_ROAD_FOLLOWS = re.compile(r".?(?:路|街|巷|弄|大道|大街)")
# Below a county, short township names also begin longer road names (康桥货场路).
_ROAD_FOLLOWS_TOWNSHIP = re.compile(r".{0,2}(?:路|街|巷|弄|大道|大街)")
# A short township name followed by one of these is the start of a POI name (西溪花园).
_POI_WORDS = ("花园|小区|公寓|大厦|广场|中心|家园|新村|湿地|公园|大学|学院|医院|中学|小学|校区|酒店|宾馆|"
              "市场|银行")
_POI_FOLLOWS = re.compile(rf".{{0,2}}?(?:苑|园|府|{_POI_WORDS})")
# A short province/county name followed by one of these begins a name (浙江大学, 浦东发展银行),
# unless a road follows (西湖西园七路 is 西湖 + a road).
_NAME_FOLLOWS = re.compile(rf".{{0,2}}?(?:{_POI_WORDS})(?!.{{0,3}}(?:路|街|巷|弄))")
_TOWNSHIP_PATTERN = re.compile(r"(?:[\u4e00-\u9fff]{1,6}?街道|[\u4e00-\u9fff]{2,6}?(?:镇|乡))"
                               r"(?!路|街|道|巷|弄|政府)")
_VILLAGE_PATTERN = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:社区|村)(?:居委会|村委会|居民委员会|村民委员会)?"
                              r"(?!路|街|道|巷|弄|口|委)")
_VILLAGE_TAILS = ("社区", "村", "居委会", "村委会")
_MAX_NAME = 24
_ROAD_ENDS = ("大道", "大街")  # 城南大道 is a road, not a mistyped 城南街道


@dataclass(frozen=True)
class Span:
    """A piece of the text read as a division (or as a township/village by pattern only)."""

    start: int
    end: int
    text: str
    division: Division | None
    how: str
    level: Level
    score: float = 0.0


@dataclass
class AdminReading:
    """One consistent reading of the divisions in an address."""

    spans: tuple[Span, ...]
    score: float
    deepest: Division
    full_name: str
    conflicts: list[str] = field(default_factory=list)
    skip_to: int = 0  # end of inconsistent division names right after the chain

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.deepest.adcode, "name": self.full_name, "score": round(self.score, 3),
                "matched": [{"text": s.text, "code": s.division.code if s.division else None,
                             "how": s.how} for s in self.spans],
                "conflicts": self.conflicts}


# ---------------------------------------------------------------------------------- spans
def find_spans(s: str, div: AdminDivisions, pinyin_spans: Sequence[tuple[int, int]] = ()) -> list[Span]:
    """Every division name in `s` (exact forms, then one-edit forms of names ending 省/市/区/县)."""
    spans: list[Span] = []
    n = len(s)
    for i in range(n):
        for length in range(2, min(_MAX_NAME, n - i) + 1):
            key = s[i:i + length]
            hits = div.names_of(key)
            if not hits:
                continue
            ambiguity = len({d.code for d, _ in hits if d.level <= Level.COUNTY})
            for d, how in hits:
                if not _usable(d, how, s, i + length):
                    continue
                if any(a <= i and i + length <= b for a, b in pinyin_spans):
                    how = "pinyin"
                spans.append(_span(i, i + length, key, d, how, ambiguity))
    spans.extend(_fuzzy_spans(s, div, spans))
    return spans


def _usable(d: Division, how: str, s: str, end: int) -> bool:
    if how == "abbr":
        return False
    if d.level is Level.VILLAGE and how != "name":
        return False
    if d.level is Level.TOWNSHIP and how == "short":
        return False  # short township names are read only below their county
    if how == "short" and d.level is not Level.CITY and _NAME_FOLLOWS.match(s, end):
        return False  # 浙江大学, 西湖医院, (上海)浦东发展银行: the start of a name
    return not (how == "short" and _ROAD_FOLLOWS.match(s, end))  # 余杭塘路, 西湖大道


def _span(start: int, end: int, text: str, d: Division | None, how: str, ambiguity: int = 1,
          level: Level | None = None) -> Span:
    score = _WEIGHT.get(how, 0.7) * (1 + 0.1 * (end - start)) - 0.08 * min(max(ambiguity - 1, 0), 4)
    return Span(start, end, text, d, how, level if level is not None else d.level if d else Level.VILLAGE,
                score)


def _fuzzy_groups(div: AdminDivisions) -> dict[str, list[Division]]:
    """Names above township level by their last character (市, 区, 县 …), built once per index."""
    cached = div.cache.get("fuzzy_groups")
    if isinstance(cached, dict):
        return cached
    groups: dict[str, list[Division]] = {}
    for d in div:
        if d.level <= Level.COUNTY and not d.is_pseudo and len(d.name) >= 3:
            groups.setdefault(d.name[-1], []).append(d)
    div.cache["fuzzy_groups"] = groups
    return groups


def _fuzzy_spans(s: str, div: AdminDivisions, exact: list[Span]) -> list[Span]:
    """Windows ending with 省/市/区/县/旗/州/盟 one edit away from a name with the same ending."""
    groups = _fuzzy_groups(div)
    covered = [(sp.start, sp.end) for sp in exact if sp.level <= Level.COUNTY]
    out: list[Span] = []
    for e in range(3, len(s) + 1):
        if s[e - 1] not in _FUZZY_ENDS:
            continue
        pool = groups.get(s[e - 1], [])
        names = [d.name for d in pool]
        for length in range(3, min(10, e) + 1):
            start = e - length
            if any(a < start < b for a, b in covered):  # starts inside a name: 省杭州市
                continue
            window = s[start:e]
            # a real name (朝阳区) is read as another one only if it sounds the same (溪湖区 ~ 西湖区)
            real = any(how == "name" for _, how in div.names_of(window))
            for _, dist, idx in process.extract(window, names, scorer=Levenshtein.distance,
                                                 score_cutoff=1, limit=None):
                d = pool[idx]
                if dist == 1 and abs(len(d.name) - length) <= 1 and _same_core_start(window, d.name):
                    sp = _fuzzy_span(start, e, window, d)
                    if not real or sp.score > _span(start, e, window, d, "fuzzy").score:
                        out.append(sp)
    return out


def _same_core_start(window: str, name: str) -> bool:
    """At least one of the first two characters agrees (杭洲市/杭州市, 航州市/杭州市)."""
    return window[0] == name[0] or window[1:2] == name[1:2]


def _fuzzy_span(start: int, end: int, window: str, d: Division) -> Span:
    """A one-edit match; a homophone (临岸区 ~ 临安区, not 临平区) is what a pinyin input method
    produces, so it scores a little higher."""
    sp = _span(start, end, window, d, "fuzzy")
    if pinyin_keys(window)[0] == pinyin_keys(d.name)[0]:
        sp = Span(sp.start, sp.end, sp.text, sp.division, sp.how, sp.level, sp.score + 0.1)
    return sp


# ---------------------------------------------------------------------------------- chains
def rank_chains(s: str, spans: list[Span], div: AdminDivisions, hint: str | None) -> list[AdminReading]:
    """The best consistent chain ending at each span, scored and best first. A chain's spans
    do not overlap, have distinct levels and lie on one line of descent; they are read left to
    right from large to small (浙江杭州西湖), or small to large at a small cost (Xihu, Hangzhou;
    小河街道拱墅区)."""
    admin = sorted((sp for sp in spans if sp.division is not None), key=lambda x: (x.start, -x.end))
    best: list[tuple[float, int | None]] = []
    members: list[list[Span]] = []
    for j, sj in enumerate(admin):
        top: tuple[float, int | None] = (sj.score - 0.03 * sj.start, None)
        for i in range(j):
            si = admin[i]
            gap = sj.start - si.end
            if gap < 0 or gap > 3 or not _related(si, sj) or not all(_related(m, sj) for m in members[i]):
                continue
            if len(members[i]) > 1 and (members[i][-1].level > members[i][-2].level) != (sj.level > si.level):
                continue  # one direction per chain: 杭州市西湖区 + 浙江(大学) is not a reading
            step = 0.1 if gap == 0 else -0.15 * min(gap, 4)
            if sj.level < si.level:
                step -= 0.1
            cand = best[i][0] + sj.score + step
            if cand > top[0]:
                top = (cand, i)
        best.append(top)
        members.append([*members[top[1]], sj] if top[1] is not None else [sj])
    readings: dict[str, AdminReading] = {}
    for j in range(len(admin)):
        chain = members[j]
        deepest = max(chain, key=lambda sp: sp.level).division
        assert deepest is not None
        score = best[j][0] + _hint_bonus(deepest, hint)
        r = AdminReading(tuple(chain), score, deepest, div.full_name(deepest.code))
        if deepest.code not in readings or readings[deepest.code].score < score:
            readings[deepest.code] = r
    ordered = sorted(readings.values(), key=lambda r: -r.score)
    ordered = [r for r in ordered if r.score >= ordered[0].score - 1.0]
    for r in ordered:
        _conflicts(r, admin)
    top_score = ordered[0].score if ordered else 0.0
    for r in ordered:
        if r.score >= top_score - 0.5:
            r.score += _context_bonus(s, r, div)
    return sorted(ordered, key=lambda r: (-r.score, r.deepest.level, r.deepest.code))


def _related(a: Span, b: Span) -> bool:
    """Different levels on one line of descent."""
    assert a.division is not None and b.division is not None
    if a.level == b.level:
        return False
    hi, lo = (a, b) if a.level < b.level else (b, a)
    assert hi.division is not None and lo.division is not None
    return lo.division.code.startswith(hi.division.code)


def _hint_bonus(d: Division, hint: str | None) -> float:
    if not hint:
        return 0.0
    if d.code.startswith(hint):
        return 0.5
    return 0.3 if hint.startswith(d.code) else 0.0


def _conflicts(r: AdminReading, admin: list[Span]) -> None:
    """Unambiguous division names outside the chain that contradict it (杭州市朝阳区)."""
    used = {(sp.start, sp.end) for sp in r.spans}
    end = max(sp.end for sp in r.spans)
    r.skip_to = end
    for sp in admin:
        d = sp.division
        if (sp.start, sp.end) in used or d is None or sp.how not in ("name", "alias") \
                or d.level > Level.COUNTY or any(u[0] <= sp.start < u[1] for u in used):
            continue
        related = r.deepest.code.startswith(d.code) or d.code.startswith(r.deepest.code)
        if not related and sp.text not in r.conflicts:
            r.conflicts.append(sp.text)
    moved = True
    while moved:  # names right after the chain that repeat an ancestor (小河街道拱墅区) or conflict
        moved = False
        for sp in admin:
            d = sp.division
            if d is None or sp.start != r.skip_to or sp.how in ("fuzzy", "short"):
                continue
            if r.deepest.code.startswith(d.code) or sp.text in r.conflicts:
                r.skip_to, moved = sp.end, True
                break


def _context_bonus(s: str, r: AdminReading, div: AdminDivisions) -> float:
    """Evidence beyond the chain: a township/village of this division right after it, or a
    mistyped ancestor name right before it (杭洲西湖区)."""
    bonus = 0.0
    _, children = read_children(s, r.skip_to, r.deepest, div)
    bonus += 0.5 * sum(1 for c in children if c.division is not None)
    first = r.spans[0]
    if first.start >= 2 and first.level > Level.PROVINCE:
        fuzzy = _fuzzy_ancestor(s[: first.start], r.deepest, div)
        if fuzzy is not None:
            r.spans = (fuzzy, *r.spans)
            bonus += 0.4
    return bonus


def _fuzzy_ancestor(lead: str, deepest: Division, div: AdminDivisions) -> Span | None:
    for anc in div.chain(deepest.code)[:-1]:
        for form in {anc.name, anc.short_name}:
            for length in (len(form) - 1, len(form), len(form) + 1):
                if length < 2 or length > len(lead):
                    continue
                window = lead[len(lead) - length:]
                if window != form and Levenshtein.distance(window, form) <= 1 and len(form) >= 2 \
                        and _same_core_start(window, form) and not _real_unlike(window, form, div):
                    start = len(lead) - length
                    return _span(start, len(lead), window, anc, "fuzzy")
    return None


def _real_unlike(window: str, form: str, div: AdminDivisions) -> bool:
    """`window` is a real division's name that does not sound like `form`: 杭州市 is not a
    mistyped 赣州市 (in 杭州市九堡镇…, with 九堡镇 of 瑞金市), 临岸区 may be 临安区."""
    return any(how in ("name", "alias", "short") for _, how in div.names_of(window)) and \
        pinyin_keys(window)[0] != pinyin_keys(form)[0]


# ---------------------------------------------------------------------------------- below
def read_children(s: str, pos: int, deepest: Division | None,
                  div: AdminDivisions) -> tuple[int, list[Span]]:
    """Township then village right at `pos`, by name under `deepest` (one wrong character
    allowed), else by pattern (…街道/镇/乡, …社区/村) without a code."""
    out: list[Span] = []
    if deepest is None:
        return pos, out
    d = deepest
    if d.level <= Level.COUNTY:
        sp = _child_at(s, pos, _townships_under(d, div), Level.TOWNSHIP)
        if sp is None and d.level is Level.COUNTY:
            sp = _pattern_at(s, pos, _TOWNSHIP_PATTERN, Level.TOWNSHIP)
        if sp is not None:
            out.append(sp)
            pos = sp.end
            d = sp.division or d
    if d.level is Level.TOWNSHIP or (out and out[-1].division is None):
        villages = div.children(d.code, load=False) if d.level is Level.TOWNSHIP else []
        sp = _child_at(s, pos, villages, Level.VILLAGE)
        if sp is None and d.level >= Level.COUNTY:
            sp = _pattern_at(s, pos, _VILLAGE_PATTERN, Level.VILLAGE)
        if sp is not None:
            out.append(sp)
            pos = sp.end
    return pos, out


def _townships_under(d: Division, div: AdminDivisions) -> list[Division]:
    if d.level is Level.COUNTY:
        return [c for c in div.children(d.code, load=False) if c.level is Level.TOWNSHIP]
    if d.level is Level.CITY:
        out = []
        for c in div.children(d.code, load=False):
            out.extend([c] if c.level is Level.TOWNSHIP else
                       [t for t in div.children(c.code, load=False) if t.level is Level.TOWNSHIP])
        return out
    return []


def _forms(c: Division, level: Level) -> list[tuple[str, str]]:
    forms = [(c.name, "name")] + [(a, "alias") for a in c.aliases]
    if c.short_name != c.name and len(c.short_name) >= 2:
        if level is Level.VILLAGE:
            forms += [(c.short_name + t, "short") for t in _VILLAGE_TAILS]
        else:
            forms.append((c.short_name, "short"))
    return forms


def _child_at(s: str, pos: int, children: list[Division], level: Level) -> Span | None:
    best: Span | None = None
    for c in children:
        for form, how in _forms(c, level):
            if s.startswith(form, pos) and (best is None or len(form) > best.end - best.start):
                end = pos + len(form)
                if how == "short" and (_ROAD_FOLLOWS_TOWNSHIP.match(s, end) or _POI_FOLLOWS.match(s, end)
                                       or s[end:end + 1].isdigit()):
                    continue
                best = _span(pos, end, form, c, how)
    if best is not None:
        return best
    found: list[Span] = []
    for c in children:  # one wrong, missing or extra character, the ending intact
        name = c.name
        if len(name) < 3:
            continue
        for length in (len(name), len(name) - 1, len(name) + 1):
            window = s[pos:pos + length]
            if len(window) == length and window[-1] == name[-1] and \
                    not window.endswith(_ROAD_ENDS) and \
                    Levenshtein.distance(window, name) <= 1 and _same_core_start(window, name):
                found.append(_fuzzy_span(pos, pos + length, window, c))
                break
    found.sort(key=lambda sp: -sp.score)
    if len(found) == 1 or (len(found) > 1 and found[0].score > found[1].score):
        return found[0]
    return None  # 西街道: 西湖街道 or 西溪街道? neither


def _pattern_at(s: str, pos: int, pattern: re.Pattern[str], level: Level) -> Span | None:
    m = pattern.match(s, pos)
    if m is None:
        return None
    return _span(pos, m.end(), m.group(0), None, "pattern", level=level)
