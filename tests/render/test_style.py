"""The map styles over HTTP: valid MapLibre style JSON (checked by the style spec's own
validator), every source layer a layer the caller may see, every icon in the sprite's list,
glyph and sprite URLs of the right shape with the caller's key, and every style layer one the
server renderer can translate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mapnode.render.mapnik_xml import style_xml
from mapnode.styles import FONTS, ICONS
from tests.render.conftest import GOV_KEY
from tests.support.data import REPO

VALIDATE = REPO / "web" / "node_modules" / ".bin" / "gl-style-validate"


def strings(value: Any) -> set[str]:
    """Every string output of an expression (icon names in `match` outputs and defaults)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list) and value and value[0] == "match":
        outs = [value[i] for i in range(3, len(value) - 1, 2)] + [value[-1]]
        return set().union(*(strings(o) for o in outs))
    return set()


def validate(style: dict[str, Any], tmp_path: Path) -> str:
    path = tmp_path / "style.json"
    path.write_text(json.dumps(style, ensure_ascii=False))
    done = subprocess.run([str(VALIDATE), str(path)], capture_output=True, text=True, timeout=60)
    return (done.stdout + done.stderr).strip() if done.returncode else ""


def test_styles_are_listed(client: TestClient) -> None:
    body = client.get(f"/styles?tk={GOV_KEY}").json()
    assert [s["id"] for s in body["styles"]] == ["basemap", "labels", "imagery"]
    assert body["styles"][0]["url"] == f"http://testserver/styles/basemap.json?tk={GOV_KEY}"
    assert all(s["title"] and s["title_en"] for s in body["styles"])


@pytest.mark.parametrize("style_id", ["basemap", "labels", "imagery"])
def test_style_json_is_valid(client: TestClient, style_id: str, tmp_path: Path) -> None:
    style = client.get(f"/styles/{style_id}.json").json()
    assert validate(style, tmp_path) == ""
    visible = {m["name"]: m for m in client.get("/api/layers").json()["layers"]}
    assert style["version"] == 8 and style["layers"]
    assert style["glyphs"] == "http://testserver/fonts/{fontstack}/{range}.pbf"
    assert style["sprite"] == "http://testserver/sprites/mapnode"
    for layer in style["layers"]:
        if layer["type"] == "background":
            continue
        assert layer["source"] in style["sources"]
        if "source-layer" in layer:
            assert visible[layer["source-layer"]]["kind"] == "vector"
        layout = layer.get("layout", {})
        assert strings(layout.get("icon-image")) <= set(ICONS)
        assert set(layout.get("text-font", [])) <= set(FONTS)
        # the renderer translates every layer at every zoom it shows
        for zoom in (layer.get("minzoom", 0), 12, 15.5, 18):
            assert "<Style" in style_xml("t", layer, zoom, "polygon")
    kinds = {lyr["type"] for lyr in style["layers"]}
    if style_id == "basemap":
        assert {"background", "fill", "line", "symbol"} <= kinds
        assert {"water", "roads", "landuse", "pois"} <= {lyr.get("source-layer")
                                                         for lyr in style["layers"]}
        icons = set().union(*(strings(lyr.get("layout", {}).get("icon-image"))
                              for lyr in style["layers"]))
        assert {"poi-restaurant", "poi-school", "poi-default"} <= icons
        tiles = style["sources"]["mapnode"]["tiles"]
        assert tiles == ["http://testserver/tiles/basemap/WebMercatorQuad/{z}/{x}/{y}.mvt"]
    if style_id == "labels":
        assert kinds == {"symbol"}
        assert all(lyr["layout"]["text-field"] == ["get", "name"] for lyr in style["layers"])
    if style_id == "imagery":
        assert kinds == {"background", "raster"}
        assert sorted(style["sources"]) == ["raster-dem", "raster-landsat"]
        assert style["sources"]["raster-dem"]["tiles"] == [
            "http://testserver/tiles/dem/WebMercatorQuad/{z}/{x}/{y}.png"]


def test_validator_rejects_a_broken_style(client: TestClient, tmp_path: Path) -> None:
    style = client.get("/styles/basemap.json").json()
    style["layers"][1]["paint"]["fill-color"] = ["match", ["get", "fclass"], "x"]
    assert validate(style, tmp_path) != ""


def test_styles_follow_access_and_keep_the_key(client: TestClient) -> None:
    public = client.get("/styles/basemap.json").json()
    assert "gov_roads" not in json.dumps(public)
    gov = client.get(f"/styles/basemap.json?tk={GOV_KEY}").json()
    assert any(lyr.get("source-layer") == "gov_roads" for lyr in gov["layers"])
    assert gov["glyphs"].endswith(f".pbf?tk={GOV_KEY}")
    assert gov["sprite"].endswith(f"/sprites/mapnode?tk={GOV_KEY}")
    assert gov["sources"]["mapnode"]["tiles"][0].endswith(f".mvt?tk={GOV_KEY}")
