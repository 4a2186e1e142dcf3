// OpenLayers (web/node_modules/ol, the full build) loads mapnode's EPSG:4490 WMTS in chromium:
// it reads the capabilities with ol.format.WMTSCapabilities, builds the source with
// ol.source.WMTS.optionsFromCapabilities and shows a view in EPSG:4490.
// args: { capabilities: URL path, layer, matrixSet, center: [lon, lat], level, name }
// values: { centre_rgba, projection, origin, resolution, requestEncoding, rendered }
// (the tile requests are in the facts' responses)
import { run, nodeModule } from '../browser/harness.mjs';

await run(async ({ page, base, args, values, screenshot, serve, serveFile }) => {
  await serveFile('/__test__/ol.js', nodeModule('ol/dist/ol.js'), 'text/javascript');
  await serveFile('/__test__/ol.css', nodeModule('ol/ol.css'), 'text/css');
  await serve('/__test__/ol.html', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="icon" href="data:,"><link rel="stylesheet" href="/__test__/ol.css">
<style>html,body,#map{margin:0;width:100%;height:100%}</style>
<script src="/__test__/ol.js"></script></head><body><div id="map"></div><script>
// EPSG:4490 (CGCS2000) is latitude first; one degree = 2π·6378137/360 m as in the scale set
const cgcs = (code) => new ol.proj.Projection({code, units: 'degrees', axisOrientation: 'neu',
  extent: [-180, -90, 180, 90], global: true, metersPerUnit: Math.PI * 6378137 / 180});
const p4490 = cgcs('EPSG:4490');
ol.proj.addEquivalentProjections([p4490, cgcs('urn:ogc:def:crs:EPSG::4490')]);
ol.proj.addEquivalentTransforms([ol.proj.get('EPSG:4326')],
  [p4490, ol.proj.get('urn:ogc:def:crs:EPSG::4490')], (c) => c, (c) => c);
window.ready = fetch(${JSON.stringify(args.capabilities)}).then((r) => r.text()).then((text) => {
  const caps = new ol.format.WMTSCapabilities().read(text);
  const options = ol.source.WMTS.optionsFromCapabilities(caps,
    {layer: ${JSON.stringify(args.layer)}, matrixSet: ${JSON.stringify(args.matrixSet)}});
  const source = new ol.source.WMTS(options);
  const grid = source.getTileGrid();
  const z = grid.getMatrixIds().indexOf(String(${Number(args.level)}));
  window.facts = {projection: source.getProjection().getCode(), origin: grid.getOrigin(z),
    resolution: grid.getResolution(z), requestEncoding: options.requestEncoding};
  window.map = new ol.Map({target: 'map', layers: [new ol.layer.Tile({source})],
    view: new ol.View({projection: 'EPSG:4490', center: ${JSON.stringify(args.center)},
      resolution: grid.getResolution(z)})});
  return new Promise((resolve) => map.once('rendercomplete', resolve));
});
</script></body></html>`, 'text/html; charset=utf-8');
  await page.goto(base + '/__test__/ol.html');
  await page.evaluate(() => window.ready);
  Object.assign(values, await page.evaluate(() => {
    const canvas = map.getViewport().querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const px = ctx.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1);
    return {...window.facts, centre_rgba: Array.from(px.data), rendered: true};
  }));
  await screenshot(args.name || 'openlayers_wmts');
});
