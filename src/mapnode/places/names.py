"""Names of places: text normalisation, short names (简称) and pinyin.

No I/O here. `normalise_text` turns what people type into the form the division names use:
full-width digits and letters become half-width (NFKC), traditional characters become
simplified (OpenCC t2s) except characters that official names use as they are (乾, 於, 濛 …),
and the many dash and space variants become one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import IntEnum
from functools import lru_cache
from typing import Any


class Level(IntEnum):
    """Levels of the GB/T 2260 + NBS statistical hierarchy."""

    PROVINCE = 1  # 省级
    CITY = 2  # 地级
    COUNTY = 3  # 县级
    TOWNSHIP = 4  # 乡级 (9 digits)
    VILLAGE = 5  # 村级 (12 digits)

    @property
    def label_zh(self) -> str:
        return ("省", "市", "区县", "乡镇街道", "社区村")[self - 1]

    @classmethod
    def of_code(cls, code: str) -> Level:
        return _LEVEL_BY_LENGTH[len(code)]


_LEVEL_BY_LENGTH = {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY, 9: Level.TOWNSHIP,
                    12: Level.VILLAGE}

# The names NBS gives to containers that are not real prefecture-level units.
PSEUDO_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# 55 minority ethnic groups, longest first so that 蒙古 wins over 古-anything.
_ETHNIC = sorted([
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
    "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇",
    "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙",
    "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
], key=len, reverse=True)
_ETHNIC_ZU = re.compile(r"(?:各族|(?:" + "|".join(_ETHNIC) + r")族)$")  # 朝鲜族, 各族
# Without 族 only the multi-character names (博尔塔拉蒙古自治州, 得力其鄂温克民族乡): a bare 白 or 水
# at the end of a place name is part of the name.
_ETHNIC_BARE = re.compile(r"(?:" + "|".join(e for e in _ETHNIC if len(e) > 1) + r")$")

_AUTONOMOUS = frozenset({"自治区", "自治州", "自治县", "自治旗", "民族乡", "民族镇", "族乡", "族镇"})
_UPPER_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "新区", "省", "市", "盟",
                   "区", "县", "旗")
_SUFFIXES: dict[Level, tuple[str, ...]] = {
    Level.PROVINCE: _UPPER_SUFFIXES,
    Level.CITY: _UPPER_SUFFIXES,
    Level.COUNTY: _UPPER_SUFFIXES,
    Level.TOWNSHIP: ("民族乡", "民族镇", "族乡", "族镇", "街道", "苏木", "镇", "乡"),
    Level.VILLAGE: ("社区居民委员会", "村民委员会", "社区居委会", "居民委员会", "居委会", "村委会",
                    "社区", "村"),
}
_SPECIAL = {"神农架林区": "神农架", "六枝特区": "六枝"}
# Names that read as a kind of district rather than a place: keep them whole.
_KEEP_WHOLE_ENDINGS = ("矿区", "左旗", "右旗", "中旗", "前旗", "后旗")


def short_name(name: str, level: Level) -> str:
    """The 简称 of an official name (杭州市 → 杭州, 延边朝鲜族自治州 → 延边, 管城回族区 → 管城); the
    name itself when stripping would leave fewer than two characters (赵县, 城区), when the rest
    is only an ethnic name (鄂温克族自治旗) or when the name has no known suffix (开发区, 农场)."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    if name in PSEUDO_CITY_NAMES or name.endswith(_KEEP_WHOLE_ENDINGS):
        return name
    for suffix in _SUFFIXES[level]:
        if not name.endswith(suffix):
            continue
        core = name[: -len(suffix)]
        if suffix in ("族乡", "族镇"):
            core += "族"
        if core.endswith("族") or suffix in _AUTONOMOUS:
            core = _strip_ethnic(core, bare=suffix in _AUTONOMOUS)
        return core if len(core) >= 2 else name
    return name


def _strip_ethnic(core: str, *, bare: bool) -> str:
    """广西壮族 → 广西, 海西蒙古族藏族 → 海西, 博尔塔拉蒙古 → 博尔塔拉; "" when nothing else is left."""
    first = True
    while True:
        stripped = _ETHNIC_ZU.sub("", core)
        if bare and stripped == core:
            stripped = _ETHNIC_BARE.sub("", core)
        if stripped == core:
            return core
        if len(stripped) < 2:  # 内蒙古, 保安(藏族乡) stay; 鄂温克族(自治旗) has no short form
            return "" if first and not stripped else core
        core, first = stripped, False


# ---------------------------------------------------------------------------------- pinyin
def pinyin_keys(name: str, syllables: Iterable[str] | None = None) -> tuple[str, str]:
    """(full pinyin without spaces, initials) of a Chinese name: 杭州 → ("hangzhou", "hz").
    `syllables` overrides pypinyin's reading (curated lists know 朝阳 = chao yang)."""
    sy = [s for s in (syllables if syllables is not None else _pinyin(name)) if s]
    return "".join(sy), "".join(s[0] for s in sy)


@lru_cache(maxsize=65536)
def _pinyin(name: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(s.lower() for s in lazy_pinyin(name) if s.isascii() and s.isalpha())


# ---------------------------------------------------------------------------------- text
_DASHES = re.compile(r"[‐‑‒–—―−﹣－~～]")
_SPACES = re.compile(r"\s+")


class TextNormaliser:
    """NFKC + traditional → simplified, keeping characters that official names use as they are."""

    def __init__(self, protected: Iterable[str] = ()) -> None:
        self.protected = frozenset(protected)
        self._cc: Any = None
        self._stable: set[str] = set()  # characters seen in texts that t2s left unchanged

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = _DASHES.sub("-", text)
        text = _SPACES.sub(" ", text).strip()
        if any(ord(c) > 0x2E80 for c in text):
            text = self._t2s(text)
        return text

    def _t2s(self, text: str) -> str:
        # OpenCC (pure Python) costs about 0.15 ms per name: texts made only of characters it
        # has already left unchanged elsewhere are simplified already (a gazetteer rebuild
        # normalises some 60,000 names).
        if self._stable.issuperset(text):
            return text
        if self._cc is None:
            from opencc import OpenCC

            self._cc = OpenCC("t2s")
        converted: str = self._cc.convert(text)
        if converted == text:
            self._stable.update(text)
            return text
        if len(converted) != len(text):
            return converted
        return "".join(o if o in self.protected else c for o, c in zip(text, converted, strict=True))
