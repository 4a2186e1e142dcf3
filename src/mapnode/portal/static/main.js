// The portal page: wires the map, search, tools, history and the resource centre together.
// `window.mapnode` exposes the pieces (the browser tests read facts from it).

import { boot, getJSON } from "./boot.js";
import { initHistory } from "./history.js";
import { apply, getLang, onLang, setLang } from "./i18n.js";
import { initLayers } from "./layers.js";
import { createMap, hasImagery, loadStyles, trackCoordinates, viewFromLog } from "./map.js";
import { initResources } from "./resources.js";
import { initSearch } from "./search.js";
import { initTools } from "./tools.js";

function showTab(name) {
  for (const b of document.querySelectorAll("[data-tab]")) b.classList.toggle("active", b.dataset.tab === name);
  for (const el of document.querySelectorAll(".tab")) el.hidden = el.id !== `tab-${name}`;
  document.getElementById("panel").classList.remove("collapsed");
}

function showView(name, map, resources) {
  for (const b of document.querySelectorAll("[data-view]")) b.classList.toggle("active", b.dataset.view === name);
  for (const el of document.querySelectorAll(".view")) el.hidden = el.id !== `view-${name}`;
  if (name === "resources") resources.open();
  else map.resize();
  if (location.hash.startsWith("#resources") !== (name === "resources")) {
    history.replaceState(null, "", name === "resources" ? "#resources" : location.pathname + location.search);
  }
}

async function main() {
  apply();
  const [log, layers] = await Promise.all([
    getJSON("/api/log?limit=10000").then((b) => b.entries),
    getJSON("/api/layers").then((b) => b.layers),
  ]);
  await loadStyles(layers);
  const home = viewFromLog(log);
  const view = location.hash.includes("map=") ? null : home;
  const map = createMap("map", { state: { base: "vector", labels: true, datetime: null }, view, hash: true });
  window.mapnode = { boot, map, layers, log, ready: false, loadMs: null, idleMs: null };
  // ms since navigation start: `load` (style in, first frame drawn) and the first `idle`
  // (every tile, glyph and sprite in view loaded and drawn, nothing moving or fading)
  map.once("load", () => { window.mapnode.loadMs = performance.now(); });
  map.once("idle", () => {
    window.mapnode.idleMs = performance.now(); // since navigation start
    window.mapnode.ready = true;
    document.body.dataset.ready = "1";
  });
  trackCoordinates(map, document.getElementById("coords"));
  new ResizeObserver(() => {
    map.resize();
    window.mapnode.history?.other?.resize();
  }).observe(document.getElementById("maps"));
  for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
  document.getElementById("panel-toggle").addEventListener("click", () => {
    const panel = document.getElementById("panel");
    panel.classList.toggle("collapsed");
    document.getElementById("panel-toggle").setAttribute("aria-expanded", String(!panel.classList.contains("collapsed")));
    map.resize();
  });
  if (matchMedia("(max-width: 700px)").matches) document.getElementById("panel").classList.add("collapsed");
  document.getElementById("lang").addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh"));

  Object.assign(window.mapnode, {
    search: initSearch(map, { showTab }),
    tools: initTools(map),
    history: initHistory(map, log),
    layersPanel: initLayers(map, layers, { imagery: hasImagery() }),
  });
  const resources = initResources(layers, { home: home?.center });
  window.mapnode.resources = resources;
  for (const b of document.querySelectorAll("[data-view]")) b.addEventListener("click", () => showView(b.dataset.view, map, resources));
  onLang(() => { window.mapnode.history.render(); resources.render(); });
  if (location.hash.startsWith("#resources")) showView("resources", map, resources);
}

main().catch((err) => {
  console.error(err);
  document.getElementById("coords").textContent = `⚠ ${err.message}`;
});
