// Search: suggestions while typing (/api/suggest), a paged result list (/api/search),
// fly to a result with a popup; right-click for the address of a point (/api/reverse).

import { debounce, esc, getJSON, qs } from "./boot.js";
import { t } from "./i18n.js";

const PAGE = 10;

export function initSearch(map, { showTab }) {
  const form = document.getElementById("search");
  const input = document.getElementById("q");
  const list = document.getElementById("suggest");
  const results = document.getElementById("results");
  const summary = document.getElementById("results-summary");
  const pageLabel = document.getElementById("page");
  let items = [], active = -1, query = "", offset = 0, total = 0, popup = null;

  const fly = (lon, lat, html, zoom = 16) => {
    map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), zoom), essential: true });
    popup?.remove();
    popup = new maplibregl.Popup({ maxWidth: "22rem" }).setLngLat([lon, lat]).setHTML(html).addTo(map);
    popup.getElement().classList.add("mn-search-popup");
  };
  const hitHtml = (p) => `<strong>${esc(p.name)}</strong><br><small>${esc(p.admin_name || "")}`
    + `${p.category ? " · " + esc(p.category) : ""}</small>`;

  const hide = () => { list.hidden = true; active = -1; };
  const showSuggestions = (suggestions) => {
    items = suggestions;
    list.innerHTML = suggestions.map((s, i) => `<li role="option" data-i="${i}">${esc(s.text)}`
      + `<small>${esc(s.admin_name || "")}</small></li>`).join("");
    list.hidden = suggestions.length === 0;
  };
  const suggest = debounce(async () => {
    const q = input.value.trim();
    if (!q) return hide();
    const c = map.getCenter();
    try {
      const body = await getJSON(`/api/suggest?${qs({ q, limit: 8, lon: c.lng.toFixed(5), lat: c.lat.toFixed(5) })}`);
      if (input.value.trim() === q) showSuggestions(body.suggestions);
    } catch { hide(); }
  }, 150);

  const pick = (s) => {
    hide();
    input.value = s.text;
    if (s.lon != null) fly(s.lon, s.lat, hitHtml({ name: s.text, admin_name: s.admin_name, category: s.category }));
    else search(s.text, 0);
  };

  async function search(q, start) {
    query = q;
    offset = start;
    const body = await getJSON(`/api/search?${qs({ q, limit: PAGE, offset })}`);
    total = body.numberMatched;
    showTab("results");
    summary.textContent = total ? t("results.total", { n: total }) : t("results.none");
    results.start = offset + 1;
    results.innerHTML = body.features.map((f, i) => `<li data-i="${i}">${esc(f.properties.name)}`
      + `<small>${esc(f.properties.admin_name || "")} ${esc(f.properties.category || "")}</small></li>`).join("");
    results.onclick = (e) => {
      const li = e.target.closest("li");
      if (!li) return;
      const f = body.features[Number(li.dataset.i)];
      if (!f.geometry) return;
      const [lon, lat] = f.geometry.coordinates;
      if (f.properties.bbox && f.properties.kind !== "poi") {
        const b = f.properties.bbox;
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, maxZoom: 16 });
        popup?.remove();
        popup = new maplibregl.Popup().setLngLat([lon, lat]).setHTML(hitHtml(f.properties)).addTo(map);
      } else {
        fly(lon, lat, hitHtml(f.properties));
      }
    };
    const pages = Math.max(1, Math.ceil(total / PAGE));
    pageLabel.textContent = t("results.page", { p: Math.floor(offset / PAGE) + 1, n: pages });
    document.getElementById("prev").disabled = offset === 0;
    document.getElementById("next").disabled = offset + PAGE >= total;
  }

  input.addEventListener("input", suggest);
  input.addEventListener("keydown", (e) => {
    if (list.hidden || !items.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      [...list.children].forEach((li, i) => li.classList.toggle("active", i === active));
    } else if (e.key === "Escape") {
      e.preventDefault(); // close the list but keep the text (a search box clears on Escape)
      hide();
    }
  });
  list.addEventListener("mousedown", (e) => {
    const li = e.target.closest("li");
    if (li) { e.preventDefault(); pick(items[Number(li.dataset.i)]); }
  });
  input.addEventListener("blur", () => setTimeout(hide, 150));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (active >= 0 && !list.hidden) return pick(items[active]);
    hide();
    const q = input.value.trim();
    if (q) search(q, 0).catch((err) => { summary.textContent = `${t("err.network")}: ${err.message}`; showTab("results"); });
  });
  document.getElementById("prev").addEventListener("click", () => search(query, Math.max(0, offset - PAGE)));
  document.getElementById("next").addEventListener("click", () => search(query, offset + PAGE));

  map.on("contextmenu", async (e) => {
    const { lng, lat } = e.lngLat.wrap();
    let html;
    try {
      const r = await getJSON(`/api/reverse?${qs({ lon: lng.toFixed(6), lat: lat.toFixed(6) })}`);
      const near = r.poi?.name || r.road?.name || "";
      html = r.formatted_address
        ? `<strong>${t("reverse.title")}</strong><br><span class="address">${esc(r.formatted_address)}</span>`
          + (near ? `<br><small>${esc(near)}</small>` : "")
        : t("reverse.none");
    } catch (err) {
      html = `${t("err.network")}: ${esc(err.message)}`;
    }
    popup?.remove();
    popup = new maplibregl.Popup().setLngLat([lng, lat]).setHTML(html).addTo(map);
    popup.getElement().classList.add("mn-reverse-popup");
  });
  return { search };
}
