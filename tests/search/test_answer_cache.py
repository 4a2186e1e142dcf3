"""Place-name answers kept in memory (http.fast_answers) on both backends: a repeated request
gets the very bytes and headers the app sent, never an answer older than the data (a
publication here or in another process, a catalogue edit), never another scope's answer, and
errors are never kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import shapely
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.errors import StoreError
from mapnode.http.app import create_app
from mapnode.http.fast_answers import Answer, Answers
from mapnode.model import Actor, Changeset, Edition, Operation, OpKind
from mapnode.store import VersionedStore
from mapnode.store.base import StoreState
from tests.search import data

KEYS = {"gov-key": {"name": "规划局", "edition": "government"}}
LAYERS = ("admin_provinces", "admin_cities", "admin_counties", "admin_seats", "poi_points")


def client(store: VersionedStore, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(store=store.url, api_keys=KEYS, **settings),
                                 store=store))


def served(c: TestClient) -> int:
    return c.app.answers.served  # type: ignore[attr-defined]


def test_a_repeated_request_gets_the_same_bytes_from_memory(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=LAYERS)
    requests = [("/api/search", {"q": "西湖"}), ("/api/suggest", {"q": "hz"}),
                ("/api/geocode", {"address": "杭州市西湖区"}),
                ("/api/reverse", {"lon": "120.15", "lat": "30.26"}),
                ("/api/admin/330106", {}), ("/api/admin", {"keyword": "西湖"}),
                ("/v2/search", {"type": "query", "postStr": '{"keyWord":"西湖","level":12,'
                                '"mapBound":"119,29,121,31","queryType":1,"start":0,"count":5}'}),
                ("/geocoder", {"ds": '{"keyWord":"杭州市西湖区"}'}),
                ("/v2/administrative", {"keyword": "杭州市", "childLevel": "1"})]
    with client(store) as c, client(store, answer_memory_mb=0) as plain:
        assert plain.app.answers is None  # type: ignore[attr-defined]
        for path, params in requests:
            first = c.get(path, params=params)
            assert first.status_code == 200, (path, first.text)
            before = served(c)
            again = c.get(path, params=params)
            assert served(c) == before + 1, path
            assert again.content == first.content and again.headers == first.headers
            without = plain.get(path, params=params)
            assert without.content == first.content, path
            assert without.headers == first.headers, path


def test_a_publication_here_reaches_the_next_request(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=LAYERS)
    with client(store) as c:
        assert c.get("/api/search", params={"q": "之江实验室"}).json()["numberMatched"] == 0
        assert c.get("/api/search", params={"q": "之江实验室"}).json()["numberMatched"] == 0
        _add_poi(store, "之江实验室图书馆")
        found = c.get("/api/search", params={"q": "之江实验室"}).json()
        assert [f["properties"]["name"] for f in found["features"]] == ["之江实验室图书馆"]


def test_a_publication_by_another_process_is_seen_within_a_second(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=LAYERS)
    with client(store) as c:
        for _ in range(3):
            assert c.get("/api/search", params={"q": "良渚文化村图书馆"}).json()[
                "numberMatched"] == 0
        script = textwrap.dedent(f"""
            import shapely
            from mapnode.model import Actor, Changeset, Operation, OpKind
            from mapnode.store import open_store
            store = open_store({store.url!r})
            store.apply(Actor.system(), Changeset("editor", "add", operations=[Operation(
                OpKind.INSERT, "poi_points", "other-process", shapely.Point(120.0, 30.4),
                {{"amenity": "library", "name": "良渚文化村图书馆"}})]))
        """)
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
        t0 = time.monotonic()
        while c.get("/api/search", params={"q": "良渚文化村图书馆"}).json()["numberMatched"] == 0:
            assert time.monotonic() - t0 < 1.0, "another process's publication not seen"


def test_scopes_never_share_answers_and_errors_are_not_kept(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=LAYERS)
    data.load(store, system, slices, layers=("stations",),
              stations={"edition": Edition.GOVERNMENT})
    station = next(f.properties["name"] for f in store.features(system, "stations")
                   if f.properties.get("name"))
    with client(store) as c:
        def layers(**params: str) -> set[str]:
            body = c.get("/api/search", params={"q": station, **params}).json()
            return {f["properties"]["layer"] for f in body["features"]}

        for _ in range(2):
            assert "stations" in layers(tk="gov-key")
            assert "stations" not in layers()
            assert "stations" in layers(tk="gov-key")
        kept = len(c.app.answers.answers)  # type: ignore[attr-defined]
        for _ in range(2):
            assert c.get("/api/search", params={"q": ""}).status_code == 400
            assert c.get("/api/search", params={"q": station, "tk": "nobody"}).status_code == 401
        assert len(c.app.answers.answers) == kept  # type: ignore[attr-defined]
        # a catalogue edit (no log entry) is a new state: the public answer changes at once
        meta = store.layer(system, "stations")
        store.update_layer(system, type(meta).from_dict({**meta.to_dict(), "edition": "public"}))
        assert "stations" in layers()


def test_answers_are_bounded_and_belong_to_one_state() -> None:
    now, later = StoreState(5, 1), StoreState(6, 1)
    answers = Answers(max_bytes=1000)
    key = ("/api/search", b"q=a", b"host", "public")
    answers.put(key, Answer(now, [], b"x" * 100))
    assert answers.get(key, now) is not None and answers.get(key, later) is None
    for i in range(20):
        answers.put(("/api/search", f"q={i}".encode(), b"host", "public"),
                    Answer(now, [], b"y" * 100))
    assert len(answers) <= 9 and answers.get(key, now) is None  # least recently used went first
    answers.put(key, Answer(later, [], b"z"))
    assert len(answers) == 1 and answers.get(key, later) is not None
    answers.put(("/big", b"", b"", "public"), Answer(later, [], b"b" * 2000))
    assert len(answers) == 1


def _add_poi(store: VersionedStore, name: str) -> None:
    store.apply(Actor.system(), Changeset("editor", "add", operations=[Operation(
        OpKind.INSERT, "poi_points", "test-" + name, shapely.Point(120.15, 30.26),
        {"amenity": "library", "name": name})]))


def test_when_the_state_cannot_be_read_the_app_answers(
        store: VersionedStore, system: Actor, slices: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    data.load(store, system, slices, layers=LAYERS)
    with client(store) as c:
        expected = c.get("/api/search", params={"q": "西湖"}).content

        def broken() -> StoreState:
            raise StoreError("连接中断", "connection lost")

        monkeypatch.setattr(store, "state", broken)
        c.app.answers.watch.close()  # type: ignore[attr-defined]
        c.app.answers.watch.state = None  # type: ignore[attr-defined]
        for _ in range(2):
            again = c.get("/api/search", params={"q": "西湖"})
            assert again.status_code == 200 and again.content == expected
