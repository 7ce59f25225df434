// The audit trail: hash-chained entries, newest first, with a check of the whole chain.
import { api } from './api.js';
import { fmtNumber, h, put, stateBox, timeEl } from './dom.js';
import {
  correlationLink,
  failure,
  loading,
  navigate,
  pagedTable,
  params,
  shortId,
  viewEl,
} from './shared.js';

export function correlationFilter(value) {
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

export function renderAudit() {
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
        more: 'Load older entries',
        cls: 'cards audit',
        columns: ['#', 'Time', 'Action', 'Actor', 'Outcome', 'Targets', 'Keys', 'Correlation id', 'Hash'],
        fetchPage: (before) => api('audit', { limit: 50, before, correlation_id: correlation }),
        empty: correlation
          ? 'No audit entries with this correlation id.'
          : 'The audit trail is empty: entries appear with the first check or sync.',
        row: (e) =>
          h(
            'tr',
            { class: e.outcome === 'error' || e.outcome === 'failed' ? 'row-drift' : null },
            h('td', { class: 'num' }, `#${e.seq}`),
            h('td', {}, timeEl(e.at)),
            h('td', { class: 'lead' }, e.action),
            h('td', {}, e.actor),
            h('td', {}, e.outcome, e.error ? h('span', { class: 'muted' }, ` — ${e.error}`) : null),
            h('td', {}, (e.targets ?? []).join(', ') || '—'),
            h('td', {}, keysCell(e.keys)),
            h('td', {}, correlationLink('events', e.correlation_id)),
            h('td', { class: 'hash' }, h('code', { title: e.hash }, shortId(e.hash))),
          ),
      }),
    ),
  );
}

/** The entry's keys with their fingerprints (never values), folded so that a row stays one line. */
function keysCell(keys) {
  const entries = keys && typeof keys === 'object' ? Object.entries(keys) : [];
  if (entries.length === 0) return '—';
  return h(
    'details',
    { class: 'keys' },
    h('summary', {}, `${fmtNumber(entries.length)} ${entries.length === 1 ? 'key' : 'keys'}`),
    h(
      'ul',
      {},
      entries.map(([name, fp]) =>
        h('li', {}, h('code', {}, name), ' ', h('code', { class: 'fp' }, fp === null ? '—' : String(fp))),
      ),
    ),
  );
}
