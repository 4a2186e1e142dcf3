"""Shared fixtures. `store` runs every test that takes it on both backends:
the embedded SQLite store and PostGIS. PostGIS tests fail (never skip) when the server is
missing, because the README's test command installs and starts it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mapnode.model import Actor, Edition, Role
from mapnode.store import VersionedStore, open_store
from tests.support.backends import BACKENDS, backend_store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[VersionedStore]:  # type: ignore[no-untyped-def]
    with backend_store(request.param, tmp_path) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[VersionedStore]:  # type: ignore[no-untyped-def]
    s = open_store(str(tmp_path / "test.mapnode"))
    yield s
    s.close()


@pytest.fixture
def system() -> Actor:
    return Actor.system()


@pytest.fixture
def public() -> Actor:
    return Actor.anonymous()


@pytest.fixture
def government() -> Actor:
    return Actor("gov-user", Edition.GOVERNMENT, frozenset({Role.READER}))
