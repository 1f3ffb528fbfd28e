// The needs-attention queue: every request in NEEDS_ATTENTION or REJECTED, newest first, each with the reason
// in plain words, Amazon's errors or the rule failures, the agents' screenshots, and what can be done.
// Polled; a card whose request did not change is kept as it is, so a half-filled form survives the poll.
// A page of cards at first, "Show more" for the next: after a mass failure the queue says how many wait
// instead of loading hundreds of cards every poll.
import { h, replace, age, stateBadge, pos, attachments, reasonText } from './dom.js';
import { get } from './client.js';
import { actionBar, findingList } from './actions.js';
import { amazonError } from './request.js';

const POLL_MS = 3000;
const PAGE = 50;

export async function renderAttention(ctx) {
  const list = h('div', { class: 'cards', 'data-testid': 'attention-list' });
  const empty = h('p', { class: 'muted empty', 'data-testid': 'attention-empty', hidden: true },
    'Nothing needs attention. ', h('a', { href: '#/requests' }, 'All requests'));
  const total = h('span', { class: 'muted', 'data-testid': 'attention-total' });
  const more = h('button', { 'data-testid': 'attention-more', hidden: true }, 'Show more');
  replace(ctx.main, h('div', { class: 'view', 'data-testid': 'attention-view' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Needs attention'), total), empty, list, h('div', { class: 'pager' }, more)));

  let want = PAGE;  // cards shown: the first pages, newest first, up to this many
  const load = async () => {
    let items = [];
    let data;
    let before = '';
    do {
      data = await get(`/api/attention?limit=${Math.min(200, want - items.length)}${before}`);
      items = items.concat(data.items || []);
      before = data.next_before != null ? `&before=${data.next_before}` : '';
    } while (before && items.length < want);
    return { items, total: data.total || items.length, more: Boolean(before) };
  };

  const cards = new Map();  // id -> {key, el}
  const refresh = async () => {
    const data = await load();
    if (!ctx.alive()) return;
    const items = data.items;
    total.textContent = items.length ? `${items.length} of ${data.total} shown` : '';
    more.hidden = !data.more;
    more.textContent = `Show ${Math.min(PAGE, data.total - items.length)} more`;
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const id = String(item.id);
      seen.add(id);
      const key = `${item.state}|${item.updated_at}|${item.reason}|${(item.attachments || []).length}`;
      let entry = cards.get(id);
      if (!entry || entry.key !== key) {
        const el = card(ctx, item, refresh);
        if (entry) entry.el.replaceWith(el);
        entry = { key, el };
        cards.set(id, entry);
      }
      // Keep the server's order.
      const place = previous ? previous.nextSibling : list.firstChild;
      if (place !== entry.el) list.insertBefore(entry.el, place);
      previous = entry.el;
    }
    for (const [id, entry] of cards) if (!seen.has(id)) { entry.el.remove(); cards.delete(id); }
    empty.hidden = items.length > 0;
    ctx.refreshSummary();
  };
  more.addEventListener('click', () => { want += PAGE; refresh(); });
  await refresh();
  ctx.every(POLL_MS, refresh);
}

function card(ctx, item, refresh) {
  const errors = item.amazon_errors || [];
  const failures = item.rule_failures || [];
  return h('article', { class: `card kind-${String(item.state).toLowerCase()}`, 'data-testid': 'attention-item', 'data-id': item.id,
                        'data-state': item.state },
    h('header', {},
      h('a', { href: `#/request/${encodeURIComponent(item.id)}`, class: 'id', 'data-testid': 'attention-link' }, `#${item.id}`), ' ',
      stateBadge(item.state), ' ',
      h('span', { class: 'mono' }, pos(item)), ' ',
      item.fc ? h('span', { class: 'muted' }, `→ ${Array.isArray(item.fc) ? item.fc.join(', ') : item.fc}`) : null, ' ',
      item.brand ? h('span', { class: 'tag' }, item.brand) : null,
      h('span', { class: 'muted right', title: item.updated_at || '' }, `waiting ${age(item.age_s)}`)),
    h('p', { class: 'reason', 'data-testid': 'attention-reason' }, plainReason(item)),
    errors.length ? h('div', {}, h('h3', {}, 'Amazon said'), h('ul', { class: 'amazon-errors' }, errors.map(amazonError))) : null,
    failures.length ? h('div', {}, h('h3', {}, 'Rules that failed'), findingList(failures, 'rule-failure', true)) : null,
    (item.attachments && item.attachments.length) ? h('div', {}, h('h3', {}, 'Evidence'), attachments(item.attachments)) : null,
    actionBar(ctx, item, refresh));
}

// The stored reason is already written for a person; an empty one still says what the state means.
function plainReason(item) {
  if (item.reason) return reasonText(item.reason);
  if (item.state === 'REJECTED') return 'Amazon rejected the submission.';
  return 'The chain stopped and needs a person to look.';
}
