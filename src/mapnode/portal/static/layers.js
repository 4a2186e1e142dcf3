// The layers tab: base-map switch (vector / imagery, labels on or off), zoom to an
// administrative division (/api/admin), thematic layers shown or hidden by source layer.

import { esc, getJSON, qs } from "./boot.js";
import { onLang, pick, t } from "./i18n.js";
import { OVERLAY, update } from "./map.js";

const ZOOM = { province: 7, city: 9.5, county: 11.5, town: 13.5, township: 13.5, village: 15 };

export function initLayers(map, layers, { imagery }) {
  const hidden = new Set();
  for (const radio of document.querySelectorAll("input[name=base]")) {
    if (radio.value === "imagery" && !imagery) radio.disabled = true;
    radio.addEventListener("change", () => setBase(radio.value));
  }
  const labels = document.getElementById("labels");
  labels.addEventListener("change", () => update(map, { labels: labels.checked }));

  function setBase(base) {
    document.querySelector(`input[name=base][value=${base}]`).checked = true;
    update(map, { base });
  }

  // thematic layers: visibility of the style layers drawing each store layer
  const list = document.getElementById("layer-list");
  const vectors = layers.filter((m) => m.kind === "vector" && m.geometry_type !== "none");
  const render = () => {
    list.innerHTML = vectors.map((m) => `<li><label><input type="checkbox" data-layer="${esc(m.name)}"`
      + `${hidden.has(m.name) ? "" : " checked"}> ${esc(pick(m.title_zh, m.title_en) || m.name)} <small>${esc(m.name)}</small></label></li>`).join("");
  };
  const applyVisibility = () => {
    for (const l of map.getStyle().layers) {
      if (!l["source-layer"] || l.id.startsWith(OVERLAY)) continue;
      map.setLayoutProperty(l.id, "visibility", hidden.has(l["source-layer"]) ? "none" : "visible");
    }
  };
  list.addEventListener("change", (e) => {
    const name = e.target.dataset.layer;
    if (!name) return;
    if (e.target.checked) hidden.delete(name); else hidden.add(name);
    applyVisibility();
  });
  map.on("style.load", () => { if (hidden.size) applyVisibility(); });
  render();
  onLang(render);

  // administrative divisions
  const form = document.getElementById("admin-form");
  const input = document.getElementById("admin-q");
  const results = document.getElementById("admin-list");
  let divisions = [];
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const keyword = input.value.trim();
    if (!keyword) return;
    try {
      divisions = (await getJSON(`/api/admin?${qs({ keyword, limit: 10 })}`)).divisions;
    } catch (err) {
      results.innerHTML = `<li>${esc(err.message)}</li>`;
      return;
    }
    results.innerHTML = divisions.map((d, i) => `<li data-i="${i}" data-code="${esc(d.code)}">${esc(d.full_name || d.name)}`
      + `<small>${esc(d.code)}</small></li>`).join("") || `<li>${t("results.none")}</li>`;
    if (divisions.length === 1) zoomTo(divisions[0]);
  });
  results.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-i]");
    if (li) zoomTo(divisions[Number(li.dataset.i)]);
  });

  async function zoomTo(d) {
    if (!d) return;
    results.dataset.current = d.code;
    if (d.seat) {
      map.flyTo({ center: d.seat, zoom: ZOOM[d.level] ?? 11, essential: true });
      return;
    }
    // no seat point: frame the places the gazetteer holds in the division (5–95th percentile)
    const body = await getJSON(`/api/search?${qs({ admin: d.code, limit: 100 })}`);
    const pts = body.features.filter((f) => f.geometry).map((f) => f.geometry.coordinates);
    if (!pts.length) return;
    const q = (xs, p) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
    const xs = pts.map((c) => c[0]), ys = pts.map((c) => c[1]);
    map.fitBounds([[q(xs, 0.05), q(ys, 0.05)], [q(xs, 0.95), q(ys, 0.95)]],
      { padding: 30, maxZoom: ZOOM[d.level] ?? 14, essential: true });
  }
  return { setBase, zoomTo, hidden };
}
