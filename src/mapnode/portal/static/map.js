// The map: style composition (vector or imagery base, labels on/off, a past date), controls,
// cursor coordinates in CGCS2000 lon/lat and 3° Gauss–Krüger. Sources and layers whose id
// starts with "mn-" belong to the portal's own tools and survive base-map switches.

import { boot, getJSON } from "./boot.js";
import { gaussKruger } from "./gk.js";
import { t } from "./i18n.js";

export const OVERLAY = "mn-";
const parts = { basemap: null, imagery: null, labels: null };
const states = new WeakMap();

/** Load the node's styles once (or build a plain one from the layer list when it has none). */
export async function loadStyles(layers) {
  if (boot.services.styles) {
    const [basemap, imagery, labels] = await Promise.all(
      ["basemap", "imagery", "labels"].map((s) => getJSON(`/styles/${s}.json`)));
    Object.assign(parts, { basemap, imagery, labels });
  } else {
    parts.basemap = plainStyle(layers);
  }
  return parts;
}

export function hasImagery() {
  return Boolean(parts.imagery && parts.imagery.layers.some((l) => l.type === "raster"));
}

/** A style with no glyphs or sprites: every vector layer of the base map tiles, no labels. */
export function plainStyle(layers) {
  const origin = location.origin;
  const order = { polygon: 0, line: 1, point: 2 };
  const vectors = layers.filter((m) => m.kind === "vector" && m.geometry_type in order)
    .sort((a, b) => order[a.geometry_type] - order[b.geometry_type] || a.name.localeCompare(b.name));
  const style = {
    version: 8, name: "mapnode plain",
    sources: { basemap: { type: "vector", tiles: [`${origin}/tiles/basemap/w/{z}/{x}/{y}.mvt`],
      minzoom: 0, maxzoom: 18, attribution: [...new Set(vectors.map((m) => m.attribution).filter(Boolean))].join(" · ") } },
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f2efe9" } }],
  };
  for (const m of vectors) {
    const watery = /water|river|coast|水|河|湖/i.test(m.name + m.title_zh);
    const green = /landuse|green|park|forest|绿/i.test(m.name);
    const base = { id: `plain-${m.name}`, source: "basemap", "source-layer": m.name };
    if (m.geometry_type === "polygon") {
      style.layers.push({ ...base, type: "fill", paint: {
        "fill-color": watery ? "#a9cbe8" : green ? "#d3e8c8" : "#e4ddd0", "fill-outline-color": "#c9c2b4" } });
    } else if (m.geometry_type === "line") {
      style.layers.push({ ...base, type: "line", paint: { "line-color": watery ? "#6fa8dc" : "#a3acb8",
        "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.5, 16, 3] } });
    } else {
      style.layers.push({ ...base, type: "circle", paint: { "circle-radius": 3,
        "circle-color": /station|站/.test(m.name + m.title_zh) ? "#7048e8" : "#e07a1f",
        "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    }
  }
  return style;
}

/** `url` with `datetime=` set (or removed) when it is a vector tile URL of this node. */
export function withTime(url, datetime) {
  if (!/\/tiles\/[^?]*\.(mvt|pbf)/.test(url)) return url;
  const [path, query = ""] = url.split("?");
  const params = query.split("&").filter((p) => p && !p.startsWith("datetime="));
  if (datetime) params.push(`datetime=${encodeURIComponent(datetime)}`);
  return params.length ? `${path}?${params.join("&")}` : path;
}

/** The style for a state {base: "vector"|"imagery", labels: bool, datetime: string|null}. */
export function compose(state) {
  const useImagery = state.base === "imagery" && parts.imagery;
  const style = structuredClone(useImagery ? parts.imagery : parts.basemap);
  style.glyphs ??= parts.basemap.glyphs;
  style.sprite ??= parts.basemap.sprite;
  if (useImagery && state.labels && parts.labels) {
    const labels = structuredClone(parts.labels);
    Object.assign(style.sources, labels.sources);
    style.layers.push(...labels.layers.filter((l) => l.type !== "background")
      .map((l) => ({ ...l, id: `labels-${l.id}` })));
  }
  if (!state.labels) style.layers = style.layers.filter((l) => l.type !== "symbol");
  for (const source of Object.values(style.sources)) {
    if (source.tiles) source.tiles = source.tiles.map((u) => withTime(u, state.datetime));
  }
  if (!style.glyphs) delete style.glyphs;
  if (!style.sprite) delete style.sprite;
  return style;
}

function keepOverlays(previous, next) {
  if (!previous) return next;
  const sources = { ...next.sources };
  for (const [id, s] of Object.entries(previous.sources)) if (id.startsWith(OVERLAY)) sources[id] = s;
  const layers = [...next.layers, ...previous.layers.filter((l) => l.id.startsWith(OVERLAY))];
  return { ...next, sources, layers };
}

export function stateOf(map) {
  return states.get(map);
}

/** Change the base map, labels or date of a map, keeping the portal's own layers. */
export function update(map, change) {
  const state = { ...states.get(map), ...change };
  states.set(map, state);
  if ("datetime" in change && Object.keys(change).length === 1) {
    retime(map, state.datetime);
    return;
  }
  map.setStyle(compose(state), { diff: false, transformStyle: keepOverlays });
}

/** Re-point every vector tile source at `datetime` (null: now); the tiles are requested again. */
function retime(map, datetime) {
  const style = map.getStyle();
  for (const [id, s] of Object.entries(style.sources)) {
    if (!s.tiles || id.startsWith(OVERLAY)) continue;
    const tiles = s.tiles.map((u) => withTime(u, datetime));
    if (tiles.join() !== s.tiles.join()) map.getSource(id).setTiles(tiles);
  }
}

export function createMap(container, { state, view, hash = false, controls = true }) {
  const map = new maplibregl.Map({
    container, style: compose(state), hash: hash ? "map" : false,
    center: view?.center ?? [120.16, 30.26], zoom: view?.zoom ?? 11,
    attributionControl: { compact: true }, maxPitch: 60,
    canvasContextAttributes: { preserveDrawingBuffer: false },
  });
  states.set(map, { ...state });
  if (controls) {
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ maxWidth: 120, unit: "metric" }), "bottom-right");
  }
  return map;
}

/** Show the cursor position as CGCS2000 lon/lat and in its 3° Gauss–Krüger zone. */
export function trackCoordinates(map, element) {
  const show = (lngLat) => {
    const { lng, lat } = lngLat.wrap();
    const gk = gaussKruger(lng, lat);
    element.textContent = `CGCS2000  E ${lng.toFixed(6)}°  N ${lat.toFixed(6)}°\n`
      + `${t("coords.zone")} ${gk.zone} (CM ${gk.cm}°E)  X ${gk.x.toFixed(2)}  Y ${gk.y.toFixed(2)}`;
    element.dataset.lon = lng;
    element.dataset.lat = lat;
    element.dataset.zone = gk.zone;
    element.dataset.x = gk.x;
    element.dataset.y = gk.y;
  };
  map.on("mousemove", (e) => show(e.lngLat));
  map.on("moveend", () => { if (!element.textContent) show(map.getCenter()); });
  show(map.getCenter());
}

/** The initial view from the log: the median centre and size of the layers' changed areas. */
export function viewFromLog(entries) {
  const boxes = {};
  for (const e of entries) {
    for (const [name, c] of Object.entries(e.layers)) {
      if (!c.bbox) continue;
      const b = boxes[name] ?? c.bbox.slice();
      boxes[name] = [Math.min(b[0], c.bbox[0]), Math.min(b[1], c.bbox[1]),
        Math.max(b[2], c.bbox[2]), Math.max(b[3], c.bbox[3])];
    }
  }
  const all = Object.values(boxes);
  if (!all.length) return null;
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const lon = median(all.map((b) => (b[0] + b[2]) / 2));
  const lat = median(all.map((b) => (b[1] + b[3]) / 2));
  const span = median(all.map((b) => Math.max(b[2] - b[0], b[3] - b[1], 0.01)));
  const zoom = Math.max(2, Math.min(16, Math.log2(360 / span) + 0.5));
  return { center: [lon, lat], zoom };
}
