// History: a time slider over the store's log re-points the vector tiles at `datetime=`;
// 对比分析 shows two dates with a swipe or side by side; 变化提取 lists what changed in view
// between them (/api/diff) and outlines it on both maps.

import { debounce, esc, getJSON, qs } from "./boot.js";
import { getLang, pick, t } from "./i18n.js";
import { OVERLAY, createMap, stateOf, update } from "./map.js";

const DIFF = `${OVERLAY}diff`;
const COLOURS = { added: "#1a7f37", changed: "#bf8700", removed: "#cf222e" };

export function initHistory(map, log) {
  const entries = log.filter((e) => Object.keys(e.layers).length);
  const slider = document.getElementById("time-slider");
  const label = document.getElementById("time-label");
  const from = document.getElementById("cmp-from");
  const to = document.getElementById("cmp-to");
  const changes = document.getElementById("changes");
  const maps = document.getElementById("maps");
  const swipe = document.getElementById("swipe");
  let other = null, diffData = null, comparing = null;

  const when = (i) => (i >= entries.length ? null : entries[i].time);
  const describe = (i) => {
    if (i >= entries.length) return t("history.now");
    const e = entries[i];
    const date = new Date(e.time).toLocaleString(getLang() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
    return `${date} · seq ${e.seq}${e.message ? " · " + e.message : ""}`;
  };
  const options = () => entries.map((e, i) => `<option value="${i}">${esc(describe(i))}</option>`).join("")
    + `<option value="${entries.length}">${esc(t("history.now"))}</option>`;

  slider.max = String(entries.length);
  slider.value = String(entries.length);
  const render = () => {
    label.textContent = entries.length ? describe(Number(slider.value)) : t("history.empty");
    const keep = [from.value, to.value];
    from.innerHTML = options();
    to.innerHTML = options();
    from.value = keep[0] || String(Math.max(0, entries.length - 2));
    to.value = keep[1] || String(entries.length);
    if (!comparing) changes.textContent = t("history.pick");
  };
  render();

  slider.addEventListener("input", () => {
    const i = Number(slider.value);
    label.textContent = describe(i);
    label.dataset.datetime = when(i) ?? "";
    update(map, { datetime: when(i) });
  });

  // ------------------------------------------------------------------ comparison
  const sync = (a, b) => {
    let busy = false;
    const follow = (src, dst) => src.on("move", () => {
      if (busy) return;
      busy = true;
      dst.jumpTo({ center: src.getCenter(), zoom: src.getZoom(), bearing: src.getBearing(), pitch: src.getPitch() });
      busy = false;
    });
    follow(a, b);
    follow(b, a);
  };
  const setSwipe = (x) => {
    const width = maps.clientWidth;
    const px = Math.max(0, Math.min(width, x));
    swipe.style.left = `${px}px`;
    document.getElementById("map-b").style.clipPath = maps.classList.contains("side") ? "" : `inset(0 0 0 ${px}px)`;
  };
  swipe.addEventListener("pointerdown", (e) => {
    swipe.setPointerCapture(e.pointerId);
    const move = (ev) => setSwipe(ev.clientX - maps.getBoundingClientRect().left);
    swipe.addEventListener("pointermove", move);
    swipe.addEventListener("pointerup", () => swipe.removeEventListener("pointermove", move), { once: true });
  });

  const layout = (mode) => {
    maps.classList.toggle("side", mode === "side");
    swipe.hidden = mode !== "swipe";
    setSwipe(maps.clientWidth / 2);
    map.resize();
    other?.resize();
  };

  async function compare() {
    const a = Number(from.value), b = Number(to.value);
    const mode = document.querySelector("input[name=cmp-mode]:checked").value;
    comparing = { a: Math.min(a, b), b: Math.max(a, b) };
    document.getElementById("map-b").hidden = false;
    document.getElementById("cmp-labels").hidden = false;
    document.getElementById("cmp-label-a").textContent = describe(comparing.a);
    document.getElementById("cmp-label-b").textContent = describe(comparing.b);
    update(map, { datetime: when(comparing.a) });
    if (!other) {
      other = createMap("map-b", { state: { ...stateOf(map), datetime: when(comparing.b) },
        view: { center: map.getCenter(), zoom: map.getZoom() }, controls: false });
      other.on("load", () => addDiffLayers(other));
      sync(map, other);
      window.mapnode.other = other;
    } else {
      update(other, { ...stateOf(map), datetime: when(comparing.b) });
    }
    layout(mode);
    await refreshChanges();
  }

  const seqOf = (i) => (i >= entries.length ? null : entries[i].seq);
  async function refreshChanges() {
    if (!comparing) return;
    const bounds = map.getBounds();
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((v) => v.toFixed(6)).join(",");
    const fromSeq = comparing.a >= entries.length ? entries.at(-1)?.seq ?? 0 : seqOf(comparing.a);
    const body = await getJSON(`/api/diff?${qs({ from: fromSeq, to: seqOf(comparing.b), bbox, limit: 200 })}`);
    showChanges(body);
  }

  function showChanges(body) {
    const features = [];
    const html = [];
    for (const layer of body.layers) {
      const title = pick(layer.title_zh, layer.title_en) || layer.layer;
      const parts = [];
      for (const kind of ["added", "changed", "removed"]) {
        const list = layer[kind];
        if (!list.length) continue;
        for (const item of list) {
          if (item.geometry) features.push({ type: "Feature", geometry: item.geometry, properties: { kind } });
        }
        const more = layer.counts[kind] - list.length;
        parts.push(`<div class="${kind}" data-kind="${kind}" data-count="${layer.counts[kind]}">`
          + `<strong>${t(`history.${kind}`)} ${layer.counts[kind]}</strong><ul class="list">`
          + list.map((item, i) => `<li data-layer="${esc(layer.layer)}" data-kind="${kind}" data-i="${i}">`
            + `${esc(item.name || item.fid)}${item.changed_fields?.length ? `<small>${esc(item.changed_fields.join(", "))}</small>` : ""}</li>`).join("")
          + `</ul>${more > 0 ? `<small>${esc(t("history.more", { n: more }))}</small>` : ""}</div>`);
      }
      if (parts.length) html.push(`<section data-layer="${esc(layer.layer)}"><h4>${esc(title)}</h4>${parts.join("")}</section>`);
    }
    changes.innerHTML = html.length ? html.join("") : `<p class="nochange">${t("history.nochange")}</p>`;
    changes.dataset.from = body.from_seq;
    changes.dataset.to = body.to_seq;
    changes.onclick = (e) => {
      const li = e.target.closest("li[data-layer]");
      if (!li) return;
      const layer = body.layers.find((l) => l.layer === li.dataset.layer);
      const item = layer?.[li.dataset.kind][Number(li.dataset.i)];
      if (item?.geometry) map.fitBounds(bboxOf(item.geometry), { padding: 60, maxZoom: 17 });
    };
    diffData = { type: "FeatureCollection", features };
    for (const m of [map, other]) m?.getSource(DIFF)?.setData(diffData);
  }

  function addDiffLayers(m) {
    if (m.getSource(DIFF)) return;
    m.addSource(DIFF, { type: "geojson", data: diffData ?? { type: "FeatureCollection", features: [] } });
    const colour = ["match", ["get", "kind"], "added", COLOURS.added, "changed", COLOURS.changed, COLOURS.removed];
    m.addLayer({ id: `${DIFF}-line`, type: "line", source: DIFF, filter: ["!=", "$type", "Point"],
      paint: { "line-color": colour, "line-width": 3 } });
    m.addLayer({ id: `${DIFF}-point`, type: "circle", source: DIFF, filter: ["==", "$type", "Point"],
      paint: { "circle-radius": 6, "circle-color": "#fff0", "circle-stroke-color": colour, "circle-stroke-width": 3 } });
  }
  map.on("styledata", () => { if (map.isStyleLoaded()) addDiffLayers(map); });
  if (map.isStyleLoaded()) addDiffLayers(map);
  map.on("moveend", debounce(() => refreshChanges().catch(() => {}), 300));

  function end() {
    comparing = null;
    document.getElementById("map-b").hidden = true;
    document.getElementById("cmp-labels").hidden = true;
    swipe.hidden = true;
    maps.classList.remove("side");
    map.resize();
    update(map, { datetime: when(Number(slider.value)) });
    diffData = null;
    map.getSource(DIFF)?.setData({ type: "FeatureCollection", features: [] });
    render();
  }

  document.getElementById("cmp-go").addEventListener("click", () => compare().catch((e) => {
    changes.textContent = `${t("err.network")}: ${e.message}`;
  }));
  document.getElementById("cmp-end").addEventListener("click", end);
  for (const r of document.querySelectorAll("input[name=cmp-mode]")) {
    r.addEventListener("change", () => { if (comparing) layout(r.value); });
  }
  return { entries, compare, end, render, get other() { return other; } };
}

function bboxOf(geometry) {
  const xs = [], ys = [];
  const walk = (c) => (typeof c[0] === "number" ? (xs.push(c[0]), ys.push(c[1])) : c.forEach(walk));
  walk(geometry.coordinates);
  return [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]];
}
