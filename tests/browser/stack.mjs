// The whole Dockhand stack for the console's browser tests and benchmark, started by scripts/demo.sh
// --no-mail: the SP-API simulator, Xvfb + openbox with the simulated ERP and OpShip, `dockhand-orchestrator
// serve` with the Operator Console on 127.0.0.1 (port 0) and one desktop agent. The tests bring their own
// mail. Everything runs in one process group, stopped by stop() (and on this process's exit), however the
// tests end.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const sourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const buildDir = path.resolve(process.env.BUILD_DIR || path.join(sourceDir, 'build'));
export const orchestratorBin = path.join(buildDir, 'orchestrator/cli/dockhand-orchestrator');

// Polls `probe` (sync or async) until it returns a truthy value, which is returned. The deadline only
// guards against a hang; nothing is timed.
export async function eventually(probe, { timeoutMs = 120000, intervalMs = 200, what = 'a condition' } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      if (e && e.fatal) throw e;  // nothing to wait for any more (the stack ended)
      last = e;
    }
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function day(offset, us = false) {
  const d = new Date(Date.now() + offset * 86400000);
  const [y, m, dd] = [d.getUTCFullYear(), String(d.getUTCMonth() + 1).padStart(2, '0'), String(d.getUTCDate()).padStart(2, '0')];
  return us ? `${m}/${dd}/${y}` : `${y}-${m}-${dd}`;
}

export async function startStack(name, { extraArgs = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dockhand-browser-${name}-`));
  const log = path.join(dir, 'demo.log');
  const run = path.join(dir, 'run');
  const out = fs.openSync(log, 'w');
  const child = spawn('bash', [path.join(sourceDir, 'scripts/demo.sh'), '--no-setup', '--no-build', '--no-mail',
    '--dir', run, ...extraArgs], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, BUILD_DIR: buildDir } });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const killGroup = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);

  const stack = {
    dir, run, log,
    async stop() {
      process.removeListener('exit', onExit);
      if (!exited) {
        killGroup('SIGTERM');
        try {
          await eventually(() => exited, { timeoutMs: 30000, what: 'the demo to stop' });
        } catch {
          killGroup('SIGKILL');
        }
      }
      if (!process.env.DOCKHAND_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
    logTail(lines = 60) {
      const text = [log, path.join(run, 'logs/orchestrator.log')].filter((f) => fs.existsSync(f))
        .map((f) => `---- ${f}\n${fs.readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n')}`);
      return text.join('\n');
    },
    // A routing-request email in the demo's style, delivered into the Maildir the way a delivery agent does.
    deliver(id, pos) {
      const blocks = pos.map(({ po, fc, cartons, pallets = 1 }) => `\nPO: ${po}\nDestination FC: ${fc}\nShip window: ${day(2, true)} - ${day(6, true)}\n` +
        `Cartons: ${cartons}\nPallets: ${pallets}\nWeight: ${cartons * 25.5} lb\n`).join('');
      const text = `From: Dana Ruiz <dana.ruiz@acme-widgets.example>\nTo: routing@dockhand-3pl.example\n` +
        `Subject: Routing request ${pos.map((p) => p.po).join(' ')}\nDate: ${new Date().toUTCString()}\n` +
        `Message-ID: <browser-${id}-${process.pid}@acme-widgets.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n` +
        `Hello,\n\nPlease route the POs below with Amazon.\n\nVendor code: ACMEW\nShip from: ORL1\n` +
        `Freight ready date: ${day(1, true)}\n${blocks}\n\nThanks,\nDana Ruiz\n`;
      const tmp = path.join(run, 'inbox/tmp', `browser-${id}.eml`);
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, path.join(run, 'inbox/new', `browser-${id}.eml`));
    },
    // Adds POs to the warehouse order data (vendor ACMEW, ship-from ORL1, cartons of 25.5 lb).
    addOrders(orders) {
      const o = ['po,vendor_code,ship_from,destination_fc,ship_window_start,ship_window_end,status'];
      const l = ['po,sku,qty'];
      const c = ['po,carton_id,weight_lb,length_in,width_in,height_in,pallet_id'];
      for (const { po, fc, cartons } of orders) {
        o.push(`${po},ACMEW,ORL1,${fc},${day(2)},${day(6)},Open`);
        l.push(`${po},B07XYZ1234,${cartons * 6}`);
        for (let i = 1; i <= cartons; i++) c.push(`${po},${po}-C${String(i).padStart(3, '0')},25.5,20,16,12,PAL-${po}-1`);
      }
      const files = [['orders', o], ['lines', l], ['cartons', c]].map(([n, rows]) => {
        const f = path.join(dir, `extra-${n}-${Date.now()}.csv`);
        fs.writeFileSync(f, `${rows.join('\n')}\n`);
        return f;
      });
      execFileSync(orchestratorBin, ['orders', 'import', ...files, '--db', path.join(run, 'orders.sqlite')]);
    },
  };

  try {
    await eventually(() => {
      if (exited) throw Object.assign(new Error(`demo.sh ended (${JSON.stringify(exited)})`), { fatal: true });
      return fs.existsSync(path.join(run, 'console-url'));
    }, { timeoutMs: 240000, what: 'the console to come up' }).catch((e) => { throw new Error(`${e.message}\n${stack.logTail()}`); });
    stack.url = fs.readFileSync(path.join(run, 'console-url'), 'utf8').trim();
    stack.token = fs.readFileSync(path.join(run, 'secrets/console-token'), 'utf8').trim();
    stack.viewerToken = fs.readFileSync(path.join(run, 'secrets/console-viewer-token'), 'utf8').trim();
  } catch (e) {
    await stack.stop();
    throw e;
  }
  // The JSON API with the operator's token (for the tests' own checks; the page uses its cookie).
  stack.api = async (route, { method = 'GET', body, token = stack.token } = {}) => {
    const res = await fetch(new URL(route, stack.url), {
      method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return stack;
}

// Debian's Chromium through playwright-core, with its profile and caches in temporary folders.
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dockhand-chromium-'));
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache'), HOME: home };
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', env });
  const close = browser.close.bind(browser);
  browser.close = async () => { await close(); fs.rmSync(home, { recursive: true, force: true }); };
  return browser;
}

export function screenshotDir() {
  const d = path.join(buildDir, 'console-screenshots');
  fs.mkdirSync(d, { recursive: true });
  return d;
}
