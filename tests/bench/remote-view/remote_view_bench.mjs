// Figures of the remote view (docs/console.md): see CMakeLists.txt. Goals (issue 10): latency median < 200 ms,
// p95 < 400 ms; < 2 Mbit/s while a script runs, near zero while still; click median < 100 ms on loopback.
import fs from 'node:fs';
import path from 'node:path';
import { startStack, launchBrowser, eventually } from '../../browser/stack.mjs';

const tid = (id) => `[data-testid="${id}"]`;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const stack = await startStack('remote-bench');
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.setDefaultTimeout(180000);
  await page.goto(stack.url);
  await page.fill(tid('login-token'), stack.token);
  await page.click(tid('login-submit'));
  await page.waitForSelector(tid('requests-view'));
  await page.goto(`${stack.url}#/agent/agent1`);
  await eventually(async () => (await page.evaluate(() => window.__dockhandView.keyFrames)) > 0, { timeoutMs: 180000, what: 'a key frame' });
  // Bytes of JPEG drawn per second, counted in the page from the tiles' base64 (the agent's FRAME payload).
  await page.evaluate(() => {
    window.__bytes = 0;
    const orig = JSON.parse;
    JSON.parse = (text, ...rest) => {
      const v = orig(text, ...rest);
      if (v && Array.isArray(v.tiles)) for (const t of v.tiles) window.__bytes += Math.floor(t.jpeg.length * 3 / 4);
      return v;
    };
  });
  const window_ = async (ms) => {
    const b0 = await page.evaluate(() => { window.__dockhandView.latencies = []; return window.__bytes; });
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    const { bytes, lat } = await page.evaluate(() => ({ bytes: window.__bytes, lat: window.__dockhandView.latencies }));
    return { mbit: ((bytes - b0) * 8) / ((Date.now() - t0) / 1000) / 1e6, lat };
  };
  const still = await window_(10000);
  // A close-out running (not supervised) while watched: frames follow the screen.
  const job = await stack.api('/api/jobs', { method: 'POST', body: { script: 'erp-closeout', vars: { po: '7HXQ3M2P' }, supervised: false } });
  const running = await window_(8000);
  await eventually(async () => (await stack.api(`/api/jobs/${job.job_id}`)).state === 'done', { timeoutMs: 180000, what: 'the job done' });
  const lat = running.lat.concat(still.lat);
  console.log(`remote view latency (capture on the agent -> drawn in Chromium), ${lat.length} frames: median ${pct(lat, 0.5)} ms, p95 ${pct(lat, 0.95)} ms`);
  console.log(`bandwidth at 5 fps on 1920x1080: ${running.mbit.toFixed(3)} Mbit/s while a close-out runs, ${still.mbit.toFixed(4)} Mbit/s while the screen is still`);
  // Click latency: take over, click the ERP's PO field; its state file records the focus change? It records
  // searches: a click on Search with the field filled. Measured: page click -> ERP "search" event time.
  await page.click(tid('view-takeover'));
  await eventually(async () => (await page.getAttribute(tid('view-status'), 'data-mode')) === 'held', { timeoutMs: 60000, what: 'held' });
  const statePath = path.join(stack.run, 'apps/erp1.json');
  const state = () => JSON.parse(fs.readFileSync(statePath, 'utf8'));
  const { execFileSync } = await import('node:child_process');
  const display = fs.readFileSync(path.join(stack.run, 'apps/display1'), 'utf8').trim();
  const info = execFileSync('xwininfo', ['-name', 'Legacy ERP - Warehouse Management'], { env: { ...process.env, DISPLAY: display } }).toString();
  const wx = Number(info.match(/Absolute upper-left X:\s+(\d+)/)[1]);
  const wy = Number(info.match(/Absolute upper-left Y:\s+(\d+)/)[1]);
  const search = state().layout.search;
  const box = await page.locator(tid('view-canvas')).boundingBox();
  const clicks = [];
  try {
  for (let i = 0; i < 10; i++) {
    const before = (state().events || []).filter((e) => e.type === 'search').length;
    const t0 = Date.now();
    await page.mouse.click(box.x + (wx + search[0] + search[2] / 2) * box.width / 1920, box.y + (wy + search[1] + search[3] / 2) * box.height / 1080);
    const landed = await eventually(() => {
      const s = state().events.filter((e) => e.type === 'search');
      return s.length > before && s[s.length - 1];
    }, { timeoutMs: 30000, intervalMs: 5, what: 'the click to land' });
    clicks.push(Date.parse(landed.time) - t0);
  }
  console.log(`click in the page -> click handled by the ERP: median ${pct(clicks, 0.5)} ms, p95 ${pct(clicks, 0.95)} ms (${clicks.length} clicks)`);
  } catch (e) {
    // Known gap (see the closing note): the Search click on an idle, held agent did not reach the ERP here.
    console.log(`click latency: not measured (${e.message}; ${clicks.length} clicks landed)`);
  }
  await page.click(tid('view-handback'));
} finally {
  await browser.close();
  await stack.stop();
}
