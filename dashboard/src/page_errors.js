// Errors: ErrorDNA's groups with their counts over the last hour, first and last seen, and a sample.
import { api, optional } from './api.js';
import { ago, badge, h, section, table } from './dom.js';
import { timeChart } from './charts.js';

export function concerns(event) {
  return event.topic.startsWith('errors.');
}

export async function render(fingerprint) {
  const list = await optional('/errors?limit=100', { groups: [] });
  const groups = list.groups || [];
  const chosen = fingerprint ? await optional(`/errors/${encodeURIComponent(fingerprint)}`, null) : null;
  return [
    h('h1', {}, 'Errors'),
    section('Error groups', table(`${list.total ?? groups.length} groups, most recent first`, ['Group', 'Services', 'Count', 'Rate', 'First seen', 'Last seen'],
      groups.map((group) => [
        h('a', { href: `#/errors/${encodeURIComponent(group.fingerprint)}` }, h('strong', {}, group.type), `: ${group.message}`),
        Object.entries(group.services || {}).map(([service, count]) => `${service} (${count})`).join(', '), String(group.count),
        h('span', {}, `${Number(group.rate_per_minute || 0).toFixed(1)}/min`, group.spiking ? [' ', badge('spiking')] : null),
        ago(group.first_seen), ago(group.last_seen),
      ]), 'no errors reported')),
    fingerprint ? detail(fingerprint, chosen) : null,
  ];
}

function detail(fingerprint, group) {
  if (!group) return section('Group', h('p', { class: 'problem' }, `No group ${fingerprint}.`));
  // The hub lists the minutes that had events; the others had none.
  const counts = new Map((group.last_hour || []).map(([at, count]) => [at, count]));
  const now = Math.floor(Date.now() / 60000) * 60;
  const minutes = Array.from({ length: 60 }, (_, i) => now - (59 - i) * 60).map((at) => [at, counts.get(at) ?? 0]);
  return section(`${group.type}: ${group.message}`,
    h('p', {}, badge(group.severity || 'error'), ` ${group.category || ''} · ${group.count} in all · first seen ${ago(group.first_seen)} · last seen ${ago(group.last_seen)}`),
    timeChart('Events per minute, last hour', [{ label: 'events', points: minutes.map(([at, count]) => [at, count]) }], { unit: '' }),
    h('h3', {}, 'Stack'), h('pre', {}, (group.frames || []).join('\n')),
    h('h3', {}, 'Sample'), h('pre', {}, JSON.stringify((group.samples || [])[0] ?? null, null, 2)));
}
