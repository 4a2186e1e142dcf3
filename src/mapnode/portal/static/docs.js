// The developer page: runnable examples (buttons that call the API and show the answer),
// the 天地图-compatible endpoints, and the OpenAPI documents rendered as path/parameter lists.

import { boot, esc, getJSON, withKey } from "./boot.js";
import { apply, getLang, onLang, pick, setLang, t } from "./i18n.js";

const HZ = "119.9,30.0,120.5,30.5";
const EXAMPLES = [
  ["地名搜索", "Search places", "/api/search?q=西湖&limit=5"],
  ["输入提示", "Suggestions", "/api/suggest?q=xh&limit=5"],
  ["地理编码", "Geocode", "/api/geocode?address=浙江省杭州市西湖区"],
  ["逆地理编码", "Reverse geocode", "/api/reverse?lon=120.148&lat=30.245"],
  ["行政区划", "Divisions", "/api/admin?keyword=杭州"],
  ["图层目录", "Layer catalogue", "/api/layers"],
  ["变更日志", "Change log", "/api/log?limit=5"],
  ["节点信息（页脚）", "Node facts (footer)", "/api/config"],
  ["基础底图 TileJSON", "Base map TileJSON", "/tiles/basemap/w/tilejson.json"],
];
const TIANDITU = [
  ["tianditu_search", "地名搜索 v2", "Place search v2",
    `/v2/search?type=query&postStr=${encodeURIComponent(JSON.stringify({ keyWord: "西湖", level: 12, mapBound: HZ, queryType: 1, start: 0, count: 5 }))}`],
  ["tianditu_geocoder", "地理编码", "Geocoder", `/geocoder?ds=${encodeURIComponent(JSON.stringify({ keyWord: "杭州市西湖区" }))}`],
  ["tianditu_geocoder", "逆地理编码", "Reverse geocoder",
    `/geocoder?type=geocode&postStr=${encodeURIComponent(JSON.stringify({ lon: 120.148, lat: 30.245, ver: 1 }))}`],
  ["tianditu_admin", "行政区划", "Administrative divisions", "/v2/administrative?keyword=杭州&childLevel=1"],
  ["tianditu_wmts", "矢量底图 WMTS（_w）", "Vector WMTS (_w)", "/vec_w/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"],
  ["tianditu_wmts", "矢量底图 WMTS（_c）", "Vector WMTS (_c)", "/vec_c/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"],
];
const PORTAL_API = {
  "/api/config": { get: { summary: "页脚信息 / footer facts (attribution, 审图号, operator)", parameters: [] } },
  "/api/log": { get: { summary: "变更日志 / the change log as the caller may see it", parameters: [
    { name: "since", in: "query", schema: { type: "integer" } }, { name: "limit", in: "query", schema: { type: "integer" } }] } },
  "/api/diff": { get: { summary: "变化提取 / what changed between two seqs or instants", parameters: [
    { name: "from", in: "query", required: true, description: "seq 或 RFC 3339", schema: { type: "string" } },
    { name: "to", in: "query", description: "seq 或 RFC 3339（默认：现在）", schema: { type: "string" } },
    { name: "layer", in: "query", description: "图层，逗号分隔 / layers", schema: { type: "string" } },
    { name: "bbox", in: "query", schema: { type: "string" } }, { name: "limit", in: "query", schema: { type: "integer" } }] } },
  "/api/layers/{name}/download": { get: { summary: "下载 / download (GeoJSON, GeoPackage, Shapefile zip, CSV)", parameters: [
    { name: "name", in: "path", required: true, schema: { type: "string" } },
    { name: "f", in: "query", description: "geojson | gpkg | shp | csv", schema: { type: "string" } },
    { name: "datetime", in: "query", description: "seq 或 RFC 3339", schema: { type: "string" } }] } },
};

function runner(title, url) {
  return `<div class="op example"><div><strong>${esc(title)}</strong> <button type="button" class="run" data-url="${esc(url)}">${t("docs.run")}</button></div>`
    + `<code>GET ${esc(decodeURIComponent(url))}</code><div class="status"></div><pre hidden></pre></div>`;
}

async function run(button) {
  const box = button.closest(".op");
  const out = box.querySelector("pre");
  const status = box.querySelector(".status");
  const r = await fetch(withKey(button.dataset.url));
  const text = await r.text();
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* XML or text */ }
  status.textContent = `HTTP ${r.status} · ${r.headers.get("content-type") || ""}`;
  box.dataset.status = r.status;
  out.textContent = shown.length > 20000 ? `${shown.slice(0, 20000)}\n…` : shown;
  out.hidden = false;
}

function resolve(doc, p) {
  if (!p.$ref) return p;
  return p.$ref.replace(/^#\//, "").split("/").reduce((o, k) => o?.[k], doc) ?? p;
}

function renderOpenApi(title, doc) {
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "delete"].includes(method)) continue;
      const params = (op.parameters || []).map((p) => resolve(doc, p));
      const rows = params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td>`
        + `<td>${esc(p.schema?.type || "")}</td><td>${p.required ? t("docs.required") : ""}</td><td>${esc(p.description || "")}</td></tr>`).join("");
      const runnable = method === "get" && !path.includes("{") && !params.some((p) => p.required);
      const prefix = doc.servers?.[0]?.url ? new URL(doc.servers[0].url, location.href).pathname.replace(/\/$/, "") : "";
      ops.push(`<div class="op" data-path="${esc(path)}"><span class="method">${method.toUpperCase()}</span><code>${esc(path)}</code>`
        + `${runnable ? ` <button type="button" class="run" data-url="${esc(prefix + path)}">${t("docs.run")}</button>` : ""}`
        + `<p>${esc(op.summary || op.description || "")}</p>${rows ? `<table><tr><th>${t("docs.params")}</th><th></th><th></th><th></th><th></th></tr>${rows}</table>` : ""}`
        + `<div class="status"></div><pre hidden></pre></div>`);
    }
  }
  return `<h3>${esc(title)}</h3>${ops.join("")}`;
}

async function render() {
  apply();
  document.getElementById("examples").innerHTML = `<h2>${t("docs.examples")}</h2>`
    + EXAMPLES.map(([zh, en, url]) => runner(pick(zh, en), url)).join("");
  const tdt = TIANDITU.filter(([service]) => boot.services[service]);
  document.getElementById("tianditu").innerHTML = `<h2>${t("docs.tianditu")}</h2>`
    + (tdt.length ? tdt.map(([, zh, en, url]) => runner(pick(zh, en), url)).join("") : `<p>${t("res.unavailable")}</p>`);
  const section = document.getElementById("openapi");
  const parts = [`<h2>${t("docs.openapi")}</h2>`, renderOpenApi(t("docs.portal"), { paths: PORTAL_API })];
  for (const [title, url] of [["OGC API – Features (/ogcapi/api)", "/ogcapi/api?f=json"], ["地名服务 / Place names", "/api/places/openapi.json"]]) {
    try {
      const doc = await getJSON(url);
      parts.push(renderOpenApi(title, doc));
    } catch (err) {
      parts.push(`<h3>${esc(title)}</h3><p>${t("err.network")}: ${esc(err.message)}</p>`);
    }
  }
  section.innerHTML = parts.join("");
  document.body.dataset.ready = "1";
}

document.getElementById("docs").addEventListener("click", (e) => {
  const b = e.target.closest("button.run");
  if (b) run(b).catch((err) => { b.closest(".op").querySelector(".status").textContent = err.message; });
});
document.getElementById("lang").addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh"));
onLang(render);
render();
