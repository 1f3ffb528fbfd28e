// What an operator can do to a request that needs a human: retry the failed stage, cancel, edit the extracted
// fields and resubmit (the server checks them with the pre-tender rules first), or mark it resolved with a
// comment. A viewer sees the buttons disabled. Shared by the queue and the request page.
import { h, replace } from './dom.js';
import { get, post } from './client.js';

const DEFAULT_ACTIONS = {
  NEEDS_ATTENTION: ['retry', 'cancel', 'resubmit', 'resolve'],
  REJECTED: ['cancel', 'resubmit', 'resolve'],
};
const LABELS = { retry: 'Retry', cancel: 'Cancel', resubmit: 'Edit & resubmit', resolve: 'Resolve', depart: 'Mark departed' };

// The actions the server allows for `item` (its `actions` list), else those its state usually allows.
export function allowedActions(item) {
  if (Array.isArray(item.actions)) return item.actions.map((a) => (typeof a === 'string' ? a : a.name)).filter(Boolean);
  return DEFAULT_ACTIONS[item.state] || [];
}

// Rule findings ({rule, severity, po, message}) as a list; `errorsOnly` leaves the warnings out.
export function findingList(findings, testid = 'rule-failure', errorsOnly = false) {
  const list = (findings || []).filter((f) => !errorsOnly || !f || typeof f !== 'object' || f.severity !== 'warning');
  if (!list.length) return null;
  return h('ul', { class: 'findings' }, list.map((f) => {
    if (!f || typeof f !== 'object') return h('li', { 'data-testid': testid }, String(f));
    return h('li', { 'data-testid': testid, class: `sev-${f.severity || 'error'}` },
      f.po ? h('span', { class: 'mono tag' }, f.po) : null, ' ', f.message || JSON.stringify(f),
      f.rule ? h('span', { class: 'muted' }, ` (${f.rule})`) : null);
  }));
}

// The buttons and the panels they open. `onDone(result)` runs after an action the server accepted.
export function actionBar(ctx, item, onDone) {
  const actions = allowedActions(item);
  if (!actions.length) return null;
  const canAct = ctx.canAct();
  const result = h('div', { class: 'action-result', 'data-testid': 'action-result', role: 'status' });
  const panel = h('div', { class: 'action-panel' });
  const comment = h('input', { type: 'text', placeholder: 'comment (written to the event log)', 'data-testid': 'action-comment',
                               size: 40, disabled: !canAct });

  const act = async (name, body, button) => {
    result.className = 'action-result busy';
    result.textContent = `${LABELS[name]}…`;
    if (button) button.disabled = true;
    try {
      const res = await post(`/api/requests/${encodeURIComponent(item.id)}/${name}`, body);
      result.className = 'action-result ok';
      result.textContent = `${LABELS[name]}: done${res && res.state ? `, the request is now ${res.state}` : ''}.`;
      replace(panel);
      if (onDone) await onDone(res);
      return true;
    } catch (e) {
      result.className = 'action-result error';
      if (e.status === 403) result.textContent = 'A viewer cannot act: sign in with an operator token.';
      else if (e.status === 409) result.textContent = `Not done: the request changed meanwhile${e.data.state ? ` (now ${e.data.state})` : ''}. ${e.data.error || ''}`;
      else if (e.status === 422) replace(result, e.data.error || 'The pre-tender rules refused the edited fields:', findingList(e.data.findings));
      else result.textContent = e.message;
      if (button) button.disabled = false;
      return false;
    }
  };

  const buttons = actions.filter((a) => LABELS[a]).map((name) => {
    const b = h('button', { class: `act act-${name}`, 'data-testid': `action-${name}`, disabled: !canAct,
                            title: canAct ? '' : 'viewer cannot act' }, LABELS[name]);
    b.addEventListener('click', () => {
      result.textContent = '';
      if (name === 'retry') return act('retry', { comment: comment.value.trim() }, b);
      if (name === 'cancel') return replace(panel, commentForm('cancel', `Cancel request #${item.id}? Nothing more is done for it.`,
        'Yes, cancel', comment.value.trim(), (text) => act('cancel', { comment: text }, b)));
      if (name === 'resolve') return replace(panel, commentForm('resolve', `Mark request #${item.id} resolved: dealt with outside Dockhand.`,
        'Mark resolved', comment.value.trim(), (text) => act('resolve', { comment: text })));
      if (name === 'resubmit') return openResubmit(item, panel, comment, act);
      if (name === 'depart') return replace(panel, departForm(item, comment.value.trim(), (bol, text) => act('depart', { bol, comment: text }, b)));
    });
    return b;
  });
  return h('div', { class: 'actions', 'data-testid': 'actions' },
    h('div', { class: 'buttons' }, buttons, comment, canAct ? null : h('span', { class: 'muted', 'data-testid': 'viewer-note' }, 'viewer cannot act')),
    panel, result);
}

// The freight left: the ASN goes to Amazon with the BOL OpShip gave (or the one typed here, for a shipment
// without one).
function departForm(item, initial, submit) {
  const bol = h('input', { type: 'text', size: 16, placeholder: 'BOL (when OpShip gave none)', 'data-testid': 'depart-bol' });
  const form = h('form', { class: 'depart', 'data-testid': 'depart-form' },
    h('p', {}, `Request #${item.id} left the warehouse: send its ASN to Amazon?`), bol, ' ',
    h('button', { type: 'submit', 'data-testid': 'depart-submit' }, 'Mark departed'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(bol.value.trim(), initial);
  });
  return form;
}

// Cancel and resolve need a comment (it goes to the event log with the operator's name).
function commentForm(name, question, label, initial, submit) {
  const text = h('textarea', { rows: 2, cols: 60, placeholder: 'why (required, written to the event log)',
                               'data-testid': `${name}-comment`, value: initial });
  const form = h('form', { class: name, 'data-testid': `${name}-form` }, h('p', {}, question), text, ' ',
    h('button', { type: 'submit', class: name === 'cancel' ? 'danger' : '', 'data-testid': `${name}-submit` }, label));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!text.value.trim()) { text.focus(); text.setAttribute('aria-invalid', 'true'); return; }
    submit(text.value.trim());
  });
  return form;
}

async function openResubmit(item, panel, comment, act) {
  let extracted = item.extracted;
  if (!extracted || typeof extracted !== 'object') {
    replace(panel, h('p', { class: 'muted' }, 'loading the extracted fields…'));
    extracted = (await get(`/api/requests/${encodeURIComponent(item.id)}`)).extracted || {};
  }
  replace(panel, resubmitForm(extracted, (edited) => act('resubmit', { comment: comment.value.trim(), extracted: edited })));
}

// The request-level fields an operator may edit; the POs' fields are all their scalar members.
// Left out: what says where the mail came from or how it was classified, not what it asks for.
const SKIP_TOP = new Set(['classification', 'classification_reason', 'needs_attention', 'attention', 'warnings', 'sources',
  'purchase_orders', 'message_id', 'subject', 'from', 'date']);
export const PO_ORDER = ['po', 'destination_fc', 'ship_window_start', 'ship_window_end', 'cartons', 'pallets', 'weight_lb'];
const NUMERIC = new Set(['cartons', 'pallets', 'weight_lb']);
const isScalar = (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

export function resubmitForm(extracted, submit) {
  const top = Object.keys(extracted).filter((k) => !SKIP_TOP.has(k) && !k.startsWith('_') && isScalar(extracted[k]));
  // The POs as extracted, plus the rows the operator adds (a PO the intake missed: none, or one in the subject).
  const poList = (Array.isArray(extracted.purchase_orders) ? extracted.purchase_orders : []).map((p) => p || {});
  const poKeys = [...new Set([...PO_ORDER, ...poList.flatMap((p) => Object.keys(p).filter((k) => isScalar(p[k])))])]
    .sort((a, b) => ((PO_ORDER.indexOf(a) + 1 || 99) - (PO_ORDER.indexOf(b) + 1 || 99)));
  const input = (name, value, testid) => h('input', { name, value: value === null || value === undefined ? '' : String(value),
    'data-testid': testid, size: NUMERIC.has(name.split('.').pop()) ? 6 : 12 });
  const poRow = (p, i) => h('tr', {}, poKeys.map((k) => h('td', {}, input(`po.${i}.${k}`, p[k], `resubmit-po-${i}-${k}`))));
  const body = h('tbody', {}, poList.map(poRow));
  let rows = poList.length;
  const addPo = h('button', { type: 'button', 'data-testid': 'resubmit-add-po' }, 'Add a PO');
  addPo.addEventListener('click', () => { body.appendChild(poRow({}, rows)); rows += 1; });
  const error = h('p', { class: 'error', 'data-testid': 'resubmit-error' });
  const form = h('form', { class: 'resubmit', 'data-testid': 'resubmit-form' },
    h('h3', {}, 'Edit the extracted fields'),
    h('div', { class: 'fields' }, top.map((k) => h('label', {}, h('span', {}, k), input(`top.${k}`, extracted[k], `resubmit-field-${k}`)))),
    h('table', { class: 'grid compact' }, h('thead', {}, h('tr', {}, poKeys.map((k) => h('th', {}, k)))), body),
    h('p', { class: 'muted' }, addPo, ' The pre-tender rules check the edited fields before anything goes to Amazon.'),
    h('button', { type: 'submit', 'data-testid': 'resubmit-submit' }, 'Check and resubmit'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      submit(collect(form, extracted, top, poList, poKeys, rows));
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}

// The edited copy: numbers stay numbers (a field that is not one is refused here, with its name), an emptied
// field that was null or absent stays so, an added row left empty is dropped, everything the form does not
// show is kept as it was.
function collect(form, extracted, top, poList, poKeys, rows) {
  const out = JSON.parse(JSON.stringify(extracted));
  const read = (name, original, key, where) => {
    const raw = form.elements[name].value.trim();
    if (raw === '' && (original === null || original === undefined)) return original;
    if (typeof original === 'number' || NUMERIC.has(key)) {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n)) throw new Error(`${key}${where} must be a number, not “${raw}”`);
      return n;
    }
    if (typeof original === 'boolean') return raw === 'true';
    return raw;
  };
  for (const k of top) out[k] = read(`top.${k}`, extracted[k], k, '');
  const pos = [];
  for (let i = 0; i < rows; i++) {
    const original = poList[i] || {};
    const po = JSON.parse(JSON.stringify(original));
    for (const k of poKeys) {
      const v = read(`po.${i}.${k}`, original[k], k, ` of PO ${original.po || form.elements[`po.${i}.po`].value || i + 1}`);
      if (v === undefined) delete po[k];
      else po[k] = v;
    }
    if (i < poList.length || Object.keys(po).length) pos.push(po);
  }
  out.purchase_orders = pos;
  return out;
}
