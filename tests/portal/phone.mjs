// The portal on a 390×844 phone viewport: the map fills the screen, nothing overflows sideways,
// the panel folds into a bottom sheet, search and the resource centre still work.

import { run } from '../browser/harness.mjs';

await run(async ({ page, base, args, values, screenshot, width }) => {
  const [lon, lat, zoom] = args.view;
  await page.goto(`${base}/#map=${zoom}/${lat}/${lon}`);
  await page.waitForFunction(() => window.mapnode?.ready, null, { timeout: 60000 });
  const layout = () => page.evaluate(() => {
    const rect = (sel) => { const r = document.querySelector(sel).getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
    return { scroll_width: document.scrollingElement.scrollWidth, inner: [innerWidth, innerHeight],
      map: rect('#map canvas'), panel: rect('#panel'), search: rect('#q'), footer: rect('#footer'),
      collapsed: document.getElementById('panel').classList.contains('collapsed'),
      features: window.mapnode.map.queryRenderedFeatures().filter((f) => f.sourceLayer).length,
      scale_bar: Boolean(document.querySelector('#map .maplibregl-ctrl-scale')) };
  });
  values.width = width;
  values.start = await layout();
  await screenshot('portal-phone');
  await page.click('#panel-toggle');
  values.opened = await layout();
  await page.click('#q');
  await page.keyboard.type(args.query, { delay: 60 });
  await page.waitForSelector('#suggest li', { timeout: 60000 });
  values.suggest = await page.evaluate(() => {
    const r = document.getElementById('suggest').getBoundingClientRect();
    return { items: document.querySelectorAll('#suggest li').length, right: r.right, left: r.left };
  });
  await screenshot('portal-phone-search');
  await page.keyboard.press('Escape');
  await page.click('[data-view=resources]');
  await page.waitForSelector('#view-resources[data-ready="1"]', { timeout: 60000 });
  values.resources = await page.evaluate(() => ({ scroll_width: document.scrollingElement.scrollWidth,
    card: document.querySelector('.card').getBoundingClientRect().width }));
  await screenshot('portal-phone-resources');
});
