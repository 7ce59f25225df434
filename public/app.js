// The parity page: status strip, chart, history table, check detail, snapshots, audit trail, events.
// State lives in the URL (view, filters, sort, page) so every view is a link; the token does not.
import { ApiError, api, getToken, setToken } from './api.js';
import { driftedKeys, drawChart } from './chart.js';
import {
  fmtClock,
  fmtDuration,
  fmtNumber,
  h,
  put,
  stateBox,
  statusPill,
  timeEl,
  triggerName,
  useUtc,
  usesUtc,
} from './dom.js';

const PAGE_SIZE = 25;
const CHART_PAGE = 500;
const CHART_MAX_PAGES = 4; // the chart shows at most the newest 2,000 checks of a range
const RANGES = {
  '24h': ['24 h', 864e5],
  '7d': ['7 d', 7 * 864e5],
  '30d': ['30 d', 30 * 864e5],
  all: ['all', 0],
};
const DEFAULT_RANGE = '7d';
const REFRESH_MS = 60_000;
const AUTO_KEY = 'envsync.autoRefresh';

const $ = (id) => document.getElementById(id);
const viewEl = () => $('view');

let targets = null; // the last GET /api/targets answer
let chart = null; // { key, checks, handle }
let trail = []; // cursors of the newer history pages, for "Newer"
let renderedOnce = false;
let generation = 0; // bumped on navigation: answers for an older view are dropped

// ---------------------------------------------------------------- URL state

const params = () => new URLSearchParams(location.search);
/** The parity numbers in words, as the CLI prints them (core/report.ts paritySentence). */
function paritySentence(s) {
  const inParity = s.in_parity ?? s.synced;
  const parts = [`${inParity} of ${s.total_keys} ${s.total_keys === 1 ? 'key' : 'keys'} in parity`];
  if (s.drifted > 0) parts.push(`${s.drifted} drifted`);
  if (s.unknown > 0) parts.push(`${s.unknown} unknown (write-only)`);
  const extra = s.extra > 0 ? `; ${s.extra} extra on targets` : '';
  return `${parts.join(', ')}${extra}, across ${s.targets} ${s.targets === 1 ? 'target' : 'targets'}`;
}

function href(changes, base = params()) {
  const p = new URLSearchParams(base);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') p.delete(k);
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : location.pathname;
}
function navigate(changes, { fresh = false } = {}) {
  history.pushState(null, '', href(changes, fresh ? new URLSearchParams() : params()));
  route();
}
const link = (changes, text, attrs = {}) =>
  h('a', { href: href(changes, new URLSearchParams()), ...attrs }, text);

// ---------------------------------------------------------------- messages

function explain(error, what) {
  if (!(error instanceof ApiError)) return `Could not show ${what}: ${error.message}`;
  if (error.code === 'no_token') return `Enter an API token above to see ${what}.`;
  if (error.status === 401)
    return `The API did not accept this token (401 unauthorized), so ${what} cannot be shown. Check the token and enter it again above.`;
  if (error.status === 403)
    return `Your role cannot see ${what} (403 forbidden). An architect or admiral token can; a viewer token sees the history and the targets.`;
  if (error.code === 'network')
    return `The API could not be reached, so ${what} cannot be shown. Check the connection, then retry.`;
  return `Could not load ${what}: ${error.message} (${error.status || error.code}).`;
}

function failure(error, what, retry) {
  const refused = error instanceof ApiError && error.status === 401;
  if (refused) {
    // One alert for the page; the sections below say it quietly.
    notice('The API did not accept this token (401 unauthorized). Enter a valid token above.', 'error');
    put($('updated'), 'Not updated: the token was refused');
  }
  const quiet = error instanceof ApiError && (error.code === 'no_token' || error.status === 403);
  const canRetry =
    retry && !(error instanceof ApiError && [401, 403].includes(error.status)) && error.code !== 'no_token';
  return stateBox(
    quiet ? 'empty' : 'error',
    explain(error, what),
    canRetry ? h('button', { type: 'button', onclick: retry }, 'Retry') : null,
    refused ? 'status' : undefined,
  );
}

function notice(message, kind = 'info') {
  const el = $('notice');
  if (!message) return put(el).removeAttribute('class');
  el.className = `notice notice-${kind}`;
  put(el, message);
}

const loading = (what) => stateBox('loading', `Loading ${what}…`);

// ---------------------------------------------------------------- status strip

async function loadStatus() {
  const body = $('status-body');
  if (!targets) put(body, loading('targets'));
  try {
    targets = await api('targets');
  } catch (error) {
    targets = null;
    put(
      body,
      failure(error, 'the targets', () => void loadStatus()),
    );
    return;
  }
  notice('');
  put($('updated'), 'Last updated ', h('time', { datetime: new Date().toISOString() }, fmtClock(new Date())));
  renderStatus();
  fillTargetSelects();
}

function renderStatus() {
  const body = $('status-body');
  if (targets.targets.length === 0) {
    put(body, stateBox('empty', 'The manifest declares no targets. Add targets to envsync.manifest.yaml.'));
    return;
  }
  const drifted = targets.targets.filter((t) => t.status === 'drift').length;
  put(
    body,
    h(
      'p',
      { class: 'summary' },
      `Source: `,
      h('code', {}, targets.source),
      ` · ${drifted === 0 ? 'every checked target is in parity' : `${drifted} of ${targets.targets.length} targets drifted`}`,
    ),
    h(
      'ul',
      { class: 'tiles' },
      targets.targets.map((t) =>
        h(
          'li',
          { class: `tile tile-${t.status}` },
          h('h3', {}, h('span', { class: 'provider' }, t.provider), ' ', t.label),
          h('p', {}, statusPill(t.status)),
          h(
            'p',
            { class: 'meta' },
            t.checked_at
              ? ['Checked ', timeEl(t.checked_at, true), ' · ', triggerName(t.trigger)]
              : 'Never checked',
          ),
          h(
            'p',
            { class: 'links' },
            t.check_id
              ? link({ view: 'check', id: t.check_id }, 'Last check', {
                  'aria-label': `Last check of ${t.id}`,
                })
              : null,
            t.check_id ? ' · ' : null,
            link({ target: t.id }, 'History', { 'aria-label': `History of ${t.id}` }),
          ),
        ),
      ),
    ),
  );
}

function fillTargetSelects() {
  for (const select of document.querySelectorAll('select[data-targets]')) {
    const chosen = select.value || params().get('target') || '';
    put(
      select,
      h('option', { value: '' }, 'All targets'),
      (targets?.targets ?? []).map((t) => h('option', { value: t.id }, `${t.id} (${t.provider})`)),
    );
    if (chosen && !targets?.targets.some((t) => t.id === chosen))
      select.append(h('option', { value: chosen }, chosen));
    select.value = chosen;
  }
}

function targetSelect(id, value, onchange) {
  const select = h('select', { id, 'data-targets': '', onchange }, h('option', { value: '' }, 'All targets'));
  if (value) select.append(h('option', { value }, value));
  select.value = value ?? '';
  return select;
}

// ---------------------------------------------------------------- history view: chart + table

function historySkeleton() {
  const p = params();
  const range = RANGES[p.get('range')] ? p.get('range') : DEFAULT_RANGE;
  return h(
    'div',
    { id: 'history-view' },
    h(
      'section',
      { 'aria-labelledby': 'chart-title', class: 'panel' },
      h('h2', { id: 'chart-title' }, 'Drifted keys over time'),
      h(
        'fieldset',
        { class: 'range' },
        h('legend', {}, 'Time range'),
        Object.entries(RANGES).map(([key, [label]]) =>
          h(
            'label',
            {},
            h('input', {
              type: 'radio',
              name: 'range',
              value: key,
              checked: key === range,
              onchange: () => navigate({ range: key === DEFAULT_RANGE ? null : key }),
            }),
            ` ${label}`,
          ),
        ),
      ),
      h('div', { id: 'chart-state' }),
      h('div', {
        id: 'chart',
        class: 'chart',
        role: 'img',
        'aria-labelledby': 'chart-title',
        'aria-describedby': 'chart-summary',
      }),
      h('p', { id: 'chart-summary', class: 'muted' }),
    ),
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
      h('div', { id: 'table-state' }),
      h(
        'div',
        { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'history-title' },
        h('table', { id: 'history-table' }),
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

function renderHistoryView(full) {
  if (!$('history-view')) {
    put(viewEl(), historySkeleton());
    fillTargetSelects();
    chart?.handle?.destroy();
    chart = null;
    full = true;
  }
  const p = params();
  $('filter-status').value = p.get('status') ?? '';
  $('filter-target').value = p.get('target') ?? '';
  const range = RANGES[p.get('range')] ? p.get('range') : DEFAULT_RANGE;
  for (const radio of document.querySelectorAll('input[name=range]')) radio.checked = radio.value === range;
  return Promise.allSettled([loadChart(full), loadTable()]);
}

async function loadChart(force) {
  const p = params();
  const range = RANGES[p.get('range')] ? p.get('range') : DEFAULT_RANGE;
  const target = p.get('target') ?? '';
  const key = `${range}|${target}`;
  if (!force && chart?.key === key) return;
  const gen = generation;
  const state = $('chart-state');
  if (!chart) put(state, loading('the chart'));
  const since = RANGES[range][1] ? new Date(Date.now() - RANGES[range][1]).toISOString() : undefined;
  const checks = [];
  let truncated = false;
  try {
    let cursor;
    for (let i = 0; i < CHART_MAX_PAGES; i++) {
      const page = await api('history', { limit: CHART_PAGE, since, target, cursor });
      if (gen !== generation) return;
      checks.push(...page.items);
      cursor = page.next;
      if (!cursor) break;
      truncated = i === CHART_MAX_PAGES - 1;
    }
  } catch (error) {
    if (gen !== generation) return;
    chart?.handle?.destroy();
    chart = null;
    put($('chart'));
    put($('chart-summary'));
    put(
      state,
      failure(error, 'the chart', () => void loadChart(true)),
    );
    return;
  }
  put(state);
  chart?.handle?.destroy();
  chart = { key, checks, handle: null };
  drawCurrentChart(range, target, truncated);
}

function drawCurrentChart(range, target, truncated = false) {
  const el = $('chart');
  if (!chart || !el) return;
  put(el);
  const { checks } = chart;
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
  const shown = (targets?.targets ?? []).filter((t) => !target || t.id === target);
  const ids = shown.length
    ? shown
    : [...new Map(checks.flatMap((c) => c.targets).map((t) => [t.id, t])).values()].filter(
        (t) => !target || t.id === target,
      );
  try {
    chart.handle = drawChart(el, checks, ids);
  } catch (error) {
    put(
      $('chart-state'),
      stateBox(
        'error',
        `${error.message} The build copies it from node_modules: run npm run build or npm start.`,
      ),
    );
  }
  const drifted = checks.filter((c) =>
    target ? c.targets.some((t) => t.id === target && t.has_drift) : c.has_drift,
  ).length;
  const peak = Math.max(
    0,
    ...checks.flatMap((c) => c.targets.filter((t) => !target || t.id === target).map(driftedKeys)),
  );
  put(
    summary,
    `${fmtNumber(checks.length)} checks ${range === 'all' ? 'in all' : `in the last ${RANGES[range][0]}`}${truncated ? ' (the newest ones)' : ''}; `,
    `${fmtNumber(drifted)} found drift; at most ${peak} drifted keys at once.`,
  );
}

const COLUMNS = [
  ['time', 'Time', 'desc'],
  ['trigger', 'Trigger', 'asc'],
  ['target', 'Source → target', 'asc'],
  ['status', 'Status', 'asc'],
  ['missing', 'Missing', 'desc'],
  ['extra', 'Extra', 'desc'],
  ['conflicts', 'Conflicts', 'desc'],
  ['unknown', 'Unknown', 'desc'],
  ['duration', 'Duration', 'desc'],
];
const SORT_VALUE = {
  time: (r) => r.check.checked_at,
  trigger: (r) => r.check.trigger,
  target: (r) => r.t.id,
  status: (r) => (r.t.has_drift ? 0 : 1),
  missing: (r) => r.t.missing.length,
  extra: (r) => r.t.extra.length,
  conflicts: (r) => r.t.conflicts.length,
  unknown: (r) => r.t.unknown.length,
  duration: (r) => r.check.duration_ms,
};

async function loadTable() {
  const p = params();
  const gen = generation;
  const target = p.get('target') ?? '';
  const status = p.get('status') ?? '';
  const cursor = p.get('cursor') ?? '';
  const table = $('history-table');
  table.setAttribute('aria-busy', 'true');
  if (!table.rows.length) put($('table-state'), loading('the history'));
  let page;
  try {
    page = await api('history', { limit: PAGE_SIZE, target, status, cursor });
  } catch (error) {
    if (gen !== generation) return;
    table.removeAttribute('aria-busy');
    put(table);
    put($('history-count'));
    put(
      $('table-state'),
      failure(error, 'the history', () => void loadTable()),
    );
    setPager(false, false);
    return;
  }
  if (gen !== generation) return;
  table.removeAttribute('aria-busy');
  const rows = page.items.flatMap((check) =>
    check.targets
      .filter((t) => (!target || t.id === target) && (!status || (status === 'drift') === t.has_drift))
      .map((t) => ({ check, t })),
  );
  const sort = SORT_VALUE[p.get('sort')] ? p.get('sort') : 'time';
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
  put($('page-label'), page.total ? `Page ${pageNo} of ${fmtNumber(Math.ceil(page.total / PAGE_SIZE))}` : '');
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
  put(
    table,
    h(
      'caption',
      { class: 'sr-only' },
      `Drift checks, sorted by ${sort} ${dir === 'asc' ? 'ascending' : 'descending'} within this page`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map(([key, label, defaultDir]) =>
          h(
            'th',
            {
              scope: 'col',
              'aria-sort': key === sort ? (dir === 'asc' ? 'ascending' : 'descending') : null,
              class: ['missing', 'extra', 'conflicts', 'unknown', 'duration'].includes(key) ? 'num' : null,
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
              label,
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
      rows.map(({ check, t }) =>
        h(
          'tr',
          { class: t.has_drift ? 'row-drift' : null },
          h('td', {}, link({ view: 'check', id: check.id }, timeEl(check.checked_at))),
          h('td', {}, triggerName(check.trigger)),
          h('td', {}, h('code', {}, check.source), ' → ', h('code', {}, t.id)),
          h('td', {}, statusPill(t.has_drift ? 'drift' : 'parity')),
          h('td', { class: 'num' }, t.missing.length),
          h('td', { class: 'num' }, t.extra.length),
          h('td', { class: 'num' }, t.conflicts.length),
          h('td', { class: 'num' }, t.unknown.length),
          h('td', { class: 'num' }, fmtDuration(check.duration_ms)),
        ),
      ),
    ),
  );
  if (refocus) {
    $(refocus)?.focus();
    refocus = null;
  }
}

let refocus = null;
let nextCursor;
function setPager(hasNewer, hasOlder, next) {
  nextCursor = next;
  $('page-newest').disabled = !hasNewer;
  $('page-newer').disabled = !hasNewer;
  $('page-older').disabled = !hasOlder;
}

function pageTo(where) {
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

// ---------------------------------------------------------------- check detail

async function renderCheck(id) {
  const gen = generation;
  const back = h('p', {}, link({}, '← Back to the history'));
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'check-title' },
      h('h2', { id: 'check-title' }, 'Drift check'),
      back,
      loading('the check'),
    ),
  );
  let check;
  try {
    check = await api(`history/${encodeURIComponent(id ?? '')}`);
  } catch (error) {
    if (gen !== generation) return;
    const missing = error instanceof ApiError && (error.status === 404 || error.status === 400);
    put(
      viewEl(),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Drift check'),
        back,
        missing
          ? stateBox(
              'empty',
              'No drift check with that id. It may have been removed; go back to the history and pick another.',
            )
          : failure(error, 'this check', () => void renderCheck(id)),
      ),
    );
    return;
  }
  if (gen !== generation) return;
  const fingerprints = h('div', {}, loading('the fingerprints'));
  const section = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'check-title' },
    h('h2', { id: 'check-title', tabindex: '-1' }, 'Drift check of ', timeEl(check.checked_at)),
    back,
    h(
      'dl',
      { class: 'facts' },
      fact('Status', statusPill(check.has_drift ? 'drift' : 'parity')),
      fact('Check id', h('code', {}, check.id)),
      fact('Trigger', triggerName(check.trigger)),
      fact('Source', h('code', {}, check.source)),
      fact('Correlation id', h('code', { id: 'correlation-id' }, check.correlation_id)),
      fact('Duration', fmtDuration(check.duration_ms)),
      fact('Keys', paritySentence(check.summary)),
    ),
    h(
      'p',
      { class: 'links' },
      link({ view: 'events', correlation_id: check.correlation_id }, 'Events of this check'),
      ' · ',
      link({ view: 'audit', correlation_id: check.correlation_id }, 'Audit entries of this check'),
    ),
    check.targets.map((t) =>
      h(
        'section',
        { class: 'target-detail', 'aria-label': `Target ${t.id}` },
        h(
          'h3',
          {},
          h('code', {}, check.source),
          ' → ',
          h('code', {}, t.id),
          ' ',
          statusPill(t.has_drift ? 'drift' : 'parity'),
        ),
        h(
          'p',
          { class: 'muted' },
          `${t.provider} · ${t.label} · `,
          link({ view: 'snapshots', target: t.id }, `Snapshots of ${t.id}`),
        ),
        h(
          'div',
          { class: 'categories' },
          category('Missing', 'in the source, not on the target', t.missing),
          category('Extra', 'on the target, not in the source', t.extra),
          category('Conflicts', 'the values differ', t.conflicts, 'conflict'),
          category('Unknown', 'write-only: cannot be compared', t.unknown),
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'fp-title' },
      h('h3', { id: 'fp-title' }, 'Conflict fingerprints'),
      fingerprints,
    ),
  );
  put(viewEl(), section);
  const conflicted = [...new Set(check.targets.flatMap((t) => t.conflicts))];
  if (conflicted.length === 0) {
    put(fingerprints, h('p', { class: 'muted' }, 'No conflicts in this check.'));
    return;
  }
  try {
    const audit = await api('audit', { correlation_id: check.correlation_id, limit: 20 });
    if (gen !== generation) return;
    const entry = audit.items.find((e) => e.action === 'drift-check' && e.keys);
    if (!entry) {
      put(
        fingerprints,
        stateBox(
          'empty',
          'The audit trail has no drift-check entry for this check, so no fingerprints can be shown.',
        ),
      );
      return;
    }
    put(
      fingerprints,
      h(
        'p',
        { class: 'muted' },
        'Keyed fingerprints (HMAC) of the source values, from the audit entry; values are never shown.',
      ),
      h(
        'table',
        { class: 'compact' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Key'),
            h('th', { scope: 'col' }, `Fingerprint in ${check.source}`),
          ),
        ),
        h(
          'tbody',
          {},
          conflicted.map((key) =>
            h('tr', {}, h('td', {}, h('code', {}, key)), h('td', {}, h('code', {}, entry.keys[key] ?? '—'))),
          ),
        ),
      ),
    );
  } catch (error) {
    if (gen !== generation) return;
    put(fingerprints, failure(error, 'the fingerprints (they come from the audit trail)'));
  }
}

const fact = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];

function category(name, help, keys, kind) {
  return h(
    'div',
    { class: `category${kind ? ` category-${kind}` : ''}` },
    h('h4', {}, `${name} (${keys.length})`),
    h('p', { class: 'muted' }, help),
    keys.length
      ? h(
          'ul',
          { class: 'keys' },
          keys.map((k) => h('li', {}, h('code', {}, k))),
        )
      : h('p', { class: 'muted' }, 'none'),
  );
}

// ---------------------------------------------------------------- paged lists: snapshots, audit, events

/**
 * A table filled page by page: `fetchPage(next)` → { items, next }; "Load more" appends the next page.
 */
function pagedTable({ title, what, columns, fetchPage, row, empty }) {
  const gen = generation;
  const tbody = h('tbody');
  const table = h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    tbody,
  );
  const state = h('div', {}, loading(what));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, `Load older ${what}`);
  let next;
  const load = async () => {
    more.disabled = true;
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await fetchPage(next);
      if (gen !== generation) return;
      next = page.next;
      for (const item of page.items) tbody.append(row(item));
      put(state, tbody.rows.length ? null : stateBox('empty', empty));
      table.hidden = tbody.rows.length === 0;
    } catch (error) {
      if (gen !== generation) return;
      put(
        state,
        failure(error, what, () => void load()),
      );
      table.hidden = tbody.rows.length === 0;
    } finally {
      table.removeAttribute('aria-busy');
      more.disabled = false;
      more.hidden = next === undefined || next === null;
    }
  };
  more.addEventListener('click', () => void load());
  void load();
  return [
    state,
    h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': title }, table),
    h('p', {}, more),
  ];
}

const shortId = (id) => (id && id.length > 12 ? `${id.slice(0, 8)}…` : (id ?? '—'));
const correlationLink = (view, id) =>
  id
    ? link({ view, correlation_id: id }, shortId(id), { title: id, 'aria-label': `Correlation id ${id}` })
    : '—';

function renderSnapshots() {
  const target = params().get('target') ?? '';
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'snap-title' },
      h('h2', { id: 'snap-title' }, 'Snapshots'),
      h(
        'p',
        { class: 'muted' },
        'What each target held before and after EnvSync wrote to it: names and fingerprints only; values stay encrypted.',
      ),
      h(
        'form',
        { class: 'filters', onsubmit: (e) => e.preventDefault() },
        h('label', { for: 'snap-target' }, 'Target'),
        targetSelect('snap-target', target, (e) => navigate({ target: e.target.value })),
      ),
      pagedTable({
        title: 'Snapshots',
        what: 'the snapshots',
        columns: ['Taken', 'Target', 'Phase', 'Variables', 'Restorable', 'Correlation id'],
        fetchPage: (cursor) => api('snapshots', { target, limit: 50, cursor }),
        empty: target
          ? `No snapshots of ${target} yet: they are taken when EnvSync syncs it.`
          : 'No snapshots yet: they are taken when EnvSync syncs a target.',
        row: (s) => {
          const vars = Object.entries(s.variables ?? {});
          return h(
            'tr',
            {},
            h('td', {}, timeEl(s.synced_at)),
            h('td', {}, h('code', {}, s.target), ` (${s.provider})`),
            h('td', {}, s.phase),
            h(
              'td',
              {},
              h(
                'details',
                {},
                h('summary', {}, `${vars.length} keys`),
                h(
                  'ul',
                  { class: 'keys' },
                  vars.map(([k, v]) =>
                    h(
                      'li',
                      {},
                      h('code', {}, k),
                      ' ',
                      h('span', { class: 'muted' }, v.write_only ? 'write-only' : (v.fingerprint ?? '')),
                    ),
                  ),
                ),
              ),
            ),
            h('td', { class: 'num' }, (s.restorable ?? []).length),
            h('td', {}, correlationLink('audit', s.correlation_id)),
          );
        },
      }),
    ),
  );
  fillTargetSelects();
}

function renderAudit() {
  const correlation = params().get('correlation_id') ?? '';
  const result = h('div', { 'aria-live': 'polite' });
  const verify = async () => {
    put(result, loading('the chain check'));
    try {
      const r = await api('audit/verify');
      put(
        result,
        r.ok
          ? stateBox(
              'ok',
              `Chain intact: ${fmtNumber(r.entries)} entries verified, each hash links to the one before.`,
            )
          : h(
              'div',
              { class: 'state state-error', role: 'alert' },
              h('p', {}, `Chain broken: ${r.problems.length} problem(s) in ${fmtNumber(r.entries)} entries.`),
              h(
                'ul',
                {},
                r.problems.map((p) => h('li', {}, `#${p.seq}: ${p.problem}`)),
              ),
            ),
      );
    } catch (error) {
      put(
        result,
        failure(error, 'the chain check', () => void verify()),
      );
    }
  };
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'audit-title' },
      h('h2', { id: 'audit-title' }, 'Audit trail'),
      h(
        'p',
        {},
        h('button', { type: 'button', id: 'verify-chain', onclick: () => void verify() }, 'Verify chain'),
      ),
      result,
      correlationFilter(correlation),
      pagedTable({
        title: 'Audit trail',
        what: 'the audit trail',
        columns: ['#', 'Time', 'Action', 'Actor', 'Outcome', 'Targets', 'Correlation id', 'Hash'],
        fetchPage: (before) => api('audit', { limit: 50, before, correlation_id: correlation }),
        empty: correlation
          ? 'No audit entries with this correlation id.'
          : 'The audit trail is empty: entries appear with the first check or sync.',
        row: (e) =>
          h(
            'tr',
            { class: e.outcome === 'error' || e.outcome === 'failed' ? 'row-drift' : null },
            h('td', { class: 'num' }, e.seq),
            h('td', {}, timeEl(e.at)),
            h('td', {}, e.action),
            h('td', {}, e.actor),
            h('td', {}, e.outcome, e.error ? h('span', { class: 'muted' }, ` — ${e.error}`) : null),
            h('td', {}, (e.targets ?? []).join(', ')),
            h('td', {}, correlationLink('events', e.correlation_id)),
            h('td', {}, h('code', { title: e.hash }, shortId(e.hash))),
          ),
      }),
    ),
  );
}

function correlationFilter(value) {
  const input = h('input', {
    id: 'correlation-filter',
    type: 'search',
    value,
    spellcheck: 'false',
    placeholder: 'e.g. 0b6d…',
  });
  return h(
    'form',
    {
      class: 'filters',
      onsubmit: (e) => (e.preventDefault(), navigate({ correlation_id: input.value.trim() })),
    },
    h('label', { for: 'correlation-filter' }, 'Correlation id'),
    input,
    h('button', { type: 'submit', class: 'secondary' }, 'Filter'),
    value
      ? h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => navigate({ correlation_id: null }) },
          'Show all',
        )
      : null,
  );
}

function renderEvents() {
  const p = params();
  const correlation = p.get('correlation_id') ?? '';
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'events-title' },
      h('h2', { id: 'events-title' }, 'Events'),
      h(
        'p',
        { class: 'muted' },
        'envsync.init, envsync.commit and envsync.drift, as delivered to webhooks: names and counts, never values.',
      ),
      correlationFilter(correlation),
      pagedTable({
        title: 'Events',
        what: 'the events',
        columns: ['#', 'Time', 'Type', 'Correlation id', 'Data'],
        fetchPage: (before) => api('events', { limit: 50, before, correlation_id: correlation }),
        empty: correlation
          ? 'No events with this correlation id (a check in parity publishes none).'
          : 'No events yet.',
        row: (e) =>
          h(
            'tr',
            {},
            h('td', { class: 'num' }, e.seq),
            h('td', {}, timeEl(e.timestamp)),
            h('td', {}, h('code', {}, e.type)),
            h('td', {}, correlationLink('audit', e.correlation_id)),
            h(
              'td',
              {},
              h('details', {}, h('summary', {}, 'data'), h('pre', {}, JSON.stringify(e.data, null, 2))),
            ),
          ),
      }),
    ),
  );
}

// ---------------------------------------------------------------- routing, token, refresh

function currentView() {
  const view = params().get('view');
  return ['check', 'snapshots', 'audit', 'events'].includes(view) ? view : 'history';
}

async function route({ full = false } = {}) {
  generation += 1;
  const view = currentView();
  for (const a of document.querySelectorAll('nav.views a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `EnvSync parity — ${view === 'check' ? 'check' : view}`;
  if (view !== 'history') {
    chart?.handle?.destroy();
    chart = null;
  }
  if (!getToken()) {
    put(
      viewEl(),
      stateBox(
        'empty',
        'Enter an API token above to see the parity history. npm start prints a viewer, an architect and an admiral token.',
      ),
    );
    return;
  }
  if (view === 'check') return renderCheck(params().get('id'));
  if (view === 'snapshots') return renderSnapshots();
  if (view === 'audit') return renderAudit();
  if (view === 'events') return renderEvents();
  return renderHistoryView(full);
}

async function refreshAll({ auto = false } = {}) {
  if (!getToken()) {
    targets = null;
    put($('status-body'), stateBox('empty', 'Enter an API token above to see each target’s status.'));
    put($('updated'), 'Not loaded: no token');
    notice('');
    return route();
  }
  const status = loadStatus();
  // An automatic refresh leaves older pages and appended lists where the reader is.
  let view = null;
  if (!auto) view = route({ full: true });
  else if (currentView() === 'history')
    view = params().get('cursor') ? loadChart(true) : renderHistoryView(true);
  await Promise.allSettled([status, view]);
}

function setUpToken() {
  const form = $('token-form');
  const input = $('token-input');
  const showState = () => {
    input.placeholder = getToken() ? 'Token in use; enter another to replace it' : 'Paste a token';
  };
  showState();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) {
      input.focus();
      return;
    }
    setToken(value);
    input.value = '';
    showState();
    targets = null;
    chart = null;
    trail = [];
    put(viewEl());
    void refreshAll();
  });
  $('token-forget').addEventListener('click', () => {
    setToken('');
    showState();
    targets = null;
    put(viewEl());
    void refreshAll();
    input.focus();
  });
}

function setUpRefresh() {
  const box = $('auto-refresh');
  box.checked = sessionStorage.getItem(AUTO_KEY) !== 'off';
  box.addEventListener('change', () => sessionStorage.setItem(AUTO_KEY, box.checked ? 'on' : 'off'));
  $('refresh-now').addEventListener('click', () => void refreshAll());
  const utcBox = $('utc-times');
  utcBox.checked = usesUtc();
  utcBox.addEventListener('change', () => {
    useUtc(utcBox.checked);
    void refreshAll();
  });
  setInterval(() => {
    if (box.checked && !document.hidden && getToken()) void refreshAll({ auto: true });
  }, REFRESH_MS);
}

// Links within the page change the URL without reloading it.
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname !== location.pathname) return;
  e.preventDefault();
  history.pushState(null, '', url.search || location.pathname);
  void route().then(() => {
    if (currentView() === 'check') $('check-title')?.focus();
  });
});
window.addEventListener('popstate', () => void route());
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  if (!chart) return;
  chart.handle?.destroy();
  const p = params();
  drawCurrentChart(RANGES[p.get('range')] ? p.get('range') : DEFAULT_RANGE, p.get('target') ?? '');
});

setUpToken();
setUpRefresh();
void refreshAll().finally(() => {
  if (renderedOnce) return;
  renderedOnce = true;
  // The time to first render (status strip, chart and table), read by the benchmark.
  performance.mark('envsync:first-render');
  document.body.dataset.rendered = 'true';
});
