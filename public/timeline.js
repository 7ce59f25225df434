// A key's timeline: its state on each target in every check that touched it, both fingerprints of
// a conflict, and (for roles that may read the audit trail) who changed it.
import { api } from './api.js';
import { h, put, stateBox, timeEl, triggerName } from './dom.js';
import { stateChip } from './matrix.js';
import {
  correlationLink,
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

const PAGE = 50;

export function renderTimeline() {
  const p = params();
  const key = p.get('key') ?? '';
  const target = p.get('target') ?? '';
  const gen = session.generation;
  const checksEl = h('div', {}, loading('the checks of this key'));
  const changesEl = h('div', {});
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'key-title' },
      h('h2', { id: 'key-title', tabindex: '-1' }, 'Timeline of ', h('code', {}, key)),
      h('p', { class: 'back' }, link({ view: 'matrix' }, '← Back to the parity matrix')),
      h(
        'form',
        { class: 'filters', onsubmit: (e) => e.preventDefault() },
        h('label', { for: 'key-target' }, 'Target'),
        targetSelect('key-target', target, (e) => void navigate({ target: e.target.value })),
      ),
      h('h3', {}, 'Checks'),
      checksEl,
      session.me?.can?.audit ? [h('h3', { id: 'changes-title' }, 'Who changed it'), changesEl] : null,
    ),
  );
  fillTargetSelects();
  let cursor;
  let skipped = 0;
  const tbody = h('tbody');
  const ids = new Set();
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load older checks');
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  let columns = [];
  const load = async (first) => {
    more.disabled = true;
    more.textContent = 'Loading…';
    try {
      const page = await api(`keys/${encodeURIComponent(key)}`, { limit: PAGE, target, cursor });
      if (gen !== session.generation) return;
      cursor = page.next;
      for (const c of page.checks) for (const t of c.targets) ids.add(t.id);
      if (first) {
        columns = [...ids];
        put(checksEl, note, table(columns, tbody));
        if (page.changes) showChanges(changesEl, page.changes);
      }
      for (const c of page.checks) {
        if (c.targets.every((t) => t.state === 'absent')) {
          skipped += 1;
          continue;
        }
        tbody.append(row(c, columns));
      }
      put(
        note,
        tbody.rows.length === 0
          ? `No check${cursor ? ' on this page' : ''} touched ${key}${target ? ` on ${target}` : ''}.`
          : `${tbody.rows.length} checks touched ${key}`,
        skipped ? `; ${skipped} checks that did not include it are left out.` : '.',
      );
      checksEl.querySelector('table').hidden = tbody.rows.length === 0;
    } catch (error) {
      if (gen !== session.generation) return;
      put(
        checksEl,
        failure(error, `the timeline of ${key}`, () => void load(true)),
      );
    } finally {
      more.disabled = false;
      more.textContent = 'Load older checks';
      more.hidden = !cursor;
    }
  };
  more.addEventListener('click', () => void load(false));
  checksEl.after(h('p', {}, more));
  void load(true);
}

function table(columns, tbody) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Checks of this key' },
    h(
      'table',
      { id: 'timeline', class: 'cards' },
      h('caption', { class: 'sr-only' }, 'The key’s state on each target, newest check first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Check'),
          h('th', { scope: 'col' }, 'Trigger'),
          columns.map((id) => h('th', { scope: 'col' }, h('code', {}, id))),
        ),
      ),
      tbody,
    ),
  );
}

function row(c, columns) {
  const fp = c.fingerprints ?? {};
  const side = (id) => (Object.hasOwn(fp, id) ? fp[id] : undefined);
  const source = session.targets?.source ?? Object.keys(fp).find((id) => !columns.includes(id));
  return labelCells(
    h(
      'tr',
      {},
      h('td', { class: 'lead' }, link({ view: 'check', id: c.id }, timeEl(c.checked_at))),
      h('td', {}, triggerName(c.trigger)),
      columns.map((id) => {
        const t = c.targets.find((x) => x.id === id);
        if (!t) return h('td', { class: 'muted' }, h('span', { class: 'sr-only' }, 'not in this check'), '·');
        const there = side(id);
        return h(
          'td',
          { class: `cell cell-${t.state}` },
          stateChip(t.state, t.reason, id),
          t.state === 'conflict' && there
            ? h(
                'span',
                { class: 'fps' },
                h('code', {}, `${source ?? 'source'} ${source ? side(source) : '—'}`),
                ' ≠ ',
                h('code', {}, `${id} ${there}`),
              )
            : null,
        );
      }),
    ),
    ['Check', 'Trigger', ...columns],
  );
}

function showChanges(el, changes) {
  if (changes.length === 0)
    return put(
      el,
      stateBox('empty', 'No audit entry names this key among the newest 200: nothing changed it recently.'),
    );
  const columns = ['#', 'Time', 'Action', 'Who', 'Outcome', 'Targets', 'Fingerprint', 'Correlation id'];
  put(
    el,
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'changes-title' },
      h(
        'table',
        { id: 'key-changes', class: 'cards' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            columns.map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          changes.map((e) =>
            labelCells(
              h(
                'tr',
                {},
                h('td', { class: 'num' }, e.seq),
                h('td', {}, timeEl(e.at)),
                h('td', {}, e.action),
                h('td', {}, e.actor),
                h('td', {}, e.outcome),
                h('td', {}, (e.targets ?? []).join(', ')),
                h('td', {}, h('code', {}, e.fingerprint ?? '—')),
                h('td', {}, correlationLink('audit', e.correlation_id)),
              ),
              columns,
            ),
          ),
        ),
      ),
    ),
  );
}
