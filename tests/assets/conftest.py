"""An HTTP client over an empty store on each backend: glyphs and sprites live in the store's
data_dir, so each backend gets its own disk cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.store import VersionedStore


@pytest.fixture
def client(store: VersionedStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store=store.url), store=store)) as c:
        yield c
