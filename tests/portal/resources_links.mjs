// The resource centre in Chromium: every link it shows (service URLs, TileJSON, OGC API,
// downloads) and every thumbnail is fetched with the page's own cookies and origin; the
// facts say what came back. Python judges the bodies (tests/portal/test_browser.py).

import { run } from '../browser/harness.mjs';

await run(async ({ page, base, values, screenshot }) => {
  await page.goto(`${base}/#resources`);
  await page.waitForSelector('#view-resources[data-ready="1"]', { timeout: 60000 });
  await page.waitForSelector('.card');
  values.cards = await page.$$eval('.card', (cards) => cards.map((c) => c.dataset.layer));
  values.snippets = await page.$$eval('.snippet pre', (pres) => pres.map((p) => p.textContent));
  // each card's metadata list: {layer: {term: value}} (terms in the page's language)
  values.metadata = await page.$$eval('.card', (cards) => Object.fromEntries(cards.map((c) => [c.dataset.layer,
    Object.fromEntries([...c.querySelectorAll('dl dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]))])));
  values.copyable = await page.$$eval('.urls code', (codes) => codes.map((c) => c.textContent));
  const links = await page.$$eval('a.res-link', (as) => as.map((a) => ({ url: a.href, kind: a.dataset.kind, text: a.textContent })));
  const thumbs = await page.$$eval('img.thumb', (imgs) => imgs.map((i) => ({ url: i.src, kind: 'png', text: i.alt })));
  values.links = [];
  for (const link of [...links, ...thumbs]) {
    const r = await page.request.get(link.url, { timeout: 120000 });
    const body = await r.body();
    const fact = { ...link, status: r.status(), type: r.headers()['content-type'] || '', size: body.length,
      magic: body.subarray(0, 16).toString('latin1') };
    // U+0085/U+2028/U+2029 pass JSON.stringify raw but split the facts line in Python's
    // str.splitlines(): blank them in the text we hand back (it is only read, not compared)
    const text = ['json', 'geojson', 'xml', 'csv'].includes(link.kind)
      ? body.toString('utf8').replace(/[\u0085\u2028\u2029]/g, ' ') : '';
    if (link.kind === 'json' || link.kind === 'geojson') {
      try {
        const parsed = JSON.parse(text);  // the whole body, however large
        fact.json = { type: parsed.type ?? null, keys: Object.keys(parsed).slice(0, 20),
          features: Array.isArray(parsed.features) ? parsed.features.length : null };
      } catch (err) { fact.json = { error: String(err) }; }
    } else if (link.kind === 'xml') {
      fact.text = text;
    } else if (link.kind === 'csv') {
      fact.text = text.split('\n').slice(0, 50).join('\n');
    }
    values.links.push(fact);
  }
  // the page itself: scroll through so the lazy thumbnails load, then a screenshot
  await page.evaluate(() => document.querySelectorAll('img.thumb').forEach((i) => { i.loading = 'eager'; }));
  await page.waitForFunction(() => [...document.querySelectorAll('img.thumb')].every((i) => i.complete), null, { timeout: 60000 });
  values.thumbs_loaded = await page.$$eval('img.thumb', (imgs) => imgs.map((i) => i.naturalWidth));
  await page.click('.card details summary');
  await screenshot('portal-resources', { fullPage: false });
});
