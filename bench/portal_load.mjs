// One browser for bench/portal_bench.py: the portal loaded cold (a fresh profile, empty HTTP
// cache), then `args.warm` return visits in the same browser (HTTP cache filled). Each visit
// goes to about:blank first and then to `args.path`, as a person coming back would.
// values.visits: [{ cold, from_ms, until_ms, load_ms, idle_ms, features, tiles_loaded, view }]
// (`from_ms`/`until_ms` bound the visit's requests on the harness clock, `since()`;
// `load_ms`/`idle_ms` are from navigation start: MapLibre's `load` and first `idle`)

import { run } from '../tests/browser/harness.mjs';

await run(async ({ page, base, args, values, screenshot, since }) => {
  values.visits = [];
  for (let i = 0; i <= (args.warm ?? 2); i += 1) {
    await page.goto('about:blank');
    const from = since();
    await page.goto(base + (args.path || '/'));
    await page.waitForFunction(() => window.mapnode?.ready, null, { timeout: 180000 });
    const until = since();
    const facts = await page.evaluate(() => {
      const { map, loadMs, idleMs } = window.mapnode;
      return { load_ms: loadMs, idle_ms: idleMs, features: map.queryRenderedFeatures().length,
        tiles_loaded: map.areTilesLoaded(),
        view: { zoom: map.getZoom(), center: map.getCenter().toArray() } };
    });
    values.visits.push({ cold: i === 0, from_ms: from, until_ms: until, ...facts });
    if (args.name) await screenshot(`${args.name}-${i === 0 ? 'cold' : `warm${i}`}`);
    await page.waitForTimeout(500); // late bodies finish, so their sizes are known
  }
});
