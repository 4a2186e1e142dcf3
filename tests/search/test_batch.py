"""Batch geocoding on both backends: `mapnode geocode` as a real process (UTF-8 and GBK input,
progress bar, exit 2 on a bad file) and POST /api/geocode/batch (CSV and JSON, size limit),
with addresses built from the real door-numbered POIs of the Hangzhou slice."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.http.places import MAX_BATCH_ROWS
from mapnode.store.base import metric_distances
from tests.search.conftest import Loaded
from tests.search.test_search import named_pois


def door_rows(places: Loaded, n: int = 12) -> list[dict[str, Any]]:
    """Real door addresses (杭州市 + addr:street + addr:housenumber) with their points; an
    address that OSM gives to two places is left out (it has no single answer)."""
    def key(p: dict[str, Any]) -> tuple[str, str]:
        street = str(p.get("addr:street") or "")  # 延安路 Yan'an Road is 延安路 too
        return ("".join(c for c in street if "\u4e00" <= c <= "\u9fff"),
                str(p.get("addr:housenumber") or "").removesuffix("号"))

    pois = named_pois(places)
    uses = Counter(key(p) for p in pois)
    out = []
    for p in pois:
        street, number = key(p)
        if street and number.isdigit() and uses[(street, number)] == 1 and \
                p["geometry"].geom_type == "Point":
            out.append({"地址": f"杭州市{p['addr:street']}{number}号", "名称": p["name"],
                        "geom": p["geometry"]})
    assert len(out) >= n
    return out[:n]


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "名称", "地址"])
        for i, r in enumerate(rows):
            w.writerow([i, r["名称"], r["地址"]])


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def check(rows: list[dict[str, Any]], out: list[dict[str, str]]) -> None:
    assert len(out) == len(rows)
    for r, o in zip(rows, out, strict=True):
        assert o["地址"] == r.get("地址", "")
        if "geom" in r:
            assert o["level"] == "door", (r, o)
            metres = float(metric_distances(float(o["lon"]), float(o["lat"]), [r["geom"]])[0])
            assert metres <= 50, (r["地址"], metres)
            assert 0 < float(o["confidence"]) <= 1 and o["admin_code"].startswith("3301")
            assert o["matched_name"]
        elif r.get("expect") == "county":
            assert o["level"] == "county" and o["admin_code"] == "330106"
        else:
            assert o["level"] == "none" and o["lon"] == "" and o["lat"] == ""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mapnode.cli", "geocode", *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_geocodes_utf8_and_gbk_files(places: Loaded, tmp_path: Path) -> None:
    rows = [*door_rows(places), {"地址": "浙江省杭州市西湖区", "名称": "区", "expect": "county"},
            {"地址": "", "名称": "空"}, {"地址": "qqqq zzzz", "名称": "乱码"}]
    outputs = []
    for enc in ("utf-8", "gbk"):
        src, dst = tmp_path / f"in-{enc}.csv", tmp_path / f"out-{enc}.csv"
        write_csv(src, rows, enc)
        done = cli(str(src), "-o", str(dst), "--address-column", "地址", "--store", places.store.url)
        assert done.returncode == 0, done.stderr
        assert "地理编码 / geocoding" in done.stderr and "100%" in done.stderr  # the tqdm bar
        out = read_csv(dst.read_bytes())
        check(rows, out)
        outputs.append(out)
    assert outputs[0] == outputs[1]


def test_cli_bad_files_exit_2(places: Loaded, tmp_path: Path) -> None:
    no_column = tmp_path / "cols.csv"
    no_column.write_text("名称,城市\n西湖,杭州\n", encoding="utf-8")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x80\xff\xfe\x00\x81" * 50)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, words in ((no_column, "地址"), (binary, "UTF-8"), (empty, "为空"),
                        (tmp_path / "missing.csv", "missing.csv")):
        done = cli(str(path), "-o", str(tmp_path / "out.csv"), "--store", places.store.url)
        assert done.returncode == 2, (path, done.stdout, done.stderr)
        assert words in done.stderr and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def client(places: Loaded) -> Any:
    with TestClient(create_app(Settings(store=places.store.url), store=places.store)) as c:
        yield c


def test_http_batch_csv_and_json(places: Loaded, client: TestClient) -> None:
    rows = [*door_rows(places, 6), {"地址": "", "名称": "空"}]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["名称", "地址"])
    w.writerows([[r["名称"], r["地址"]] for r in rows])
    r = client.post("/api/geocode/batch", content=buf.getvalue().encode("gbk"),
                    headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    check(rows, read_csv(r.content))
    addresses = [x["地址"] for x in rows[:3]]
    j = client.post("/api/geocode/batch", json=[addresses[0], {"address": addresses[1]}])
    assert j.status_code == 200
    results = j.json()["results"]
    assert [x["address"] for x in results] == addresses[:2]
    assert all(x["level"] == "door" for x in results)


def test_http_batch_bad_input(client: TestClient) -> None:
    def problem(r: Any, status: int) -> dict[str, Any]:
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["title"] and body["title_en"]
        return body

    problem(client.post("/api/geocode/batch", content=b"[bad",
                        headers={"content-type": "application/json"}), 400)
    problem(client.post("/api/geocode/batch", json={"address": "x"}), 400)
    problem(client.post("/api/geocode/batch", content="名称\n西湖\n".encode(),
                        headers={"content-type": "text/csv"}), 400)
    problem(client.post("/api/geocode/batch", content=b"<xml/>",
                        headers={"content-type": "application/xml"}), 400)
    problem(client.post("/api/geocode/batch", json=["杭州"] * (MAX_BATCH_ROWS + 1)), 413)
    problem(client.post("/api/geocode/batch", content=b"a" * 2_000_001,
                        headers={"content-type": "text/csv"}), 413)
    assert client.get("/api/geocode/batch").status_code == 405
    assert json.loads(client.get("/api/places/openapi.json").content)["paths"][
        "/api/geocode/batch"]["post"]
