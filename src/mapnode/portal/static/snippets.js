// Ready-made snippets for using a tileset of this node in MapLibre, Leaflet, OpenLayers and QGIS.

export function snippets(origin, name, services) {
  const mvt = `${origin}/tiles/${name}/w/{z}/{x}/{y}.mvt`;
  const style = services.styles && name === "basemap" ? `${origin}/styles/basemap.json` : null;
  const png = `${origin}/wmts/1.0.0/${name}/default/WebMercatorQuad/{z}/{y}/{x}.png`;
  const caps = `${origin}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities`;
  const out = [];
  out.push(["MapLibre GL JS", style
    ? `const map = new maplibregl.Map({\n  container: "map",\n  style: "${style}",\n  center: [120.16, 30.26], zoom: 11,\n});`
    : `const map = new maplibregl.Map({ container: "map", center: [120.16, 30.26], zoom: 11,\n  style: { version: 8, sources: {}, layers: [] } });\nmap.on("load", () => {\n  map.addSource("${name}", { type: "vector", tiles: ["${mvt}"], maxzoom: 18 });\n  map.addLayer({ id: "${name}", type: "line", source: "${name}", "source-layer": "${name}" });\n});`]);
  if (services.wmts) {
    out.push(["Leaflet", `L.tileLayer("${png}", {\n  maxZoom: 18,\n  attribution: "© OpenStreetMap contributors",\n}).addTo(map);`]);
    out.push(["OpenLayers (EPSG:4490 WMTS)", `import WMTS, { optionsFromCapabilities } from "ol/source/WMTS";\nimport WMTSCapabilities from "ol/format/WMTSCapabilities";\nconst caps = new WMTSCapabilities().read(await (await fetch("${caps}")).text());\nconst options = optionsFromCapabilities(caps, { layer: "${name}", matrixSet: "CGCS2000Quad" });\nmap.addLayer(new TileLayer({ source: new WMTS(options) }));`]);
    out.push(["QGIS", `# 图层 → 添加图层 → 添加 WMS/WMTS 图层 / Layer → Add WMS/WMTS Layer, URL:\n# ${caps}\n# Python 控制台 / Python console:\niface.addVectorTileLayer("type=xyz&url=${mvt}&zmax=18", "${name}")\niface.addRasterLayer("contextualWMSLegend=0&crs=EPSG:4490&format=image/png&layers=${name}&styles=default&tileMatrixSet=CGCS2000Quad&url=${caps}", "${name} WMTS", "wms")`]);
  } else {
    out.push(["OpenLayers", `import VectorTileLayer from "ol/layer/VectorTile";\nimport VectorTileSource from "ol/source/VectorTile";\nimport MVT from "ol/format/MVT";\nmap.addLayer(new VectorTileLayer({ source: new VectorTileSource({ format: new MVT(), url: "${mvt}" }) }));`]);
    out.push(["QGIS", `iface.addVectorTileLayer("type=xyz&url=${mvt}&zmax=18", "${name}")`]);
  }
  return out;
}
