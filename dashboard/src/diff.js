// Two JSON documents side by side, line against line: the lines only the left has are marked
// removed, those only the right has added, each change's old line beside its new one (a longest-common-subsequence diff of the pretty text).
import { h } from './dom.js';

export function lineDiff(left, right) {
  const n = left.length;
  const m = right.length;
  const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i][j] = left[i] === right[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && left[i] === right[j]) rows.push({ left: left[i++], right: right[j++], kind: 'same' });
    else if (j < m && (i === n || common[i][j + 1] >= common[i + 1][j])) rows.push({ left: null, right: right[j++], kind: 'added' });
    else rows.push({ left: left[i++], right: null, kind: 'removed' });
  }
  return paired(rows);
}

// A run of removed and added lines becomes rows of changed lines, the old beside the new.
function paired(rows) {
  const out = [];
  for (let start = 0; start < rows.length;) {
    if (rows[start].kind === 'same') {
      out.push(rows[start++]);
      continue;
    }
    let end = start;
    while (end < rows.length && rows[end].kind !== 'same') end++;
    const run = rows.slice(start, end);
    const removed = run.filter((row) => row.kind === 'removed').map((row) => row.left);
    const added = run.filter((row) => row.kind === 'added').map((row) => row.right);
    for (let k = 0; k < Math.max(removed.length, added.length); k++)
      out.push({ left: removed[k] ?? null, right: added[k] ?? null, kind: 'changed' });
    start = end;
  }
  return out;
}

export function sideBySide(leftTitle, leftDocument, rightTitle, rightDocument) {
  const rows = lineDiff(JSON.stringify(leftDocument, null, 2).split('\n'), JSON.stringify(rightDocument, null, 2).split('\n'));
  const changed = rows.filter((row) => row.kind !== 'same').length;
  const side = (text) => (text === null ? h('td', { class: 'diff-blank' }) : null);
  return h('table', { class: 'diff' },
    h('caption', {}, changed ? `${changed} changed lines` : 'The two versions are the same'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, leftTitle), h('th', { scope: 'col' }, rightTitle))),
    h('tbody', {}, rows.map((row) =>
      row.kind === 'same'
        ? h('tr', {}, h('td', {}, row.left), h('td', {}, row.right))
        : h('tr', { class: 'diff-changed' },
          side(row.left) ?? h('td', { class: 'diff-removed' }, h('span', { class: 'sr-only' }, 'removed: '), row.left),
          side(row.right) ?? h('td', { class: 'diff-added' }, h('span', { class: 'sr-only' }, 'added: '), row.right)))));
}
