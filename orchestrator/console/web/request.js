// One request's page: what was extracted, the rule findings, the payload sent and Amazon's answer (transaction
// and shipment ids, errors, details), the PT references and BOLs the agents read back, the evidence, and the
// timeline of every event, newest last, kept current by polling the events after the last one shown (2 s).
// The agents running its close-out jobs (or that ran them last) are listed with their screen, which opens in
// place: the same live view as the fleet's (#/agent/ID), with the job's step, its target and the controls.
import { h, replace, age, time, stateBadge, pos, shipWindow, pretty, flatten, kvTable, attachments, section, reasonText } from './dom.js';
import { get, query } from './client.js';
import { actionBar, findingList, PO_ORDER } from './actions.js';
import { renderAgentView } from './view.js';

const POLL_MS = 2000;

export async function renderRequest(ctx, id) {
  const path = `/api/requests/${encodeURIComponent(id)}`;
  let r = await get(path);
  if (!ctx.alive()) return;

  const head = h('div', { class: 'request-head' });
  const actions = h('div', {});
  const details = h('div', { class: 'columns' });
  const screens = h('tbody', {});
  const screenBox = h('div', { 'data-testid': 'request-screen' });
  const screen = screenView(ctx, screenBox);
  const timelineBody = h('tbody', {});
  const live = h('span', { class: 'muted live', 'data-testid': 'timeline-live' }, 'live');
  // The agents' step-by-step progress is most of a close-out's log: shown, and one click hides it.
  const table = h('table', { class: 'grid compact timeline' },
    h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Step', 'Detail'].map((t) => h('th', {}, t)))), timelineBody);
  const steps = h('input', { type: 'checkbox', checked: true, 'data-testid': 'timeline-agent-steps',
    onchange: (e) => table.classList.toggle('hide-progress', !e.target.checked) });
  replace(ctx.main, h('div', { class: 'view', 'data-testid': 'request-view', 'data-id': r.id },
    h('a', { href: '#/requests', class: 'back' }, '‹ Requests'),
    head, actions,
    h('section', { class: 'panel', 'data-testid': 'request-screens' }, h('h2', {}, 'Agents and their screens'),
      h('table', { class: 'grid compact' },
        h('thead', {}, h('tr', {}, ['Agent', 'Job', 'State', 'Step', ''].map((t) => h('th', {}, t)))), screens),
      screenBox),
    details,
    h('section', { class: 'panel', 'data-testid': 'timeline' },
      h('h2', {}, 'Timeline ', live, h('label', { class: 'toggle' }, steps, ' agent steps')),
      table)));

  let shownState = null;
  const draw = () => {
    replace(head, header(r));
    // The action panel keeps an open form while events arrive; it is redrawn when the state changes.
    if (shownState !== r.state) {
      if (shownState !== null) ctx.refreshSummary().catch(() => {});  // the header's counts follow at once
      shownState = r.state;
      replace(actions, actionBar(ctx, r, async () => { r = await get(path); if (ctx.alive()) draw(); }));
    }
    // Sections the operator opened (payload, details) stay open across live updates.
    const open = new Set([...details.querySelectorAll('details[open]')].map((d) => d.dataset.key));
    replace(details, body(r));
    for (const d of details.querySelectorAll('details')) if (open.has(d.dataset.key)) d.open = true;
    replace(screens, screenRows(r.screens || [], screen));
  };
  draw();

  let last = 0;
  const addEvents = (events) => {
    for (const e of events) {
      if (e.id <= last) continue;
      last = e.id;
      timelineBody.appendChild(h('tr', { 'data-testid': 'timeline-row', 'data-event-id': e.id, 'data-step': e.step || '',
                                         class: e.step === 'JOB_PROGRESS' ? 'progress' : null },
        h('td', { class: 'nowrap' }, time(e.time)), h('td', {}, e.actor || ''),
        h('td', { class: 'mono' }, e.step || ''), h('td', { class: 'detail' }, e.detail || '')));
    }
  };
  addEvents(r.events || []);

  ctx.every(POLL_MS, async () => {
    const data = await get(`${path}/events${query({ after: last })}`);
    const events = Array.isArray(data) ? data : (data.events || data.items || []);
    if (!ctx.alive() || !events.length) return;
    addEvents(events);
    live.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
    r = await get(path);
    if (ctx.alive()) draw();
  });
}

// One row per agent: the one running a close-out job of this request now, or the last to run one.
function screenRows(list, screen) {
  if (!list.length) return h('tr', {}, h('td', { colspan: 5, class: 'muted', 'data-testid': 'screens-empty' }, 'No agent has run a close-out job of this request yet.'));
  return list.map((s) => h('tr', { 'data-testid': 'screen-row', 'data-agent': s.agent, 'data-running': String(!!s.running) },
    h('td', { class: 'mono' }, s.agent),
    h('td', { class: 'mono' }, s.job_id, s.running ? '' : h('span', { class: 'muted' }, ' (ran last)')),
    h('td', {}, stateBadge(s.state, 'screen-state'), s.held_by ? h('span', { class: 'muted' }, ` by ${s.held_by}`) : null),
    h('td', { class: 'mono' }, s.step || ''),
    h('td', {}, s.state === 'gone' ? h('span', { class: 'muted' }, 'not connected')
      : h('button', { 'data-testid': 'screen-open', onclick: () => screen.open(s.agent, s.job_id) }, 'Show screen'))));
}

// The live view in a box of this page. It gets a context of its own: closing it (or opening another agent's)
// ends its stream and its polling, as leaving the page does.
function screenView(ctx, box) {
  let shown = 0;
  const close = () => { shown += 1; replace(box, []); };
  return {
    close,
    open(agent, job) {
      const mine = ++shown;
      const alive = () => ctx.alive() && shown === mine;
      const inner = h('div', {});
      replace(box, [h('div', { class: 'toolbar' }, h('button', { 'data-testid': 'screen-close', onclick: close }, 'Close the screen')), inner]);
      const sub = {
        ...ctx, main: inner, params: { job }, alive,
        every(ms, fn) {
          const tick = async () => {
            if (!alive()) return;
            try { await fn(); } catch (e) { console.warn(e); }
            if (alive()) setTimeout(tick, ms);
          };
          setTimeout(tick, ms);
        },
      };
      renderAgentView(sub, agent).catch((e) => { if (alive()) replace(inner, h('p', { class: 'error' }, String(e.message || e))); });
    },
  };
}

function header(r) {
  return [
    h('h1', {}, `Request #${r.id} `, stateBadge(r.state, 'request-state'),
      r.brand ? h('span', { class: 'tag', 'data-testid': 'request-brand' }, r.brand) : null),
    r.reason ? h('p', { class: `reason-box kind-${String(r.state).toLowerCase()}`, 'data-testid': 'request-reason' }, reasonText(r.reason)) : null,
  ];
}

function body(r) {
  const summary = [
    ['PO(s)', pos(r)], ['FC', Array.isArray(r.fc) ? r.fc.join(', ') : (r.fc || '')], ['Ship window', shipWindow(r.ship_window)],
    ['Freight ready', r.ready_date || ''], ['Brand', r.brand || ''], ['Created', time(r.created_at)],
    ['Updated', time(r.updated_at)], ['Age', age(r.age_s)],
  ].filter(([, v]) => v !== '');
  return [
    section('Summary', 'summary', kvTable(summary, 'summary-table')),
    section('Extracted fields', 'extracted', extractedView(r.extracted)),
    (r.findings && r.findings.length) ? section('Rule findings', 'findings', findingList(r.findings, 'finding')) : null,
    section('Shipments and Amazon', 'shipments', shipmentsView(r.shipments || [])),
    section('Close-out: PT references and BOLs', 'outputs', outputsView(r.outputs)),
    section('Evidence', 'evidence', attachments(r.attachments),
      r.evidence && typeof r.evidence === 'object' && Object.keys(r.evidence).length
        ? h('details', { 'data-key': 'evidence' }, h('summary', {}, 'recorded with the reason'), pretty(r.evidence)) : null),
  ];
}

function extractedView(x) {
  if (!x || typeof x !== 'object') return h('p', { class: 'muted' }, 'Nothing extracted.');
  const top = Object.entries(x).filter(([k, v]) => k !== 'purchase_orders' && k !== 'sources' && (v === null || typeof v !== 'object'))
    .map(([k, v]) => [k, v === null ? '—' : String(v)]);
  const list = Array.isArray(x.purchase_orders) ? x.purchase_orders : [];
  const keys = [...new Set(list.flatMap((p) => Object.keys(p || {}).filter((k) => p[k] === null || typeof p[k] !== 'object')))]
    .sort((a, b) => ((PO_ORDER.indexOf(a) + 1 || 99) - (PO_ORDER.indexOf(b) + 1 || 99)));
  return [
    kvTable(top, 'extracted-table'),
    list.length ? h('table', { class: 'grid compact', 'data-testid': 'extracted-pos' },
      h('thead', {}, h('tr', {}, keys.map((k) => h('th', {}, k)))),
      h('tbody', {}, list.map((p) => h('tr', {}, keys.map((k) => h('td', { class: 'mono' }, p[k] === null || p[k] === undefined ? '' : String(p[k]))))))) : null,
    (x.warnings && x.warnings.length) ? h('ul', { class: 'warnings' }, x.warnings.map((w) => h('li', {}, typeof w === 'string' ? w : JSON.stringify(w)))) : null,
  ];
}

// What Amazon said of a confirmed shipment (getShipmentDetails): its reference, the carrier, the PRO number,
// the pickup and its status. Missing parts are left out.
function amazonFacts(s) {
  const d = (s.details && (s.details.shipment || s.details)) || {};
  const carrier = (d.transportationDetails && d.transportationDetails.carrierDetails) || {};
  const pickup = d.collectFreightPickupDetails || {};
  return [
    ['Amazon reference', d.buyerReferenceNumber, 'amazon-reference'],
    ['Carrier', [carrier.name, carrier.code && `(${carrier.code})`].filter(Boolean).join(' '), 'carrier'],
    ['PRO number', carrier.shipmentReferenceNumber, 'pro-number'],
    ['Pickup', pickup.scheduledPickUp || pickup.requestedPickUp, 'pickup'],
    ['Amazon status', d.currentShipmentStatus, 'amazon-status'],
  ].filter(([, v]) => v).map(([k, v, id]) => [k, h('span', { class: 'mono', 'data-testid': id }, String(v))]);
}

function shipmentsView(list) {
  if (!list.length) return h('p', { class: 'muted' }, 'No shipment planned yet.');
  return list.map((s) => h('div', { class: 'shipment', 'data-testid': 'shipment', 'data-id': s.vendor_shipment_identifier || s.id },
    kvTable([
      ['Vendor shipment id', s.vendor_shipment_identifier || ''],
      ['State', stateBadge(s.state, 'shipment-state')],
      ['Transaction id', h('span', { class: 'mono', 'data-testid': 'transaction-id' }, s.transaction_id || '—')],
      ...amazonFacts(s),
    ], 'shipment-table'),
    (Array.isArray(s.errors) && s.errors.length) ? h('ul', { class: 'amazon-errors' }, s.errors.map(amazonError)) : null,
    s.payload ? h('details', { 'data-testid': 'payload', 'data-key': `payload-${s.id}` }, h('summary', {}, 'Payload sent to Amazon'), pretty(s.payload)) : null,
    (s.details && typeof s.details === 'object') ? h('details', { 'data-testid': 'shipment-details', 'data-key': `details-${s.id}` }, h('summary', {}, 'Amazon\'s shipment details'),
      kvTable(flatten(s.details), 'details-table')) : null));
}

export function amazonError(e) {
  if (!e || typeof e !== 'object') return h('li', { 'data-testid': 'amazon-error' }, String(e));
  return h('li', { 'data-testid': 'amazon-error' }, h('span', { class: 'mono code' }, e.code || 'error'), ' ', e.message || '',
    e.details ? h('span', { class: 'muted' }, ` (${e.details})`) : null);
}

// outputs.shipments[]: {vendor_shipment_identifier, bol, erp: {PO: PT reference}}; anything else as key/value.
function outputsView(outputs) {
  if (!outputs || typeof outputs !== 'object' || !Object.keys(outputs).length) return h('p', { class: 'muted' }, 'No close-out yet.');
  const rows = [];
  for (const s of outputs.shipments || []) {
    const erp = s.erp && typeof s.erp === 'object' ? Object.entries(s.erp) : [];
    if (!erp.length) rows.push([s.vendor_shipment_identifier || '', '', '', s.bol || '']);
    erp.forEach(([po, ref], i) => rows.push([s.vendor_shipment_identifier || '', po, String(ref), i === 0 ? (s.bol || '') : '']));
  }
  const rest = Object.fromEntries(Object.entries(outputs).filter(([k]) => k !== 'shipments'));
  return [
    rows.length ? h('table', { class: 'grid compact', 'data-testid': 'outputs-table' },
      h('thead', {}, h('tr', {}, ['Shipment', 'PO', 'PT reference', 'BOL'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.map((cells) => h('tr', { 'data-testid': 'output-row' }, cells.map((c) => h('td', { class: 'mono' }, c)))))) : null,
    Object.keys(rest).length ? kvTable(flatten(rest), 'outputs-other') : null,
  ];
}
