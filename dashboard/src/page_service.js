// One service: instances, health history, dependencies, circuit and ejections, config versions
// with a side-by-side diff and rollback, and its error groups.
import { api, optional, session } from './api.js';
import { action, ago, badge, h, ms, section, table } from './dom.js';
import { seconds, timeChart } from './charts.js';
import { dependencyGraph } from './graph.js';
import { sideBySide } from './diff.js';

// The versions compared, per service, kept across live redraws.
const compared = new Map();

export function concerns(event, name) {
  const data = event.data || {};
  const about = data.service_name ?? data.service ?? data.name;
  return about === undefined || about === name || event.topic.startsWith('config.');
}

export async function render(name) {
  const path = encodeURIComponent(name);
  const [detail, dependencies, trend, circuit, history, groups, loads] = await Promise.all([
    api(`/services/${path}`),
    optional(`/services/${path}/dependencies`, { dependencies: [], dependents: [] }),
    optional(`/health/services/${path}/trend?window=1h`, { series: {} }),
    optional(`/circuits/${path}`, null),
    optional(`/config/${path}/history`, null),
    optional(`/errors?service=${path}&limit=20`, { groups: [] }),
    optional(`/lb/${path}/load`, { instances: {} }),
  ]);
  return [
    h('p', {}, h('a', { href: '#/' }, '← Overview')),
    h('h1', {}, name, ' ', badge(detail.status)),
    h('div', { class: 'columns' },
      section('Instances', instances(detail.instances || [], circuit, loads.instances || {})),
      section('Health history', healthChart(trend, name))),
    h('div', { class: 'columns' },
      section('Dependencies', dependencyGraph(name, detail.status, dependencies.dependencies || [], dependencies.dependents || [])),
      section('Circuit', circuitView(name, circuit))),
    section('Configuration', await configView(name, history)),
    section('Error groups', errorGroups(groups)),
  ];
}

function instances(list, circuit, loads) {
  const ejected = new Set((circuit?.ejected || []).map((each) => each.instance_id ?? each));
  return table(`${list.length} instance${list.length === 1 ? '' : 's'}`, ['Instance', 'Status', 'Version', 'Load', 'Last heartbeat'],
    list.map((instance) => [
      h('span', {}, instance.instance_id, h('br'), h('span', { class: 'note' }, `${instance.host}:${instance.port}`)),
      h('span', {}, badge(instance.status), ejected.has(instance.instance_id) ? [' ', badge('ejected')] : null),
      instance.version || '—',
      load(instance, loads[instance.instance_id]),
      ago(instance.last_heartbeat),
    ]), 'none registered');
}

// What the balancer knows: calls in flight through the hub, the load the heartbeats report (else the
// metadata's), and the instance's weight.
function load(instance, live) {
  const reported = live?.load ?? instance.metadata?.load;
  return [`${live?.in_flight ?? 0} in flight`, reported === undefined || reported === null ? null : `load ${reported}`,
          `weight ${instance.weight ?? 100}`].filter(Boolean).join(' · ');
}

function healthChart(trend, name) {
  const points = trend.series?.[name] || [];
  const healthy = points.reduce((sum, point) => sum + point.healthy, 0);
  const checks = points.reduce((sum, point) => sum + point.checks, 0);
  return [
    timeChart(`Check latency, last hour (per ${trend.bucket_seconds || 60} s)`, [
      { label: 'mean', points: points.map((point) => [seconds(point.at), point.mean_latency_ms]) },
      { label: 'max', points: points.map((point) => [seconds(point.at), point.max_latency_ms]) },
    ]),
    h('p', { class: 'note' }, checks ? `${healthy} of ${checks} checks healthy in the last hour` : 'No checks stored in the last hour.'),
  ];
}

function circuitView(name, circuit) {
  if (!circuit) return h('p', { class: 'empty' }, 'No circuit breaker guards this service.');
  const state = String(circuit.state || 'closed').toLowerCase();
  const ejected = circuit.ejected || [];
  return [
    h('p', {}, 'State: ', badge(state), ` · ${circuit.calls ?? 0} calls counted`,
      circuit.opened_at ? ` · opened ${ago(circuit.opened_at)}` : '', circuit.retry_at ? ` · retries ${circuit.retry_at}` : ''),
    table('Ejected instances', ['Instance', 'Until', 'Why'],
      ejected.map((each) => [each.instance_id ?? String(each), each.until ?? each.ejected_until ?? '—', each.reason || '']),
      'none ejected'),
  ];
}

async function configView(name, history) {
  if (!history || !history.versions || !history.versions.length) return h('p', { class: 'empty' }, 'This service has no stored config.');
  const versions = history.versions.map((each) => each.version).sort((a, b) => a - b);
  const active = history.active_version;
  const chosen = compared.get(name) || { from: versions[Math.max(versions.indexOf(active) - 1, 0)], to: active };
  if (!versions.includes(chosen.from)) chosen.from = versions[0];
  if (!versions.includes(chosen.to)) chosen.to = active;
  compared.set(name, chosen);
  const path = encodeURIComponent(name);
  const [left, right] = await Promise.all([api(`/config/${path}/versions/${chosen.from}`), api(`/config/${path}/versions/${chosen.to}`)]);
  const picker = (id, label, value, key) => h('span', {},
    h('label', { for: id }, label),
    h('select', { id, onchange: (changed) => {
      compared.set(name, { ...compared.get(name), [key]: Number(changed.target.value) });
      window.dispatchEvent(new Event('hub:redraw'));
    } },
      versions.map((version) => h('option', { value: version, selected: version === value || undefined },
        `v${version}${version === active ? ' (active)' : ''}`))));
  const rollbackTarget = chosen.from === active ? null : chosen.from;
  return [
    table('Versions', ['Version', 'Stored', 'By', 'Size'],
      history.versions.slice(0, 10).map((each) => [  // newest first, as the hub lists them
        h('span', {}, `v${each.version} `, each.version === active ? badge('active') : null), ago(each.created_at), each.created_by,
        `${each.bytes} B`,
      ])),
    h('div', { class: 'actions' },
      picker('diff-from', 'Compare', chosen.from, 'from'), picker('diff-to', 'with', chosen.to, 'to'),
      rollbackTarget === null
        ? h('span', { class: 'note' }, 'The left version is the active one.')
        : action(`Roll back to v${rollbackTarget}`, `Make version ${rollbackTarget} of ${name}'s config active again? Every instance watching it gets it at once.`,
            () => api(`/config/${path}/rollback`, { method: 'POST', body: { version: rollbackTarget } }),
            { disabled: !session.operates, why: 'rolling back needs an operator or admin token' })),
    sideBySide(`v${chosen.from}${chosen.from === active ? ' (active)' : ''}`, left.config_data,
               `v${chosen.to}${chosen.to === active ? ' (active)' : ''}`, right.config_data),
  ];
}

function errorGroups(groups) {
  return table('Error groups of this service', ['Group', 'Count', 'Last seen'],
    (groups.groups || []).map((group) => [
      h('a', { href: `#/errors/${encodeURIComponent(group.fingerprint)}` }, `${group.type}: ${group.message}`), group.count, ago(group.last_seen),
    ]), 'no errors reported');
}
