// The developer page in Chromium: press every example's Run button and report what came back.

import { run } from '../browser/harness.mjs';

await run(async ({ page, base, values, screenshot }) => {
  await page.goto(`${base}/docs`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  values.operations = await page.$$eval('#openapi .op', (ops) => ops.map((o) => o.dataset.path));
  const buttons = await page.$$('#examples button.run, #tianditu button.run');
  for (const b of buttons) {
    await b.click();
  }
  await page.waitForFunction(() => [...document.querySelectorAll('#examples .op, #tianditu .op')].every((o) => o.dataset.status),
    null, { timeout: 120000 });
  values.runs = await page.$$eval('#examples .op, #tianditu .op', (ops) => ops.map((o) => ({
    url: o.querySelector('button.run').dataset.url, status: Number(o.dataset.status),
    shown: o.querySelector('pre').textContent.slice(0, 2000) })));
  await screenshot('portal-docs');
});
