// Overview: every service as a tile, the infrastructure with its response-time trend, open circuits,
// running rollouts and the alert feed.
import { optional } from './api.js';
import { ago, badge, h, ms, section, table } from './dom.js';
import { seconds, timeChart } from './charts.js';

const liveAlerts = []; // alerts that arrived on the stream since the page opened, newest first

export function remember(event) {
  liveAlerts.unshift({ ...(event.data || {}), type: event.data?.type || event.topic.slice(6), received: event.at });
  liveAlerts.length = Math.min(liveAlerts.length, 100);
}

export function concerns(event) {
  return !event.topic.startsWith('hub.');
}

const ENDED = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);

export async function render() {
  const [health, performance, infrastructure, trend, circuits, deployments, alerts] = await Promise.all([
    optional('/health/services', {}),
    optional('/performance', {}),
    optional('/health/infrastructure', {}),
    optional('/health/infrastructure/trend?window=1h', { series: {} }),
    optional('/circuits', { circuits: [] }),
    optional('/deployments', { deployments: [] }),
    optional('/health/alerts', { alerts: [] }),
  ]);
  return [
    h('h1', {}, 'Overview'),
    section('Services', serviceTiles(health, performance)),
    h('div', { class: 'columns' },
      section('Infrastructure', infrastructureTable(infrastructure), infrastructureCharts(trend)),
      h('div', {},
        section('Open circuits', openCircuits(circuits)),
        section('Running rollouts', runningRollouts(deployments)),
        section('Alerts', alertFeed(alerts)))),
  ];
}

function p99Of(performance, name) {
  const operations = performance?.services?.[name] ?? performance?.[name];
  if (!operations || typeof operations !== 'object') return null;
  const values = Object.values(operations).map((each) => each?.p99_ms).filter((v) => typeof v === 'number');
  return values.length ? Math.max(...values) : null;
}

function serviceTiles(health, performance) {
  const names = Object.keys(health).sort();
  if (!names.length) return h('p', { class: 'empty' }, 'No service is registered.');
  return h('ul', { class: 'tiles', 'aria-label': `${names.length} services` }, names.map((name) => {
    const service = health[name];
    const p99 = p99Of(performance, name);
    return h('li', {}, h('a', { class: `tile ${service.status}`, href: `#/services/${encodeURIComponent(name)}`, id: `tile-${name}` },
      h('span', { class: 'name' }, name),
      badge(service.status),
      h('span', { class: 'facts' }, ` ${service.instances} instance${service.instances === 1 ? '' : 's'} · p99 `,
        p99 !== null ? ms(p99) : service.latency !== null ? `${ms(service.latency)} (check)` : '—')));
  }));
}

// With several hubs, each component is checked by one of them; this hub's view of the others' is its
// own last check, so the table says who checks each and when this hub last saw a result.
function infrastructureTable(infrastructure) {
  const entries = Object.entries(infrastructure).sort(([a], [b]) => a.localeCompare(b));
  const shared = entries.some(([, component]) => component.checked_by);
  const rows = entries.map(([name, component]) => [
    name, badge(component.status), ms(component.response_time_ms), component.error_message || '', ago(component.checked_at),
    ...(shared ? [component.checked_by || '—'] : []),
  ]);
  return table('Components', ['Component', 'Status', 'Response', 'Problem', 'Checked', ...(shared ? ['Checked by'] : [])], rows,
    'no component is checked');
}

function infrastructureCharts(trend) {
  const series = Object.entries(trend.series || {}).map(([name, points]) => ({
    label: name,
    points: points.map((point) => [seconds(point.at), point.mean_latency_ms]),
  }));
  if (!series.length) return h('p', { class: 'empty' }, 'No response times stored in the last hour.');
  return timeChart(`Response time, last hour (mean per ${trend.bucket_seconds} s)`, series);
}

function openCircuits(circuits) {
  const open = (circuits.circuits || []).filter((circuit) => String(circuit.state).toLowerCase() !== 'closed');
  return table('Circuits not closed', ['Service', 'State', 'Opened'],
    open.map((circuit) => [h('a', { href: `#/services/${encodeURIComponent(circuit.service_name)}` }, circuit.service_name),
                           badge(String(circuit.state).toLowerCase()), circuit.opened_at ? ago(circuit.opened_at) : '—']),
    'every circuit is closed');
}

function runningRollouts(deployments) {
  const running = (deployments.deployments || []).filter((rollout) => !ENDED.has(rollout.phase));
  return table('Rollouts in progress', ['Service', 'Version', 'Phase', 'Progress'],
    running.map((rollout) => [
      h('a', { href: '#/rollouts' }, rollout.service), `${rollout.from_version} → ${rollout.version}`, badge(rollout.phase),
      h('progress', { max: Math.max(rollout.batches_total || 1, 1), value: rollout.batches_done || 0,
                      'aria-label': `${rollout.service}: ${rollout.batches_done || 0} of ${rollout.batches_total || 0} batches` }),
    ]),
    'no rollout is running');
}

function alertFeed(stored) {
  const seen = new Set();
  const all = [...liveAlerts, ...[...(stored.alerts || [])].reverse()].filter((alert) => {
    const key = `${alert.type}|${alert.at || alert.received}|${alert.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (!all.length) return h('p', { class: 'empty' }, 'No alerts.');
  return h('ol', { class: 'feed', 'aria-label': 'Alerts, newest first' }, all.slice(0, 50).map((alert) =>
    h('li', {}, h('time', { datetime: alert.at || alert.received }, ago(alert.at || alert.received)), badge(alert.status || 'warning'), ' ',
      h('strong', {}, alert.type), ' ', alert.message || '')));
}
