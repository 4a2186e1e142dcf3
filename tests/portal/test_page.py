"""The portal page and its files as served: footer facts, the bootstrap JSON, access, the
vendored MapLibre build, safe static paths, the developer page."""

from __future__ import annotations

import json
import re

from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.http.portal import STATIC
from tests.portal.conftest import GOV_KEY, OPERATOR, OSM, REVIEW, City
from tests.support.data import REPO


def _boot(page: str) -> dict:  # type: ignore[type-arg]
    m = re.search(r'<script type="application/json" id="mapnode-boot">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def test_page_is_chinese_first_with_the_footer(client: TestClient, city: City) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN">' in page
    footer = page[page.index('<footer id="footer">'):]
    assert OSM in footer and REVIEW in footer and OPERATOR in footer
    boot = _boot(page)
    assert boot["config"]["map_review_number"] == REVIEW
    assert boot["config"]["seq"] == city.edit
    assert boot["services"]["ogcapi"] is True


def test_public_page_never_names_the_government_layer(client: TestClient) -> None:
    assert "gov_roads" not in client.get("/").text
    assert "<code>gov_roads</code>" in client.get(f"/?tk={GOV_KEY}").text
    assert "gov_roads" not in client.get("/api/layers").text


def test_no_outside_urls_in_the_page_or_scripts(client: TestClient) -> None:
    """No CDN: every script and stylesheet comes from this node."""
    page = client.get("/").text
    for src in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert src.startswith(("/", "#", "data:")), src
    for path in STATIC.glob("*.js"):
        assert not re.search(r"https?://(?!127\.0\.0\.1)", path.read_text()), path.name


def test_vendored_maplibre_is_the_npm_build(client: TestClient) -> None:
    r = client.get("/portal/static/vendor/maplibre-gl/maplibre-gl.js",
                   headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    npm = REPO / "web" / "node_modules" / "maplibre-gl"
    assert r.content == (npm / "dist" / "maplibre-gl.js").read_bytes()
    version = json.loads((npm / "package.json").read_text())["version"]
    assert version in (STATIC / "vendor" / "maplibre-gl" / "VERSION").read_text()
    assert client.get("/portal/static/vendor/maplibre-gl/LICENSE.txt").status_code == 200


def test_static_files_have_etags_and_stay_inside_the_folder(client: TestClient) -> None:
    r = client.get("/portal/static/main.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    again = client.get("/portal/static/main.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    for path in ["..%2Fhttp%2Fportal.py", "..%2F..%2Fconfig.py", "nothing.js", "vendor"]:
        bad = client.get(f"/portal/static/{path}")
        assert bad.status_code == 404, path
        assert bad.headers["content-type"] == "application/problem+json"


def test_developer_page(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "/portal/static/docs.js" in r.text
    assert client.get("/portal/static/docs.js").status_code == 200


def test_footer_facts_follow_the_settings(city: City) -> None:
    """审图号 and operator appear only when configured, escaped; attribution always."""
    def footer(**settings: str) -> str:
        app = create_app(Settings(store=city.store.url, **settings), store=city.store)
        with TestClient(app) as c:
            page = c.get("/").text
        return page[page.index('<footer id="footer">'):]

    bare = footer()
    assert OSM in bare and 'class="review"' not in bare and 'class="operator"' not in bare
    other = footer(map_review_number="GS(2026)0001号", operator="甲 & 乙 <测绘院>")
    assert "审图号：GS(2026)0001号" in other
    assert "甲 &amp; 乙 &lt;测绘院&gt;" in other and "<测绘院>" not in other
