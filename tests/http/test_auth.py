"""Keys resolve to actors in one middleware; the store then decides what each actor sees."""

from __future__ import annotations

from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Edition, LayerMeta
from mapnode.store import VersionedStore


def _client(store: VersionedStore) -> TestClient:
    settings = Settings(store=store.url, api_keys={
        "gov-key": {"name": "城管局", "edition": "government"}})
    return TestClient(create_app(settings, store=store))


def test_keys_decide_which_layers_are_listed(store: VersionedStore, system: Actor) -> None:
    store.create_layer(system, LayerMeta("public_roads", title_zh="道路"))
    store.create_layer(system, LayerMeta("pipes", title_zh="地下管线", edition=Edition.GOVERNMENT))
    with _client(store) as client:
        anonymous = {m["name"] for m in client.get("/api/layers").json()["layers"]}
        by_tk = {m["name"] for m in client.get("/api/layers?tk=gov-key").json()["layers"]}
        by_header = {m["name"] for m in client.get(
            "/api/layers", headers={"X-API-Key": "gov-key"}).json()["layers"]}
        bearer = client.get("/api/layers", headers={"Authorization": "Bearer gov-key"})
        bad = client.get("/api/layers?tk=nope")
    assert anonymous == {"public_roads"}
    assert by_tk == by_header == {"public_roads", "pipes"}
    assert {m["name"] for m in bearer.json()["layers"]} == {"public_roads", "pipes"}
    assert bad.status_code == 401
    assert bad.headers["content-type"].startswith("application/problem+json")
