// Rollouts: a progress bar per rollout, its step and gates, its history; pause, resume and abort.
import { api, session } from './api.js';
import { action, ago, badge, h, section, table } from './dom.js';

const ENDED = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);

export function concerns(event) {
  return event.topic.startsWith('deployment.') || event.topic.startsWith('instance.');
}

export async function render() {
  const list = (await api('/deployments')).deployments || [];
  const details = await Promise.all(list.map((rollout) => api(`/deployments/${encodeURIComponent(rollout.id)}`)));
  const running = details.filter((rollout) => !ENDED.has(rollout.phase));
  const ended = details.filter((rollout) => ENDED.has(rollout.phase));
  return [
    h('h1', {}, 'Rollouts'),
    running.length ? running.map((rollout) => card(rollout)) : section('Running', h('p', { class: 'empty' }, 'No rollout is running.')),
    section('Ended', table('Rollouts that ended', ['Rollout', 'Service', 'Version', 'Strategy', 'Outcome', 'Why'],
      ended.map((rollout) => [rollout.id, rollout.service, `${rollout.from_version} → ${rollout.version}`, rollout.strategy,
                              badge(rollout.phase), rollout.reason || '']), 'none yet')),
  ];
}

// weight_percent is a canary's or blue-green's share of the traffic; -1 for a rolling update, which has none.
function card(rollout) {
  const done = rollout.batches_done ?? 0;
  const total = Math.max(rollout.batches_total ?? 1, 1);
  const id = encodeURIComponent(rollout.id);
  const command = (verb, question) =>
    action(verb[0].toUpperCase() + verb.slice(1), question, () => api(`/deployments/${id}/${verb}`, { method: 'POST', body: {} }),
      { disabled: !session.operates, why: `${verb} needs an operator or admin token` });
  const paused = rollout.phase === 'paused';
  return section(`${rollout.service}: ${rollout.from_version} → ${rollout.version}`,
    h('p', {}, badge(rollout.phase), ` ${rollout.strategy} · rollout ${rollout.id} · step ${rollout.step}`,
      rollout.weight_percent >= 0 ? ` · ${rollout.weight_percent}% of traffic` : '', rollout.waiting_on ? ` · waiting on ${rollout.waiting_on}` : ''),
    h('p', {}, h('label', { for: `progress-${rollout.id}` }, 'Progress'),
      h('progress', { id: `progress-${rollout.id}`, max: total, value: Math.min(done, total) }), ` ${done} of ${total} batches`),
    h('div', { class: 'actions' },
      paused ? command('resume', null) : command('pause', `Pause rollout ${rollout.id} of ${rollout.service}? It holds where it is until resumed.`),
      command('abort', `Abort rollout ${rollout.id}? Instances already moved to ${rollout.version} go back to ${rollout.from_version}.`),
      session.operates ? null : h('span', { class: 'note' }, 'Signed in as a reader: the buttons need an operator token.')),
    h('p', {}, 'Gates: ', rollout.gate ? [badge(rollout.gate.verdict), ` ${rollout.gate.reason}`] : 'not judged yet'),
    table('Instances by version', ['Version', 'Instances'], Object.entries(rollout.instances || {}).map(([version, list]) =>
      [version, Array.isArray(list) ? list.join(', ') : String(list)]), 'none'),
    table('History', ['When', 'What', 'Instance', 'Why', 'By'], [...(rollout.history || [])].reverse().slice(0, 15).map((entry) => [
      ago(entry.at), entry.action, entry.instance_id || '', entry.reason || '', entry.by || '',
    ]), 'nothing yet'));
}
