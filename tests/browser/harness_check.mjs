// Self-check of the harness: a page that does what args.mode says (clean or broken).
import { run } from './harness.mjs';

await run(async ({ page, base, args, values, screenshot, serve, since }) => {
  const broken = args.mode === 'broken';
  const script = broken
    ? `console.error('故意的错误 / deliberate error');
       fetch('/no/such/path.json');
       setTimeout(() => { throw new Error('deliberate page error'); }, 0);`
    : '';
  await serve('/__test__/page.html', `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
    <link rel="icon" href="data:,"><title>测试页</title></head>
    <body><canvas id="c" width="64" height="64"></canvas><script>${script}</script></body></html>`,
  'text/html; charset=utf-8');
  await page.goto(base + '/__test__/page.html');
  values.health_from_ms = since();
  await page.evaluate(() => fetch('/health').then((r) => r.json()));
  await page.waitForTimeout(300);
  values.title = await page.title();
  values.webgl2 = await page.evaluate(() => {
    const gl = document.getElementById('c').getContext('webgl2');
    return gl ? gl.getParameter(gl.VERSION) : null;
  });
  values.viewport = await page.evaluate(() => [innerWidth, innerHeight, devicePixelRatio]);
  await screenshot(`harness-${args.mode}`);
});
