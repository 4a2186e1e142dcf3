"""A small curated table of other names: former names still found in addresses, and the
one-character province abbreviations (简称). Each target code is checked against the loaded
division data before it is used (see `sources.apply_common_aliases`).
"""

from __future__ import annotations

# Former name → the division that holds the place now (code of 2023).
FORMER_NAMES: dict[str, str] = {
    "下城区": "330105",  # merged into 拱墅区, 2021
    "江干区": "330102",  # mostly merged into 上城区, 2021 (east part → 钱塘区)
    "萧山市": "330109",  # 萧山区 since 2001
    "余杭市": "330110",  # 余杭区 since 2001
    "富阳市": "330111",  # 富阳区 since 2014
    "临安市": "330112",  # 临安区 since 2017
    "崇文区": "110101",  # merged into 东城区, 2010
    "宣武区": "110102",  # merged into 西城区, 2010
    "卢湾区": "310101",  # merged into 黄浦区, 2011
    "闸北区": "310106",  # merged into 静安区, 2015
    "南汇区": "310115",  # merged into 浦东新区, 2009
    "萝岗区": "440112",  # merged into 黄埔区, 2014
    "从化市": "440117",  # 从化区 since 2014
    "增城市": "440118",  # 增城区 since 2014
    "襄樊市": "4206",  # renamed 襄阳市, 2010
    "思茅市": "5308",  # renamed 普洱市, 2007
    "莱芜市": "370116",  # became 莱芜区 of 济南市, 2019
    "内蒙": "15",
}

PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22", "黑": "23",
    "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36", "鲁": "37", "豫": "41",
    "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46", "渝": "50", "川": "51", "蜀": "51",
    "贵": "52", "黔": "52", "云": "53", "滇": "53", "藏": "54", "陕": "61", "秦": "61", "甘": "62",
    "陇": "62", "青": "63", "宁": "64", "新": "65",
}
