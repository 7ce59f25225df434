// The history view: the chart, then the table (filters, sort in the page, cursors).
import { api } from './api.js';
import { fmtDuration, fmtNumber, h, put, stateBox, statusPill, timeEl, triggerName } from './dom.js';
import { chartPanel, dropChart, loadChart, syncChartControls } from './history-chart.js';
import {
  $,
  chosenEnv,
  failure,
  fillTargetSelects,
  labelCells,
  link,
  loading,
  navigate,
  params,
  session,
  targetSelect,
  viewEl,
} from './shared.js';

const PAGE_SIZE = 25;
let trail = []; // cursors of the newer history pages, for "Newer"
let refocus = null;
let nextCursor;

export const resetHistory = () => {
  trail = [];
};

function historySkeleton() {
  const p = params();
  return h(
    'div',
    { id: 'history-view' },
    chartPanel(),
    h(
      'section',
      { 'aria-labelledby': 'history-title', class: 'panel' },
      h('h2', { id: 'history-title' }, 'History'),
      h(
        'form',
        { class: 'filters', onsubmit: (e) => e.preventDefault() },
        h('label', { for: 'filter-target' }, 'Target'),
        targetSelect('filter-target', p.get('target'), (e) =>
          navigate({ target: e.target.value, cursor: null, page: null }),
        ),
        h('label', { for: 'filter-status' }, 'Status'),
        h(
          'select',
          {
            id: 'filter-status',
            onchange: (e) => navigate({ status: e.target.value, cursor: null, page: null }),
          },
          h('option', { value: '' }, 'Any status'),
          h('option', { value: 'drift' }, 'Drifted'),
          h('option', { value: 'parity' }, 'In parity'),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () =>
              navigate({ target: null, status: null, cursor: null, page: null, sort: null, dir: null }),
          },
          'Clear filters',
        ),
      ),
      h('p', { id: 'history-count', class: 'muted', 'aria-live': 'polite' }),
      h('p', { id: 'sort-note', class: 'muted help' }),
      h('div', { id: 'table-state' }),
      h(
        'div',
        { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'history-title' },
        h('table', { id: 'history-table', class: 'cards' }),
      ),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'History pages' },
        h(
          'button',
          { type: 'button', id: 'page-newest', class: 'secondary', onclick: () => pageTo('newest') },
          '« Newest',
        ),
        h(
          'button',
          { type: 'button', id: 'page-newer', class: 'secondary', onclick: () => pageTo('newer') },
          '‹ Newer',
        ),
        h('span', { id: 'page-label' }),
        h(
          'button',
          { type: 'button', id: 'page-older', class: 'secondary', onclick: () => pageTo('older') },
          'Older ›',
        ),
      ),
    ),
  );
}

export function renderHistoryView(full) {
  if (!$('history-view')) {
    put(viewEl(), historySkeleton());
    fillTargetSelects();
    dropChart();
    full = true;
  }
  const p = params();
  $('filter-status').value = p.get('status') ?? '';
  $('filter-target').value = p.get('target') ?? '';
  syncChartControls();
  return Promise.allSettled([loadChart(full), loadTable()]);
}

const COLUMNS = [
  ['time', 'Time', 'desc'],
  ['trigger', 'Trigger', 'asc'],
  ['target', 'Source → targets', 'asc'],
  ['status', 'Status', 'asc'],
  ['missing', 'Missing', 'desc'],
  ['extra', 'Extra', 'desc'],
  ['conflicts', 'Conflicts', 'desc'],
  ['unknown', 'Unknown', 'desc'],
  ['duration', 'Duration', 'desc'],
];
const NUMERIC = new Set(['missing', 'extra', 'conflicts', 'unknown', 'duration']);
const SORT_VALUE = {
  time: (r) => r.check.checked_at,
  trigger: (r) => r.check.trigger,
  target: (r) => r.targets.map((t) => t.id).join(','),
  status: (r) => (r.drift ? 0 : 1),
  missing: (r) => r.missing,
  extra: (r) => r.extra,
  conflicts: (r) => r.conflicts,
  unknown: (r) => r.unknown,
  duration: (r) => r.check.duration_ms,
};

/** One row per check: its targets (those the filter keeps) and their summed counts. */
function checkRows(items, target, status) {
  return items
    .map((check) => {
      const env = chosenEnv();
      const targets =
        env && check.environment && check.environment !== env
          ? []
          : check.targets.filter((t) => !target || t.id === target);
      const sum = (k) => targets.reduce((n, t) => n + t[k].length, 0);
      return {
        check,
        targets,
        drift: targets.some((t) => t.has_drift),
        missing: sum('missing'),
        extra: sum('extra'),
        conflicts: sum('conflicts'),
        unknown: sum('unknown'),
      };
    })
    .filter((r) => r.targets.length > 0 && (!status || (status === 'drift') === r.drift));
}

/** `manifest → render`, or each target with its state when a check covered several. */
function targetsCell(r) {
  if (r.targets.length === 1) return [h('code', {}, r.check.source), ' → ', h('code', {}, r.targets[0].id)];
  return [
    h('code', {}, r.check.source),
    ' → ',
    r.targets.map((t, i) => [
      i > 0 ? ' ' : '',
      h(
        'span',
        {
          class: `pill pill-${t.has_drift ? 'drift' : 'parity'}`,
          title: t.has_drift ? 'drifted' : 'in parity',
        },
        h('code', {}, t.id),
        h('span', { 'aria-hidden': 'true' }, t.has_drift ? ' ✗' : ' ✓'),
        h('span', { class: 'sr-only' }, t.has_drift ? ' drifted' : ' in parity'),
      ),
    ]),
  ];
}

export async function loadTable() {
  const p = params();
  const gen = session.generation;
  const target = p.get('target') ?? '';
  const status = p.get('status') ?? '';
  const cursor = p.get('cursor') ?? '';
  const table = $('history-table');
  table.setAttribute('aria-busy', 'true');
  setPager(false, false); // no paging while a page loads
  if (!table.rows.length) put($('table-state'), loading('the history'));
  let page;
  try {
    page = await api('history', { limit: PAGE_SIZE, target, status, cursor });
  } catch (error) {
    if (gen !== session.generation) return;
    table.removeAttribute('aria-busy');
    put(table);
    put($('history-count'));
    put(
      $('table-state'),
      failure(error, 'the history', () => void loadTable()),
    );
    return;
  }
  if (gen !== session.generation) return;
  table.removeAttribute('aria-busy');
  const rows = checkRows(page.items, target, status);
  const sort = Object.hasOwn(SORT_VALUE, p.get('sort') ?? '') ? p.get('sort') : 'time';
  const dir =
    p.get('dir') === 'asc' || p.get('dir') === 'desc' ? p.get('dir') : COLUMNS.find((c) => c[0] === sort)[2];
  const value = SORT_VALUE[sort];
  rows.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (dir === 'asc' ? 1 : -1);
  });
  const pageNo = Math.max(1, Number(p.get('page')) || 1);
  const first = (pageNo - 1) * PAGE_SIZE + 1;
  put(
    $('history-count'),
    page.total === 0
      ? ''
      : `Checks ${fmtNumber(first)}–${fmtNumber(first + page.items.length - 1)} of ${fmtNumber(page.total)}${target || status ? ' matching the filters' : ''}.`,
  );
  const label = COLUMNS.find((c) => c[0] === sort)[1];
  put(
    $('sort-note'),
    sort === 'time'
      ? 'Newest first. Sorting by a column orders the checks of this page only; the pages follow time.'
      : `Sorted by ${label.toLowerCase()} within this page only (25 checks); the pages follow time.`,
  );
  const pages = Math.ceil(page.total / PAGE_SIZE);
  put($('page-label'), page.total ? `Page ${pageNo} of ${fmtNumber(pages)}` : '');
  setPager(Boolean(cursor), Boolean(page.next), page.next);
  if (rows.length === 0) {
    put(table);
    put(
      $('table-state'),
      stateBox(
        'empty',
        target || status
          ? 'No checks match these filters. Clear the filters or pick another target or status.'
          : 'No drift checks recorded yet. They appear after the scheduled check runs, after a Render deploy, or with genesisctl env audit.',
      ),
    );
    return;
  }
  put($('table-state'));
  const headers = COLUMNS.map((c) => c[1]);
  put(
    table,
    h(
      'caption',
      { class: 'sr-only' },
      `Drift checks, sorted by ${label} ${dir === 'asc' ? 'ascending' : 'descending'} within this page`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map(([key, text, defaultDir]) =>
          h(
            'th',
            {
              scope: 'col',
              'aria-sort': key === sort ? (dir === 'asc' ? 'ascending' : 'descending') : null,
              class: NUMERIC.has(key) ? 'num' : null,
            },
            h(
              'button',
              {
                type: 'button',
                class: 'sort',
                id: `sort-${key}`,
                onclick: () => {
                  refocus = `sort-${key}`; // the table is redrawn: keep the keyboard where it was
                  navigate({ sort: key, dir: key === sort ? (dir === 'asc' ? 'desc' : 'asc') : defaultDir });
                },
              },
              text,
              h(
                'span',
                { 'aria-hidden': 'true', class: 'arrow' },
                key === sort ? (dir === 'asc' ? ' ▲' : ' ▼') : '',
              ),
            ),
          ),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        labelCells(
          h(
            'tr',
            { class: r.drift ? 'row-drift' : null },
            h('td', { class: 'lead' }, link({ view: 'check', id: r.check.id }, timeEl(r.check.checked_at))),
            h('td', {}, triggerName(r.check.trigger)),
            h('td', {}, targetsCell(r)),
            h('td', {}, statusPill(r.drift ? 'drift' : 'parity')),
            h('td', { class: 'num' }, r.missing),
            h('td', { class: 'num' }, r.extra),
            h('td', { class: 'num' }, r.conflicts),
            h('td', { class: 'num' }, r.unknown),
            h('td', { class: 'num' }, fmtDuration(r.check.duration_ms)),
          ),
          headers,
        ),
      ),
    ),
  );
  if (refocus) {
    // The keyboard stays where it was; a pager button now disabled hands it to one that is not.
    const pager = ['page-older', 'page-newer', 'page-newest'].map($).filter((b) => !b.disabled);
    const el = $(refocus);
    (el && !el.disabled ? el : pager[0])?.focus();
    refocus = null;
  }
}

function setPager(hasNewer, hasOlder, next) {
  nextCursor = next;
  $('page-newest').disabled = !hasNewer;
  $('page-newer').disabled = !hasNewer;
  $('page-older').disabled = !hasOlder;
}

function pageTo(where) {
  refocus = `page-${where}`;
  const p = params();
  const pageNo = Math.max(1, Number(p.get('page')) || 1);
  if (where === 'older' && nextCursor) {
    trail.push(p.get('cursor') ?? '');
    navigate({ cursor: nextCursor, page: pageNo + 1 });
  } else if (where === 'newer' && trail.length) {
    const previous = trail.pop();
    navigate({ cursor: previous, page: previous ? pageNo - 1 : null });
  } else {
    trail = [];
    navigate({ cursor: null, page: null });
  }
}
