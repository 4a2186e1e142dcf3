"""The place-name API over HTTP on both backends: freshness after a published changeset, access
by edition, problem JSON for bad input, and a rebuild with progress."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import shapely
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor, Changeset, Edition, Operation, OpKind, Role
from mapnode.services.search import PlacesService
from mapnode.store import VersionedStore
from tests.search import data

EDITOR = Actor("editor", Edition.GOVERNMENT, frozenset({Role.READER, Role.EDITOR}))
SMALL = ("poi_points", "admin_provinces", "admin_cities", "admin_counties", "admin_seats")


def client(store: VersionedStore) -> TestClient:
    settings = Settings(store=store.url, api_keys={"gov-key": {"name": "规划局",
                                                               "edition": "government"}})
    return TestClient(create_app(settings, store=store))


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [f["properties"]["name"] for f in response.json()["features"]]


def test_published_changeset_is_searchable_within_a_second(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=SMALL)
    with client(store) as c:
        assert names(c.get("/api/search", params={"q": "西湖"}))  # index built on first use
        poi = next(iter(store.features(system, "poi_points", limit=1)))
        new = {"amenity": "library", "name": "之江实验室图书馆"}
        t0 = time.monotonic()
        store.apply(system, Changeset("editor", "add", operations=[Operation(
            OpKind.INSERT, "poi_points", "test-new", shapely.Point(120.15, 30.26), new)]))
        while "之江实验室图书馆" not in names(c.get("/api/search", params={"q": "之江实验室"})):
            assert time.monotonic() - t0 < 1.0
        assert time.monotonic() - t0 < 1.0
        renamed = {**poi.properties, "name": "钱塘江观潮点测试"}
        store.apply(system, Changeset("editor", "rename", operations=[Operation(
            OpKind.UPDATE, "poi_points", poi.fid, poi.geometry, renamed, poi.version)]))
        assert names(c.get("/api/search", params={"q": "钱塘江观潮点测试"})) == ["钱塘江观潮点测试"]
        if poi.properties.get("name"):
            old = c.get("/api/search", params={"q": poi.properties["name"], "limit": 100}).json()
            assert poi.fid not in {fid for f in old["features"] for fid in f["properties"]["fids"]}
        store.apply(system, Changeset("editor", "remove", operations=[Operation(
            OpKind.DELETE, "poi_points", "test-new", base_version=1)]))
        assert "之江实验室图书馆" not in names(c.get("/api/search", params={"q": "之江实验室"}))


def test_entries_of_hidden_layers_are_never_returned(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=("admin_provinces", "admin_cities", "admin_counties",
                                             "admin_seats", "poi_points"))
    data.load(store, system, slices, layers=("stations",),
              stations={"edition": Edition.GOVERNMENT})
    station = next(f.properties["name"] for f in store.features(system, "stations")
                   if f.properties.get("name"))
    with client(store) as c:
        for path, key in (("/api/search", "features"), ("/api/suggest", "suggestions")):
            public = c.get(path, params={"q": station}).json()[key]
            gov = c.get(path, params={"q": station, "tk": "gov-key"}).json()[key]
            assert all(x.get("layer", "poi_points") != "stations" for x in public)
            assert station not in [x.get("name", x.get("text")) for x in public if
                                   x.get("properties", {}).get("layer") == "stations"]
            assert any(station == (x.get("text") or x["properties"]["name"]) for x in gov)
        all_public = c.get("/api/search", params={"kind": "poi", "limit": 100,
                                                  "bbox": ",".join(map(str, data.BOX))}).json()
        assert all(f["properties"]["layer"] != "stations" for f in all_public["features"])
        pub_counts = c.get("/api/search", params={"q": station, "counts": "true"}).json()
        gov_counts = c.get("/api/search", params={"q": station, "counts": "true",
                                                  "tk": "gov-key"}).json()
        assert sum(x["count"] for x in gov_counts["counts"]) > \
            sum(x["count"] for x in pub_counts["counts"])
        # the layer becomes public: the next request sees it, no rebuild needed
        meta = store.layer(system, "stations")
        store.update_layer(system, type(meta).from_dict({**meta.to_dict(), "edition": "public"}))
        assert any(f["properties"]["layer"] == "stations" for f in
                   c.get("/api/search", params={"q": station}).json()["features"])


def problem(response: Any, parameter: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"]["parameter"] == parameter, body
    assert body["title"] and body["title_en"]
    return body


def test_bad_input_is_a_problem_naming_the_parameter(
        store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=("admin_provinces", "admin_cities"))
    with client(store) as c:
        problem(c.get("/api/search", params={"q": ""}), "q")
        problem(c.get("/api/search", params={"q": "   "}), "q")
        problem(c.get("/api/search"), "q")
        problem(c.get("/api/search", params={"q": "杭" * 101}), "q")
        swapped = problem(c.get("/api/search", params={"q": "医院", "lon": "30.25", "lat": "120.16",
                                                       "radius": "500"}), "lat")
        assert "颠倒" in swapped["title"] and "swapped" in swapped["title_en"]
        problem(c.get("/api/reverse", params={"lon": "200", "lat": "30"}), "lon")
        problem(c.get("/api/reverse", params={"lon": "abc", "lat": "30"}), "lon")
        problem(c.get("/api/reverse", params={"lon": "120.1"}), "lat")
        problem(c.get("/api/search", params={"q": "医院", "lon": "120.16", "lat": "30.25",
                                             "radius": "500000"}), "radius")
        problem(c.get("/api/search", params={"q": "医院", "radius": "500"}), "radius")
        problem(c.get("/api/search", params={"q": "医院", "lon": "nan", "lat": "30"}), "lon")
        problem(c.get("/api/search", params={"q": "x", "bbox": "1,2,3"}), "bbox")
        problem(c.get("/api/search", params={"q": "x", "bbox": "121,30,120,31"}), "bbox")
        problem(c.get("/api/search", params={"q": "x", "limit": "0"}), "limit")
        problem(c.get("/api/search", params={"q": "x", "limit": "1e9"}), "limit")
        problem(c.get("/api/search", params={"q": "x", "offset": "-1"}), "offset")
        problem(c.get("/api/search", params={"q": "x", "admin": "33'--"}), "admin")
        problem(c.get("/api/search", params={"q": "x", "polygon": "POLYGON((bad"}), "polygon")
        problem(c.get("/api/search", params={"q": "x", "kind": "table"}), "kind")
        problem(c.get("/api/geocode", params={"address": ""}), "address")
        problem(c.get("/api/admin", params={"keyword": ""}), "keyword")
        problem(c.get("/api/admin/33x"), "code")
        assert c.get("/api/admin/999999").status_code == 404
        for text in ("'; DROP TABLE search_entries; --", "%_\\", '"*NEAR(', "杭州' OR 1=1"):
            assert c.get("/api/search", params={"q": text}).status_code == 200
            assert c.get("/api/suggest", params={"q": text}).status_code == 200
            assert c.get("/api/geocode", params={"address": text}).status_code == 200
        assert c.get("/api/search", params={"q": "杭州"}).json()["numberMatched"] >= 1


def test_admin_endpoints_and_openapi(store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=("admin_provinces", "admin_cities", "admin_counties",
                                             "admin_townships", "admin_seats"))
    with client(store) as c:
        body = c.get("/api/admin/330106").json()
        assert body["name"] == "西湖区" and body["full_name"] == "浙江省杭州市西湖区"
        assert [d["code"] for d in body["chain"]] == ["330000", "330100", "330106"]
        townships = {d["name"] for d in body["children"]}
        assert "西湖街道" in townships and all(d["level"] == "township" for d in body["children"])
        found = c.get("/api/admin", params={"keyword": "hz"}).json()["divisions"]
        assert found[0]["name"] == "杭州市"
        assert c.get("/api/admin", params={"keyword": "西湖区"}).json()["divisions"][0]["code"] in (
            "330106", "360103")
        spec = c.get("/api/places/openapi.json").json()
        assert {"/api/search", "/api/suggest", "/api/geocode", "/api/reverse"} <= set(spec["paths"])
        reverse = c.get("/api/reverse", params={"lon": "120.13", "lat": "30.26"}).json()
        assert reverse["admin"][1]["code"] == "330100"


def test_rebuild_reports_progress(store: VersionedStore, system: Actor, slices: Path) -> None:
    data.load(store, system, slices, layers=("poi_points", "roads"))
    svc = PlacesService(store)
    calls: list[tuple[int, int]] = []
    seq = svc.gazetteer.rebuild(lambda done, total: calls.append((done, total)))
    assert seq == store.current_seq() == svc.gazetteer.indexed_seq()
    assert calls and calls[-1][0] == calls[-1][1] == store.count(system, "poi_points") + \
        store.count(system, "roads")
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
