"""The division index against the NBS files it was built from (read here with plain csv)."""

from __future__ import annotations

import csv
import gzip

import pytest

from mapnode.errors import InvalidParameter, NotFound
from mapnode.places import AdminDivisions, Level, normalise_code
from mapnode.places.sources import load_nbs
from tests.places.conftest import NBS, read_rows
from tests.support.data import AMENITIES_CSV, SHARED_DATA


def _by(rows: list[dict[str, str]], field: str, value: str) -> list[dict[str, str]]:
    return [r for r in rows if r[field] == value]


def test_counts_match_the_files(divisions: AdminDivisions, nbs: dict) -> None:
    assert len(divisions.children()) == len(nbs["provinces"]) == 31
    assert len(divisions.at_level(Level.TOWNSHIP)) == len(nbs["streets"])
    # every county row is a division, except NBS rows that repeat their city (东莞市 441900)
    repeats = [r for r in nbs["areas"] if r["code"].endswith("00")]
    assert len(divisions.at_level(Level.COUNTY)) == len(nbs["areas"]) - len(repeats)
    assert {r["name"] for r in repeats} == {"东莞市", "中山市", "儋州市"}


def test_zhejiang_has_its_prefecture_cities(divisions: AdminDivisions, nbs: dict) -> None:
    zj = divisions.lookup("浙江省")[0].division
    expected = {r["code"]: r["name"] for r in _by(nbs["cities"], "provinceCode", zj.code)}
    assert len(expected) == 11
    assert {c.code: c.name for c in divisions.children(zj.code)} == expected


def test_hangzhou_districts_and_xihu(divisions: AdminDivisions, nbs: dict) -> None:
    hz = divisions.lookup("杭州市")[0].division
    rows = _by(nbs["areas"], "cityCode", hz.code)
    expected = [r["name"] for r in sorted(rows, key=lambda r: r["code"])]
    assert [c.name for c in divisions.children(hz.code)] == expected
    xihu_row = next(r for r in rows if r["name"] == "西湖区")
    assert divisions.get(xihu_row["code"]).name == "西湖区"
    assert xihu_row["code"] == "330106"
    towns = _by(nbs["streets"], "areaCode", "330106")
    assert {c.name for c in divisions.children("330106")} == {r["name"] for r in towns}


@pytest.mark.parametrize(("code", "canonical"), [
    ("330106", "330106"), ("330000", "33"), ("33", "33"), ("3301", "3301"), ("330100", "3301"),
    ("330100000000", "3301"), ("330106000000", "330106"), ("330106013000", "330106013"),
    (330106, "330106"), ("330106013008", "330106013008"),
])
def test_code_forms(divisions: AdminDivisions, code: str | int, canonical: str) -> None:
    assert normalise_code(code) == canonical
    assert divisions.get(code).code == canonical


def test_bad_codes(divisions: AdminDivisions) -> None:
    with pytest.raises(InvalidParameter):
        divisions.get("33010")
    with pytest.raises(InvalidParameter):
        divisions.get("杭州")
    with pytest.raises(NotFound):
        divisions.get("339999")
    assert divisions.find("339999") is None


def test_township_and_village_codes(divisions: AdminDivisions, nbs: dict) -> None:
    row = next(r for r in nbs["streets"] if r["name"] == "文新街道" and r["areaCode"] == "330106")
    town = divisions.get(row["code"])
    assert (town.name, town.level) == ("文新街道", Level.TOWNSHIP)
    villages = [r for r in read_rows(NBS / "villages_guangdong_zhejiang.csv")
                if r["streetCode"] == row["code"]]
    assert {v.name for v in divisions.children(town.code)} == {r["name"] for r in villages}
    v = divisions.get(villages[0]["code"])
    assert [d.name for d in divisions.chain(v.code)] == ["浙江省", "杭州市", "西湖区", "文新街道", v.name]
    assert divisions.full_name(v.code) == "浙江省杭州市西湖区文新街道" + v.name
    assert v.code12 == v.code and town.code12 == town.code + "000"


def test_municipality_pseudo_city_is_looked_through(divisions: AdminDivisions, nbs: dict) -> None:
    beijing_areas = _by(nbs["areas"], "provinceCode", "11")
    assert {c.name for c in divisions.children("11")} == {r["name"] for r in beijing_areas}
    assert [c.name for c in divisions.children("11", raw=True)] == ["市辖区"]
    chaoyang = divisions.get("110105")
    parent = divisions.parent(chaoyang.code)
    assert parent is not None and parent.code == "11"
    assert [d.name for d in divisions.chain("110105")] == ["北京市", "朝阳区"]
    assert divisions.get("110100").is_pseudo


def test_dongguan_townships_hang_on_the_city(divisions: AdminDivisions, nbs: dict) -> None:
    dg = divisions.get("441900")  # GB/T 2260 code of 东莞市 (a city without counties)
    assert dg.code == "4419" and dg.level is Level.CITY
    rows = _by(nbs["streets"], "cityCode", "4419")
    assert len(divisions.children("4419")) == len(rows) > 20


def test_ambiguous_names_return_every_division_with_its_chain(divisions: AdminDivisions, nbs: dict) -> None:
    rows = [r for r in nbs["areas"] if r["name"] == "朝阳区"]
    found = [m for m in divisions.lookup("朝阳区") if m.how == "name"]
    assert {m.division.code for m in found} == {r["code"] for r in rows}
    assert len(found) == 2
    names = {m.full_name for m in found}
    assert names == {"北京市朝阳区", "吉林省长春市朝阳区"}
    xihu = [m.division.code for m in divisions.lookup("西湖区")]
    assert xihu == sorted(r["code"] for r in nbs["areas"] if r["name"] == "西湖区")


def test_short_names_aliases_and_former_names(divisions: AdminDivisions) -> None:
    assert [(m.division.name, m.how) for m in divisions.lookup("杭州")] == [("杭州市", "short")]
    assert divisions.lookup("浙")[0].division.name == "浙江省"
    former = divisions.lookup("下城区")[0]
    assert (former.division.name, former.how) == ("拱墅区", "former")
    # from the pyecharts table: 宁河县 became 宁河区 in 2015; its point lies by the new seat
    ninghe = divisions.lookup("宁河县")[0]
    assert (ninghe.division.name, ninghe.how) == ("宁河区", "former")
    # 吉林市's short name would read as the province: it is not registered
    assert [m.division.code for m in divisions.lookup("吉林")] == ["22"]
    assert [m.division.name for m in divisions.lookup("吉林市")] == ["吉林市"]


def test_pinyin_and_initials(divisions: AdminDivisions) -> None:
    hz = divisions.lookup("hz")
    assert hz[0].division.name == "杭州市"  # capital first among 杭州, 湖州, 惠州, 菏泽 …
    assert {"湖州市", "惠州市"} <= {m.division.name for m in hz}
    assert [m.division.name for m in divisions.lookup("Hangzhou")] == ["杭州市"]
    assert divisions.lookup("hangzhoushi")[0].division.name == "杭州市"
    # curated pinyin (AreaCity): pypinyin alone reads 朝阳 as zhao yang
    assert divisions.get("110105").pinyin == "chaoyang"
    assert {"110105", "220104"} <= {m.division.code for m in divisions.lookup("chaoyang")}


def test_fuzzy_lookup(divisions: AdminDivisions) -> None:
    names = [m.division.name for m in divisions.lookup("杭洲市")]
    assert "杭州市" in names and all(m.how == "fuzzy" for m in divisions.lookup("杭洲市"))
    assert divisions.lookup("杭洲市", fuzzy=False) == []
    assert divisions.lookup("西湖区", within="3301")[0].division.code == "330106"


def test_seats_are_converted_from_gcj02(divisions: AdminDivisions) -> None:
    """cpca gives 杭州市's seat 414 m from the OSM town hall (WGS84) as stored; converted from
    GCJ-02 it lies within ~110 m: the seat points are GCJ-02, and the index holds WGS84."""
    rows = read_rows(AMENITIES_CSV)
    hall = next(r for r in rows if r["name"] == "杭州市人民政府" and r["amenity"] == "townhall")
    lon, lat = float(hall["lon"]), float(hall["lat"])
    raw = next(r for r in read_rows(SHARED_DATA / "admin_points_misc" / "cpca_adcodes_seat_points.csv")
               if r["adcode"] == "330100000000")

    def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
        return (((a[0] - b[0]) * 96_200) ** 2 + ((a[1] - b[1]) * 110_900) ** 2) ** 0.5

    seat = divisions.get("3301").seat
    assert seat is not None
    assert metres(seat, (lon, lat)) < 150
    assert metres((float(raw["longitude"]), float(raw["latitude"])), (lon, lat)) > 350
    counties = [d for d in divisions.at_level(Level.COUNTY)]
    assert sum(d.seat is not None for d in counties) / len(counties) > 0.9


def test_seats_of_recoded_counties_follow_the_name(divisions: AdminDivisions) -> None:
    """cpca lists 临安市 under its retired code 330185 (临安区 330112 since 2017); its seat goes
    to 临安区 (without it, a point in 临安 took the county of the next seat), as do ~70 others
    re-coded since. A code re-used for another name gets nothing."""
    linan = divisions.get("330112")
    assert linan.seat is not None and 119.6 < linan.seat[0] < 119.8
    assert divisions.current("330185", "临安市") is linan
    assert divisions.current("330106", "西湖区") is divisions.get("330106")
    assert divisions.current("330106", "下城区") is None  # another division's name
    assert divisions.current("330106", "西湖区人民政府") is divisions.get("330106")
    assert divisions.current("350182", "长乐市") is divisions.get("350112")


def test_seats_of_merged_counties_are_extra_seats(divisions: AdminDivisions) -> None:
    """下城区 (330103) was merged into 拱墅区 in 2021: its seat is kept as an extra seat of
    拱墅区 (a point near it lies in 拱墅区 now); 拱墅区's own seat is left as it is."""
    gongshu = divisions.get("330105")
    extra = [(lon, lat) for code, lon, lat in divisions.extra_seats if code == "330105"]
    assert len(extra) == 1 and gongshu.seat is not None and extra[0] != gongshu.seat
    assert divisions.current("330103", "下城区") is gongshu


def test_villages_load_per_province_on_demand() -> None:
    div = load_nbs(NBS)
    assert div.village_provinces == frozenset()
    shantou_town = div.children(div.children("4405")[0].code)[0]
    kids = div.children(shantou_town.code)  # triggers Guangdong
    assert div.village_provinces == {"44"}
    rows = [r for r in read_rows(NBS / "villages_guangdong_zhejiang.csv")
            if r["streetCode"] == shantou_town.code]
    assert {k.name for k in kids} == {r["name"] for r in rows} and kids


@pytest.mark.slow
def test_villages_from_the_national_gz_file() -> None:
    """Hainan is only in villages.csv.gz (620k rows): loaded when a Hainan village is asked for."""
    div = load_nbs(NBS)
    with gzip.open(NBS / "villages.csv.gz", "rt", encoding="utf-8") as fh:
        hainan = [r for r in csv.DictReader(fh) if r["provinceCode"] == "46"]
    v = div.get(hainan[0]["code"])
    assert v.name == hainan[0]["name"]
    assert len(div.descendants("46", Level.VILLAGE)) == len(hainan)
    assert div.village_provinces == {"46"}
