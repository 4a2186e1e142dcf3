// Resource centre (资源中心): the layer catalogue with metadata and extent thumbnails, service
// URLs for both grids, copyable snippets (MapLibre, Leaflet, OpenLayers, QGIS) and downloads.
// Every <a class="res-link"> is a URL that answers 200 with a body of its data-kind.

import { boot, esc, getJSON, withKey } from "./boot.js";
import { pick, t } from "./i18n.js";
import { snippets } from "./snippets.js";

const GRIDS = ["w", "c"];
const DOWNLOADS = [["geojson", "GeoJSON", "geojson"], ["gpkg", "GeoPackage", "gpkg"],
  ["shp", "Shapefile (zip)", "zip"], ["csv", "CSV", "csv"]];

export function initResources(layers, { home = null } = {}) {
  const origin = location.origin;
  const services = boot.services;
  let extents = null, opened = false;

  const link = (url, text, kind) => `<a class="res-link" data-kind="${kind}" href="${esc(withKey(url))}" target="_blank" rel="noopener">${esc(text)}</a>`;
  const url = (u) => `<li><code>${esc(origin + u)}</code><button type="button" class="copy" data-copy="${esc(origin + u)}">${t("res.copy")}</button></li>`;

  function nodeServices() {
    const rows = [];
    const add = (label, u, kind) => rows.push(`<li>${esc(label)}: ${link(u, u, kind)}</li>`);
    for (const g of GRIDS) add(`${t("res.tiles")} TileJSON · ${t(`res.grid.${g}`)}`, `/tiles/basemap/${g}/tilejson.json`, "json");
    if (services.styles) for (const s of ["basemap", "labels", "imagery"]) add(`MapLibre style · ${s}`, `/styles/${s}.json`, "json");
    if (services.wmts) {
      add("WMTS 1.0.0 (KVP)", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "xml");
      add("WMTS 1.0.0 (REST)", "/wmts/1.0.0/WMTSCapabilities.xml", "xml");
    }
    if (services.tianditu_wmts) {
      for (const shape of ["vec", "cva", "img"]) for (const g of GRIDS) {
        add(`天地图 ${shape}_${g}`, `/${shape}_${g}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities`, "xml");
      }
    }
    if (services.wms) add("WMS 1.3.0", "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0", "xml");
    if (services.wfs) add("WFS 2.0", "/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "xml");
    if (services.ogcapi) {
      add("OGC API – Features", "/ogcapi?f=json", "json");
      add("OpenAPI", "/ogcapi/api?f=json", "json");
    }
    const missing = ["wmts", "wms", "wfs"].filter((s) => !services[s]).map((s) => s.toUpperCase());
    return `<h2>${t("res.node")}</h2><ul class="urls node-services">${rows.join("")}</ul>`
      + (missing.length ? `<p class="hint">${esc(missing.join(", "))}: ${t("res.unavailable")}</p>` : "")
      + `<details class="snippet"><summary>${t("res.snippets")} · ${t("base.legend")}</summary>${snippetHtml(snippets(origin, "basemap", services))}</details>`;
  }

  function snippetHtml(list) {
    return list.map(([name, code]) => `<h4>${esc(name)}</h4><div class="snippet"><pre><code>${esc(code)}</code></pre>`
      + `<button type="button" class="copy" data-copy="${esc(code)}">${t("res.copy")}</button></div>`).join("");
  }

  function thumbnail(bbox, m) {
    if (bbox && services.wms && (m.kind === "raster" || m.geometry_type !== "none")) {
      const [x0, y0, x1, y1] = squareish(preview(bbox, m));
      const src = `/wms?${new URLSearchParams({ SERVICE: "WMS", VERSION: "1.3.0", REQUEST: "GetMap",
        LAYERS: m.name, STYLES: "", CRS: "CRS:84", BBOX: [x0, y0, x1, y1].map((v) => v.toFixed(5)).join(","),
        WIDTH: "256", HEIGHT: "192", FORMAT: "image/png" })}`;
      return `<img class="thumb" loading="lazy" alt="${esc(m.name)}" src="${esc(withKey(src))}">`;
    }
    if (!bbox) return `<svg class="thumb" viewBox="0 0 128 96" role="img"><text x="64" y="52" text-anchor="middle" font-size="11" fill="#889">—</text></svg>`;
    const [x0, y0, x1, y1] = bbox;
    const pad = Math.max(x1 - x0, y1 - y0, 0.01) * 0.5;
    const fx0 = x0 - pad, fy1 = y1 + pad, w = x1 - x0 + 2 * pad, h = y1 - y0 + 2 * pad;
    const sx = 128 / w, sy = 96 / h, s = Math.min(sx, sy);
    const r = [(x0 - fx0) * s, (fy1 - y1) * s, Math.max(2, (x1 - x0) * s), Math.max(2, (y1 - y0) * s)];
    const grid = [];
    const step = w > 20 ? 10 : w > 2 ? 1 : 0.1;
    for (let gx = Math.ceil(fx0 / step) * step; gx < fx0 + w; gx += step) grid.push(`<line x1="${(gx - fx0) * s}" y1="0" x2="${(gx - fx0) * s}" y2="96"/>`);
    for (let gy = Math.ceil((fy1 - h) / step) * step; gy < fy1; gy += step) grid.push(`<line x1="0" y1="${(fy1 - gy) * s}" x2="128" y2="${(fy1 - gy) * s}"/>`);
    return `<svg class="thumb" viewBox="0 0 128 96" role="img" aria-label="${esc(bbox.map((v) => v.toFixed(3)).join(", "))}">`
      + `<g stroke="#c8d3dd" stroke-width="0.5">${grid.join("")}</g>`
      + `<rect x="${r[0].toFixed(1)}" y="${r[1].toFixed(1)}" width="${r[2].toFixed(1)}" height="${r[3].toFixed(1)}" fill="#1f6feb33" stroke="#1f6feb"/></svg>`;
  }

  /** Where a thumbnail looks: near the portal's home view when the layer covers it (detail a
   * style draws at street scale), else the whole extent. */
  function preview(bbox, m) {
    if (!home || home[0] < bbox[0] || home[0] > bbox[2] || home[1] < bbox[1] || home[1] > bbox[3]) return bbox;
    const span = { point: 0.008, polygon: 0.02 }[m.geometry_type] ?? 0.06; // styles draw points late
    const w = Math.min(bbox[2] - bbox[0], span), h = Math.min(bbox[3] - bbox[1], span * 0.75);
    return [home[0] - w / 2, home[1] - h / 2, home[0] + w / 2, home[1] + h / 2];
  }

  /** The bbox widened to a 4:3 frame with a margin (plate carrée, as the thumbnail's CRS). */
  function squareish([x0, y0, x1, y1]) {
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    let w = Math.max(x1 - x0, 0.01) * 1.1, h = Math.max(y1 - y0, 0.0075) * 1.1;
    if (w / h > 4 / 3) h = (w * 3) / 4; else w = (h * 4) / 3;
    return [Math.max(-180, cx - w / 2), Math.max(-90, cy - h / 2), Math.min(180, cx + w / 2), Math.min(90, cy + h / 2)];
  }

  function card(m) {
    const bbox = extents?.[m.name] ?? null;
    const title = pick(m.title_zh, m.title_en) || m.name;
    const tiled = m.kind === "vector" && m.geometry_type !== "none";
    const meta = [["res.name", `<code>${esc(m.name)}</code>`], ["res.geometry", esc(m.geometry_type)],
      ["res.edition", esc(m.edition)], ["res.category", esc(m.category)], ["res.licence", esc(m.licence)],
      ["res.attribution", esc(m.attribution)], ["res.keywords", esc((m.keywords || []).join("、"))],
      ["res.fields", esc(Object.keys(m.fields || {}).join(", "))],
      ["res.extent", bbox ? esc(bbox.map((v) => v.toFixed(4)).join(", ")) : "—"],
      ["res.lineage", esc(m.lineage)]].filter(([, v]) => v)
      .map(([k, v]) => `<dt>${t(k)}</dt><dd>${v}</dd>`).join("");
    const urls = [];
    const links = [];
    if (tiled) {
      for (const g of GRIDS) {
        urls.push(url(`/tiles/${m.name}/${g}/{z}/{x}/{y}.mvt`));
        links.push(link(`/tiles/${m.name}/${g}/tilejson.json`, `TileJSON ${g}`, "json"));
      }
    }
    if (services.ogcapi && m.kind !== "raster") {
      urls.push(url(`/ogcapi/collections/${m.name}/items`));
      links.push(link(`/ogcapi/collections/${m.name}/items?f=json&limit=10`, "OGC API items", "geojson"));
    }
    if (services.wmts && tiled) urls.push(url(`/wmts/1.0.0/${m.name}/default/WebMercatorQuad/{TileMatrix}/{TileRow}/{TileCol}.png`));
    const downloads = m.kind === "raster" ? "" : DOWNLOADS.map(([f, label, kind]) => link(`/api/layers/${m.name}/download?f=${f}`, label, kind)).join(" ");
    return `<article class="card" data-layer="${esc(m.name)}"><header>${thumbnail(bbox, m)}<div><h3>${esc(title)}</h3>`
      + `<p>${esc(m.abstract)}</p></div></header><details><summary>${t("res.metadata")}</summary><dl>${meta}</dl></details>`
      + `<details><summary>${t("res.services")}</summary><ul class="urls">${urls.join("")}</ul><p>${links.join(" · ")}</p></details>`
      + (downloads ? `<p class="downloads"><strong>${t("res.downloads")}:</strong> ${downloads}</p>` : "")
      + (tiled ? `<details><summary>${t("res.snippets")}</summary>${snippetHtml(snippets(origin, m.name, services))}</details>` : "")
      + `</article>`;
  }

  function render() {
    if (!opened) return;
    document.getElementById("services").innerHTML = nodeServices();
    const order = (m) => (m.kind === "vector" ? 0 : m.kind === "raster" ? 1 : 2);
    const sorted = [...layers].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
    document.getElementById("resources").innerHTML = `<h2>${t("res.catalogue", { n: layers.length })}</h2>`
      + `<div class="cards">${sorted.map(card).join("")}</div>`;
    document.getElementById("catalogue").hidden = true; // the cards say it all (the table is for no-JS)
  }

  async function open() {
    opened = true;
    if (extents === null && services.ogcapi) {
      try {
        const body = await getJSON("/ogcapi/collections?f=json");
        extents = Object.fromEntries(body.collections.map((c) => [c.id, c.extent?.spatial?.bbox?.[0] ?? null]));
      } catch {
        extents = {};
      }
    }
    render();
    document.getElementById("view-resources").dataset.ready = "1";
  }

  document.getElementById("view-resources").addEventListener("click", async (e) => {
    const button = e.target.closest("button.copy");
    if (!button) return;
    const text = button.dataset.copy;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = t("res.copied");
    setTimeout(() => { button.textContent = t("res.copy"); }, 1500);
  });
  return { open, render };
}
