// The resource centre's ready-made snippets, run as a user would paste them: the MapLibre and
// OpenLayers snippets of the node (basemap) and of one layer's card (args.layer) each go verbatim
// into a page of their own with the library (mapnode's vendored MapLibre; npm ol as ES modules
// through an import map) and must draw a map. Leaflet and QGIS cannot run here: their text is
// handed back and Python fetches the URLs in it (tests/portal/test_browser.py).
// values: { snippets: [{ owner, name, code }], runs: [{ owner, name, features | pixels }] }

import fs from 'node:fs';
import { run, nodeModule } from '../browser/harness.mjs';

const IMPORTS = { 'ol/': '/__test__/nm/ol/', rbush: '/__test__/nm/rbush/index.js',
  quickselect: '/__test__/nm/quickselect/index.js', pbf: '/__test__/nm/pbf/index.js',
  earcut: '/__test__/nm/earcut/src/earcut.js' };

const page_ = (head, body) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="icon" href="data:,"><style>html,body,#map{margin:0;width:100%;height:100%}</style>
${head}</head><body><div id="map"></div>${body}</body></html>`;

await run(async ({ page, base, args, values, screenshot, serve }) => {
  // npm packages as ES modules
  await page.route(`${base}/__test__/nm/**`, (route) => {
    const isFile = (f) => fs.existsSync(f) && fs.statSync(f).isFile();
    const file = nodeModule(new URL(route.request().url()).pathname.slice('/__test__/nm/'.length));
    if (!isFile(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body: fs.readFileSync(file),
      contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript' });
  });
  await page.goto(`${base}/#resources`);
  await page.waitForSelector('#view-resources[data-ready="1"]', { timeout: 60000 });
  values.snippets = await page.$$eval('div.snippet pre', (pres) => pres.map((p) => ({
    owner: p.closest('.card')?.dataset.layer ?? 'node',
    name: p.closest('div.snippet').previousElementSibling.textContent, code: p.textContent })));
  // leave once the lazy thumbnails are in (else their requests are cut off, and reported)
  await page.evaluate(() => document.querySelectorAll('img.thumb').forEach((i) => { i.loading = 'eager'; }));
  await page.waitForFunction(() => [...document.querySelectorAll('img.thumb')].every((i) => i.complete), null, { timeout: 60000 });
  values.runs = [];
  for (const s of values.snippets.filter((x) => ['node', args.layer].includes(x.owner))) {
    const file = `/__test__/snippet-${values.runs.length}.html`;
    if (s.name.startsWith('MapLibre')) {
      await serve(file, page_(`<link rel="stylesheet" href="/portal/static/vendor/maplibre-gl/maplibre-gl.css">
<script src="/portal/static/vendor/maplibre-gl/maplibre-gl.js"></script>`,
      `<script>${s.code}\nwindow.snippetMap = map;</script>`), 'text/html; charset=utf-8');
      await page.goto(base + file);
      await page.waitForFunction(() => window.snippetMap?.loaded(), null, { timeout: 60000 });
      const features = await page.evaluate(() => new Promise((resolve) => {
        const m = window.snippetMap;
        m.once('idle', () => resolve(m.queryRenderedFeatures().filter((f) => f.sourceLayer).length));
        m.triggerRepaint();
      }));
      values.runs.push({ owner: s.owner, name: s.name, features });
    } else if (s.name.startsWith('OpenLayers')) {
      // each "ol/x" the snippet names maps to ol/x.js, the URL ol's own modules import it by,
      // so there is one instance of each module (as a bundler resolves it)
      const named = Object.fromEntries([...s.code.matchAll(/from "(ol\/[^"]+)"/g)]
        .map(([, spec]) => [spec, `/__test__/nm/${spec}${spec.endsWith('.js') ? '' : '.js'}`]));
      await serve(file, page_(`<script type="importmap">${JSON.stringify({ imports: { ...IMPORTS, ...named } })}</script>
<link rel="stylesheet" href="/__test__/nm/ol/ol.css">`,
      `<script type="module">${s.code}\nwindow.snippetMap = map;</script>`), 'text/html; charset=utf-8');
      await page.goto(base + file);
      await page.waitForFunction(() => window.snippetMap, null, { timeout: 60000 });
      // share of the canvas drawn opaque, and how many colours: a map, not a blank
      const pixels = await page.evaluate(() => new Promise((resolve) => {
        const m = window.snippetMap;
        m.once('rendercomplete', () => {
          const c = m.getViewport().querySelector('canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let opaque = 0;
          const colours = new Set();
          for (let i = 0; i < d.length; i += 4 * 7) {
            if (d[i + 3] === 255) opaque += 1;
            colours.add((d[i] >> 3) * 1024 + (d[i + 1] >> 3) * 32 + (d[i + 2] >> 3));
          }
          resolve({ opaque: opaque / (d.length / 28), colours: colours.size });
        });
        m.render();
      }));
      values.runs.push({ owner: s.owner, name: s.name, pixels });
    } else {
      continue;
    }
    await screenshot(`portal-snippet-${s.owner}-${s.name.split(' ')[0].toLowerCase()}`);
  }
});
