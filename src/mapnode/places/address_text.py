"""Cleaning address text: noise (phone numbers, postcodes, labels, punctuation) out, pinyin
words of division names turned into their Chinese names, Chinese numerals read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mapnode.places.divisions import AdminDivisions, Division
from mapnode.places.names import Level

_PHONE = re.compile(r"(?:(?:联系电话|电话|手机|tel|phone)[:：]?\s*)?"
                    r"(?:(?:\+?86[- ]?)?(?<!\d)1[3-9]\d{9}(?!\d)|(?<![\d-])0\d{2,3}-\d{7,8}(?!\d))",
                    re.IGNORECASE)
_POSTCODE_LABEL = re.compile(r"(?:邮编|邮政编码|postcode|zip)[:：]?\s*\d{6}", re.IGNORECASE)
_LABELS = re.compile(r"^(?:(?:收货|详细|通讯|联系|家庭|单位)?地址|address)[:：]?", re.IGNORECASE)
_COUNTRY = re.compile(r"^(?:中华人民共和国|中国|China|P\.?R\.?\s*China)[,，\s]*", re.IGNORECASE)
_PUNCT = re.compile(r"[,，。.;；、:：!！?？\"“”'‘’《》【】\[\]{}()（）|/\\]+")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_ROAD_TRANSLATION = re.compile(r"(?<=[路街道巷弄])\s*[A-Za-z][A-Za-z' .-]*?\s*"
                               r"(?:Road|Street|Avenue|Rd|St|Lu|Jie)(?![A-Za-z])\.?", re.IGNORECASE)
# Pinyin words that name a kind of division: "Xihu Qu", "Hangzhou Shi", "Zhejiang Sheng".
_PINYIN_SUFFIX = re.compile(r"(sheng|shi|qu|xian|zhen|jiedao|province|city|district|county)$")
_ROAD_WORDS = frozenset({"road", "rd", "street", "st", "avenue", "lu", "jie", "dadao", "lane", "alley"})
_PINYIN_KIND = {"sheng": "省", "province": "省", "shi": "市", "city": "市", "qu": "区",
                "district": "区", "xian": "县", "county": "县", "zhen": "镇", "jiedao": "街道"}


@dataclass
class CleanText:
    """The text the parser reads, and what was taken out of it."""

    text: str
    noise: list[str] = field(default_factory=list)
    pinyin_spans: list[tuple[int, int]] = field(default_factory=list)  # CJK put in for pinyin


def clean(raw: str, divisions: AdminDivisions) -> CleanText:
    """Normalise (full-width, traditional), drop phone numbers, postcodes, labels, spaces and
    punctuation, and replace pinyin division names (Hangzhou → 杭州)."""
    text = divisions.normaliser(raw)
    noise: list[str] = []
    for pattern in (_PHONE, _POSTCODE_LABEL):
        noise.extend(m.group(0) for m in pattern.finditer(text))
        text = pattern.sub(" ", text)
    for m in _ROAD_TRANSLATION.finditer(text):  # 延安路 Yan'an Road: the Chinese name is enough
        noise.append(m.group(0).strip())
    text = _ROAD_TRANSLATION.sub("", text)
    text = _LABELS.sub("", text.strip())
    text = _COUNTRY.sub("", text.strip())
    tokens = [t for t in re.split(r"[\s,，;；]+", text) if t]
    kept = []
    for t in tokens:  # a token that is only a 6-digit number is a postcode (杭州 310012)
        if re.fullmatch(r"[1-8]\d{5}(?:\.0)?", t):
            noise.append(t)
        else:
            kept.append(t)
    text = " ".join(kept)
    text = re.sub(r"^[1-8]\d{5}(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])[1-8]\d{5}$", _drop(noise), text)
    text = re.sub(r"(?<=[A-Za-z])(?=[\u4e00-\u9fff0-9])|(?<=[\u4e00-\u9fff])(?=[A-Za-z])|(?<=[a-z])(?=[A-Z])",
                  " ", text)  # HangzhouXihu竞舟路 → Hangzhou Xihu 竞舟路
    text = _pinyin_to_chinese(text, divisions)
    text = _PUNCT.sub("", text)
    text = re.sub(r"\s+", "", text) if _mostly_cjk(text) else re.sub(r"\s+", " ", text).strip()
    text, spans = _take_marks(text)
    return CleanText(text, noise, spans)


_MARK_OPEN, _MARK_CLOSE = "\x01", "\x02"


def _take_marks(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove the marks put around pinyin replacements, returning where they were."""
    spans = []
    out: list[str] = []
    start = 0
    for ch in text:
        if ch == _MARK_OPEN:
            start = len(out)
        elif ch == _MARK_CLOSE:
            spans.append((start, len(out)))
        else:
            out.append(ch)
    return "".join(out), spans


def _drop(noise: list[str]):  # type: ignore[no-untyped-def]
    def repl(m: re.Match[str]) -> str:
        noise.append(m.group(0))
        return ""
    return repl


def _mostly_cjk(text: str) -> bool:
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return cjk >= 2


def _pinyin_to_chinese(text: str, divisions: AdminDivisions) -> str:
    """Latin words that spell a province, city or county (Hangzhou, Xihu Qu, zhejiangsheng)
    become its Chinese name; other Latin words (road names in pinyin, English) stay. Where a
    spelling fits several divisions (xihu: 西湖区 of Hangzhou or Nanchang, 溪湖区 of Benxi), the
    one related to another division named in the text wins."""
    if not _LATIN_WORD.search(text):
        return text
    index = divisions.pinyin_index()
    parts = re.split(r"(\s+)", text)
    found: dict[int, tuple[int, list[Division], str]] = {}  # part → (parts used, hits, kind)
    i = 0
    while i < len(parts):
        word = parts[i]
        nxt = parts[i + 2].lower() if i + 2 < len(parts) else ""
        if word.isascii() and word.isalpha() and nxt not in _ROAD_WORDS:
            key, kind, used = word.lower(), "", 1
            if nxt in _PINYIN_KIND:
                kind, used = _PINYIN_KIND[nxt], 3
            elif (m := _PINYIN_SUFFIX.search(key)) and key[: -len(m.group(1))] in index:
                key, kind = key[: -len(m.group(1))], _PINYIN_KIND[m.group(1)]
            hits = [divisions.get(c) for c, how in index.get(key, ()) if how == "pinyin"]
            hits = [d for d in hits if d.level <= Level.COUNTY and (not kind or d.name.endswith(kind))]
            if hits:
                found[i] = (used, hits, kind)
                i += used
                continue
        i += 1
    if not found:
        return text
    context = [d for _, hits, _ in found.values() for d in hits]
    context += [d for k in range(len(text) - 1) for d, _ in divisions.names_of(text[k:k + 3])
                if d.level <= Level.COUNTY]
    out: list[str] = []
    i = 0
    while i < len(parts):
        if i not in found:
            out.append(parts[i])
            i += 1
            continue
        used, hits, kind = found[i]
        d = min(hits, key=lambda h: (-_related(h, context), h.level, h.code))
        out.append(_MARK_OPEN + (d.name if kind else d.short_name) + _MARK_CLOSE)
        i += used
    return "".join(out)


def _related(d: Division, others: list[Division]) -> int:
    return sum(1 for o in others if o.code != d.code
               and (o.code.startswith(d.code) or d.code.startswith(o.code)))


# ---------------------------------------------------------------------------------- numerals
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
CN_NUMBER = "[零〇一二两三四五六七八九十百]+"


def cn_to_int(text: str) -> int | None:
    """十二 → 12, 三 → 3, 一百零五 → 105; None when it is not a Chinese numeral."""
    if not text or any(c not in _CN_DIGITS and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _CN_DIGITS[c] if current else _CN_DIGITS[c]
    return total + current


def arabic(text: str) -> str:
    """A number written in Chinese numerals as digits; anything else unchanged."""
    n = cn_to_int(text)
    return str(n) if n is not None else text
