// The requests view: every routing request, newest first, filtered by state and brand, searched by PO / ARN /
// shipment id, and paged with "older" / "newer" (keyset paging on the server, so 10,000 requests stay fast).
import { h, replace, age, time, stateBadge, pos, shipWindow, reasonText } from './dom.js';
import { get, query } from './client.js';

export const STATES = ['RECEIVED', 'EXTRACTED', 'PLANNED', 'SUBMITTED', 'CONFIRMED', 'CLOSING_OUT', 'DEPARTED', 'DONE',
  'NEEDS_ATTENTION', 'REJECTED', 'CANCELLED', 'RESOLVED', 'DUPLICATE', 'OTHER', 'QUARANTINED', 'NOTICE'];
const PAGE = 50;
// The cursors of the pages before this one ("newer" goes back through them); kept across renders.
let newerStack = [];

export async function renderRequests(ctx) {
  const p = ctx.params;
  const dataReady = get(`/api/requests${query({ state: p.state, q: p.q, brand: p.brand, before: p.before, limit: PAGE })}`);
  dataReady.catch(() => {});  // awaited below; not an unhandled rejection meanwhile
  await ctx.summaryReady;
  if (!ctx.alive()) return;
  const summary = ctx.session.summary || {};
  const counts = summary.counts || {};
  const states = [...new Set([...STATES.filter((s) => s in counts || ['NEEDS_ATTENTION', 'DONE'].includes(s)), ...Object.keys(counts)])];
  // brands: {BRAND: {STATE: n}} (docs/console.md); "" holds the requests not bound to a brand yet.
  const brandTotal = (b) => { const v = summary.brands[b]; return typeof v === 'number' ? v : Object.values(v || {}).reduce((a, n) => a + n, 0); };
  const brands = Object.keys(summary.brands || {}).filter((b) => b !== '');

  const stateSel = h('select', { name: 'state', 'data-testid': 'filter-state' },
    h('option', { value: '' }, 'all states'),
    states.map((s) => h('option', { value: s, selected: p.state === s }, `${s}${s in counts ? ` (${counts[s]})` : ''}`)));
  const brandSel = h('select', { name: 'brand', 'data-testid': 'filter-brand' },
    h('option', { value: '' }, 'all brands'),
    brands.map((b) => h('option', { value: b, selected: p.brand === b }, `${b} (${brandTotal(b)})`)));
  const search = h('input', { type: 'search', name: 'q', value: p.q || '', placeholder: 'PO, ARN or shipment id',
                              'data-testid': 'filter-q', size: 28 });
  const form = h('form', { class: 'filters', 'data-testid': 'filters' },
    stateSel, brandSel, search, h('button', { type: 'submit', 'data-testid': 'filter-apply' }, 'Show'));
  const go = (extra) => {
    const params = { state: stateSel.value, brand: brandSel.value, q: search.value.trim(), ...extra };
    ctx.navigate(`#/requests${query(params)}`);
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); newerStack = []; go({}); });
  stateSel.addEventListener('change', () => { newerStack = []; go({}); });
  brandSel.addEventListener('change', () => { newerStack = []; go({}); });

  const body = h('tbody', {});
  const status = h('span', { class: 'muted', 'data-testid': 'requests-total' }, 'loading…');
  const older = h('button', { 'data-testid': 'page-older', disabled: true }, 'older ›');
  const newer = h('button', { 'data-testid': 'page-newer', disabled: !p.before }, '‹ newer');
  replace(ctx.main, h('div', { class: 'view', 'data-testid': 'requests-view' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Requests'), form),
    h('table', { class: 'grid', 'data-testid': 'requests-table' },
      h('thead', {}, h('tr', {}, ['#', 'State', 'PO(s)', 'FC', 'Ship window', 'Ready', 'Brand', 'Age', 'Updated', 'Reason']
        .map((t) => h('th', {}, t)))),
      body),
    h('div', { class: 'pager' }, newer, status, older)));

  let nextBefore = null;
  const show = (data) => {
    const items = data.items || [];
    replace(body, items.length ? items.map(row) : h('tr', {}, h('td', { colspan: 10, class: 'muted', 'data-testid': 'requests-empty' },
      p.q ? `Nothing matches “${p.q}”.` : 'No requests.')));
    status.textContent = `${items.length} shown${data.total !== undefined ? ` of ${data.total}` : ''}`;
    nextBefore = data.next_before;
    older.disabled = !nextBefore;
  };
  const data = await dataReady;
  if (!ctx.alive()) return;
  show(data);
  older.addEventListener('click', () => { newerStack.push(p.before || ''); go({ before: nextBefore }); });
  newer.addEventListener('click', () => { go({ before: newerStack.pop() || '' }); });
  // The newest page follows new mail and state changes; an older page stays as it was when opened.
  if (!p.before) {
    ctx.every(10000, async () => {
      const fresh = await get(`/api/requests${query({ state: p.state, q: p.q, brand: p.brand, limit: PAGE })}`);
      if (ctx.alive()) show(fresh);
    });
  }
}

function row(r) {
  const link = (content) => h('a', { href: `#/request/${encodeURIComponent(r.id)}` }, content);
  return h('tr', { 'data-testid': 'request-row', 'data-id': r.id, 'data-state': r.state, class: `row-${String(r.state).toLowerCase()}` },
    h('td', { class: 'num' }, link(`#${r.id}`)),
    h('td', {}, stateBadge(r.state)),
    h('td', { class: 'mono', 'data-testid': 'request-pos' }, link(pos(r) || '—')),
    h('td', { class: 'mono' }, Array.isArray(r.fc) ? r.fc.join(', ') : (r.fc || '')),
    h('td', { class: 'nowrap' }, shipWindow(r.ship_window)),
    h('td', { class: 'nowrap' }, r.ready_date || ''),
    h('td', { 'data-testid': 'request-brand' }, r.brand || ''),
    h('td', { class: 'nowrap' }, age(r.age_s)),
    h('td', { class: 'nowrap' }, time(r.updated_at)),
    h('td', { class: 'reason', title: r.reason || '' }, reasonText(r.reason)[0]));
}
