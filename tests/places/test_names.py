"""Short names, pinyin keys and text normalisation."""

from __future__ import annotations

import pytest

from mapnode.places.names import Level, TextNormaliser, pinyin_keys, short_name
from tests.places.conftest import read_rows
from tests.support.data import SHARED_DATA


@pytest.mark.parametrize(("name", "level", "short"), [
    ("杭州市", Level.CITY, "杭州"),
    ("浙江省", Level.PROVINCE, "浙江"),
    ("广西壮族自治区", Level.PROVINCE, "广西"),
    ("新疆维吾尔自治区", Level.PROVINCE, "新疆"),
    ("内蒙古自治区", Level.PROVINCE, "内蒙古"),  # 蒙古 is an ethnic name, 内 alone is not a name
    ("延边朝鲜族自治州", Level.CITY, "延边"),
    ("海西蒙古族藏族自治州", Level.CITY, "海西"),
    ("博尔塔拉蒙古自治州", Level.CITY, "博尔塔拉"),
    ("大兴安岭地区", Level.CITY, "大兴安岭"),
    ("锡林郭勒盟", Level.CITY, "锡林郭勒"),
    ("西湖区", Level.COUNTY, "西湖"),
    ("管城回族区", Level.COUNTY, "管城"),
    ("长白朝鲜族自治县", Level.COUNTY, "长白"),
    ("浦东新区", Level.COUNTY, "浦东"),
    ("神农架林区", Level.COUNTY, "神农架"),
    ("万柏林区", Level.COUNTY, "万柏林"),  # not 林区
    ("赵县", Level.COUNTY, "赵县"),  # one character left: keep the name
    ("城区", Level.COUNTY, "城区"),
    ("井陉矿区", Level.COUNTY, "井陉矿区"),
    ("土默特左旗", Level.COUNTY, "土默特左旗"),
    ("鄂温克族自治旗", Level.COUNTY, "鄂温克族自治旗"),  # nothing but the ethnic name
    ("文新街道", Level.TOWNSHIP, "文新"),
    ("莪山畲族乡", Level.TOWNSHIP, "莪山"),
    ("保安藏族乡", Level.TOWNSHIP, "保安"),  # 保安 is also an ethnic name, but the place here
    ("音河达斡尔鄂温克民族乡", Level.TOWNSHIP, "音河"),
    ("萧山经济技术开发区", Level.TOWNSHIP, "萧山经济技术开发区"),
    ("多福巷社区居委会", Level.VILLAGE, "多福巷"),
    ("清波门社区", Level.VILLAGE, "清波门"),
    ("市辖区", Level.CITY, "市辖区"),
])
def test_short_names(name: str, level: Level, short: str) -> None:
    assert short_name(name, level) == short


def test_short_names_agree_with_areacity() -> None:
    """AreaCity's curated short names: ours agree except where AreaCity keeps the full name to
    avoid a clash with the parent (朝阳县 in 朝阳市, which our index handles the same way when
    it registers names) and a handful of its own oddities (六枝特, 金坪民族)."""
    rows = read_rows(SHARED_DATA / "admin_codes_areacity_2023" / "ok_data_level4.csv")
    rows = [r for r in rows if not r["ext_id"].startswith(("71", "81", "82"))]  # TW/HK/MO: not NBS
    compared = agree = 0
    for r in rows:
        if r["name"] == r["ext_name"]:
            continue  # AreaCity keeps the full name (clash rule); nothing to compare
        compared += 1
        agree += short_name(r["ext_name"], Level(int(r["deep"]) + 1)) == r["name"]
    assert compared > 38_000
    assert agree / compared > 0.995


def test_pinyin_keys() -> None:
    assert pinyin_keys("杭州") == ("hangzhou", "hz")
    assert pinyin_keys("朝阳", ["chao", "yang"]) == ("chaoyang", "cy")


def test_normaliser_fullwidth_traditional_and_protected() -> None:
    norm = TextNormaliser(protected="乾")
    assert norm("西湖區文三路４７８號") == "西湖区文三路478号"
    assert norm("ＡＢＣ　大廈") == "ABC 大厦"
    # 乾 is written as such in official names (乾安县); OpenCC alone would turn it into 干
    assert norm("乾安縣") == "乾安县"
    assert TextNormaliser()("乾安縣") == "干安县"
