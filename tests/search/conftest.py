"""Fixtures for the place-name tests.

`places` is one store per backend per module, loaded with the real slices of tests/search/data.py
and indexed once; tests that only read share it. Tests that write take the function-scoped
`store` fixture instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mapnode.model import Actor
from mapnode.services.search import PlacesService
from mapnode.store import VersionedStore
from tests.conftest import BACKENDS
from tests.search import data
from tests.support.backends import backend_store


@dataclass
class Loaded:
    store: VersionedStore
    service: PlacesService
    files: dict[str, Path]


@pytest.fixture(scope="session")
def slices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("search-data")
    data.files(directory)
    return directory


@pytest.fixture(scope="module", params=BACKENDS)
def places(request: pytest.FixtureRequest, slices: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    system = Actor.system()
    with backend_store(request.param, tmp_path_factory.mktemp("search")) as store:
        data.load(store, system, slices)
        service = PlacesService(store)
        service.gazetteer.catch_up()
        yield Loaded(store, service, data.files(slices))
