"""HTML pages of the OGC API (Chinese first, English second). Every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

import orjson


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · OGC API</title>
<style>body{{font-family:sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem;
text-align:left;vertical-align:top}}code,pre{{font-size:.85rem}}nav a{{margin-right:1rem}}
</style></head><body>
<nav><a href="/ogcapi/">OGC API</a><a href="/ogcapi/collections?f=html">集合 / collections</a></nav>
<h1>{escape(title)}</h1>
{body}
</body></html>"""


def _a(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def _links(links: list[dict[str, Any]]) -> str:
    rows = "".join(f"<li>{_a(link['href'], link.get('title') or link['rel'])} "
                   f"<small>({escape(link['rel'])}, {escape(link.get('type', ''))})</small></li>"
                   for link in links)
    return f"<ul>{rows}</ul>"


def landing(body: dict[str, Any], key: str) -> str:
    return _page(body["title"], f"<p>{escape(body['description'])}</p>"
                 "<h2>链接 / Links</h2>" + _links(body["links"]))


def conformance(classes: list[str]) -> str:
    rows = "".join(f"<li><code>{escape(c)}</code></li>" for c in classes)
    return _page("符合性声明 / Conformance", f"<ul>{rows}</ul>")


def api(doc: dict[str, Any]) -> str:
    paths = "".join(f"<li><code>{escape(p)}</code> — {escape(v['get'].get('summary', ''))}</li>"
                    for p, v in doc["paths"].items())
    return _page("API 文档 / API definition",
                 f"<p>OpenAPI {escape(doc['openapi'])}: <a href=\"?f=json\">JSON</a></p>"
                 f"<ul>{paths}</ul>")


def _extent(c: dict[str, Any]) -> str:
    spatial = c.get("extent", {}).get("spatial", {}).get("bbox")
    temporal = c.get("extent", {}).get("temporal", {}).get("interval")
    parts = []
    if spatial:
        parts.append("范围 / bbox: " + ", ".join(f"{v:.5f}" for v in spatial[0]))
    if temporal:
        parts.append(f"首次发布 / first published: {temporal[0][0]}")
    return escape("; ".join(parts))


def _html_link(c: dict[str, Any]) -> str:
    return next(link["href"] for link in c["links"] if link["type"] == "text/html")


def collections(body: dict[str, Any], key: str) -> str:
    rows = "".join(
        f"<tr><td>{_a(_html_link(c), c['title'])}</td><td><code>{escape(c['id'])}</code></td>"
        f"<td>{escape(c.get('geometryType', ''))}</td><td>{_extent(c)}</td>"
        f"<td>{escape(c.get('attribution', ''))}</td></tr>" for c in body["collections"])
    return _page("要素集合 / Collections",
                 "<table><tr><th>名称 / Title</th><th>标识 / Id</th><th>几何 / Geometry</th>"
                 f"<th>范围 / Extent</th><th>署名 / Attribution</th></tr>{rows}</table>")


def collection(body: dict[str, Any], key: str) -> str:
    return _page(body["title"], f"<p>{escape(body.get('description', ''))}</p>"
                 f"<p>{_extent(body)}</p><p>{escape(body.get('attribution', ''))}</p>"
                 "<h2>链接 / Links</h2>" + _links(body["links"]))


def _text(value: Any) -> str:
    """A property value as table text; an empty (null) value is an empty cell."""
    return "" if value is None else str(value)


def items(cid: str, body: dict[str, Any], key: str) -> str:
    feats = body["features"]
    names = list(dict.fromkeys(k for f in feats for k in f["properties"]))
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><td>{_a('items/' + str(f['id']) + key, str(f['id']))}</td>"
        + "".join(f"<td>{escape(_text(f['properties'].get(n)))}</td>" for n in names)
        + "</tr>" for f in feats)
    matched = body.get("numberMatched")
    count = f"{body['numberReturned']} / {matched}" if matched is not None else str(
        body["numberReturned"])
    return _page(f"{cid} · 要素 / Items",
                 f"<p>返回 / returned: {escape(count)}</p>" + _links(body["links"])
                 + f"<table><tr><th>id</th>{head}</tr>{rows}</table>")


def item(cid: str, feature: dict[str, Any], key: str) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_text(v))}</td></tr>"
                   for k, v in feature["properties"].items())
    geometry = orjson.dumps(feature["geometry"]).decode()[:4000]
    return _page(f"{cid} · {feature['id']}",
                 f"<table>{rows}</table><h2>几何 / Geometry</h2><pre>{escape(geometry)}</pre>"
                 + _links(feature["links"]))


def queryables(cid: str, body: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td><code>{escape(n)}</code></td><td>{escape(str(p.get('type', '')))}"
                   f"{escape(str(p.get('format', '')))}</td></tr>"
                   for n, p in body["properties"].items())
    return _page(f"{cid} · 可查询属性 / Queryables",
                 f"<table><tr><th>属性 / Property</th><th>类型 / Type</th></tr>{rows}</table>")
