// The Operator Console's speed with 10,000 requests in the store, in Debian's Chromium: the requests view's
// first paint (navigation to the first page of rows painted; goal < 1 s) and a request page (from the click to
// its timeline painted; goal < 300 ms), plus paging. Runs beside the SP-API simulator
// (scripts/with-spapi-sim.sh, as ctest's bench.console.first_paint does); prints figures, asserts nothing
// about speed. Usage: node console_bench.mjs [--requests N] [--runs N]
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, launchBrowser, buildDir, orchestratorBin } from '../../browser/stack.mjs';

const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('--requests', 10000);
const RUNS = arg('--runs', 10);
const fill = process.env.CONSOLE_BENCH_FILL || path.join(buildDir, 'tests/bench/console-page/console-bench-fill');
const sim = process.env.DOCKHAND_SPAPI_SIM_URL;
if (!sim) { console.error('console_bench: run it under scripts/with-spapi-sim.sh'); process.exit(2); }

// On tmpfs when there is one: the filler commits one transaction per step (some 80,000), which a disk's fsync
// makes minutes long; the console's reads do not care where the file is.
const base = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').isDirectory() ? '/dev/shm' : os.tmpdir();
const dir = fs.mkdtempSync(path.join(base, 'dockhand-console-bench-'));
let serve = null;
const cleanup = () => { if (serve && serve.exitCode === null) serve.kill('SIGKILL'); };
process.on('exit', () => { cleanup(); if (!process.env.DOCKHAND_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true }); });
process.on('SIGTERM', () => process.exit(143));

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${s.at(-1).toFixed(0)} ms (${s.length} runs)`;
};

async function main() {
  let t = Date.now();
  execFileSync(fill, [path.join(dir, 'store.sqlite'), String(N)], { stdio: 'inherit' });
  console.log(`store filled in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const token = crypto.randomBytes(24).toString('base64url');
  const secret = (name, text) => fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  secret('lwa-client-secret', 'amzn1.oa2-cs.v1.S3cr3t-Sim-Client-Secret-7f4a2b');
  secret('lwa-refresh-token', 'Atzr|IwEBI-Sim-Refresh-Token/With+Specials=9c1d');
  secret('console-tokens', `${crypto.createHash('sha256').update(token).digest('hex')} bench operator\n`);
  fs.writeFileSync(path.join(dir, 'orders.csv'), 'po,vendor_code,ship_from,destination_fc,ship_window_start,ship_window_end,status\n');
  execFileSync(orchestratorBin, ['orders', 'import', path.join(dir, 'orders.csv'), '--db', path.join(dir, 'orders.sqlite')]);
  fs.mkdirSync(path.join(dir, 'inbox/new'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    store: 'store.sqlite', orders_db: 'orders.sqlite',
    mail: { source: 'maildir', poll_interval_ms: 1000, maildir: { path: 'inbox' } },
    spapi: { endpoint: sim, lwa_endpoint: `${sim}/auth/o2/token`, client_id: 'amzn1.application-oa2-client.dockhandsim',
             client_secret_file: 'lwa-client-secret', refresh_token_file: 'lwa-refresh-token' },
    console: { bind: '127.0.0.1', port: 0, tokens_file: 'console-tokens' },
    logging: { level: 'info', file: 'serve.log' },
  }, null, 2));
  serve = spawn(orchestratorBin, ['serve', '--config', path.join(dir, 'config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = await eventually(() => {
    if (serve.exitCode !== null) throw Object.assign(new Error('serve ended'), {});
    const log = fs.existsSync(path.join(dir, 'serve.log')) ? fs.readFileSync(path.join(dir, 'serve.log'), 'utf8') : '';
    const line = log.split('\n').find((l) => /console/i.test(l) && /http:\/\/127\.0\.0\.1:\d+/.test(l));
    return line && line.match(/http:\/\/127\.0\.0\.1:\d+/)[0];
  }, { timeoutMs: 60000, what: 'the console to come up' });
  console.log(`console at ${url} over ${N} requests`);

  const browser = await launchBrowser();
  const paints = [];
  const fcps = [];
  const pages = [];
  const older = [];
  const apis = {};
  const milestones = {};
  const warm = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.request.post(`${url}/api/login`, { data: { token } });
    const page = await context.newPage();
    // The moment the first row is painted: the frame after it entered the DOM.
    await page.addInitScript(() => {
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-testid="request-row"]')) {
          obs.disconnect();
          requestAnimationFrame(() => { window.__rowsPainted = performance.now(); });
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${url}/#/requests`);
    await page.waitForFunction(() => window.__rowsPainted, null, { timeout: 60000 });
    paints.push(await page.evaluate(() => window.__rowsPainted));
    // Where the time went: each API call of the first load, from its start to its last byte.
    for (const [name, ms] of await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/')).map((e) => [new URL(e.name).pathname, e.responseEnd - e.startTime]))) {
      (apis[name] = apis[name] || []).push(ms);
    }
    // The milestones of that load: the page's modules in, the first API call sent, the rows' data in.
    const m = await page.evaluate(() => {
      const r = performance.getEntriesByType('resource');
      const end = (f) => Math.max(0, ...r.filter(f).map((e) => e.responseEnd));
      return { modules: end((e) => e.name.endsWith('.js')), me: (r.find((e) => e.name.includes('/api/me')) || {}).startTime || 0,
               rows: end((e) => e.name.includes('/api/requests')) };
    });
    for (const [k, v] of Object.entries(m)) (milestones[k] = milestones[k] || []).push(v);
    const fcp = await page.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime);
    if (fcp) fcps.push(fcp);
    // The same view loaded again in the browser now open (its renderer and HTTP cache warm): an operator
    // coming back to the console.
    await page.goto('about:blank');
    await page.goto(`${url}/#/requests`);
    await page.waitForFunction(() => window.__rowsPainted, null, { timeout: 60000 });
    warm.push(await page.evaluate(() => window.__rowsPainted));
    if (run === 0) {
      const total = await page.textContent('[data-testid="requests-total"]');
      console.log(`requests view says: ${total}`);
    }
    // A request page, opened from the list the way an operator does.
    const ids = await page.locator('[data-testid="request-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    const id = ids[(run * 7) % ids.length];
    pages.push(await page.evaluate((rid) => new Promise((resolve) => {
      const t0 = performance.now();
      const obs = new MutationObserver(() => {
        const view = document.querySelector(`[data-testid="request-view"][data-id="${rid}"]`);
        if (view && view.querySelector('[data-testid="timeline-row"]')) {
          obs.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        }
      });
      obs.observe(document.getElementById('main'), { childList: true, subtree: true });
      document.querySelector(`[data-testid="request-row"][data-id="${rid}"] a`).click();
    }), id));
    // "older" from the first page: the next 50 rows painted.
    await page.goto(`${url}/#/requests`);
    await page.waitForSelector('[data-testid="page-older"]:not([disabled])');
    older.push(await page.evaluate(() => new Promise((resolve) => {
      const first = document.querySelector('[data-testid="request-row"]').dataset.id;
      const t0 = performance.now();
      const obs = new MutationObserver(() => {
        const row = document.querySelector('[data-testid="request-row"]');
        if (row && row.dataset.id !== first) { obs.disconnect(); requestAnimationFrame(() => resolve(performance.now() - t0)); }
      });
      obs.observe(document.getElementById('main'), { childList: true, subtree: true });
      document.querySelector('[data-testid="page-older"]').click();
    })));
    await context.close();
  }
  await browser.close();
  // Browser figures follow the machine's load closely: say what it was.
  console.log(`load average during the runs: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  console.log(`requests view, navigation to the first ${50} rows painted: ${stats(paints)}  (goal < 1000 ms)`);
  if (fcps.length) console.log(`requests view, first contentful paint (the page shell): ${stats(fcps)}`);
  for (const [name, ms] of Object.entries(apis)) console.log(`  first load, ${name}: ${stats(ms)}`);
  console.log(`  first load milestones (from navigation): modules in ${stats(milestones.modules)}; ` +
              `/api/me sent ${stats(milestones.me)}; rows' data in ${stats(milestones.rows)}`);
  console.log(`requests view, loaded again in the open browser, first rows painted: ${stats(warm)}  (goal < 1000 ms)`);
  console.log(`request page, click to its timeline painted: ${stats(pages)}  (goal < 300 ms)`);
  console.log(`requests view, "older" to the next page painted: ${stats(older)}`);
  serve.kill('SIGTERM');
  await eventually(() => serve.exitCode !== null, { timeoutMs: 20000, what: 'serve to stop' }).catch(() => {});
}

main().catch((e) => {
  console.error(`console_bench: ${e.stack || e.message}`);
  const log = path.join(dir, 'serve.log');
  if (fs.existsSync(log)) console.error(fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n'));
  process.exit(1);
});
