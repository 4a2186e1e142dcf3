"""Fixtures for the store tests; every test taking `store` runs on SQLite and on PostGIS."""

from __future__ import annotations

import pytest

from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.store import hz


@pytest.fixture
def roads(store: VersionedStore, system: Actor) -> hz.Slice:
    """The West Lake roads slice loaded as public layer `roads` (seq 1)."""
    data = hz.roads()
    assert hz.load(store, system, "roads", data) == 1
    return data
