// The history view's chart panel: drifted or extra keys per target over a time range.
import { api } from './api.js';
import { MEASURES, drawChart } from './chart.js';
import { fmtNumber, h, put, stateBox, usesUtc } from './dom.js';
import { $, failure, loading, navigate, params, session } from './shared.js';

const CHART_PAGE = 2000; // points are counts only: a week of ten targets checked hourly is one page
const CHART_MAX_PAGES = 2; // the chart shows at most the newest 4,000 checks of a range
export const RANGES = {
  '24h': ['24 h', 864e5],
  '7d': ['7 d', 7 * 864e5],
  '30d': ['30 d', 30 * 864e5],
  all: ['all', 0],
};
const DEFAULT_RANGE = '7d';
const MEASURE_WORDS = {
  drifted: 'Drifted keys (missing or conflicting)',
  extra: 'Extra keys (on a target, not in the source)',
};

let chart = null; // { key, checks, truncated, handle }

export const currentRange = () =>
  Object.hasOwn(RANGES, params().get('range') ?? '') ? params().get('range') : DEFAULT_RANGE;
export const currentMeasure = () => (params().get('measure') === 'extra' ? 'extra' : 'drifted');

export function dropChart() {
  chart?.handle?.destroy();
  chart = null;
}

const radios = (name, legend, choices, chosen, onchange) =>
  h(
    'fieldset',
    { class: 'range' },
    h('legend', {}, legend),
    choices.map(([value, label]) =>
      h(
        'label',
        {},
        h('input', {
          type: 'radio',
          name,
          value,
          checked: value === chosen,
          onchange: () => onchange(value),
        }),
        ` ${label}`,
      ),
    ),
  );

export function chartPanel() {
  return h(
    'section',
    { 'aria-labelledby': 'chart-title', class: 'panel' },
    h('h2', { id: 'chart-title' }, 'Parity over time'),
    h(
      'div',
      { class: 'chart-controls' },
      radios(
        'measure',
        'Show',
        Object.entries(MEASURE_WORDS),
        currentMeasure(),
        (m) => void navigate({ measure: m === 'drifted' ? null : m }),
      ),
      radios(
        'range',
        'Time range',
        Object.entries(RANGES).map(([k, [label]]) => [k, label]),
        currentRange(),
        (r) => void navigate({ range: r === DEFAULT_RANGE ? null : r }),
      ),
    ),
    h(
      'p',
      { class: 'muted help' },
      'Each target has its own colour and line pattern; press a name in the legend to hide or show its line.',
    ),
    h('div', { id: 'chart-state' }),
    h('div', {
      id: 'chart',
      class: 'chart',
      role: 'group',
      'aria-labelledby': 'chart-title',
      'aria-describedby': 'chart-summary',
    }),
    h('p', { id: 'chart-summary', class: 'muted' }),
  );
}

export function syncChartControls() {
  for (const radio of document.querySelectorAll('input[name=range]'))
    radio.checked = radio.value === currentRange();
  for (const radio of document.querySelectorAll('input[name=measure]'))
    radio.checked = radio.value === currentMeasure();
}

export async function loadChart(force) {
  const range = currentRange();
  const target = params().get('target') ?? '';
  const key = `${range}|${target}`;
  if (!force && chart?.key === key) {
    if (chart.measure !== currentMeasure()) drawCurrentChart();
    return;
  }
  const gen = session.generation;
  const state = $('chart-state');
  if (!chart) put(state, loading('the chart'));
  const since = RANGES[range][1] ? new Date(Date.now() - RANGES[range][1]).toISOString() : undefined;
  const checks = [];
  let truncated = false;
  try {
    let cursor;
    for (let i = 0; i < CHART_MAX_PAGES; i++) {
      const page = await api('history/points', { limit: CHART_PAGE, since, target, cursor });
      if (gen !== session.generation) return;
      checks.push(...page.items);
      cursor = page.next;
      if (!cursor) break;
      truncated = i === CHART_MAX_PAGES - 1;
    }
  } catch (error) {
    if (gen !== session.generation) return;
    dropChart();
    put($('chart'));
    put($('chart-summary'));
    put(
      state,
      failure(error, 'the chart', () => void loadChart(true)),
    );
    return;
  }
  put(state);
  dropChart();
  chart = { key, checks, truncated, range, target, handle: null };
  drawCurrentChart();
}

export function drawCurrentChart() {
  const el = $('chart');
  if (!chart || !el) return;
  chart.handle?.destroy();
  chart.handle = null;
  put(el);
  const { checks, range, target, truncated } = chart;
  const measure = currentMeasure();
  chart.measure = measure;
  const summary = $('chart-summary');
  if (checks.length === 0) {
    put(summary);
    put(
      $('chart-state'),
      stateBox(
        'empty',
        range === 'all'
          ? 'No checks recorded yet: the chart fills in after the first drift check.'
          : `No checks in the last ${RANGES[range][0]}. Pick a longer range above.`,
      ),
    );
    return;
  }
  const shown = (session.targets?.targets ?? []).filter((t) => !target || t.id === target);
  const ids = shown.length
    ? shown
    : [...new Map(checks.flatMap((c) => c.targets).map((t) => [t.id, t])).values()].filter(
        (t) => !target || t.id === target,
      );
  try {
    chart.handle = drawChart(el, checks, ids, measure, usesUtc());
  } catch (error) {
    put(
      $('chart-state'),
      stateBox(
        'error',
        `${error.message} The build copies it from node_modules: run npm run build or npm start.`,
      ),
    );
  }
  const inScope = (c) => c.targets.filter((t) => !target || t.id === target);
  const drifted = checks.filter((c) => inScope(c).some((t) => t.has_drift)).length;
  const peak = (of) => Math.max(0, ...checks.flatMap((c) => inScope(c).map(of)));
  put(
    summary,
    `${fmtNumber(checks.length)} checks ${range === 'all' ? 'in all' : `in the last ${RANGES[range][0]}`}${truncated ? ' (the newest ones)' : ''}; `,
    `${fmtNumber(drifted)} found drift; at most ${peak(MEASURES.drifted.of)} drifted keys and ${peak(MEASURES.extra.of)} extra keys on one target at once.`,
  );
}

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => drawCurrentChart());
