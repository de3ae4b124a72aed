// Time-series charts with uPlot (from the npm registry, built into hubd). Each chart is a figure with
// a caption and a sentence a screen reader can read in place of the drawing.
import uPlot from './vendor/uPlot.esm.js';
import { h } from './dom.js';

const COLOURS = ['#1f6fb2', '#b8461b', '#2e7d32', '#7b3fa0', '#8a6d00', '#00796b', '#c2185b', '#455a64'];

// series: [{ label, points: [[unixSeconds, value], ...] }]; one x axis, the union of every series' times.
export function timeChart(caption, series, { unit = 'ms', height = 160, windowSeconds = 3600 } = {}) {
  const times = [...new Set(series.flatMap((each) => each.points.map(([at]) => at)))].sort((a, b) => a - b);
  const index = new Map(times.map((at, i) => [at, i]));
  const columns = series.map((each) => {
    const column = new Array(times.length).fill(null);
    for (const [at, value] of each.points) column[index.get(at)] = value;
    return column;
  });
  const figure = h('figure', { class: 'chart' }, h('figcaption', {}, caption));
  if (!times.length) {
    figure.append(h('p', { class: 'empty' }, 'No data in this window yet.'));
    return figure;
  }
  figure.setAttribute('aria-label', `${caption}: ${describe(series, unit)}`);
  const plotted = h('div', { class: 'plot', role: 'img', 'aria-label': describe(series, unit) });
  figure.append(plotted);
  const options = {
    width: 600,
    height,
    series: [{}, ...series.map((each, i) => ({ label: each.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true,
                                                value: (u, v) => (v === null ? '—' : `${v} ${unit}`) }))],
    // The whole window, whatever part of it has data.
    scales: { x: { time: true, range: () => [Math.floor(Date.now() / 1000) - windowSeconds, Math.ceil(Date.now() / 1000)] } },
    axes: [{}, { values: (u, ticks) => ticks.map((v) => `${v} ${unit}`), size: 70 }],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const chart = new uPlot(options, [times, ...columns], plotted);
  // Sized to its place once it has one, and again whenever that changes.
  new ResizeObserver(() => {
    const width = Math.max(plotted.clientWidth, 200);
    if (chart.width !== width) chart.setSize({ width, height });
  }).observe(plotted);
  return figure;
}

function describe(series, unit) {
  return series
    .map((each) => {
      const values = each.points.map(([, v]) => v).filter((v) => v !== null);
      if (!values.length) return `${each.label}: no data`;
      const latest = values[values.length - 1];
      return `${each.label}: latest ${latest} ${unit}, highest ${Math.max(...values)} ${unit} over ${values.length} points`;
    })
    .join('; ');
}

export function seconds(iso) {
  return Math.round(Date.parse(iso) / 1000);
}
