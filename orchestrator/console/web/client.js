// The console's JSON API (docs/console.md). The session is a cookie set by POST /api/login, so every call is
// same-origin with credentials. A 401 anywhere means the session is gone: the page shows the login view.

export class ApiError extends Error {
  constructor(status, data, path) {
    super((data && data.error) || `HTTP ${status} on ${path}`);
    this.status = status;
    this.data = data || {};
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

export async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: `The console cannot be reached (${e.message})` }, path);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text.slice(0, 300) }; }
  }
  // /api/me answers 401 on a first visit: the router shows the login view itself, without "session ended".
  if (res.status === 401 && path !== '/api/login' && path !== '/api/me') onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data, path);
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body || {});

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
