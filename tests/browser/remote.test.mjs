// The remote view, supervised replay and take-over in real Chromium against the real stack (stack.mjs:
// demo.sh --no-mail: serve with the console, one agent on Xvfb in front of the simulated ERP and OpShip).
// The agent's screen is compared with what the page drew; the ERP's --state file says what really happened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, launchBrowser, eventually, screenshotDir, buildDir } from './stack.mjs';

const LONG = 180000;
let stack;
let browser;
let page;
const shots = screenshotDir();
const shot = (name) => page.screenshot({ path: path.join(shots, `remote-${name}.png`), fullPage: true });
const tid = (id) => `[data-testid="${id}"]`;
const agentBin = path.join(buildDir, 'agent/dockhand-agent');

const display = () => fs.readFileSync(path.join(stack.run, 'apps/display1'), 'utf8').trim();
const erpState = () => JSON.parse(fs.readFileSync(path.join(stack.run, 'apps/erp1.json'), 'utf8'));
const count = (state, type, fields = {}) => (state.events || [])
  .filter((e) => e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v)).length;
const view = () => page.evaluate(() => window.__dockhandView);
const status = async () => ({ mode: await page.getAttribute(tid('view-status'), 'data-mode'),
  step: await page.getAttribute(tid('view-step'), 'data-step') });
async function waitStatus(pred, what) {
  return eventually(async () => { const s = await status(); return pred(s) && s; }, { timeoutMs: LONG, what });
}

before(async () => {
  stack = await startStack('remote');
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.setDefaultTimeout(LONG);
  await page.goto(stack.url);
  await page.fill(tid('login-token'), stack.token);
  await page.click(tid('login-submit'));
  await page.waitForSelector(tid('requests-view'));
});

after(async () => {
  if (browser) await browser.close();
  if (stack) await stack.stop();
});

test('the fleet view opens the agent\'s screen, and a frame\'s pixels match the agent\'s screen', async () => {
  await page.goto(`${stack.url}#/fleet`);
  await page.locator(`${tid('agent-row')}[data-id="agent1"] ${tid('agent-view')}`).click();
  await page.waitForSelector(`${tid('agent-view')}[data-agent="agent1"]`);
  await eventually(async () => (await view()).keyFrames > 0, { timeoutMs: LONG, what: 'a key frame drawn' });
  // The screen now, as the agent's own driver captures it; then a key frame captured after it. A still screen
  // sends none by itself: the view opened again is a new viewer, and a new viewer gets a key frame at once.
  const png = path.join(stack.dir, 'screen.png');
  const captured = Date.now();
  execFileSync(agentBin, ['capture', '-o', png], { env: { ...process.env, DISPLAY: display() } });
  await page.goto(`${stack.url}#/fleet`);
  await page.locator(`${tid('agent-row')}[data-id="agent1"] ${tid('agent-view')}`).click();
  await eventually(async () => { const v = await view(); return v.lastKey && v.lastKey.captured_ms > captured; },
    { timeoutMs: LONG, what: 'a key frame captured after the screenshot' });
  const data = `data:image/png;base64,${fs.readFileSync(png).toString('base64')}`;
  const cmp = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const shown = document.querySelector('[data-testid="view-canvas"]');
    const off = document.createElement('canvas');
    off.width = img.width; off.height = img.height;
    const g = off.getContext('2d');
    g.drawImage(img, 0, 0);
    const a = g.getImageData(0, 0, img.width, img.height).data;
    const b = shown.getContext('2d').getImageData(0, 0, shown.width, shown.height).data;
    let sum = 0, far = 0;
    for (let i = 0; i < a.length; i += 4) {
      const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
      sum += d;
      if (d > 48) far += 1;
    }
    return { w: img.width, h: img.height, cw: shown.width, ch: shown.height, mean: sum / (a.length / 4), far, pixels: a.length / 4 };
  }, data);
  assert.equal(cmp.cw, cmp.w);
  assert.equal(cmp.ch, cmp.h);
  assert.ok(cmp.mean < 4, `mean difference ${cmp.mean} per pixel (JPEG tolerance 4)`);
  assert.ok(cmp.far / cmp.pixels < 0.002, `${cmp.far} of ${cmp.pixels} pixels differ by more than 48`);
  await shot('view');
});

test('a viewer watches but cannot drive: take-over and supervision are 403 for a viewer token', async () => {
  for (const [route, body] of [['/api/agents/agent1/control', { action: 'takeover' }],
    ['/api/agents/agent1/control', { action: 'step' }], ['/api/agents/agent1/input', { events: [] }],
    ['/api/jobs', { script: 'erp-closeout', vars: { po: '2K4GH7QZ' } }]]) {
    const res = await fetch(new URL(route, stack.url), { method: 'POST',
      headers: { Authorization: `Bearer ${stack.viewerToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 403, `${route} ${JSON.stringify(body)}`);
  }
  const res = await fetch(new URL('/api/agents/agent1/view', stack.url), { headers: { Authorization: `Bearer ${stack.viewerToken}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  await res.body.cancel();
});

test('a supervised close-out stops at step 1, shows the target, advances with Step, finishes with Continue', async () => {
  const po = '2K4GH7QZ';
  await page.goto(`${stack.url}#/supervise`);
  await page.fill(tid('supervise-script'), 'erp-closeout');
  await page.fill(tid('supervise-vars'), `po=${po}`);
  await page.click(tid('supervise-start'));
  await page.waitForSelector(`${tid('agent-view')}[data-agent="agent1"]`);
  let s = await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[0].focus_window', 'stopped before step 1');
  assert.equal(count(erpState(), 'finalized', { po }), 0);
  await shot('supervised-step1');
  await page.click(tid('view-step-button'));
  s = await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[1].wait', 'stopped before step 2');
  // Its target (the menu bar template) is found and outlined.
  const target = await eventually(async () => page.getAttribute(tid('view-overlay'), 'data-target'), { what: 'the target outlined' });
  const [x, y, w, h] = target.split(',').map(Number);
  assert.ok(w > 0 && h > 0 && x >= 0 && y >= 0, target);
  await shot('supervised-step2-target');
  await page.click(tid('view-continue'));
  await page.waitForSelector(`${tid('job-log')}[data-state="done"]`);
  const state = erpState();
  assert.equal(count(state, 'finalized', { po }), 1);
  const kinds = await page.locator(tid('job-event')).evaluateAll((rows) => rows.map((r) => r.dataset.kind));
  for (const k of ['started', 'dispatched', 'supervision', 'control', 'finished']) assert.ok(kinds.includes(k), `${k} in ${kinds}`);
});

test('take over: a click and typed text land in the ERP, hand back resumes and the job finishes', async () => {
  const po = '7HXQ3M2P';
  await page.goto(`${stack.url}#/supervise`);
  await page.fill(tid('supervise-vars'), `po=${po}`);
  await page.click(tid('supervise-start'));
  await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[0].focus_window', 'stopped before step 1');
  const actor = `console:${(await stack.api('/api/me')).name}`;
  await page.click(tid('view-takeover'));
  await eventually(async () => (await page.getAttribute(tid('view-status'), 'data-held-by')) === actor,
    { timeoutMs: LONG, what: 'held by the operator' });
  const fleet = await stack.api('/api/fleet');
  assert.equal(fleet.agents[0].state, 'held');
  assert.equal(fleet.agents[0].held_by, actor);
  // The ERP's PO field, on the screen: its window's client area plus the field's place in it.
  const info = execFileSync('xwininfo', ['-name', 'Legacy ERP - Warehouse Management'],
    { env: { ...process.env, DISPLAY: display() } }).toString();
  const wx = Number(info.match(/Absolute upper-left X:\s+(\d+)/)[1]);
  const wy = Number(info.match(/Absolute upper-left Y:\s+(\d+)/)[1]);
  const field = erpState().layout.po_input;
  const fx = wx + field[0] + field[2] / 2, fy = wy + field[1] + field[3] / 2;
  const box = await page.locator(tid('view-canvas')).boundingBox();
  const size = await page.evaluate(() => { const c = document.querySelector('[data-testid="view-canvas"]'); return [c.width, c.height]; });
  await page.mouse.click(box.x + fx * box.width / size[0], box.y + fy * box.height / size[1]);
  await page.keyboard.press('End');
  for (let i = 0; i < 10; i++) await page.keyboard.press('Backspace');
  await page.keyboard.type('9LMN4R8T');
  await page.keyboard.press('Enter');
  await eventually(async () => (await view()).inputSent >= 13, { timeoutMs: LONG, what: 'the input events sent' })
    .catch(async (e) => { await shot('takeover-failed'); throw new Error(`${e.message}: ${await page.textContent(tid('view-message'))}`); });
  await eventually(() => count(erpState(), 'search', { po: '9LMN4R8T' }) > 0, { timeoutMs: LONG, what: 'the typed PO searched in the ERP' })
    .catch(async (e) => { await shot('takeover-failed'); throw e; });
  await shot('takeover');
  await page.click(tid('view-handback'));
  await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[1].wait', 'step 1 done after the hand-back, stopped before step 2');
  await page.click(tid('view-continue'));
  await page.waitForSelector(`${tid('job-log')}[data-state="done"]`);
  assert.equal(count(erpState(), 'finalized', { po }), 1);
  const details = await page.locator(tid('job-event')).evaluateAll((rows) => rows.map((r) => r.textContent));
  assert.ok(details.some((d) => d.includes(`handed back (resume) by ${actor}:`) && / \d+ input events in \d+ ms/.test(d)), details.join('\n'));
  assert.ok(!details.some((d) => d.includes('9LMN4R8T')), 'what was typed is not in the job\'s log');
});
