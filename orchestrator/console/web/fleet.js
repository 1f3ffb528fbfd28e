// The fleet: each desktop agent, the programs it drives, whether it is idle, busy or silent, the job and step
// it is on, its last heartbeat, and today's finished and failed jobs. Polled every 2 s.
import { h, replace, since, time, stateBadge } from './dom.js';
import { get } from './client.js';

export async function renderFleet(ctx) {
  const body = h('tbody', {});
  const note = h('span', { class: 'muted', 'data-testid': 'fleet-updated' });
  replace(ctx.main, h('div', { class: 'view', 'data-testid': 'fleet-view' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Fleet'), note),
    h('table', { class: 'grid', 'data-testid': 'fleet-table' },
      h('thead', {}, h('tr', {}, ['Agent', 'Apps', 'State', 'Job', 'Step', 'Last heartbeat', 'Done today', 'Failed today', 'Screen']
        .map((t) => h('th', {}, t)))),
      body)));
  const refresh = async () => {
    const data = await get('/api/fleet');
    if (!ctx.alive()) return;
    const agents = data.agents || [];
    replace(body, agents.length ? agents.map(row)
      : h('tr', {}, h('td', { colspan: 9, class: 'muted', 'data-testid': 'fleet-empty' }, 'No agent has registered.')));
    note.textContent = `${agents.length} agent${agents.length === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
  };
  await refresh();
  ctx.every(2000, refresh);
}

function row(a) {
  const job = a.job || null;
  return h('tr', { 'data-testid': 'agent-row', 'data-id': a.id, 'data-state': a.state },
    h('td', { class: 'mono' }, a.id),
    h('td', {}, Array.isArray(a.apps) ? a.apps.join(', ') : (a.apps || '')),
    h('td', {}, stateBadge(a.state, 'agent-state'), a.held_by ? h('span', { class: 'muted', 'data-testid': 'agent-held-by' }, ` by ${a.held_by}`) : null),
    h('td', { 'data-testid': 'agent-job' }, job
      ? [h('span', { class: 'mono' }, job.script || ''), ' ',
         job.request_id ? h('a', { href: `#/request/${encodeURIComponent(job.request_id)}` }, `#${job.request_id}`) : null]
      : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'mono', 'data-testid': 'agent-step' }, job && job.step ? String(job.step) : ''),
    h('td', { 'data-testid': 'agent-heartbeat' }, a.last_heartbeat ? [since(a.last_heartbeat), ' ago'] : '—',
      a.last_heartbeat ? h('span', { hidden: true }, time(a.last_heartbeat)) : null),
    h('td', { class: 'num', 'data-testid': 'agent-done' }, String(a.done_today ?? 0)),
    h('td', { class: 'num', 'data-testid': 'agent-failed' }, String(a.failed_today ?? 0)),
    h('td', {}, h('a', { href: `#/agent/${encodeURIComponent(a.id)}`, 'data-testid': 'agent-view' }, 'View'),
      a.watchers ? h('span', { class: 'muted' }, ` (${a.watchers} watching)`) : null));
}
