"""One store per backend per test module with real Hangzhou data, served by the real app.

seq 1: public `roads` (West Lake); seq 2: government `amenities`; seq 3: a road renamed, a
road deleted and the 滨江 roads added, so that `datetime` between 2 and 3 sees the old state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Changeset, Edition
from mapnode.store import VersionedStore
from tests.store import hz
from tests.support.backends import backend_store

GOV_KEY = "gov-key"
KEYS = {GOV_KEY: {"name": "城管局", "edition": "government"}}
MAX_LIMIT = 5000


@dataclass
class Served:
    store: VersionedStore
    client: TestClient
    renamed: str  # fid of the road renamed at seq 3
    deleted: str  # fid of the road deleted at seq 3
    added: list[str]  # fids inserted at seq 3
    before: datetime  # the time of seq 2 (before the edits)


def load_hangzhou(store: VersionedStore) -> tuple[str, str, list[str]]:
    system = Actor.system()
    hz.load(store, system, "roads", hz.roads())
    hz.load(store, system, "amenities", hz.amenities(), edition=Edition.GOVERNMENT)
    rows = hz.roads().by_fid()
    renamed = hz.roads().named("北山街")[0]
    deleted = hz.roads().named("南山路")[0]
    new = hz.elsewhere()[:20]
    change = (Changeset("editor", "rename, delete, add")
              .update("roads", renamed.fid, 1, renamed.geometry,
                      {**renamed.properties, "name": "北山街（新）"})
              .delete("roads", deleted.fid, 1))
    for r in new:
        change.insert("roads", r.fid, r.geometry, r.properties)
    store.apply(system, change)
    assert renamed.fid in rows and deleted.fid in rows
    return renamed.fid, deleted.fid, [r.fid for r in new]


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Served]:
    def run(store: VersionedStore) -> Iterator[Served]:
        renamed, deleted, added = load_hangzhou(store)
        before = store.log_entry(Actor.system(), 2).time
        settings = Settings(store=store.url, api_keys=KEYS, ogcapi_max_limit=MAX_LIMIT)
        with TestClient(create_app(settings, store=store)) as client:
            yield Served(store, client, renamed, deleted, added, before)

    with backend_store(request.param, tmp_path_factory.mktemp("ogc")) as store:
        yield from run(store)
