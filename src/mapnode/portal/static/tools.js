// Tools: measure distance and area (geodesic), draw points/lines/polygons and export them as
// GeoJSON, feature info on click (queryRenderedFeatures), save the view as PNG.

import { esc } from "./boot.js";
import { area, formatArea, formatLength, length } from "./geodesic.js";
import { getLang, t } from "./i18n.js";
import { OVERLAY } from "./map.js";

const SKETCH = `${OVERLAY}sketch`;
const DRAWN = `${OVERLAY}drawn`;
const EMPTY = { type: "FeatureCollection", features: [] };

export function initTools(map) {
  const output = document.getElementById("tool-output");
  const drawn = { type: "FeatureCollection", features: [] };
  let mode = null, vertices = [], popup = null;

  const ensureLayers = () => {
    if (map.getSource(SKETCH)) return;
    map.addSource(SKETCH, { type: "geojson", data: EMPTY });
    map.addSource(DRAWN, { type: "geojson", data: drawn });
    for (const [src, color] of [[DRAWN, "#d9480f"], [SKETCH, "#1f6feb"]]) {
      map.addLayer({ id: `${src}-fill`, type: "fill", source: src, filter: ["==", "$type", "Polygon"],
        paint: { "fill-color": color, "fill-opacity": 0.2 } });
      map.addLayer({ id: `${src}-line`, type: "line", source: src, filter: ["!=", "$type", "Point"],
        paint: { "line-color": color, "line-width": 2.5 } });
      map.addLayer({ id: `${src}-point`, type: "circle", source: src,
        paint: { "circle-radius": 4, "circle-color": "#fff", "circle-stroke-color": color, "circle-stroke-width": 2 } });
    }
  };
  map.on("style.load", ensureLayers);
  if (map.isStyleLoaded()) ensureLayers();
  map.on("styledata", () => { if (map.isStyleLoaded()) ensureLayers(); });

  const geometry = () => {
    if (mode === "point" || vertices.length === 0) return null;
    if ((mode === "area" || mode === "polygon") && vertices.length >= 3) {
      return { type: "Polygon", coordinates: [[...vertices, vertices[0]]] };
    }
    return vertices.length >= 2 ? { type: "LineString", coordinates: vertices } : null;
  };
  const measure = () => {
    const lang = getLang();
    if (mode === "distance" && vertices.length >= 2) {
      const m = length(vertices);
      output.dataset.value = m;
      output.textContent = `${t("tool.length")}: ${formatLength(m, lang)}`;
    } else if (mode === "area" && vertices.length >= 3) {
      const m2 = area(vertices);
      output.dataset.value = m2;
      output.textContent = `${t("tool.areaOf")}: ${formatArea(m2, lang)}\n`
        + `${t("tool.length")}: ${formatLength(length([...vertices, vertices[0]]), lang)}`;
    }
  };
  const redraw = () => {
    const g = geometry();
    const points = vertices.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: {} }));
    map.getSource(SKETCH)?.setData({ type: "FeatureCollection",
      features: [...(g ? [{ type: "Feature", geometry: g, properties: {} }] : []), ...points] });
    measure();
  };

  const setMode = (next) => {
    finish();
    mode = mode === next ? null : next;
    vertices = [];
    for (const b of document.querySelectorAll("[data-tool]")) b.setAttribute("aria-pressed", String(b.dataset.tool === mode));
    map.getCanvas().style.cursor = mode ? "crosshair" : "";
    if (mode) map.doubleClickZoom.disable(); else map.doubleClickZoom.enable();
    output.textContent = "";
    delete output.dataset.value;
  };

  function finish() {
    const g = mode === "line" || mode === "polygon" ? geometry() : null;
    if (g) {
      drawn.features.push({ type: "Feature", geometry: g, properties: { kind: mode } });
      map.getSource(DRAWN)?.setData(drawn);
    }
    if (mode === "line" || mode === "polygon") vertices = [];
    redraw();
  }

  map.on("click", (e) => {
    const c = [Number(e.lngLat.lng.toFixed(7)), Number(e.lngLat.lat.toFixed(7))];
    if (!mode) return info(e);
    if (mode === "point") {
      drawn.features.push({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: { kind: "point" } });
      map.getSource(DRAWN)?.setData(drawn);
      return;
    }
    vertices.push(c);
    redraw();
  });
  map.on("dblclick", (e) => {
    if (!mode) return;
    e.preventDefault();
    if (mode === "line" || mode === "polygon") finish();
  });

  function info(e) {
    const features = map.queryRenderedFeatures(e.point)
      .filter((f) => !f.layer.id.startsWith(OVERLAY) && f.sourceLayer);
    if (!features.length) return;
    const seen = new Set();
    const blocks = [];
    for (const f of features) {
      const key = `${f.sourceLayer}/${f.id ?? f.properties.fid}`;
      if (seen.has(key) || blocks.length >= 5) continue;
      seen.add(key);
      // a tile carries the fid as the feature id when that gives it back exactly
      const props = f.properties.fid === undefined && f.id !== undefined
        ? { fid: String(f.id), ...f.properties } : f.properties;
      const rows = Object.entries(props).filter(([, v]) => v !== "" && v !== null)
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("");
      blocks.push(`<div class="feature-info" data-layer="${esc(f.sourceLayer)}"><strong>${t("info.layer")}: `
        + `${esc(f.sourceLayer)}</strong><table class="props">${rows}</table></div>`);
    }
    popup?.remove();
    popup = new maplibregl.Popup({ maxWidth: "22rem" }).setLngLat(e.lngLat).setHTML(blocks.join("<hr>")).addTo(map);
    popup.getElement().classList.add("mn-info-popup");
  }

  const exportGeoJSON = () => {
    if (!drawn.features.length) { output.textContent = t("tool.none"); return null; }
    const text = JSON.stringify(drawn, null, 1);
    download(new Blob([text], { type: "application/geo+json" }), "mapnode-drawing.geojson");
    return text;
  };
  const savePNG = () => new Promise((resolve) => {
    map.once("render", () => {
      const url = map.getCanvas().toDataURL("image/png");
      const a = document.createElement("a");
      a.href = url;
      a.download = "mapnode-map.png";
      document.body.append(a);
      a.click();
      a.remove();
      output.textContent = `${t("tool.saved")}: mapnode-map.png`;
      resolve(url);
    });
    map.triggerRepaint();
  });

  for (const b of document.querySelectorAll("[data-tool]")) b.addEventListener("click", () => setMode(b.dataset.tool));
  document.getElementById("tool-finish").addEventListener("click", finish);
  document.getElementById("tool-clear").addEventListener("click", () => {
    drawn.features = [];
    vertices = [];
    map.getSource(DRAWN)?.setData(drawn);
    redraw();
    output.textContent = "";
  });
  document.getElementById("tool-export").addEventListener("click", exportGeoJSON);
  document.getElementById("tool-png").addEventListener("click", savePNG);
  return { setMode, finish, exportGeoJSON, savePNG, drawn, get vertices() { return vertices; } };
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
