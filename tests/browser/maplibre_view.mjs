// MapLibre GL JS (web/node_modules, 5.x) renders a mapnode style in chromium.
// args: { localIdeographs: false unless CJK should come from the browser's fonts,
//         style: URL path of the style (or an inline style object as styleJson), center: [lon, lat],
//         zoom, name (screenshot name), query: [source-layer names to count in rendered features] }
// values: { idle_ms, features: {source-layer: count}, names: {source-layer: [names…]},
//           symbols: count of rendered symbol features, webgl: version, canvas: [w, h] }
import { run, nodeModule } from './harness.mjs';

await run(async ({ page, base, args, values, screenshot, serve, serveFile }) => {
  await serveFile('/__test__/maplibre-gl.js', nodeModule('maplibre-gl/dist/maplibre-gl.js'),
    'text/javascript');
  await serveFile('/__test__/maplibre-gl.css', nodeModule('maplibre-gl/dist/maplibre-gl.css'),
    'text/css');
  if (args.styleJson) {
    await serve('/__test__/style.json', JSON.stringify(args.styleJson), 'application/json');
  }
  const styleUrl = base + (args.styleJson ? '/__test__/style.json' : args.style);
  await serve('/__test__/map.html', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="icon" href="data:,"><link rel="stylesheet" href="/__test__/maplibre-gl.css">
<style>html,body,#map{margin:0;width:100%;height:100%}</style>
<script src="/__test__/maplibre-gl.js"></script></head><body><div id="map"></div><script>
window.map = new maplibregl.Map({container: 'map', style: ${JSON.stringify(styleUrl)},
  center: ${JSON.stringify(args.center)}, zoom: ${Number(args.zoom)},
  attributionControl: false, fadeDuration: 0,
  // CJK from mapnode's glyph PBFs, not drawn locally by the browser (MapLibre's default)
  localIdeographFontFamily: ${args.localIdeographs ? "'sans-serif'" : 'false'}});
map.on('error', (e) => console.error('maplibre: ' + (e.error && e.error.message || e)));
</script></body></html>`, 'text/html; charset=utf-8');

  const t0 = Date.now();
  await page.goto(base + '/__test__/map.html');
  await page.waitForFunction(() => window.map && map.loaded() && map.areTilesLoaded()
    && map.isStyleLoaded(), null, { timeout: Number(args.timeout_ms || 240000), polling: 100 });
  // the last 'idle' comes once every tile and glyph is placed
  await page.evaluate(() => new Promise((resolve) => {
    if (!map.isMoving() && map.loaded()) map.once('idle', resolve); else map.once('idle', resolve);
    map.triggerRepaint();
  }));
  values.idle_ms = Date.now() - t0;
  Object.assign(values, await page.evaluate((query) => {
    const features = {}; const names = {};
    for (const f of map.queryRenderedFeatures()) {
      const layer = f.sourceLayer || f.layer.id;
      features[layer] = (features[layer] || 0) + 1;
      if (f.properties && f.properties.name && (names[layer] || []).length < 50) {
        (names[layer] = names[layer] || []).includes(f.properties.name)
          || names[layer].push(f.properties.name);
      }
    }
    const symbols = map.queryRenderedFeatures()
      .filter((f) => f.layer.type === 'symbol').length;
    const gl = map.painter.context.gl;
    return { features, names, symbols, webgl: gl.getParameter(gl.VERSION),
      canvas: [map.getCanvas().width, map.getCanvas().height],
      center: map.getCenter().toArray(), zoom: map.getZoom(),
      bounds: map.getBounds().toArray(),
      layers: map.getStyle().layers.map((l) => l.id), query: query || [] };
  }, args.query));
  await screenshot(args.name || 'maplibre');
});
