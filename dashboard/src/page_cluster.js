// Cluster: the hubs that share this hub's database, their lag behind the change feed and their leases.
import { api } from './api.js';
import { ago, badge, h, section, table } from './dom.js';

export function concerns(event) {
  return event.topic.startsWith('hub.');
}

export async function render() {
  const cluster = await api('/cluster');
  const hubs = cluster.hubs || [];
  return [
    h('h1', {}, 'Cluster'),
    section(cluster.shared === false ? 'This hub (alone on its storage)' : `${hubs.length} hubs on one database`,
      table('Hubs', ['Hub', 'Address', 'Version', 'Started', 'Applied revision', 'Lag', 'Last beat', 'Leases'],
        hubs.map((hub) => [
          h('span', {}, hub.hub_id || hub.id, hub.self ? [' ', badge('this hub')] : null), hub.address || '—', hub.version || '—',
          ago(hub.started_at), String(hub.applied_revision ?? '—'), `${hub.lag ?? 0} changes`,
          hub.silent_seconds !== undefined ? `${Number(hub.silent_seconds).toFixed(1)} s ago` : '—', (hub.leases || []).join(', ') || '—',
        ]))),
  ];
}
