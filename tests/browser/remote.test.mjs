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

// The step a stopped run is at, as its index in the script's top-level steps ("steps[12].then[0].read" -> 12).
const stepIndex = (step) => Number((/^steps\[(\d+)\]/.exec(step || '') || [])[1] ?? -1);
async function startSupervised(po) {
  await page.goto(`${stack.url}#/supervise`);
  await page.fill(tid('supervise-script'), 'erp-closeout');
  await page.fill(tid('supervise-vars'), `po=${po}`);
  await page.click(tid('supervise-start'));
  await page.waitForSelector(`${tid('agent-view')}[data-agent="agent1"]`);
  await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[0].focus_window', 'stopped before step 1');
  return decodeURIComponent(/[?&]job=([^&]+)/.exec(page.url())[1]);
}
const jobKinds = () => page.locator(tid('job-event')).evaluateAll((rows) => rows.map((r) => `${r.dataset.kind}: ${r.textContent}`));

test('Pause stops a continuing run before its next step; Skip passes a step without running it; both are logged', async () => {
  const po = '9LMN4R8T';  // Open in the ERP: this run finalizes it
  const job = await startSupervised(po);
  // Continue, and Pause as soon as the agent has it (in this order: a Pause first would be undone by Continue).
  await page.click(tid('view-continue'));
  await page.locator(tid('view-message')).filter({ hasText: 'resume sent' }).waitFor();
  await page.click(tid('view-pause'));
  const paused = await waitStatus((x) => x.mode === 'stopped' && x.step !== 'steps[0].focus_window', 'stopped after Pause');
  // It ran on, then stopped before a step: the job is still on. (Steps after the OK at steps[17] would leave
  // nothing to skip below.)
  assert.ok(stepIndex(paused.step) > 0 && stepIndex(paused.step) <= 17, `paused at ${paused.step}`);
  if (stepIndex(paused.step) <= 13) assert.equal(count(erpState(), 'finalized', { po }), 0, 'finalized before its step');
  assert.equal((await stack.api(`/api/jobs/${encodeURIComponent(job)}`)).state, 'running');
  await shot('paused');
  // Step by step up to the OK of the "Pre-tender finalized" message (steps[17]), then Skip it.
  let at = paused.step;
  for (let i = 0; i < 60 && at !== 'steps[17].click'; i++) {
    const before = at;
    await page.click(tid('view-step-button'));
    at = (await waitStatus((x) => x.mode === 'stopped' && x.step !== before, `the step after ${before}`)).step;
  }
  assert.equal(at, 'steps[17].click');
  assert.equal(count(erpState(), 'finalized', { po }), 1);
  assert.equal(erpState().modal?.title, 'Information', 'the message the skipped step would close is up');
  await page.click(tid('view-skip'));
  await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[18].set', 'stopped after the skipped step');
  // The skipped click never happened: the message is still up.
  assert.equal(erpState().modal?.title, 'Information', 'the skipped step ran');
  await page.click(tid('view-continue'));
  await page.waitForSelector(`${tid('job-log')}[data-state="done"]`);
  assert.equal(erpState().modal?.title, 'Information', 'nothing after the skip closed the message');
  const kinds = await jobKinds();
  assert.ok(kinds.some((k) => k.startsWith('control:') && k.includes('pause by console:')), kinds.join('\n'));
  assert.ok(kinds.some((k) => k.startsWith('control:') && k.includes('skip by console:')), kinds.join('\n'));
});

test('Abort ends a supervised job as failed, logged, not retried, and the agent is free for the next job', async () => {
  const job = await startSupervised('7HXQ3M2P');
  await page.click(tid('view-step-button'));
  await waitStatus((x) => x.mode === 'stopped' && x.step === 'steps[1].wait', 'stopped before step 2');
  await page.click(tid('view-abort'));
  await page.waitForSelector(`${tid('job-log')}[data-state="failed"]`);
  const log = await stack.api(`/api/jobs/${encodeURIComponent(job)}`);
  const finished = log.events.filter((e) => e.kind === 'finished');
  assert.equal(finished.length, 1, JSON.stringify(log.events));
  assert.match(finished[0].detail, /abort/);
  assert.ok(log.events.some((e) => e.kind === 'control' && /^abort by console:/.test(e.detail)), JSON.stringify(log.events));
  assert.ok(!log.events.some((e) => e.kind === 'retry'), 'an aborted job is not tried again');
  await eventually(async () => { const a = (await stack.api('/api/fleet')).agents[0]; return a.state === 'idle' && !a.job; },
    { timeoutMs: LONG, what: 'agent1 idle after the abort' });
  await shot('aborted');
});

test('a request\'s page lists the agent running its close-out and opens its screen in place, with the step and controls', async () => {
  const po = 'HBRPOIG8';
  stack.deliver('screen', [{ po, fc: 'SWF1', cartons: 6 }]);
  const r = await eventually(async () => (await stack.api(`/api/requests?q=${po}`)).items[0], { timeoutMs: LONG, what: `a request for ${po}` });
  // Its ERP job on agent1: paused there so that the page finds it running (the job stops before its next step).
  const prefix = `${r.id}-`;
  const running = await eventually(async () => { const a = (await stack.api('/api/fleet')).agents[0]; return a.job && a.job.id.startsWith(prefix) && a.job.id; },
    { timeoutMs: LONG, intervalMs: 50, what: `a close-out job of request #${r.id} on agent1` });
  await stack.api('/api/agents/agent1/control', { method: 'POST', body: { action: 'pause', job_id: running } });
  await page.goto(`${stack.url}#/request/${r.id}`);
  const row = page.locator(`${tid('screen-row')}[data-agent="agent1"][data-running="true"]`);
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(running));
  const before = (await view()).keyFrames;
  await row.locator(tid('screen-open')).click();
  const box = page.locator(tid('request-screen'));
  await box.locator(`${tid('agent-view')}[data-agent="agent1"]`).waitFor();
  await eventually(async () => (await view()).keyFrames > before, { timeoutMs: LONG, what: 'a key frame from agent1 on the request page' });
  const s = await waitStatus((x) => x.mode === 'stopped' && x.step, 'the paused close-out shown with its step');
  assert.ok(stepIndex(s.step) > 0, s.step);
  assert.equal(await page.locator(tid('request-view')).count(), 1, 'still the request page');
  await shot('request-screen');
  // The view's own Continue lets the close-out go on; the request gets to DONE and its page says who ran it.
  await box.locator(tid('view-continue')).click();
  await eventually(async () => (await stack.api(`/api/requests/${r.id}`)).state === 'DONE', { timeoutMs: LONG, what: `request #${r.id} DONE` });
  await page.locator(`${tid('screen-row')}[data-agent="agent1"][data-running="false"]`).waitFor();
  await box.locator(tid('screen-close')).click();
  assert.equal(await box.locator(tid('agent-view')).count(), 0);
});
