// Ready-made snippets for using a tileset of this node in MapLibre, Leaflet, OpenLayers and QGIS.

// Each snippet is complete for a page with <div id="map"> and the library loaded (OpenLayers:
// an ES module importing npm ol, e.g. through an import map); tests/portal/snippets_run.mjs runs them.
const OL_MAP = `import Map from "ol/Map";\nimport View from "ol/View";\n`;

export function snippets(origin, name, services) {
  const mvt = `${origin}/tiles/${name}/w/{z}/{x}/{y}.mvt`;
  const style = services.styles && name === "basemap" ? `${origin}/styles/basemap.json` : null;
  const png = `${origin}/wmts/1.0.0/${name}/default/WebMercatorQuad/{z}/{y}/{x}.png`;
  const caps = `${origin}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities`;
  // QGIS data source URIs are key=value pairs joined by "&": a URL inside one has none
  const capsRest = `${origin}/wmts/1.0.0/WMTSCapabilities.xml`;
  const out = [];
  out.push(["MapLibre GL JS", style
    ? `const map = new maplibregl.Map({\n  container: "map",\n  style: "${style}",\n  center: [120.16, 30.26], zoom: 11,\n});`
    : `const map = new maplibregl.Map({ container: "map", center: [120.16, 30.26], zoom: 11,\n  style: { version: 8, sources: {}, layers: [] } });\nmap.on("load", () => {\n  map.addSource("${name}", { type: "vector", tiles: ["${mvt}"], maxzoom: 18 });\n  map.addLayer({ id: "${name}", type: "line", source: "${name}", "source-layer": "${name}" });\n});`]);
  if (services.wmts) {
    out.push(["Leaflet", `const map = L.map("map").setView([30.26, 120.16], 11);\nL.tileLayer("${png}", {\n  maxZoom: 18,\n  attribution: "© OpenStreetMap contributors",\n}).addTo(map);`]);
    out.push(["OpenLayers (EPSG:4490 WMTS)", `${OL_MAP}import TileLayer from "ol/layer/Tile";
import WMTS, { optionsFromCapabilities } from "ol/source/WMTS";
import WMTSCapabilities from "ol/format/WMTSCapabilities";
import Projection from "ol/proj/Projection";
import { addEquivalentProjections, get as getProjection } from "ol/proj";
// CGCS2000 (EPSG:4490): degrees, latitude first, treated as EPSG:4326 at map scales
addEquivalentProjections([getProjection("EPSG:4326"), ...["EPSG:4490", "urn:ogc:def:crs:EPSG::4490"]
  .map((code) => new Projection({ code, units: "degrees", axisOrientation: "neu",
    extent: [-180, -90, 180, 90], global: true, metersPerUnit: (Math.PI * 6378137) / 180 }))]);
const caps = new WMTSCapabilities().read(await (await fetch("${caps}")).text());
// format: a layer offers vector tiles too, and OpenLayers would take the first format listed
const options = optionsFromCapabilities(caps, { layer: "${name}", matrixSet: "CGCS2000Quad", format: "image/png" });
const map = new Map({ target: "map", layers: [new TileLayer({ source: new WMTS(options) })],
  view: new View({ projection: "EPSG:4490", center: [120.16, 30.26], zoom: 11 }) });`]);
    out.push(["QGIS", `# 图层 → 添加图层 → 添加 WMS/WMTS 图层 / Layer → Add WMS/WMTS Layer, URL:\n# ${capsRest}\n# Python 控制台 / Python console:\niface.addVectorTileLayer("type=xyz&url=${mvt}&zmax=18", "${name}")\niface.addRasterLayer("contextualWMSLegend=0&crs=EPSG:4490&format=image/png&layers=${name}&styles=default&tileMatrixSet=CGCS2000Quad&url=${capsRest}", "${name} WMTS", "wms")`]);
  } else {
    out.push(["OpenLayers", `${OL_MAP}import VectorTileLayer from "ol/layer/VectorTile";
import VectorTileSource from "ol/source/VectorTile";
import MVT from "ol/format/MVT";
import { fromLonLat } from "ol/proj";
const map = new Map({ target: "map",
  layers: [new VectorTileLayer({ source: new VectorTileSource({ format: new MVT(), url: "${mvt}" }) })],
  view: new View({ center: fromLonLat([120.16, 30.26]), zoom: 11 }) });`]);
    out.push(["QGIS", `iface.addVectorTileLayer("type=xyz&url=${mvt}&zmax=18", "${name}")`]);
  }
  return out;
}
