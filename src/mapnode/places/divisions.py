"""An in-memory index of administrative divisions: GB/T 2260 province / city / county plus the
NBS 9-digit township and 12-digit village codes.

Built from plain rows (code, name, parent code); see `mapnode.places.sources` for the loaders
(NBS CSV files, store table layers) and for the extra names (short names, pinyin, aliases,
seats). Codes are kept as NBS writes them: 2 digits for a province, 4 for a city, 6 for a
county, 9 for a township, 12 for a village; `normalise_code` accepts the padded 6- and 12-digit
forms as well. Lookups by name return every division of that name (朝阳区 is in Beijing and in
Changchun), each with its parent chain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mapnode.errors import InvalidParameter, NotFound
from mapnode.places.names import PSEUDO_CITY_NAMES, Level, TextNormaliser, pinyin_keys, short_name

if TYPE_CHECKING:
    from mapnode.places.boundaries import BoundaryIndex

# How a name matched, best first; lookups sort by this rank.
HOW_RANK = {"code": 0, "name": 1, "short": 2, "alias": 3, "former": 4, "pinyin": 5, "initials": 6,
            "abbr": 7, "fuzzy": 8}


@dataclass(slots=True, eq=False)
class Division:
    """One division. `short_name` equals `name` when there is no sensible short form."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    short_name: str
    aliases: list[str] = field(default_factory=list)
    pinyin: str = ""  # of the short name, filled by `AdminDivisions.ensure_pinyin`
    initials: str = ""
    seat: tuple[float, float] | None = None  # lon/lat (WGS84/CGCS2000) of the government seat

    @property
    def is_pseudo(self) -> bool:
        """NBS containers that are not places: 市辖区 / 县 of municipalities, 省直辖县级行政区划."""
        return self.level is Level.CITY and self.name in PSEUDO_CITY_NAMES

    @property
    def adcode(self) -> str:
        """The 6-digit GB/T 2260 code for province/city/county; the NBS code below that."""
        return self.code.ljust(6, "0") if len(self.code) <= 6 else self.code

    @property
    def code12(self) -> str:
        return self.code.ljust(12, "0")

    def __repr__(self) -> str:
        return f"Division({self.code} {self.name})"


@dataclass(frozen=True, slots=True)
class DivisionRow:
    """What a loader reads: a code, an official name and (optionally) the parent's code."""

    code: str
    name: str
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class NameMatch:
    """One answer of a name lookup: the division, how it matched and its parent chain."""

    division: Division
    how: str
    chain: tuple[Division, ...]

    @property
    def full_name(self) -> str:
        return "".join(d.name for d in self.chain)


def normalise_code(code: str | int) -> str:
    """'330106' → '330106', '330000' → '33', '330100000000' → '3301', '330106001000' → '330106001'."""
    text = str(code).strip()
    if not text.isdigit():
        raise InvalidParameter("区划代码只能包含数字", "a division code has digits only", {"code": code})
    if len(text) == 12:
        text = text[:6] if text.endswith("000000") else text[:9] if text.endswith("000") else text
    if len(text) == 6:
        text = text[:2] if text.endswith("0000") else text[:4] if text.endswith("00") else text
    if len(text) not in (2, 4, 6, 9, 12):
        raise InvalidParameter("区划代码应为 2、4、6、9 或 12 位", "a division code has 2, 4, 6, 9 or "
                               "12 digits", {"code": code})
    return text


def _parent_by_prefix(code: str) -> str | None:
    return {2: None, 4: code[:2], 6: code[:4], 9: code[:6], 12: code[:9]}[len(code)]


class AdminDivisions:
    """The division index. Rows can be added later (villages of one more province)."""

    def __init__(self, rows: Iterable[DivisionRow] = (),
                 village_loader: Callable[[str], Iterable[DivisionRow]] | None = None) -> None:
        self._by_code: dict[str, Division] = {}
        self._children: dict[str, list[str]] = defaultdict(list)
        self._names: dict[str, list[tuple[str, str]]] = defaultdict(list)  # name → (code, how)
        self._pinyin: dict[str, list[tuple[str, str]]] | None = None
        self._village_loader = village_loader
        self._village_provinces: set[str] = set()
        self._boundaries: list[BoundaryIndex] = []
        self._normaliser: TextNormaliser | None = None
        self.cache: dict[str, object] = {}  # derived structures of other modules; cleared on change
        self.extra_seats: list[tuple[str, float, float]] = []  # seats of merged divisions
        self.add_rows(rows)

    # ------------------------------------------------------------------ building
    def add_rows(self, rows: Iterable[DivisionRow]) -> int:
        """Add rows in any order (parents are resolved by code prefix). Returns how many were new."""
        pending = sorted(((normalise_code(r.code), r) for r in rows), key=lambda kv: len(kv[0]))
        added = 0
        for code, row in pending:
            if code in self._by_code:  # also NBS county rows repeating their city (东莞 441900)
                continue
            parent = normalise_code(row.parent_code) if row.parent_code else None
            if parent is None or parent not in self._by_code:
                parent = _parent_by_prefix(code)
                while parent is not None and parent not in self._by_code:
                    parent = _parent_by_prefix(parent)
            level = Level.of_code(code)
            division = Division(code, row.name, level, parent, short_name(row.name, level))
            self._by_code[code] = division
            if parent is not None:
                self._children[parent].append(code)
            self._index_names(division)
            added += 1
        if added:
            self._pinyin = None
            self._normaliser = None
            self.cache.clear()
        return added

    def _index_names(self, d: Division) -> None:
        if d.is_pseudo:
            return
        self._names[d.name].append((d.code, "name"))
        if d.short_name != d.name and not self._collides(d):
            self._names[d.short_name].append((d.code, "short"))
        else:
            d.short_name = d.name

    def _collides(self, d: Division) -> bool:
        """A short name equal to an ancestor's (西湖街道 in 西湖区, 吉林市 in 吉林省) would be read as
        the ancestor; such divisions keep their full name as the short one."""
        return any(a.short_name == d.short_name or a.name == d.short_name
                   for a in self.chain(d.parent_code) if d.parent_code)

    def add_alias(self, code: str, alias: str, how: str = "alias") -> None:
        """Another name for a division (杭州 → 杭州市, 下城区 → 拱墅区 as `former`)."""
        d = self.get(code)
        if alias == d.name or (d.code, how) in self._names.get(alias, ()):
            return
        if any(c == d.code for c, _ in self._names.get(alias, ())):
            return
        self._names[alias].append((d.code, how))
        d.aliases.append(alias)
        self._pinyin = None

    def set_seat(self, code: str, lon: float, lat: float) -> None:
        self.get(code).seat = (lon, lat)

    def set_seats(self, rows: Iterable[tuple[str, str | None, float, float]]) -> int:
        """Seats from (code, name, lon, lat) rows of any vintage (`current` maps old codes). A
        row for a division that has its own row already (下城区's seat for 拱墅区) is kept as an
        extra seat: near-seat county guesses use it, `Division.seat` stays the division's own."""
        later = []
        n = 0
        for code, name, lon, lat in rows:
            d = self.current(code, name)
            if d is None:
                continue
            if d.code == normalise_code(code):
                self.set_seat(d.code, lon, lat)
            else:
                later.append((d, lon, lat))
            n += 1
        for d, lon, lat in later:
            if d.seat is None:
                d.seat = (lon, lat)
            else:
                self.extra_seats.append((d.code, lon, lat))
        return n

    def attach_boundaries(self, boundaries: BoundaryIndex) -> None:
        """Polygons for `contains`; any number of layers (province, city, county …)."""
        self._boundaries.append(boundaries)

    # ------------------------------------------------------------------ villages on demand
    def ensure_villages(self, province: str) -> None:
        """Load the villages of one province through the loader given at construction, once."""
        province = province[:2]
        if province in self._village_provinces or self._village_loader is None:
            return
        self._village_provinces.add(province)
        self.add_rows(self._village_loader(province))

    @property
    def village_provinces(self) -> frozenset[str]:
        return frozenset(self._village_provinces)

    def mark_villages_loaded(self, province: str) -> None:
        self._village_provinces.add(province[:2])

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Division]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return self.find(str(code)) is not None

    def find(self, code: str | int) -> Division | None:
        """The division with this code, or None (also None for malformed codes)."""
        try:
            key = normalise_code(code)
        except InvalidParameter:
            return None
        if key not in self._by_code and len(key) == 12:
            self.ensure_villages(key)
        return self._by_code.get(key)

    def current(self, code: str | int, name: str | None = None) -> Division | None:
        """The division a (possibly outdated) code and name stand for now: the code's own
        division when the name agrees (or no name is given); else, for a code retired when a
        county was re-coded (临安市 330185 is 临安区 330112 since 2017), the one division of
        the same level and short name under the same parent code, or, for a division merged
        away (下城区 330103), the one its former name now stands for (拱墅区). A name that is
        another division's (a re-used code) gives None; one that is no division's, the code's."""
        d = self.find(code)
        if name is None or (d is not None and name in (d.name, d.short_name)):
            return d
        try:
            key = normalise_code(code)
        except InvalidParameter:
            return None
        level = Level.of_code(key)
        parent = _parent_by_prefix(key) or ""
        found = {c for c, _ in self._names.get(short_name(name, level), ())
                 if c.startswith(parent) and Level.of_code(c) is level}
        if not found and d is None:  # merged away: the division its former name points to
            found = {c for c, how in self._names.get(name, ()) if how == "former"}
        if len(found) == 1:
            return self._by_code[found.pop()]
        if d is not None and not self._names.get(name) and not self._names.get(short_name(name, level)):
            return d  # a name that is no division's (杭州市人民政府): the code decides
        return None

    def get(self, code: str | int) -> Division:
        """The division with this code (6/9/12 digits, or the 2/4-digit province/city prefix)."""
        normalise_code(code)  # raises InvalidParameter on malformed codes
        found = self.find(code)
        if found is None:
            raise NotFound("没有这个行政区划代码", "no division has this code", {"code": code})
        return found

    def parent(self, code: str) -> Division | None:
        """The real parent (pseudo containers like 市辖区 are skipped)."""
        d = self.get(code)
        while d.parent_code is not None:
            d = self._by_code[d.parent_code]
            if not d.is_pseudo:
                return d
        return None

    def chain(self, code: str | None) -> tuple[Division, ...]:
        """Province first, the division itself last, pseudo containers left out."""
        if code is None:
            return ()
        out: list[Division] = []
        d: Division | None = self.get(code)
        while d is not None:
            if not d.is_pseudo:
                out.append(d)
            d = self._by_code.get(d.parent_code) if d.parent_code else None
        return tuple(reversed(out))

    def full_name(self, code: str) -> str:
        """浙江省杭州市西湖区 for 330106."""
        return "".join(d.name for d in self.chain(code))

    def children(self, code: str | None = None, *, raw: bool = False,
                 load: bool = True) -> list[Division]:
        """Direct children ordered by code; provinces when `code` is None. Pseudo containers are
        looked through (北京市 → its 16 districts) unless `raw`. With `load`, villages of a
        province not loaded yet are loaded first."""
        if code is None:
            return sorted((d for d in self._by_code.values() if d.level is Level.PROVINCE),
                          key=lambda d: d.code)
        d = self.get(code)
        if d.level is Level.TOWNSHIP and load:
            self.ensure_villages(d.code)
        out: list[Division] = []
        for c in self._children.get(d.code, ()):
            child = self._by_code[c]
            if child.is_pseudo and not raw:
                out.extend(self.children(child.code, load=load))
            else:
                out.append(child)
        return sorted(out, key=lambda x: x.code)

    def descendants(self, code: str, level: Level) -> list[Division]:
        """All divisions of `level` below `code` (e.g. every township of a city)."""
        d = self.get(code)
        prefix = d.code
        if level is Level.VILLAGE:
            self.ensure_villages(prefix)
        return sorted((x for x in self._by_code.values()
                       if x.level is level and x.code.startswith(prefix) and x.code != prefix),
                      key=lambda x: x.code)

    def at_level(self, level: Level) -> list[Division]:
        return [d for d in self._by_code.values() if d.level is level and not d.is_pseudo]

    def names_of(self, name: str) -> list[tuple[Division, str]]:
        """Exact name, short name or alias → (division, how), unsorted; the parser's primitive."""
        return [(self._by_code[c], how) for c, how in self._names.get(name, ())]

    def name_keys(self) -> Iterable[str]:
        return self._names.keys()

    def lookup(self, query: str, *, level: Level | None = None, within: str | None = None,
               fuzzy: bool = True) -> list[NameMatch]:
        """Divisions by code, name, short name, alias, pinyin or initials ("hz"); with `fuzzy`, by
        one wrong, missing or extra character when nothing matches exactly. Best first: how it
        matched, then level, then provincial capitals (city code XX01), then code."""
        text = self.normaliser(query.strip())
        hits: list[tuple[Division, str]] = []
        if text.isdigit():
            d = self.find(text)
            hits = [(d, "code")] if d is not None else []
        elif text.isascii():
            hits = self._pinyin_hits(text)
        else:
            hits = self.names_of(text)
            if not hits and fuzzy:
                hits = [(d, "fuzzy") for d in self.fuzzy(text)]
        out = [h for h in hits if (level is None or h[0].level is level)
               and (within is None or h[0].code.startswith(normalise_code(within)))]
        return self._rank(out)

    def _rank(self, hits: Iterable[tuple[Division, str]]) -> list[NameMatch]:
        best: dict[str, tuple[Division, str]] = {}
        for d, how in hits:
            if d.code not in best or HOW_RANK[how] < HOW_RANK[best[d.code][1]]:
                best[d.code] = (d, how)
        ordered = sorted(best.values(), key=lambda h: (HOW_RANK[h[1]], h[0].level, capital_rank(h[0]),
                                                       h[0].code))
        return [NameMatch(d, how, self.chain(d.code)) for d, how in ordered]

    # ------------------------------------------------------------------ pinyin
    def ensure_pinyin(self) -> None:
        """Fill pinyin/initials of every division above village level (about 1 s for China)."""
        if self._pinyin is not None:
            return
        index: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for d in self._by_code.values():
            if d.is_pseudo or d.level is Level.VILLAGE:
                continue
            if not d.pinyin:
                d.pinyin, d.initials = pinyin_keys(d.short_name)
            full = d.pinyin + pinyin_keys(d.name[len(d.short_name):])[0]  # + "shi", "qu" …
            for key, how in {(d.pinyin, "pinyin"), (full, "pinyin"), (d.initials, "initials")}:
                if key:
                    index[key].append((d.code, how))
        self._pinyin = index

    def _pinyin_hits(self, text: str) -> list[tuple[Division, str]]:
        self.ensure_pinyin()
        assert self._pinyin is not None
        key = "".join(ch for ch in text.lower() if ch.isalpha())
        return [(self._by_code[c], how) for c, how in self._pinyin.get(key, ())]

    def pinyin_index(self) -> dict[str, list[tuple[str, str]]]:
        self.ensure_pinyin()
        assert self._pinyin is not None
        return self._pinyin

    # ------------------------------------------------------------------ fuzzy
    def fuzzy(self, text: str, candidates: Iterable[Division] | None = None,
              max_distance: int = 1) -> list[Division]:
        """Divisions whose name is within `max_distance` edits of `text` (杭洲市 → 杭州市). Names of
        fewer than three characters are never matched fuzzily. Default candidates: every division
        above township level."""
        from rapidfuzz.distance import Levenshtein

        if len(text) < 3:
            return []
        pool = candidates if candidates is not None else (
            d for d in self._by_code.values() if d.level <= Level.COUNTY and not d.is_pseudo)
        out = []
        for d in pool:
            if abs(len(d.name) - len(text)) <= max_distance and len(d.name) >= 3 and \
                    Levenshtein.distance(d.name, text, score_cutoff=max_distance) <= max_distance:
                out.append(d)
        return out

    # ------------------------------------------------------------------ text
    def normaliser(self, text: str) -> str:
        """Normalise text the way the index expects (full-width, traditional characters)."""
        if self._normaliser is None:
            chars = {c for d in self._by_code.values() if d.level <= Level.TOWNSHIP for c in d.name}
            self._normaliser = TextNormaliser(chars)
        return self._normaliser(text)

    # ------------------------------------------------------------------ points
    def contains(self, lon: float, lat: float) -> tuple[Division, ...]:
        """The chain of the deepest division whose boundary covers the point, province first;
        empty when no attached boundary covers it. Boundaries come from `attach_boundaries`."""
        if not self._boundaries:
            raise NotFound("没有加载行政区划边界", "no division boundaries are loaded")
        deepest: Division | None = None
        for b in self._boundaries:
            for code in b.containing(lon, lat):
                d = self.find(code)
                if d is not None and (deepest is None or d.level > deepest.level):
                    deepest = d
        return self.chain(deepest.code) if deepest is not None else ()


def capital_rank(d: Division) -> int:
    """0 for provincial capitals (GB/T 2260 gives them city code XX01) and their districts."""
    return 0 if len(d.code) >= 4 and d.code[2:4] == "01" else 1
