// The portal in Chromium, step by step, as a visitor uses it: load, base maps, search,
// reverse geocode, measure, draw and export, feature info, PNG, time slider, comparison,
// language. Facts go to `values`; tests/portal/test_browser.py asserts on them.
// args: { view: [lon, lat, zoom], past: index of the slider position before the edit,
//         added: name of the feature the edit added (in added_layer, at added_at),
//         edit_bbox: a box holding the whole edit, pick: text of the search result to pick }

import fs from 'node:fs';
import { run } from '../browser/harness.mjs';

const idle = (page, which = 'map') => page.evaluate((w) => new Promise((resolve) => {
  const map = w === 'map' ? window.mapnode.map : window.mapnode.history.other;
  if (map.loaded() && !map.isMoving()) setTimeout(() => (map.loaded() ? resolve() : map.once('idle', resolve)), 50);
  else map.once('idle', resolve);
}), which);

// after a style change (a layer switched off or on): one more frame drawn and the map idle, so
// queryRenderedFeatures sees the new placement
const redrawn = (page) => page.evaluate(() => new Promise((resolve) => {
  const map = window.mapnode.map;
  map.once('idle', resolve);
  map.triggerRepaint();
}));

// the first pixel (10 px steps, 40 px from the edges) where the map draws a feature of a tile
// source layer (`layer`, with a name; or any layer but the portal's own mn-*), or null
const drawnAt = (page, layer = null) => page.evaluate((l) => {
  const map = window.mapnode.map;
  const c = map.getCanvas();
  for (let y = 40; y < c.clientHeight - 40; y += 10) {
    for (let x = 40; x < c.clientWidth - 40; x += 10) {
      const f = map.queryRenderedFeatures([x, y]).find((q) => q.sourceLayer && (l
        ? q.sourceLayer === l && q.properties.name : !q.layer.id.startsWith('mn-')));
      if (f) return { x, y, layer: f.sourceLayer, name: f.properties.name ?? null };
    }
  }
  return null;
}, layer);

await run(async ({ page, base, args, values, screenshot, since }) => {
  const [lon, lat, zoom] = args.view;
  const t0 = Date.now();
  await page.goto(`${base}/#map=${zoom}/${lat}/${lon}`);
  await page.waitForFunction(() => window.mapnode?.ready, null, { timeout: 60000 });
  values.load = {
    load_ms: await page.evaluate(() => window.mapnode.loadMs),
    idle_ms: await page.evaluate(() => window.mapnode.idleMs),
    wall_ms: Date.now() - t0,
    // the requests until the first idle map are those started before this (harness clock;
    // the harness's sizes include tiles fetched by MapLibre's workers, Resource Timing not)
    until_ms: since(),
    lang: await page.evaluate(() => document.documentElement.lang),
    footer: await page.textContent('#footer'),
    canvas: await page.evaluate(() => { const c = window.mapnode.map.getCanvas(); return [c.clientWidth, c.clientHeight]; }),
    symbol_layers: await page.evaluate(() => window.mapnode.map.getStyle().layers.filter((l) => l.type === 'symbol').length),
    coords: await page.evaluate(() => ({ ...document.getElementById('coords').dataset })),
  };
  // the scale bar: its label and its width in CSS px (MapLibre measures at mid-height)
  values.scale = await page.evaluate(() => {
    const el = document.querySelector('#map .maplibregl-ctrl-scale');
    const map = window.mapnode.map;
    return el && { text: el.textContent, px: parseFloat(el.style.width), zoom: map.getZoom(),
      lat: map.unproject([0, map.getCanvas().clientHeight / 2]).lat };
  });
  await screenshot('portal-load');

  // cursor coordinates: move the mouse to a known pixel, read the shown lon/lat and GK
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.move(box.x + 200, box.y + 150);
  values.cursor = await page.evaluate(([x, y]) => {
    const ll = window.mapnode.map.unproject([x, y]);
    return { expected: [ll.lng, ll.lat], shown: { ...document.getElementById('coords').dataset },
      text: document.getElementById('coords').textContent };
  }, [200, 150]);

  // base maps: imagery, labels off, back to vector
  await page.check('input[name=base][value=imagery]');
  await idle(page);
  values.imagery = await page.evaluate(() => {
    const s = window.mapnode.map.getStyle();
    return { raster: s.layers.filter((l) => l.type === 'raster').map((l) => l.id),
      symbol: s.layers.filter((l) => l.type === 'symbol').length };
  });
  await screenshot('portal-imagery');
  await page.uncheck('#labels');
  await idle(page);
  values.imagery_no_labels = await page.evaluate(() => window.mapnode.map.getStyle().layers.filter((l) => l.type === 'symbol').length);
  await page.check('input[name=base][value=vector]');
  await page.check('#labels');
  await idle(page);
  values.vector_again = await page.evaluate(() => {
    const s = window.mapnode.map.getStyle();
    return { raster: s.layers.filter((l) => l.type === 'raster').length, symbol: s.layers.filter((l) => l.type === 'symbol').length };
  });
  await page.uncheck('#labels');  // labels off and on over the vector base too
  await idle(page);
  values.vector_no_labels = await page.evaluate(() => window.mapnode.map.getStyle().layers.filter((l) => l.type === 'symbol').length);
  await page.check('#labels');
  await idle(page);

  // administrative division
  await page.fill('#admin-q', args.division);
  await page.click('#admin-form button[type=submit]');
  await page.waitForSelector('#admin-list li[data-i]', { timeout: 30000 });
  await page.click('#admin-list li[data-i]');
  await page.waitForTimeout(300);
  await idle(page);
  values.division = await page.evaluate(() => ({ code: document.getElementById('admin-list').dataset.current,
    center: window.mapnode.map.getCenter().toArray(), zoom: window.mapnode.map.getZoom() }));

  // search: suggestions while typing, the result list, pick one, popup
  await page.click('#q');
  await page.keyboard.type(args.query, { delay: 60 });
  await page.waitForSelector('#suggest li', { timeout: 60000 });
  values.suggestions = await page.$$eval('#suggest li', (lis) => lis.map((li) => li.textContent));
  await page.keyboard.press('Escape');
  await page.press('#q', 'Enter');
  await page.waitForSelector('#results li', { timeout: 30000 });
  values.results = {
    summary: await page.textContent('#results-summary'),
    items: await page.$$eval('#results li', (lis) => lis.map((li) => li.textContent)),
    page: await page.textContent('#page'),
  };
  if (!(await page.isDisabled('#next'))) {
    await page.click('#next');
    await page.waitForFunction(() => document.getElementById('page').textContent.match(/2/), null, { timeout: 30000 });
    values.results.page2 = await page.$$eval('#results li', (lis) => lis.map((li) => li.textContent));
    await page.click('#prev');
    await page.waitForFunction(() => document.getElementById('prev').disabled, null, { timeout: 30000 });
  }
  await page.evaluate(() => performance.setResourceTimingBufferSize(100000));
  await page.click(`#results li:has-text("${args.pick}") >> nth=0`);
  await page.waitForSelector('.mn-search-popup', { timeout: 30000 });
  await page.waitForTimeout(300);
  await idle(page);
  values.picked = { popup: await page.textContent('.mn-search-popup'),
    center: await page.evaluate(() => window.mapnode.map.getCenter().toArray()) };
  await screenshot('portal-search');

  // right-click: the address of a point
  await page.evaluate(([x, y]) => window.mapnode.map.jumpTo({ center: [x, y], zoom: 15 }), args.view);
  await idle(page);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
  await page.waitForSelector('.mn-reverse-popup .address', { timeout: 60000 });
  values.reverse = await page.textContent('.mn-reverse-popup');

  // measure a distance and an area by clicking the map
  await page.click('[data-tab=tools]');
  const clickAt = async (pts) => { for (const [x, y] of pts) { await page.mouse.click(box.x + x, box.y + y); await page.waitForTimeout(120); } };
  await page.click('[data-tool=distance]');
  await clickAt([[150, 150], [400, 200], [450, 420]]);
  values.distance = await page.evaluate(() => ({ vertices: window.mapnode.tools.vertices,
    metres: Number(document.getElementById('tool-output').dataset.value), text: document.getElementById('tool-output').textContent }));
  await page.click('[data-tool=area]');
  await clickAt([[150, 150], [450, 150], [450, 400], [150, 400]]);
  values.area = await page.evaluate(() => ({ vertices: window.mapnode.tools.vertices,
    m2: Number(document.getElementById('tool-output').dataset.value), text: document.getElementById('tool-output').textContent }));
  await screenshot('portal-measure');

  // draw a point, a line and a polygon; export GeoJSON; save PNG
  await page.click('[data-tool=point]');
  await clickAt([[300, 300]]);
  await page.click('[data-tool=line]');
  await clickAt([[200, 250], [300, 260]]);
  await page.dblclick('#map canvas', { position: { x: 380, y: 300 } });
  await page.click('[data-tool=polygon]');
  await clickAt([[500, 200], [600, 200], [600, 300]]);
  await page.click('#tool-finish');
  const [geojson] = await Promise.all([page.waitForEvent('download'), page.click('#tool-export')]);
  values.exported = JSON.parse(fs.readFileSync(await geojson.path(), 'utf8'));
  values.exported_name = geojson.suggestedFilename();
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#tool-png')]);
  const pngBytes = fs.readFileSync(await png.path());
  values.png = { name: png.suggestedFilename(), bytes: pngBytes.length, magic: pngBytes.subarray(1, 4).toString() };
  await page.click('[data-tool=polygon]'); // tool off again
  await page.click('#tool-clear');

  // feature info: click where a feature of the base map is drawn
  await page.evaluate(([x, y]) => window.mapnode.map.jumpTo({ center: [x, y], zoom: 16 }), args.view);
  await idle(page);
  const target = await drawnAt(page);
  values.info_target = target;
  if (target) {
    await page.mouse.click(box.x + target.x, box.y + target.y);
    await page.waitForSelector('.mn-info-popup', { timeout: 10000 });
    values.info = await page.$$eval('.mn-info-popup .feature-info', (els) => els.map((e) => e.dataset.layer));
  }

  // feature info on a thematic point layer (args.added_layer), then that layer hidden in the list
  await page.evaluate(([x, y]) => window.mapnode.map.jumpTo({ center: [x, y], zoom: 17 }), args.added_at);
  await idle(page);
  const poi = await drawnAt(page, args.added_layer);
  values.thematic = { target: poi };
  if (poi) {
    await page.mouse.click(box.x + poi.x, box.y + poi.y);
    await page.waitForSelector(`.mn-info-popup .feature-info[data-layer="${args.added_layer}"]`, { timeout: 10000 });
    values.thematic.info = await page.$$eval('.mn-info-popup .feature-info', (els) => els.map((e) => ({ layer: e.dataset.layer, text: e.textContent })));
    await page.click('[data-tab=layers]');
    await page.uncheck(`#layer-list input[data-layer="${args.added_layer}"]`);
    await redrawn(page);
    values.thematic.hidden_drawn = await drawnAt(page, args.added_layer);
    await page.mouse.click(box.x + poi.x, box.y + poi.y);
    await page.waitForTimeout(500);
    values.thematic.hidden_info = await page.$$eval('.mn-info-popup .feature-info', (els) => els.map((e) => e.dataset.layer));
    await page.check(`#layer-list input[data-layer="${args.added_layer}"]`);
    await redrawn(page);
    values.thematic.shown_again = await drawnAt(page, args.added_layer);
  }

  // time slider: the map as it was before the edit; tiles asked again with datetime=
  await page.click('[data-tab=history]');
  const added = (m = 'map') => page.evaluate(([n, layer, which]) => {
    const map = which === 'map' ? window.mapnode.map : window.mapnode.history.other;
    const src = Object.keys(map.getStyle().sources).find((id) => !id.startsWith('mn-'));
    return map.querySourceFeatures(src, { sourceLayer: layer, filter: ['==', ['get', 'name'], n] }).length;
  }, [args.added, args.added_layer, m]);
  await page.evaluate(([x, y]) => window.mapnode.map.jumpTo({ center: [x, y], zoom: 17 }), args.added_at);
  await idle(page);
  values.slider = { now_count: await added() };
  const tiles = [];  // tile responses after the slider moved (tiles come from MapLibre's workers)
  const onTile = (r) => { if (r.url().includes('/tiles/')) tiles.push(r.url()); };
  page.on('response', onTile);
  await page.evaluate((i) => {
    const s = document.getElementById('time-slider');
    s.value = String(i);
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, args.past);
  await page.waitForTimeout(200);
  await idle(page);
  values.slider.past_count = await added();
  values.slider.label = await page.textContent('#time-label');
  values.slider.datetime = await page.evaluate(() => document.getElementById('time-label').dataset.datetime);
  page.off('response', onTile);
  values.slider.tiles = tiles;
  await screenshot('portal-past');
  await page.evaluate(() => {
    const s = document.getElementById('time-slider');
    s.value = s.max;
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await idle(page);
  values.slider.back_count = await added();

  // compare two dates: swipe, the change list in view, then side by side
  await page.selectOption('#cmp-from', String(args.past));
  await page.selectOption('#cmp-to', String(args.past + 1));
  await page.click('#cmp-go');
  await page.waitForSelector('#changes section', { timeout: 60000 });
  values.compare_first = await page.$$eval('#changes li', (lis) => lis.map((li) => li.textContent));
  // widen the view to the whole edit: the list follows the view
  await page.evaluate((b) => window.mapnode.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { duration: 0 }), args.edit_bbox);
  await page.waitForSelector('#changes li[data-kind=changed]', { timeout: 60000 });
  await idle(page);
  await idle(page, 'other');
  values.compare = {
    changes: await page.$$eval('#changes li', (lis) => lis.map((li) => ({ kind: li.dataset.kind, layer: li.dataset.layer, text: li.textContent }))),
    counts: await page.$$eval('#changes [data-count]', (els) => els.map((e) => [e.closest('section').dataset.layer, e.dataset.kind, Number(e.dataset.count)])),
    a_count: await added('map'), b_count: await added('other'),
    b_visible: await page.isVisible('#map-b'), swipe_visible: await page.isVisible('#swipe'),
    labels: await page.textContent('#cmp-labels'),
  };
  await screenshot('portal-compare-swipe');
  await page.check('input[name=cmp-mode][value=side]');
  await page.waitForTimeout(300);
  await idle(page, 'other');
  values.compare.side = await page.evaluate(() => [document.getElementById('map').clientWidth, document.getElementById('map-b').clientWidth]);
  await screenshot('portal-compare-side');
  await page.click('#cmp-end');

  // English, remembered across a reload
  await page.click('#lang');
  await page.reload();
  await page.waitForFunction(() => window.mapnode?.ready, null, { timeout: 60000 });
  values.english = { lang: await page.evaluate(() => document.documentElement.lang),
    nav: await page.textContent('[data-view=resources]'), placeholder: await page.getAttribute('#q', 'placeholder') };
  await page.click('#lang');
});
