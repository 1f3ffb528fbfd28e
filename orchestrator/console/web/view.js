// An agent's screen, live (#/agent/ID?job=JOB): the frames the agent sends while someone watches (changed tiles
// over the last key frame) drawn on a canvas, the step it is on and the target it found or looks for drawn over
// them; an operator steps a supervised run, pauses it, skips a step, aborts it, takes the desktop over (pointer
// and keys on the canvas go to the agent) and hands it back. #/supervise starts a supervised job.
import { h, replace, time } from './dom.js';
import { get, post, ApiError } from './client.js';

// What the tests (and a curious operator) can read: frames drawn, the last one and the last key frame,
// latencies capture -> drawn.
const stats = (window.__dockhandView = { frames: 0, keyFrames: 0, last: null, lastKey: null, latencies: [], dropped: 0 });

export async function renderAgentView(ctx, agentId) {
  const canvas = h('canvas', { class: 'screen', 'data-testid': 'view-canvas', tabindex: '0', width: 16, height: 16 });
  const overlay = h('canvas', { class: 'screen-overlay', 'data-testid': 'view-overlay', width: 16, height: 16 });
  const status = h('div', { class: 'view-status', 'data-testid': 'view-status' }, 'connecting…');
  const stepLine = h('div', { class: 'mono', 'data-testid': 'view-step' }, '');
  const message = h('div', { class: 'muted', 'data-testid': 'view-message' }, '');
  const log = h('tbody', {});
  const jobId = ctx.params.job || '';
  const canAct = ctx.canAct();
  let state = {};  // the last overlay: mode, step, what, target, found, held_by, job_id
  const act = async (action, extra = {}) => {
    try {
      await post(`/api/agents/${encodeURIComponent(agentId)}/control`, { action, ...extra });
      message.textContent = `${action} sent`;
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.message : String(e);
    }
  };
  const button = (label, testid, fn) => h('button', { 'data-testid': testid, disabled: !canAct, title: canAct ? '' : 'viewer cannot act', onclick: fn }, label);
  const controls = h('div', { class: 'toolbar view-controls' },
    button('Step', 'view-step-button', () => act('step')),
    button('Continue', 'view-continue', () => act('resume')),
    button('Pause', 'view-pause', () => act('pause')),
    button('Skip', 'view-skip', () => act('skip')),
    button('Abort', 'view-abort', () => act('abort')),
    h('span', { class: 'sep' }),
    button('Take over', 'view-takeover', () => act('takeover')),
    button('Hand back: resume', 'view-handback', () => act('handback', { how: 'resume' })),
    button('Hand back: step done', 'view-handback-done', () => act('handback', { how: 'step_done' })),
    button('Hand back: fail', 'view-handback-fail', () => act('handback', { how: 'fail' })));
  replace(ctx.main, h('div', { class: 'view', 'data-testid': 'agent-view', 'data-agent': agentId },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Agent ', h('span', { class: 'mono' }, agentId)), status),
    stepLine, controls, message,
    h('div', { class: 'screen-box' }, canvas, overlay),
    jobId ? h('section', { class: 'panel', 'data-testid': 'job-log' }, h('h2', {}, `Job ${jobId}`),
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Time', 'What', 'Agent', 'Detail'].map((t) => h('th', {}, t)))), log)) : null));

  const g = canvas.getContext('2d');
  const o = overlay.getContext('2d');
  const drawOverlay = () => {
    o.clearRect(0, 0, overlay.width, overlay.height);
    const t = state.target;
    if (Array.isArray(t) && t.length === 4) {
      o.lineWidth = 3;
      o.strokeStyle = state.found ? '#1e7a3e' : '#d08000';
      o.setLineDash(state.found ? [] : [8, 6]);
      o.strokeRect(t[0] - 2, t[1] - 2, t[2] + 4, t[3] + 4);
    }
    overlay.dataset.target = Array.isArray(t) ? t.join(',') : '';
  };
  const showState = () => {
    const mode = state.mode || 'idle';
    status.textContent = mode + (state.held_by ? ` · held by ${state.held_by}` : '') + (state.stuck_reason ? ` · ${state.stuck_reason}` : '');
    status.dataset.mode = mode;
    status.dataset.heldBy = state.held_by || '';
    stepLine.textContent = state.step ? `${state.step}: ${state.what || ''}` : '';
    stepLine.dataset.step = state.step || '';
    drawOverlay();
  };

  // Frames arrive in order; each is drawn only after the one before (tiles are decoded first).
  let drawing = Promise.resolve();
  const source = new EventSource(`/api/agents/${encodeURIComponent(agentId)}/view`);
  source.addEventListener('frame', (ev) => {
    const f = JSON.parse(ev.data);
    const decoded = Promise.all((f.tiles || []).map((t) => {
      const img = new Image();
      img.src = `data:image/jpeg;base64,${t.jpeg}`;
      return img.decode().then(() => ({ t, img }));
    }));
    drawing = drawing.then(() => decoded).then((tiles) => {
      if (!ctx.alive()) return;
      if (canvas.width !== f.width || canvas.height !== f.height) {
        canvas.width = overlay.width = f.width;
        canvas.height = overlay.height = f.height;
      }
      for (const { t, img } of tiles) g.drawImage(img, t.x, t.y);
      state = f.overlay || {};
      showState();
      if (tiles.length) {
        stats.frames += 1;
        if (f.key) stats.keyFrames += 1;
        stats.last = { seq: f.seq, key: f.key, captured_ms: f.captured_ms, drawn_ms: Date.now() };
        if (f.key) stats.lastKey = stats.last;
        stats.latencies.push(Date.now() - f.captured_ms);
        if (stats.latencies.length > 1000) stats.latencies.shift();
        canvas.dataset.frames = String(stats.frames);
      }
      stats.dropped = f.dropped || 0;
    }).catch((e) => console.warn('frame', e));
  });
  source.onerror = () => { status.textContent = 'reconnecting…'; };
  const closer = setInterval(() => { if (!ctx.alive()) { source.close(); clearInterval(closer); } }, 500);

  // The take-over: pointer and keys on the canvas go to the agent (screen pixels), only while I hold it.
  const holding = () => canAct && state.held_by === `console:${ctx.session.me.name}` && (state.mode === 'held' || state.mode === 'idle' || state.mode === 'stuck' || state.mode === 'stopped');
  // In order: one request at a time, events that come meanwhile go together in the next.
  let pending = [];
  let sending = false;
  const flush = async () => {
    if (sending || !pending.length) return;
    sending = true;
    const events = pending;
    pending = [];
    try {
      await post(`/api/agents/${encodeURIComponent(agentId)}/input`, { events });
      stats.inputSent = (stats.inputSent || 0) + events.length;
    } catch (e) {
      message.textContent = e.message;
    }
    sending = false;
    flush();
  };
  const send = (events) => {
    if (!holding()) { message.textContent = 'take over first: the desktop is not held by you'; return; }
    pending.push(...events);
    flush();
  };
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: Math.round((e.clientX - r.left) * canvas.width / r.width), y: Math.round((e.clientY - r.top) * canvas.height / r.height) };
  };
  let down = null;
  canvas.addEventListener('mousedown', (e) => { down = { ...at(e), button: e.button === 2 ? 3 : e.button === 1 ? 2 : 1 }; canvas.focus(); e.preventDefault(); });
  canvas.addEventListener('mouseup', (e) => {
    if (!down) return;
    const p = at(e);
    if (Math.abs(p.x - down.x) <= 3 && Math.abs(p.y - down.y) <= 3) send([{ type: 'click', x: down.x, y: down.y, button: down.button, count: 1 }]);
    else send([{ type: 'drag', x: down.x, y: down.y, to_x: p.x, to_y: p.y, button: down.button }]);
    down = null;
  });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('wheel', (e) => { const p = at(e); send([{ type: 'scroll', x: p.x, y: p.y, dy: Math.sign(e.deltaY) }]); e.preventDefault(); }, { passive: false });
  const keyNames = { Enter: 'Enter', Tab: 'Tab', Escape: 'Escape', Backspace: 'BackSpace', Delete: 'Delete', Home: 'Home', End: 'End',
    PageUp: 'Page_Up', PageDown: 'Page_Down', ArrowUp: 'Up', ArrowDown: 'Down', ArrowLeft: 'Left', ArrowRight: 'Right', ' ': 'space' };
  canvas.addEventListener('keydown', (e) => {
    if (!holding()) return;
    if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
    const mods = [e.ctrlKey && 'ctrl', e.altKey && 'alt', e.metaKey && 'super'].filter(Boolean);
    if (e.key.length === 1 && !mods.length) send([{ type: 'text', text: e.key }]);
    else {
      const name = keyNames[e.key] || (/^F\d{1,2}$/.test(e.key) ? e.key : e.key.length === 1 ? e.key.toLowerCase() : null);
      if (!name) return;
      if (e.shiftKey && e.key.length !== 1) mods.push('shift');
      send([{ type: 'key', chord: [...mods, name].join('+') }]);
    }
    e.preventDefault();
  });

  if (jobId) {
    const refresh = async () => {
      const job = await get(`/api/jobs/${encodeURIComponent(jobId)}`);
      if (!ctx.alive()) return;
      log.parentElement.parentElement.dataset.state = job.state;
      replace(log, (job.events || []).map((e) => h('tr', { 'data-testid': 'job-event', 'data-kind': e.kind },
        h('td', { class: 'nowrap' }, time(e.time)), h('td', {}, e.kind), h('td', { class: 'mono' }, e.agent || ''), h('td', {}, e.detail))));
    };
    await refresh().catch(() => {});
    ctx.every(1000, refresh);
  }
}

// #/supervise?script=&vars=: start a job in supervised mode; its agent's view opens once it is dispatched.
export async function renderSupervise(ctx) {
  const script = h('input', { name: 'script', value: ctx.params.script || 'erp-closeout', 'data-testid': 'supervise-script' });
  const vars = h('textarea', { name: 'vars', rows: 4, cols: 40, 'data-testid': 'supervise-vars', placeholder: 'po=2K4GH7QZ' });
  vars.value = ctx.params.vars || '';
  const message = h('div', { class: 'muted', 'data-testid': 'supervise-message' }, '');
  const start = async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const line of vars.value.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1);
    }
    try {
      const job = await post('/api/jobs', { script: script.value.trim(), vars: values, supervised: true });
      message.textContent = `job ${job.job_id} queued; waiting for an agent…`;
      for (let i = 0; i < 600 && ctx.alive(); i++) {
        const j = await get(`/api/jobs/${encodeURIComponent(job.job_id)}`);
        if (j.agent) return ctx.navigate(`#/agent/${encodeURIComponent(j.agent)}?job=${encodeURIComponent(job.job_id)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (e) {
      message.textContent = e.message;
    }
  };
  replace(ctx.main, h('div', { class: 'view', 'data-testid': 'supervise-view' },
    h('h1', {}, 'Supervised replay'),
    h('form', { class: 'panel', onsubmit: start, 'data-testid': 'supervise-form' },
      h('label', {}, 'Script (a folder of recordings/) ', script), h('br', {}),
      h('label', {}, 'Variables, one name=value a line ', vars), h('br', {}),
      h('button', { type: 'submit', disabled: !ctx.canAct(), 'data-testid': 'supervise-start' }, 'Start supervised')),
    message));
}
