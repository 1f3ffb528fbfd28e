// The Operator Console in real Chromium against the real stack (tests/browser/stack.mjs: demo.sh --no-mail:
// serve with the console, the SP-API simulator, one agent on Xvfb driving the simulated ERP and OpShip).
// One stack for the file; the tests run in order and each leaves its requests where it says. Screenshots of
// every view go to BUILD/console-screenshots/ for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, launchBrowser, eventually, screenshotDir } from './stack.mjs';

const LONG = 180000;  // generous: a loaded 2-core machine runs Xvfb, two FLTK programs, OCR and Chromium
let stack;
let browser;
let page;
const shots = screenshotDir();
const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const tid = (id) => `[data-testid="${id}"]`;

// The request whose POs include `po` (the API's search), once it exists.
async function requestOf(po) {
  return eventually(async () => (await stack.api(`/api/requests?q=${po}`)).items[0], { timeoutMs: LONG, what: `a request for ${po}` });
}
async function stateOf(id) {
  return (await stack.api(`/api/requests/${id}`)).state;
}
async function waitState(id, states, what) {
  const want = [].concat(states);
  return eventually(async () => { const s = await stateOf(id); return want.includes(s) && s; },
    { timeoutMs: LONG, what: `${what}: request #${id} in ${want.join('/')}` });
}

// Cancel or resolve from a queue card: the action's comment form, then the card leaves the queue.
async function actWithComment(card, action, comment) {
  await card.locator(tid(`action-${action}`)).click();
  await card.locator(tid(`${action}-comment`)).fill(comment);
  await card.locator(tid(`${action}-submit`)).click();
  await card.waitFor({ state: 'detached' });
}

before(async () => {
  stack = await startStack('console');
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.setDefaultTimeout(LONG);
});

after(async () => {
  if (browser) await browser.close();
  if (stack) await stack.stop();
});

test('without a session the page shows only the login; a wrong token is refused, the operator token signs in', async () => {
  await page.goto(stack.url);
  await page.waitForSelector(tid('login-form'));
  assert.equal(await page.locator(tid('requests-view')).count(), 0);
  await shot('login');
  await page.fill(tid('login-token'), 'not-a-token');
  await page.click(tid('login-submit'));
  await page.locator(tid('login-error')).filter({ hasText: 'not valid' }).waitFor();
  await page.fill(tid('login-token'), stack.token);
  await page.click(tid('login-submit'));
  await page.waitForSelector(tid('requests-view'));  // nothing needs attention yet: the requests view
  assert.equal(await page.textContent(tid('me-role')), 'operator');
});

test('the fleet view shows the agent busy during a close-out, then idle; the request reaches DONE', async () => {
  await page.goto(`${stack.url}#/fleet`);
  const agent = page.locator(`${tid('agent-row')}[data-id="agent1"]`);
  await agent.waitFor();
  assert.equal(await agent.getAttribute('data-state'), 'idle');
  stack.deliver('good', [{ po: '2K4GH7QZ', fc: 'ABE8', cartons: 12 }, { po: '7HXQ3M2P', fc: 'ABE8', cartons: 8 }]);
  await page.locator(`${tid('agent-row')}[data-id="agent1"][data-state="busy"]`).waitFor();
  assert.match(await agent.locator(tid('agent-job')).textContent(), /closeout/);
  await shot('fleet-busy');
  const r = await requestOf('2K4GH7QZ');
  await waitState(r.id, 'DONE', 'the good request');
  await page.locator(`${tid('agent-row')}[data-id="agent1"][data-state="idle"]`).waitFor();
  assert.ok(Number(await agent.locator(tid('agent-done')).textContent()) >= 3, 'two ERP jobs and one OpShip job done today');
  await shot('fleet-idle');
});

test('the requests view lists the request; its page has the timeline, Amazon ids, PT references and BOL', async () => {
  await page.goto(`${stack.url}#/requests`);
  const r = await requestOf('2K4GH7QZ');
  const row = page.locator(tid('request-row')).filter({ hasText: '2K4GH7QZ' });
  await row.waitFor();
  assert.equal(await row.getAttribute('data-state'), 'DONE');
  assert.match(await row.textContent(), /ABE8/);
  await shot('requests');
  await row.locator('a').first().click();
  await page.waitForSelector(tid('request-view'));
  assert.equal(await page.textContent(tid('request-state')), 'DONE');
  const steps = await page.locator(tid('timeline-row')).evaluateAll((rows) => rows.map((r) => r.dataset.step));
  for (const step of ['RECEIVED', 'EXTRACTED', 'PLANNED', 'SUBMITTED', 'CONFIRMED', 'DONE'])
    assert.ok(steps.includes(step), `timeline has ${step}: ${steps.join(' ')}`);
  const ids = await page.locator(tid('timeline-row')).evaluateAll((rows) => rows.map((r) => Number(r.dataset.eventId)));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'newest last');
  assert.equal(ids.length, (await stack.api(`/api/requests/${r.id}`)).events.length, 'every event of the log');
  assert.match(await page.textContent(tid('transaction-id')), /\S{6,}/);
  assert.match(await page.textContent(tid('amazon-reference')), /\S+/);
  assert.match(await page.textContent(tid('carrier')), /\S+/);
  const outputs = await page.textContent(tid('outputs-table'));
  assert.match(outputs, /PT-\d{6}/);
  assert.match(outputs, /2K4GH7QZ/);
  assert.match(outputs, /7HXQ3M2P/);
  assert.match(outputs, /BOL/i);
  await page.locator(tid('payload')).locator('summary').click();
  assert.match(await page.textContent(tid('payload')), /vendorShipmentIdentifier/);
  await shot('request-done');
});

test('a rule failure waits in the queue with the failed rule; a wrong edit is refused, the right one reaches DONE', async () => {
  stack.deliver('rule', [{ po: '9LMN4R8T', fc: 'MDW2', cartons: 6, pallets: 0 }]);  // the warehouse has 5 cartons
  const r = await requestOf('9LMN4R8T');
  await waitState(r.id, 'NEEDS_ATTENTION', 'the rule failure');

  await page.goto(`${stack.url}#/`);  // the default view is the queue when anything needs attention
  await page.waitForSelector(tid('attention-view'));
  const card = page.locator(`${tid('attention-item')}[data-id="${r.id}"]`);
  await card.waitFor();
  assert.match(await card.locator(tid('attention-reason')).textContent(), /cartons/);
  assert.match(await card.locator(tid('rule-failure')).first().textContent(), /9LMN4R8T.*6 cartons.*5/s);
  assert.match(await page.textContent(tid('attention-total')), /^\d+ of \d+ shown$/);
  assert.equal(await page.isHidden(tid('attention-more')), true, 'no "Show more" when the queue fits one page');
  await shot('attention-rule-failure');

  await card.locator(tid('action-resubmit')).click();
  const form = card.locator(tid('resubmit-form'));
  await form.waitFor();
  await form.locator(tid('resubmit-po-0-cartons')).fill('7');  // still wrong: the rules refuse it, nothing sent
  await form.locator(tid('resubmit-submit')).click();
  await card.locator(`${tid('action-result')}.error`).waitFor();
  assert.match(await card.locator(tid('action-result')).textContent(), /7 cartons/);
  assert.equal(await stateOf(r.id), 'NEEDS_ATTENTION');
  await shot('attention-resubmit-refused');
  await form.locator(tid('resubmit-po-0-cartons')).fill('5');
  await form.locator(tid('resubmit-submit')).click();
  await card.waitFor({ state: 'detached' });  // out of the queue
  await waitState(r.id, 'DONE', 'the edited request');
  const events = (await stack.api(`/api/requests/${r.id}`)).events;
  assert.ok(events.some((e) => /console:demo/.test(e.actor)), 'the resubmission is in the log with who did it');
});

test('an Amazon rejection waits in the queue with Amazon\'s error; cancel takes it out', async () => {
  stack.addOrders([{ po: 'REJECT01', fc: 'ABE8', cartons: 3 }]);  // the simulator rejects shipments of REJECT POs
  stack.deliver('reject', [{ po: 'REJECT01', fc: 'ABE8', cartons: 3 }]);
  const r = await requestOf('REJECT01');
  await waitState(r.id, 'REJECTED', 'the rejected request');
  await page.goto(`${stack.url}#/attention`);
  const card = page.locator(`${tid('attention-item')}[data-id="${r.id}"]`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-state'), 'REJECTED');
  assert.match(await card.locator(tid('amazon-error')).first().textContent(), /SHIPMENT_REJECTED/);
  await shot('attention-rejected');
  await actWithComment(card, 'cancel', 'the buyer cancelled the PO');
  assert.equal(await stateOf(r.id), 'CANCELLED');
});

test('a failed close-out waits with the agent\'s screenshot (click to enlarge); a viewer cannot act; retry runs it again; resolve closes it', async () => {
  stack.deliver('closeout', [{ po: '5QWZ8K3D', fc: 'TEB9', cartons: 4 }]);  // in the warehouse data, not in the ERP
  const r = await requestOf('5QWZ8K3D');
  // Its page, opened as soon as it exists, follows it live while the agent tries (no reload: the marker stays).
  await page.goto(`${stack.url}#/request/${r.id}`);
  await page.waitForSelector(tid('timeline-row'));
  await page.evaluate(() => { window.__sameDocument = true; });
  const rowsAtFirst = await page.locator(tid('timeline-row')).count();
  await page.locator(`${tid('timeline-row')}[data-step="NEEDS_ATTENTION"]`).waitFor();
  await page.locator(tid('request-state')).filter({ hasText: 'NEEDS_ATTENTION' }).waitFor();
  assert.ok(await page.evaluate(() => window.__sameDocument), 'updated in place');
  assert.ok((await page.locator(tid('timeline-row')).count()) > rowsAtFirst, 'new events appeared');
  await shot('request-live-needs-attention');
  await waitState(r.id, 'NEEDS_ATTENTION', 'the failed close-out');
  await page.goto(`${stack.url}#/attention`);
  const card = page.locator(`${tid('attention-item')}[data-id="${r.id}"]`);
  await card.waitFor();
  assert.match(await card.locator(tid('attention-reason')).textContent(), /PO not found/);
  const img = card.locator(tid('evidence-img')).first();
  await img.waitFor();
  await eventually(() => img.evaluate((el) => el.complete && el.naturalWidth > 100), { what: 'the screenshot to load' });
  await shot('attention-screenshot');
  await img.click();
  const big = page.locator(tid('lightbox-img'));
  await big.waitFor();
  assert.ok((await big.boundingBox()).width > (await img.boundingBox()).width, 'enlarged');
  await shot('attention-screenshot-enlarged');
  await page.keyboard.press('Escape');
  await big.waitFor({ state: 'detached' });

  // A viewer sees the same queue, with the actions disabled.
  const viewer = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await viewer.goto(stack.url);
  await viewer.fill(tid('login-token'), stack.viewerToken);
  await viewer.click(tid('login-submit'));
  const seen = viewer.locator(`${tid('attention-item')}[data-id="${r.id}"]`);
  await seen.waitFor({ timeout: LONG });
  assert.equal(await viewer.textContent(tid('me-role')), 'viewer');
  // The actions this request allows (a close-out that reached Amazon cannot be resubmitted), all disabled.
  const buttons = seen.locator('[data-testid^="action-"]').and(seen.locator('button'));
  await seen.locator(tid('action-retry')).waitFor();
  assert.ok(await buttons.count() >= 3);
  for (const b of await buttons.all()) assert.ok(await b.isDisabled(), await b.textContent());
  await seen.locator(tid('viewer-note')).waitFor();
  await viewer.screenshot({ path: path.join(shots, 'attention-viewer.png'), fullPage: true });
  await viewer.context().close();

  const failures = async () => (await stack.api(`/api/requests/${r.id}`)).events.filter((e) => e.step === 'NEEDS_ATTENTION').length;
  const before = await failures();
  await card.locator(tid('action-retry')).click();
  // Retried: the close-out runs again (the ERP still does not know the PO) and stops for a person again.
  await eventually(async () => (await failures()) > before, { timeoutMs: LONG, what: 'the retried close-out to stop again' });
  const events = (await stack.api(`/api/requests/${r.id}`)).events;
  // The retry is in the log with who did it, and the close-out was dispatched again after it.
  const retried = events.findIndex((e, i) => i > events.findIndex((f) => f.step === 'NEEDS_ATTENTION') && /console:demo/.test(e.actor));
  assert.ok(retried > 0, events.map((e) => `${e.step}/${e.actor}`).join(' '));
  assert.ok(events.slice(retried).some((e) => e.step === 'JOB_DISPATCHED'), 'dispatched again');
  await waitState(r.id, 'NEEDS_ATTENTION', 'the retried request');

  const again = page.locator(`${tid('attention-item')}[data-id="${r.id}"]`);
  await actWithComment(again, 'resolve', 'PO added to the ERP by hand; closed out manually');
  assert.equal(await stateOf(r.id), 'RESOLVED');
});

test('search, state filter and brand column in the requests view', async () => {
  await page.goto(`${stack.url}#/requests`);
  await page.waitForSelector(tid('request-row'));
  assert.ok(await page.locator(tid('request-row')).count() >= 4);
  await page.fill(tid('filter-q'), 'REJECT01');
  await page.click(tid('filter-apply'));
  await eventually(async () => (await page.locator(tid('request-row')).count()) === 1, { what: 'one row for REJECT01' });
  assert.match(await page.locator(tid('request-row')).textContent(), /REJECT01.*CANCELLED|CANCELLED.*REJECT01/s);
  await page.fill(tid('filter-q'), '');
  await page.selectOption(tid('filter-state'), 'DONE');
  await page.waitForURL(/state=DONE/);
  await eventually(async () => {
    const states = await page.locator(tid('request-row')).evaluateAll((rows) => rows.map((r) => r.dataset.state));
    return states.length === 2 && states.every((s) => s === 'DONE');
  }, { what: 'the two DONE requests' });
  await shot('requests-filtered');
});

test('the newest page of the requests view shows new mail without a reload', async () => {
  await page.goto(`${stack.url}#/requests`);
  await page.waitForSelector(tid('request-row'));
  await page.evaluate(() => { window.__sameDocument = true; });
  stack.deliver('late', [{ po: 'HBRPOIG8', fc: 'SWF1', cartons: 6 }]);
  await page.locator(tid('request-row')).filter({ hasText: 'HBRPOIG8' }).waitFor();
  assert.ok(await page.evaluate(() => window.__sameDocument), 'updated in place');
});
