"""The portal's JSON helpers on both backends: footer config, the log, diffs in view, downloads,
with access applied (a public caller never sees the government layer) and problem JSON for bad
input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
import pytest
from starlette.testclient import TestClient

from mapnode.model import Actor
from mapnode.portal.export import shapefile_names
from tests.portal.conftest import GOV_KEY, OPERATOR, OSM, REVIEW, City
from tests.store import hz

GOV = {"X-API-Key": GOV_KEY}


def test_config_has_the_footer_facts(client: TestClient, city: City) -> None:
    body = client.get("/api/config").json()
    assert body["map_review_number"] == REVIEW
    assert body["operator"] == OPERATOR
    assert body["attributions"] == [OSM]
    assert body["osm"] is True
    assert body["seq"] == city.edit


def test_log_shows_only_visible_layers(client: TestClient, city: City) -> None:
    public = client.get("/api/log").json()["entries"]
    assert [e["seq"] for e in public] == list(range(1, city.edit + 1))  # gapless
    hidden = next(e for e in public if e["seq"] == city.before_edit)
    assert hidden["layers"] == {} and hidden["message"] == ""
    edit = public[-1]
    assert set(edit["layers"]) == {"roads", "amenities"}
    assert edit["layers"]["roads"]["inserted"] == len(city.added)
    gov = client.get("/api/log", headers=GOV).json()["entries"]
    assert "gov_roads" in gov[city.before_edit - 1]["layers"]
    assert client.get("/api/log?since=2&limit=1").json()["entries"][0]["seq"] == 3


def test_diff_lists_added_changed_and_removed_with_names(client: TestClient, city: City) -> None:
    r = client.get(f"/api/diff?from={city.before_edit}&to={city.edit}")
    assert r.status_code == 200
    layers = {x["layer"]: x for x in r.json()["layers"]}
    assert set(layers) == {"roads", "amenities"}
    roads = layers["roads"]
    assert roads["counts"] == {"added": len(city.added), "changed": 1, "removed": 0}
    assert sorted(i["fid"] for i in roads["added"]) == sorted(city.added)
    changed = roads["changed"][0]
    assert changed["fid"] == city.renamed and changed["name"] == city.new_name
    assert changed["changed_fields"] == ["name"] and changed["geometry_changed"] is False
    assert layers["amenities"]["removed"][0]["fid"] == city.deleted
    assert layers["amenities"]["removed"][0]["geometry"]["type"] == "Point"


def test_diff_in_view_keeps_only_what_meets_the_bbox(client: TestClient, city: City) -> None:
    bbox = ",".join(str(v) for v in hz.BINJIANG_BOX)
    body = client.get(f"/api/diff?from={city.before_edit}&bbox={bbox}").json()
    assert [x["layer"] for x in body["layers"]] == ["roads"]  # the amenity was at West Lake
    roads = body["layers"][0]
    assert roads["counts"]["changed"] == 0
    assert {i["fid"] for i in roads["added"]} <= set(city.added) and roads["added"]
    nothing = client.get(f"/api/diff?from={city.edit}&to={city.edit}").json()
    assert nothing["layers"] == []


def test_diff_between_instants(client: TestClient, city: City) -> None:
    entries = client.get("/api/log").json()["entries"]
    before, after = entries[city.before_edit - 1]["time"], entries[-1]["time"]
    r = client.get("/api/diff", params={"from": before, "to": after, "layer": "amenities"})
    assert r.status_code == 200
    body = r.json()
    assert (body["from_seq"], body["to_seq"]) == (city.before_edit, city.edit)
    assert [x["layer"] for x in body["layers"]] == ["amenities"]


def test_diff_of_the_government_layer_is_hidden_from_the_public(client: TestClient,
                                                                city: City) -> None:
    r = client.get("/api/diff?from=0&layer=gov_roads")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "gov_roads" not in client.get("/api/diff?from=0").text
    gov = client.get("/api/diff?from=0&layer=gov_roads", headers=GOV).json()
    assert gov["layers"][0]["counts"]["added"] == len(hz.roads().rows)


@pytest.mark.parametrize("query, parameter", [
    ("", "from"), ("from=yesterday", "from"), ("from=1&to=2026-01-01T00:00", "to"),
    ("from=1&bbox=1,2,3", "bbox"), ("from=1&bbox=5,0,1,1", "bbox"), ("from=1&limit=0", "limit"),
    ("from=1&limit=abc", "limit")])
def test_bad_diff_parameters_are_400_problems(client: TestClient, query: str,
                                              parameter: str) -> None:
    r = client.get(f"/api/diff?{query}")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["detail"]["parameter"] == parameter
    assert body["title"] and body["title_en"]


def _read(content: bytes, name: str, tmp_path: Path) -> tuple[int, list[str], set[str]]:
    path = tmp_path / name
    path.write_bytes(content)
    meta, _, _, values = pyogrio.raw.read(path)
    fields = list(meta["fields"])
    names = set(values[fields.index("name")]) if "name" in fields else set()
    return len(values[0]), fields, names


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_download_formats_hold_the_current_data(client: TestClient, city: City, fmt: str,
                                                tmp_path: Path) -> None:
    r = client.get(f"/api/layers/roads/download?f={fmt}")
    assert r.status_code == 200, r.text
    assert f'filename="roads.{fmt}"' in r.headers["content-disposition"]
    count, fields, names = _read(r.content, f"roads.{fmt}", tmp_path)
    assert count == city.store.count(Actor.anonymous(), "roads")
    assert "fid" in fields and "fclass" in fields
    assert city.new_name in names


def test_download_as_a_past_state(client: TestClient, city: City, tmp_path: Path) -> None:
    r = client.get(f"/api/layers/roads/download?f=geojson&datetime={city.before_edit}")
    count, _, names = _read(r.content, "old.geojson", tmp_path)
    assert count == len(hz.roads().rows)
    assert city.new_name not in names


def test_download_shapefile_zip_keeps_chinese_names(client: TestClient, city: City,
                                                    tmp_path: Path) -> None:
    r = client.get("/api/layers/amenities/download?f=shp")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert {n.rsplit(".", 1)[1] for n in z.namelist()} >= {"shp", "shx", "dbf", "prj", "cpg"}
    z.extractall(tmp_path)
    meta, _, geoms, values = pyogrio.raw.read(tmp_path / "amenities.shp")
    assert len(geoms) == city.store.count(Actor.anonymous(), "amenities")
    names = {v for v in values[list(meta["fields"]).index("name")] if v}
    assert any("\u4e00" <= ch <= "\u9fff" for n in names for ch in n)
    assert pyogrio.read_info(tmp_path / "amenities.shp")["crs"] == "EPSG:4490"


def test_csv_of_points_has_x_and_y(client: TestClient) -> None:
    text = client.get("/api/layers/amenities/download?f=csv").text
    header = text.splitlines()[0].split(",")
    assert header[:2] == ["X", "Y"]
    x, y = (float(v) for v in text.splitlines()[1].split(",")[:2])
    assert 120.11 <= x <= 120.17 and 30.22 <= y <= 30.27


def test_downloads_honour_access(client: TestClient) -> None:
    r = client.get("/api/layers/gov_roads/download?f=gpkg")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/layers/gov_roads/download?f=gpkg", headers=GOV).status_code == 200
    bad = client.get("/api/layers/roads/download?f=xlsx")
    assert bad.status_code == 400 and bad.json()["detail"]["parameter"] == "f"


def test_shapefile_field_names_fit_and_stay_readable() -> None:
    names = ["fid", "name", "addr:street", "addr:streetname", "payment:杭州市民卡", "payment:杭州通",
             "payment:叮嗒出行"]
    short = shapefile_names(names)
    assert all(len(s.encode()) <= 10 for s in short.values())
    assert len({s.lower() for s in short.values()}) == len(names)  # unique
    assert short["name"] == "name" and short["addr:street"] == "addr_stree"
    assert short["payment:杭州市民卡"].startswith("payment_")
