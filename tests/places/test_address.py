"""The address parser on real division names (expected codes are looked up in the index, which
test_divisions checks against the NBS files)."""

from __future__ import annotations

import orjson
import pytest

from mapnode.places import AdminDivisions, ParsedAddress, parse_address


def code_of(div: AdminDivisions, name: str, within: str | None = None) -> str:
    matches = [m for m in div.lookup(name, within=within, fuzzy=False) if m.how == "name"]
    assert len(matches) == 1, (name, matches)
    return matches[0].division.code


def parts(p: ParsedAddress) -> dict[str, str | None]:
    return {k: c.value for k, c in p.components.items()}


def how(p: ParsedAddress, kind: str) -> str | None:
    c = p.components.get(kind)
    return c.how if c is not None else None


def test_full_address(divisions: AdminDivisions) -> None:
    p = parse_address("浙江省杭州市西湖区文新街道德加社区文三路478号华星时代广场A座12楼1201室", divisions)
    xihu = code_of(divisions, "西湖区", "33")
    town = code_of(divisions, "文新街道", xihu)
    assert (p.code("province"), p.code("city"), p.code("district")) == ("33", "3301", xihu)
    assert p.code("township") == town
    assert p.code("community") == code_of(divisions, "德加社区", town)
    assert parts(p) == {
        "province": "浙江省", "city": "杭州市", "district": "西湖区", "township": "文新街道",
        "community": "德加社区", "road": "文三路", "door": "478号", "poi": "华星时代广场",
        "building": "A座", "floor": "12层", "room": "1201室"}
    assert p.confidence == 1.0 and not p.notes
    assert p.admin_code == p.code("community")
    orjson.dumps(p.to_dict())  # serialisable as it is


def test_missing_levels_are_inferred(divisions: AdminDivisions) -> None:
    p = parse_address("杭州西湖区文三路", divisions)
    assert p.code("province") == "33" and how(p, "province") == "inferred"
    assert (how(p, "city"), p.code("district"), p.value("road")) == ("short", "330106", "文三路")
    town_only = parse_address("文新街道文三路18号", divisions)
    assert town_only.code("district") == "330106" and town_only.code("city") == "3301"


def test_ambiguous_district_gives_candidates(divisions: AdminDivisions) -> None:
    p = parse_address("西湖区文三路18号", divisions)
    assert p.district is not None and p.district.code is None and how(p, "district") == "ambiguous"
    assert p.code("city") is None
    both = {c.deepest.code for c in p.candidates[:2]}
    assert both == {m.division.code for m in divisions.lookup("西湖区") if m.how == "name"}
    assert p.confidence <= 0.5
    assert p.value("road") == "文三路" and p.value("door") == "18号"
    # context decides: a hint from the caller, or a township only one of them has
    assert parse_address("西湖区文三路18号", divisions, hint="3301").code("district") == "330106"
    assert parse_address("西湖区文新街道", divisions).code("district") == "330106"
    nanchang = parse_address("西湖区文三路18号", divisions, hint="3601")
    assert nanchang.code("district") == code_of(divisions, "西湖区", "36")


def test_district_must_belong_to_the_city(divisions: AdminDivisions) -> None:
    consistent = parse_address("杭州市西湖区文三路", divisions)
    p = parse_address("杭州市朝阳区文三路", divisions)
    assert p.code("city") == "3301" and p.district is None
    assert p.value("road") == "文三路"
    assert any("朝阳区" in n for n in p.notes)
    assert p.confidence < consistent.confidence


def test_municipality(divisions: AdminDivisions) -> None:
    p = parse_address("北京市朝阳区建国路88号", divisions)
    assert (p.code("province"), p.code("district")) == ("11", "110105")
    assert (p.value("city"), how(p, "city")) == ("北京市", "inferred")
    lane = parse_address("上海市黄浦区南京东路100弄5号", divisions)
    assert (lane.value("road"), lane.value("door")) == ("南京东路", "100弄5号")


def test_traditional_and_fullwidth(divisions: AdminDivisions) -> None:
    simple = parse_address("浙江省杭州市西湖区文三路478号", divisions)
    for text in ("浙江省杭州市西湖區文三路４７８號", "浙江省杭州市西湖区文三路478號",
                 "浙江省杭州市西湖区文三路４７８号"):
        assert parts(parse_address(text, divisions)) == parts(simple)
    # 乾 is written as such in official names: traditional-to-simplified must not touch it
    assert parse_address("吉林省松原市乾安縣", divisions).code("district") == code_of(divisions, "乾安县")


@pytest.mark.parametrize(("typo", "name"), [
    ("杭洲市西湖区文三路", "杭州市"),  # wrong character
    ("浙江省航州市西湖区", "杭州市"),
    ("杭洲西湖区文三路", "杭州市"),  # wrong character in a short name, read from what follows
])
def test_one_wrong_character_in_the_city(divisions: AdminDivisions, typo: str, name: str) -> None:
    p = parse_address(typo, divisions)
    assert (p.value("city"), how(p, "city"), p.code("district")) == (name, "fuzzy", "330106")
    assert p.confidence < 1.0


def test_homophone_wins_a_tie(divisions: AdminDivisions) -> None:
    # 临岸区 is one edit from 临安区 and from 临平区; 岸 sounds like 安
    assert parse_address("浙江省杭州市临岸区衣锦街", divisions).code("district") == "330112"


def test_one_missing_character_in_a_township(divisions: AdminDivisions) -> None:
    p = parse_address("杭州市滨江区长街道江南大道797号", divisions)
    assert (p.value("township"), how(p, "township")) == ("长河街道", "fuzzy")
    assert p.value("road") == "江南大道"


def test_noise_is_removed(divisions: AdminDivisions) -> None:
    clean = parse_address("杭州市拱墅区大关路100号3幢2单元301室", divisions)
    noisy = parse_address("收货地址：杭州市 拱墅区, 大关路100号 3幢2单元301室 (电话:13812345678) 邮编 310000",
                          divisions)
    assert parts(noisy) == parts(clean)
    assert "13812345678" in noisy.notes[0] and "310000" in noisy.notes[0]


def test_pinyin(divisions: AdminDivisions) -> None:
    for text in ("Xihu, Hangzhou", "Xihu District, Hangzhou, Zhejiang", "Hangzhou Xihu Qu"):
        assert parse_address(text, divisions).code("district") == "330106", text
    p = parse_address("Hangzhou竞舟路", divisions)
    assert (p.code("city"), p.value("road")) == ("3301", "竞舟路")


def test_road_and_poi_split(divisions: AdminDivisions) -> None:
    p = parse_address("杭州市西湖区西溪花园3幢2单元301", divisions)  # 西溪 is also a township's short name
    assert p.township is None
    assert (p.value("poi"), p.value("building"), p.value("unit"), p.value("room")) == \
        ("西溪花园", "3幢", "2单元", "301室")
    road_with_town = parse_address("杭州市拱墅区康桥货场路228号", divisions)
    assert (road_with_town.value("road"), road_with_town.township) == ("康桥货场路", None)
    short_county = parse_address("杭州市余杭塘路866号", divisions)  # 余杭 is a county's short name
    assert (short_county.district, short_county.value("road")) == (None, "余杭塘路")
    assert parse_address("杭州市心路", divisions).value("road") == "市心路"
    bare = parse_address("浙江省杭州市西湖区大龙驹坞168号", divisions)  # a road without 路/街
    assert (bare.value("road"), bare.value("door")) == ("大龙驹坞", "168号")
    before = parse_address("杭州市西湖区浙江大学紫金港校区余杭塘路866号", divisions)
    assert (before.value("poi"), before.value("road")) == ("浙江大学紫金港校区", "余杭塘路")
    known = parse_address("杭州市西湖区黄龙体育中心西大道602号", divisions, roads={"黄龙体育中心西大道"})
    assert known.value("road") == "黄龙体育中心西大道"


def test_nothing_recognisable(divisions: AdminDivisions) -> None:
    p = parse_address("hello world", divisions)
    assert p.admin_code is None and p.confidence < 0.5
    assert parse_address("", divisions).components == {}


def test_a_real_city_name_is_not_a_mistyped_one(divisions: AdminDivisions) -> None:
    """杭州市 is one edit from 赣州市, whose 瑞金市 has a 九堡镇: a real name read exactly is not
    a typo of another (九堡 is now a 街道 of 杭州, so the rest is a POI name)."""
    p = parse_address("杭州市九堡镇政府自行车租赁点", divisions)
    assert p.code("city") == "3301" and p.admin_code.startswith("33")
    typo = parse_address("杭洲西湖区", divisions)  # a real typo still reads as 杭州
    assert typo.code("district") == "330106"


def test_short_names_that_begin_a_name(divisions: AdminDivisions) -> None:
    """A short province or county name followed by a POI word begins a name (浦东发展银行,
    西湖医院), unless a road follows (西湖西园七路 is 西湖 + 西园七路)."""
    bank = parse_address("杭州市上海浦东发展银行", divisions)
    assert bank.code("city") == "3301" and bank.value("poi") == "上海浦东发展银行"
    hospital = parse_address("杭州西湖医院", divisions)
    assert hospital.code("district") is None and hospital.value("poi") == "西湖医院"
    road = parse_address("杭州西湖西园七路655号", divisions)
    assert road.code("district") == "330106" and road.value("road") == "西园七路"
    assert parse_address("上海浦东新区世纪大道", divisions).code("district") == "310115"


def test_a_road_is_not_a_mistyped_township(divisions: AdminDivisions) -> None:
    """城南大道 is one edit from 城南街道 (越城区) but names a road."""
    p = parse_address("绍兴市越城区城南大道", divisions)
    assert p.code("township") is None and p.value("road") == "城南大道"
    assert parse_address("绍兴市越城区城南街道", divisions).code("township") is not None
