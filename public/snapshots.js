// Snapshots: what each target held before and after EnvSync wrote to it (names and fingerprints),
// each id copyable; compared with the target now (plan permission), rolled back (write).
import { api } from './api.js';
import { copyable, h, put, stateBox, timeEl } from './dom.js';
import { rollbackFlow, unrestorable } from './actions.js';
import { planCounts, countsText, planTable } from './plan.js';
import {
  can,
  correlationLink,
  explain,
  fillTargetSelects,
  navigate,
  pagedTable,
  params,
  targetSelect,
  viewEl,
} from './shared.js';

export function renderSnapshots() {
  const target = params().get('target') ?? '';
  const detail = h('div', {
    id: 'snapshot-detail',
    class: 'detail-box',
    hidden: true,
    'aria-live': 'polite',
  });
  const show = async (snapshot, how) => {
    detail.hidden = false;
    if (how === 'rollback') return rollbackFlow(snapshot, detail);
    put(detail, stateBox('loading', `Comparing snapshot ${snapshot.id} with ${snapshot.target} now…`));
    try {
      const c = await api(`snapshots/${encodeURIComponent(snapshot.id)}/compare`);
      const { writes } = planCounts(c.plan);
      put(
        detail,
        h(
          'h3',
          { id: 'snapshot-detail-title', tabindex: '-1' },
          'Snapshot ',
          h('code', {}, snapshot.id),
          ` compared with ${snapshot.target} now`,
        ),
        h(
          'p',
          {},
          writes
            ? `${snapshot.target} has moved since: restoring the snapshot would write ${countsText(c.plan)}.`
            : `${snapshot.target} matches the snapshot: restoring it would change nothing.`,
        ),
        unrestorable(c.unrestorable),
        planTable(c.plan, 'What restoring the snapshot would write'),
      );
      document.getElementById('snapshot-detail-title')?.focus();
    } catch (error) {
      put(detail, stateBox('error', explain(error, 'the comparison'), null, 'alert'));
    }
  };
  const columns = ['Taken', 'Target', 'Phase', 'Snapshot id', 'Variables', 'Restorable', 'Correlation id'];
  if (can('plan')) columns.push('Actions');
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
      detail,
      pagedTable({
        title: 'Snapshots',
        what: 'the snapshots',
        more: 'Load older snapshots',
        columns,
        fetchPage: (cursor) => api('snapshots', { target, limit: 50, cursor }),
        empty: target
          ? `No snapshots of ${target} yet: they are taken when EnvSync syncs it.`
          : 'No snapshots yet: they are taken when EnvSync syncs a target.',
        row: (s) => {
          const vars = Object.entries(s.variables ?? {});
          return h(
            'tr',
            {},
            h('td', { class: 'lead' }, timeEl(s.synced_at)),
            h('td', {}, h('code', {}, s.target), ` (${s.provider})`),
            h(
              'td',
              {},
              s.phase === 'before' ? 'before a sync' : s.phase === 'after' ? 'after a sync' : s.phase,
            ),
            h('td', {}, copyable(s.id, 'Copy snapshot id')),
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
            can('plan')
              ? h(
                  'td',
                  { class: 'row-actions' },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary small',
                      'aria-label': `Compare snapshot ${s.id} with ${s.target} now`,
                      onclick: () => void show(s, 'compare'),
                    },
                    'Compare with now',
                  ),
                  can('write')
                    ? h(
                        'button',
                        {
                          type: 'button',
                          class: 'secondary small',
                          'aria-label': `Roll back ${s.target} to snapshot ${s.id}`,
                          onclick: () => void show(s, 'rollback'),
                        },
                        'Roll back…',
                      )
                    : null,
                )
              : null,
          );
        },
      }),
    ),
  );
  fillTargetSelects();
}
