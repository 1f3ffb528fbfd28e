// Building the page from data: every value from the store goes in as text (textContent, attributes set one
// by one), never as HTML, so an email's contents cannot become markup or script.

// h('tag', {attrs}, ...children): children are nodes, strings (text) or arrays; null/false are skipped.
// Attributes: `on*` functions become listeners, `class`, `dataset`-style `data-*`, booleans set or omitted.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// "3 min", "2 h 5 min", "4 d": the age an operator reads at a glance.
export function age(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function since(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : age((Date.now() - t) / 1000);
}

// ISO-8601 times shown as "2026-12-06 19:54:45" (UTC, as the store keeps them), the full value as tooltip.
export function time(iso) {
  if (!iso) return h('span', {}, '');
  const text = String(iso).replace('T', ' ').replace(/(\.\d+)?Z$/, '');
  return h('time', { datetime: iso, title: `${iso} (${since(iso)} ago)` }, text);
}

export function stateBadge(state, testid = 'state') {
  const s = String(state || '').toUpperCase();
  return h('span', { class: `badge state-${s.toLowerCase()}`, 'data-testid': testid }, s || '?');
}

export function pos(item) {
  return Array.isArray(item.pos) ? item.pos.join(', ') : String(item.pos || '');
}

export function shipWindow(w) {
  if (!w || (!w.start && !w.end)) return '';
  return `${w.start || '?'} – ${w.end || '?'}`;
}

// A JSON value as readable text (payloads, details).
export function pretty(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

// Key/value rows of an object's scalar members, nested objects flattened with dotted keys.
export function flatten(value, prefix = '', out = []) {
  if (value === null || value === undefined) return out;
  if (typeof value !== 'object') {
    out.push([prefix, String(value)]);
  } else if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) out.push([prefix, value.join(', ')]);
    else value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

export function kvTable(rows, testid) {
  return h('table', { class: 'kv', 'data-testid': testid },
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

// Screenshots: a thumbnail inline, a click shows it full size over the page (Escape or a click closes it).
export function evidenceImage(att) {
  const img = h('img', { src: att.url, alt: att.name || 'evidence', class: 'thumb', loading: 'lazy',
                         'data-testid': 'evidence-img', title: 'Click to enlarge' });
  img.addEventListener('click', () => enlarge(att));
  return h('figure', { class: 'evidence' }, img, h('figcaption', {}, att.name || '', att.time ? ' · ' : '', att.time ? time(att.time) : null));
}

export function enlarge(att) {
  const close = () => { box.remove(); document.removeEventListener('keydown', onKey); };
  const onKey = (e) => { if (e.key === 'Escape') close(); };
  const box = h('div', { class: 'lightbox', 'data-testid': 'lightbox', onclick: close, role: 'dialog' },
    h('img', { src: att.url, alt: att.name || 'evidence', 'data-testid': 'lightbox-img' }),
    h('div', { class: 'caption' }, att.name || '', ' — click or Esc to close'));
  document.addEventListener('keydown', onKey);
  document.body.appendChild(box);
}

export function isImage(att) {
  return /^image\//.test(att.content_type || '') || /\.(png|jpe?g|gif|webp)$/i.test(att.name || '');
}

export function attachments(list) {
  const items = list || [];
  if (!items.length) return h('p', { class: 'muted' }, 'No evidence kept.');
  return h('div', { class: 'evidence-list', 'data-testid': 'attachments' }, items.map((a) => isImage(a)
    ? evidenceImage(a)
    : h('a', { href: a.url, download: a.name || '', 'data-testid': 'attachment-link' }, a.name || 'file')));
}

export function section(title, testid, ...children) {
  return h('section', { class: 'panel', 'data-testid': testid }, h('h2', {}, title), children);
}

// A close-out's reason starts with its job id ("4-DH-…-erp-PO: PO not found: PO"): shown as a small tag,
// and the rest said in words ("ERP close-out: PO not found: PO"). Any other reason is shown as it is.
export function reasonText(reason) {
  const m = /^(\d+-\S+-(erp|opship)(?:-\S*)?): (.+)$/s.exec(reason || '');
  if (!m) return [reason || ''];
  return [`${m[2] === 'erp' ? 'ERP' : 'OpShip'} close-out: ${m[3]} `, h('span', { class: 'tag mono', title: 'the close-out job' }, m[1])];
}
