// The parity matrix: every key × every target, from each target's newest check (or one check's),
// filtered by state and key prefix. A key opens its timeline.
import { api } from './api.js';
import { fmtNumber, h, own, put, stateBox, timeEl, triggerName } from './dom.js';
import { failure, href, labelCells, link, loading, params, session, viewEl } from './shared.js';

/** A key's state on a target: word, symbol, what it means. */
export const STATES = {
  in_parity: ['In parity', '✓', 'the target holds the source’s value'],
  missing: ['Missing', '✕', 'in the source, not on the target'],
  conflict: ['Conflict', '≠', 'the target’s value differs from the source’s'],
  extra: ['Extra', '+', 'on the target, not in the source'],
  unknown: ['Unknown', '?', 'write-only on the target: it cannot be compared'],
  skipped: ['Skipped', '⊘', 'left alone on purpose'],
  invalid: ['Invalid', '!', 'the target refuses this key'],
  absent: ['Not sent', '—', 'the source does not send this key here and the target does not hold it'],
  unrecorded: ['Not recorded', '·', 'this check was recorded before keys in parity were kept'],
};
const DRIFTED = new Set(['missing', 'conflict', 'invalid']);
const FILTERS = [
  ['', 'Any state'],
  ['drifted', 'Drifted (missing, conflict or invalid)'],
  ...['in_parity', 'missing', 'conflict', 'extra', 'unknown', 'skipped', 'invalid'].map((s) => [
    s,
    STATES[s][0],
  ]),
];

/** One target's part of a check → Map key → {state, reason}. */
export function targetStates(t) {
  const states = new Map();
  const set = (keys, state) => keys?.forEach((k) => states.set(k, { state }));
  set(t.in_parity, 'in_parity');
  set(t.unknown, 'unknown');
  set(t.extra, 'extra');
  set(t.missing, 'missing');
  set(t.conflicts, 'conflict');
  t.skipped?.forEach((s) => states.set(s.key, { state: 'skipped', reason: s.reason }));
  t.invalid?.forEach((s) => states.set(s.key, { state: 'invalid', reason: s.reason }));
  return states;
}

/** A state as a cell's content: symbol and word, its reason in text (shown on hover and focus). */
export function stateChip(state, reason, target) {
  const known = own(STATES, state) ?? STATES.unrecorded;
  const [word, symbol, meaning] = known;
  const why = reason ?? meaning;
  return h(
    'span',
    {
      class: `chip chip-${own(STATES, state) ? state : 'unrecorded'}`,
      tabindex: reason ? '0' : null,
      title: why,
    },
    h('span', { 'aria-hidden': 'true' }, symbol),
    ' ',
    word,
    h('span', { class: reason ? 'reason tip' : 'sr-only' }, target ? `: ${target}: ${why}` : `: ${why}`),
  );
}

/** Both fingerprints of a conflict, from a check's `conflicts`. */
export function conflictReason(check, key, target) {
  const fp = check.conflicts && Object.hasOwn(check.conflicts, key) ? check.conflicts[key] : undefined;
  if (!fp) return undefined;
  const source = Object.hasOwn(fp, check.source) ? fp[check.source] : '—';
  const there = Object.hasOwn(fp, target) ? fp[target] : '—';
  return `${check.source} ${source} ≠ ${target} ${there}`;
}

async function newestChecks() {
  const id = params().get('id');
  if (id) {
    const check = await api(`history/${encodeURIComponent(id)}`);
    return check.targets.map((t) => ({ id: t.id, check }));
  }
  const targets = session.targets ?? (session.targets = await api('targets'));
  const ids = [...new Set(targets.targets.map((t) => t.check_id).filter(Boolean))];
  const checks = new Map(
    await Promise.all(ids.map(async (c) => [c, await api(`history/${encodeURIComponent(c)}`)])),
  );
  return targets.targets.map((t) => ({ id: t.id, check: t.check_id ? checks.get(t.check_id) : undefined }));
}

export async function renderMatrix() {
  const gen = session.generation;
  const p = params();
  const body = h('div', {}, loading('the parity matrix'));
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'matrix-title' },
      h('h2', { id: 'matrix-title' }, 'Parity matrix'),
      h(
        'p',
        { class: 'muted' },
        p.get('id')
          ? 'Every key on every target in this check. '
          : 'Every key on every target, from each target’s newest check. ',
        'Open a key to see its timeline.',
      ),
      body,
    ),
  );
  let columns;
  try {
    columns = await newestChecks();
  } catch (error) {
    if (gen !== session.generation) return;
    put(
      body,
      failure(error, 'the parity matrix', () => void renderMatrix()),
    );
    return;
  }
  if (gen !== session.generation) return;
  const checked = columns.filter((c) => c.check);
  if (checked.length === 0) {
    put(body, stateBox('empty', 'No checks recorded yet: the matrix fills in after the first drift check.'));
    return;
  }
  const grid = new Map(); // key → Map target → {state, reason}
  for (const { id, check } of checked) {
    const t = check.targets.find((x) => x.id === id);
    if (!t) continue;
    const states = targetStates(t);
    for (const [key, s] of states) {
      if (!grid.has(key)) grid.set(key, new Map());
      if (s.state === 'conflict') s.reason = conflictReason(check, key, id);
      grid.get(key).set(id, s);
    }
  }
  const stateOf = (key, c) => {
    const t = c.check?.targets.find((x) => x.id === c.id);
    if (!t) return { state: 'unrecorded', reason: 'not checked yet' };
    return grid.get(key)?.get(c.id) ?? { state: t.in_parity ? 'absent' : 'unrecorded' };
  };
  put(body, filterForm(), h('div', { id: 'matrix-body' }));
  const draw = () => drawMatrix([...grid.keys()].sort(), columns, stateOf);
  draw();
  body.querySelector('form').addEventListener('input', () => {
    const form = body.querySelector('form');
    // The URL follows the filters (a link keeps them) without redrawing the form being typed in.
    history.replaceState(null, '', href({ state: form.state.value, prefix: form.prefix.value.trim() }));
    draw();
  });
}

function filterForm() {
  const p = params();
  const select = h(
    'select',
    { id: 'matrix-state', name: 'state' },
    FILTERS.map(([value, label]) => h('option', { value }, label)),
  );
  select.value = FILTERS.some(([v]) => v === p.get('state')) ? (p.get('state') ?? '') : '';
  return h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter the matrix',
      onsubmit: (e) => e.preventDefault(),
    },
    h('label', { for: 'matrix-state' }, 'State'),
    select,
    h('label', { for: 'matrix-prefix' }, 'Key prefix'),
    h('input', {
      id: 'matrix-prefix',
      name: 'prefix',
      type: 'search',
      spellcheck: 'false',
      autocapitalize: 'characters',
      placeholder: 'e.g. REACT_APP_',
      value: p.get('prefix') ?? '',
    }),
  );
}

/** Redraws the table for the URL's filters (typing in the filter replaces the URL and lands here). */
export function drawMatrix(keys, columns, stateOf) {
  const el = document.getElementById('matrix-body');
  if (!el) return;
  const p = params();
  const filter = p.get('state') ?? '';
  const prefix = (p.get('prefix') ?? '').toUpperCase();
  const matches = (key) =>
    key.toUpperCase().startsWith(prefix) &&
    (!filter ||
      columns.some((c) => {
        const s = stateOf(key, c).state;
        return filter === 'drifted' ? DRIFTED.has(s) : s === filter;
      }));
  const shown = keys.filter(matches);
  const counts = new Map();
  for (const key of shown)
    for (const c of columns) {
      const s = stateOf(key, c).state;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
  const labels = ['Key', ...columns.map((c) => c.id)];
  const reasons = shown.flatMap((key) =>
    columns
      .map((c) => ({ key, target: c.id, ...stateOf(key, c) }))
      .filter((s) => s.reason && (s.state === 'skipped' || s.state === 'invalid')),
  );
  put(
    el,
    h(
      'p',
      { id: 'matrix-count', class: 'muted', 'aria-live': 'polite' },
      `Showing ${fmtNumber(shown.length)} of ${fmtNumber(keys.length)} keys`,
      filter || prefix ? ' matching the filters' : '',
      '. ',
      [...counts].map(([s, n], i) => [i ? ' · ' : '', `${STATES[s]?.[0] ?? s} ${fmtNumber(n)}`]),
    ),
    shown.length === 0
      ? stateBox('empty', 'No keys match these filters. Change the state or the prefix.')
      : h(
          'div',
          { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'matrix-title' },
          h(
            'table',
            { id: 'matrix', class: 'matrix cards' },
            h('caption', { class: 'sr-only' }, 'Keys (rows) and their state on each target (columns)'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Key'),
                columns.map((c) =>
                  h(
                    'th',
                    { scope: 'col' },
                    h('code', {}, c.id),
                    c.check
                      ? h(
                          'span',
                          { class: 'muted col-meta' },
                          timeEl(c.check.checked_at, true),
                          ` · ${triggerName(c.check.trigger)}`,
                        )
                      : null,
                  ),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              shown.map((key) =>
                labelCells(
                  h(
                    'tr',
                    {},
                    h(
                      'th',
                      { scope: 'row' },
                      link({ view: 'key', key }, h('code', {}, key), { 'aria-label': `Timeline of ${key}` }),
                    ),
                    columns.map((c) => {
                      const s = stateOf(key, c);
                      return h('td', { class: `cell cell-${s.state}` }, stateChip(s.state, s.reason, c.id));
                    }),
                  ),
                  labels,
                ),
              ),
            ),
          ),
        ),
    reasons.length
      ? h(
          'section',
          { 'aria-labelledby': 'reasons-title' },
          h('h3', { id: 'reasons-title' }, 'Skipped and invalid keys'),
          h(
            'ul',
            { class: 'reasons' },
            reasons.map((r) =>
              h(
                'li',
                {},
                h('code', {}, r.key),
                ' on ',
                h('code', {}, r.target),
                ` — ${STATES[r.state][0].toLowerCase()}: ${r.reason}`,
              ),
            ),
          ),
        )
      : null,
  );
}
