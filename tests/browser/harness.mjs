// The Node half of the browser-test harness (the Python half is tests/support/browser.py).
//
// A page script imports `run` and gives it one async function; `run` launches Debian's chromium
// through npm playwright-core (web/node_modules) with a fresh profile, records everything that
// goes wrong on the page, and prints ONE JSON object of facts on stdout:
//   { console_errors, page_errors, failed_requests, bad_responses, values, screenshots, timing,
//     error, responses: [{url, status, type, start_ms, ms, bytes}] }
// (`start_ms` from the script's start, `ms` to the end of the body, `bytes` on the wire;
// `since()` in the script gives ms from the same start, to split responses by step)
//
//   import { run } from './harness.mjs';
//   await run(async ({ page, base, values, screenshot }) => {
//     await page.goto(base + '/');
//     values.title = await page.title();
//     await screenshot('landing');
//   });
//
// Inputs come from the environment (set by run_page in tests/support/browser.py):
// MAPNODE_BASE_URL, MAPNODE_VIEWPORT ("1024x768"), MAPNODE_SCALE (device pixel ratio),
// MAPNODE_OUT_DIR (screenshots), MAPNODE_ARGS (JSON for the script), MAPNODE_CHROMIUM,
// MAPNODE_WEB_DIR (the folder holding node_modules), MAPNODE_IGNORE (JSON list of URL regexes
// whose failures are not counted, e.g. "favicon\\.ico$").

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = process.env.MAPNODE_WEB_DIR || path.resolve(HERE, '../../web');
const require = createRequire(path.join(WEB_DIR, 'package.json'));

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // WebGL without a GPU: ANGLE on SwiftShader (MapLibre needs WebGL 2)
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

/** The path of a file inside web/node_modules (e.g. 'maplibre-gl/dist/maplibre-gl.js'). */
export function nodeModule(relative) {
  return path.join(WEB_DIR, 'node_modules', relative);
}

/** Answer `urlPath` on the page's origin with `body` (a string or Buffer) from the test itself. */
export async function serve(page, base, urlPath, body, contentType) {
  await page.route(base + urlPath, (route) => route.fulfill({ status: 200, body, contentType }));
}

/** Answer `urlPath` with a file (e.g. from node_modules). */
export async function serveFile(page, base, urlPath, file, contentType) {
  await serve(page, base, urlPath, fs.readFileSync(file), contentType);
}

export async function run(fn) {
  const started = Date.now();
  const base = (process.env.MAPNODE_BASE_URL || '').replace(/\/$/, '');
  const [width, height] = (process.env.MAPNODE_VIEWPORT || '1024x768').split('x').map(Number);
  const scale = Number(process.env.MAPNODE_SCALE || '1');
  const outDir = process.env.MAPNODE_OUT_DIR || path.resolve(HERE, '../../artifacts/browser');
  const args = JSON.parse(process.env.MAPNODE_ARGS || '{}');
  const ignore = JSON.parse(process.env.MAPNODE_IGNORE || '[]').map((p) => new RegExp(p));
  const ignored = (url) => ignore.some((re) => re.test(url || ''));
  fs.mkdirSync(outDir, { recursive: true });

  const facts = {
    console_errors: [], page_errors: [], failed_requests: [], bad_responses: [], responses: [],
    values: {}, screenshots: [], timing: {}, error: null,
  };
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mapnode-chromium-'));
  let context;
  try {
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.MAPNODE_CHROMIUM || '/usr/bin/chromium',
      headless: true, args: CHROMIUM_ARGS, viewport: { width, height },
      deviceScaleFactor: scale, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    });
    facts.timing.launch_ms = Date.now() - started;
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !ignored(msg.location().url)) {
        facts.console_errors.push({ text: msg.text(), url: msg.location().url });
      }
    });
    page.on('pageerror', (err) => facts.page_errors.push(String(err && err.stack || err)));
    page.on('requestfailed', (req) => {
      if (!ignored(req.url())) {
        facts.failed_requests.push({ url: req.url(), error: req.failure()?.errorText || '' });
      }
    });
    const entries = new Map();
    page.on('response', (res) => {
      const entry = { url: res.url(), status: res.status(), type: res.request().resourceType() };
      facts.responses.push(entry);
      entries.set(res.request(), entry);
      if (res.status() >= 400 && !ignored(res.url())) facts.bad_responses.push(entry);
    });
    // when a body has arrived: ms from the request's start, bytes on the wire (page weight)
    page.on('requestfinished', async (req) => {
      const entry = entries.get(req);
      if (!entry) return;
      const t = req.timing();
      entry.start_ms = Math.round(t.startTime - started);
      entry.ms = t.responseEnd >= 0 ? Math.round(t.responseEnd) : null;
      entry.bytes = await req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize,
        () => null);
    });
    const screenshot = async (name, options = {}) => {
      const file = path.join(outDir, `${name}.png`);
      await page.screenshot({ path: file, ...options });
      facts.screenshots.push(file);
      return file;
    };
    const t0 = Date.now();
    await fn({ page, context, base, args, values: facts.values, screenshot, width, height,
      outDir, since: () => Date.now() - started, serve: (p, body, type) => serve(page, base, p, body, type),
      serveFile: (p, file, type) => serveFile(page, base, p, file, type) });
    facts.timing.script_ms = Date.now() - t0;
  } catch (err) {
    facts.error = String(err && err.stack || err);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  facts.timing.total_ms = Date.now() - started;
  process.stdout.write('\n' + JSON.stringify(facts) + '\n');
}
