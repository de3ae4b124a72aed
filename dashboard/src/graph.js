// A service's dependencies (left) and dependents (right) as a small SVG graph: each node a link to
// its service page, its status in words and in colour.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function node(x, y, name, status, here) {
  const group = svg('a', { href: here ? '#' : `#/services/${encodeURIComponent(name)}`, class: `node node-${status}` });
  group.append(svg('rect', { x: x - 80, y: y - 18, width: 160, height: 36, rx: 6 }));
  const label = svg('text', { x, y: y + 5, 'text-anchor': 'middle' });
  label.textContent = `${name.length > 18 ? `${name.slice(0, 17)}…` : name} · ${status}`;
  group.append(svg('title', {}, document.createTextNode(`${name}: ${status}`)), label);
  return group;
}

// dependencies/dependents: [{ service_name, status, registered }]
export function dependencyGraph(name, status, dependencies, dependents) {
  const rows = Math.max(dependencies.length, dependents.length, 1);
  const height = rows * 48 + 16;
  const drawing = svg('svg', { viewBox: `0 0 720 ${height}`, class: 'graph', role: 'group',
                               'aria-label': `${name} depends on ${dependencies.length} and is depended on by ${dependents.length}` });
  const middle = height / 2;
  const place = (list, x) =>
    list.forEach((other, i) => {
      const y = 8 + (i + 0.5) * ((height - 16) / list.length);
      drawing.append(svg('line', { x1: x < 360 ? x + 80 : x - 80, y1: y, x2: x < 360 ? 280 : 440, y2: middle, class: 'edge' }));
      drawing.append(node(x, y, other.service_name, other.registered ? other.status : 'unregistered', false));
    });
  place(dependencies, 100);
  place(dependents, 620);
  drawing.append(node(360, middle, name, status, true));
  return h('figure', { class: 'graph-figure' },
    h('figcaption', {}, 'Depends on (left) · this service · depended on by (right)'), drawing);
}
