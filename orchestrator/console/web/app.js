// The Operator Console page: the shell (header, navigation, who is signed in), the login view and the hash
// router (#/requests, #/request/ID, #/attention, #/fleet). Each view lives in its own module and gets a
// context whose timers stop when the operator leaves the view.
import { h, replace } from './dom.js';
import { get, post, whenUnauthorized, ApiError } from './client.js';
import { renderRequests } from './requests.js';
import { renderRequest } from './request.js';
import { renderAttention } from './attention.js';
import { renderFleet } from './fleet.js';
import { renderAgentView, renderSupervise } from './view.js';

const main = document.getElementById('main');
const session = { me: null, summary: null };
let generation = 0;
let timers = [];

function stopTimers() {
  for (const t of timers) {
    t.stopped = true;
    clearTimeout(t.id);
  }
  timers = [];
}

// A view's context: `alive()` is false once the operator went elsewhere (results arriving late are dropped);
// `every(ms, fn)` polls, one call at a time, until then.
function context(params) {
  const mine = ++generation;
  const alive = () => mine === generation;
  return {
    main, session, params, alive,
    canAct: () => session.me && session.me.role === 'operator',
    navigate: (hash) => { if (location.hash === hash) route(); else location.hash = hash; },
    refreshSummary,
    every(ms, fn) {
      const t = { stopped: false };
      const tick = async () => {
        if (t.stopped || !alive()) return;
        try { await fn(); } catch (e) { if (!(e instanceof ApiError && e.status === 401)) console.warn(e); }
        if (!t.stopped && alive()) t.id = setTimeout(tick, ms);
      };
      t.id = setTimeout(tick, ms);
      timers.push(t);
    },
  };
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return { view: parts[0] || '', id: parts[1] || '', params: Object.fromEntries(new URLSearchParams(qs || '')) };
}

async function route() {
  stopTimers();
  const { view, id, params } = parseHash();
  if (!session.me) {
    try {
      session.me = await get('/api/me');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return showLogin();
      return showError(e);
    }
    renderHeader();
  }
  if (view === 'login') { location.hash = ''; return; }
  // The summary (header counts, filter choices) loads beside the view's own data; only the default view
  // waits for it, to choose between the queue and the requests.
  const summaryReady = refreshSummary();
  summaryReady.catch(() => {});  // a 401 shows the login through the client; views that wait see it too
  if (!view || !['requests', 'request', 'attention', 'fleet', 'agent', 'supervise'].includes(view)) await summaryReady;
  markNav(view);
  const ctx = context(params);
  ctx.summaryReady = summaryReady;
  try {
    if (view === 'requests') await renderRequests(ctx);
    else if (view === 'request' && id) await renderRequest(ctx, id);
    else if (view === 'attention') await renderAttention(ctx);
    else if (view === 'fleet') await renderFleet(ctx);
    else if (view === 'agent' && id) await renderAgentView(ctx, decodeURIComponent(id));
    else if (view === 'supervise') await renderSupervise(ctx);
    else {
      // The default view: the queue when anything needs a human, else every request.
      location.replace((session.summary && session.summary.attention > 0) ? '#/attention' : '#/requests');
      return;
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (ctx.alive()) showError(e);
  }
  // The header's counts stay current in every view.
  ctx.every(5000, refreshSummary);
}

async function refreshSummary() {
  try {
    session.summary = await get('/api/summary');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    return;
  }
  const n = session.summary.attention || 0;
  const badge = document.querySelector('[data-testid="attention-count"]');
  if (badge) {
    badge.textContent = String(n);
    badge.classList.toggle('hot', n > 0);
  }
}

function markNav(view) {
  const current = view === 'request' ? 'requests' : view === 'agent' ? 'fleet' : view;
  for (const a of document.querySelectorAll('nav a[data-view]')) a.classList.toggle('current', a.dataset.view === current);
}

function renderHeader() {
  const header = document.getElementById('header');
  const me = session.me;
  replace(header,
    h('a', { class: 'brand', href: '#/' }, 'Dockhand'),
    h('nav', {},
      h('a', { href: '#/attention', 'data-view': 'attention', 'data-testid': 'nav-attention' },
        'Needs attention ', h('span', { class: 'count', 'data-testid': 'attention-count' }, '0')),
      h('a', { href: '#/requests', 'data-view': 'requests', 'data-testid': 'nav-requests' }, 'Requests'),
      h('a', { href: '#/fleet', 'data-view': 'fleet', 'data-testid': 'nav-fleet' }, 'Fleet')),
    h('span', { class: 'me', 'data-testid': 'me' }, me.name || '?', ' ',
      h('span', { class: `role role-${me.role}`, 'data-testid': 'me-role' }, me.role || '')),
    h('button', { class: 'link', 'data-testid': 'logout', onclick: logout }, 'Sign out'));
}

async function logout() {
  try { await post('/api/logout'); } catch { /* the cookie is dropped below either way */ }
  document.cookie = 'dockhand_session=; Max-Age=0; path=/';
  session.me = null;
  showLogin();
}

function showLogin(message) {
  stopTimers();
  generation++;
  session.me = null;
  replace(document.getElementById('header'), h('span', { class: 'brand' }, 'Dockhand'));
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password',
                             placeholder: 'access token', 'data-testid': 'login-token', required: true });
  const error = h('p', { class: 'error', 'data-testid': 'login-error', role: 'alert' }, message || '');
  const form = h('form', { class: 'login panel', 'data-testid': 'login-form' },
    h('h1', {}, 'Operator Console'),
    h('label', { for: 'token' }, 'Access token'),
    input,
    h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Sign in'),
    error,
    h('p', { class: 'muted' }, 'Tokens come from the console\'s token file, or the one printed when the console first started.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await post('/api/login', { token: input.value.trim() });
      input.value = '';
      await route();
    } catch (err) {
      error.textContent = err.status === 401 || err.status === 403 ? 'That token is not valid.' : err.message;
    }
  });
  replace(main, form);
  input.focus();
}

function showError(e) {
  replace(main, h('div', { class: 'panel error', 'data-testid': 'view-error', role: 'alert' },
    h('h2', {}, 'Something went wrong'), h('p', {}, e.message || String(e))));
}

whenUnauthorized(() => showLogin('Your session ended: sign in again.'));
window.addEventListener('hashchange', route);
route();
