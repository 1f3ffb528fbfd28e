// Chromium watching the Operator Console while the chain works, for bench_serve_latency --console-browser:
// signs in with TOKEN and keeps four tabs open, each polling as the page does (the queue every 3 s, the
// newest requests every 10 s, the fleet every 2 s, and the newest request's live timeline every 2 s).
// Writes READY_FILE once the first three are open; runs until SIGTERM.
//   node browser_watch.mjs URL TOKEN READY_FILE
import fs from 'node:fs';
import { launchBrowser } from '../../browser/stack.mjs';

const [url, token, ready] = process.argv.slice(2);
if (!ready) { console.error('usage: node browser_watch.mjs URL TOKEN READY_FILE'); process.exit(2); }
const browser = await launchBrowser();
let stopping = false;
process.on('SIGTERM', async () => { stopping = true; await browser.close(); process.exit(0); });
const context = await browser.newContext();
const login = await context.request.post(new URL('/api/login', url).href, { data: { token } });
if (!login.ok()) { console.error(`login: ${login.status()}`); process.exit(1); }
for (const view of ['#/attention', '#/requests', '#/fleet']) await (await context.newPage()).goto(`${url}/${view}`);
fs.writeFileSync(ready, 'ready\n');
// The request page once mail has made a request.
while (!stopping) {
  const res = await context.request.get(new URL('/api/requests?limit=1', url).href).catch(() => null);
  const items = res && res.ok() ? (await res.json()).items : [];
  if (items.length) {
    // Not waiting for "load": the run may end (SIGTERM) while the tab still opens.
    await (await context.newPage()).goto(`${url}/#/request/${items[0].id}`, { waitUntil: 'commit' }).catch(() => {});
    console.log(`watching request #${items[0].id}`);
    break;
  }
  await new Promise((r) => setTimeout(r, 500));
}
