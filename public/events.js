// Events as delivered to webhooks, as readable rows: what happened, to which targets, how many
// keys, whether each subscriber got it; the raw JSON behind a toggle.
import { api, post } from './api.js';
import { fmtNumber, h, own, put, timeEl } from './dom.js';
import { correlationFilter } from './audit.js';
import { can, correlationLink, explain, pagedTable, params, viewEl } from './shared.js';

const list = (v) => (Array.isArray(v) ? v : []);
const n = (count, one, many = `${one}s`) => `${fmtNumber(count)} ${count === 1 ? one : many}`;
const TYPES = {
  'envsync.drift': 'Drift found',
  'envsync.init': 'Sync started',
  'envsync.commit': 'Changes written',
  'envsync.sync_failed': 'Sync failed',
  'envsync.approval_needed': 'Approval needed',
};
const STARTED = { sync: 'Sync started', heal: 'Heal started', rollback: 'Rollback started' };

/** [what happened, targets, counts in words] from an event's data. */
export function describe(e) {
  const d = e.data ?? {};
  if (e.type === 'envsync.drift') {
    const targets = list(d.targets);
    return [
      TYPES[e.type],
      targets.map((t) => String(t?.id ?? '')),
      targets.map((t) => {
        const parts = [
          [list(t?.missing).length, 'missing', 'missing'],
          [list(t?.conflicts).length, 'conflict'],
          [list(t?.extra).length, 'extra', 'extra'],
          [list(t?.invalid).length, 'invalid', 'invalid'],
        ].filter(([c]) => c > 0);
        return `${t?.id}: ${parts.map(([c, one, many]) => n(c, one, many)).join(', ') || 'drifted'}`;
      }),
    ];
  }
  if (e.type === 'envsync.init') {
    const planned = d.planned ?? {};
    const parts = ['create', 'update', 'delete']
      .filter((a) => Number(planned[a]) > 0)
      .map((a) => n(Number(planned[a]), a));
    return [
      (typeof d.action === 'string' && own(STARTED, d.action)) || TYPES[e.type],
      list(d.targets).map(String),
      [parts.length ? `planned: ${parts.join(', ')}` : 'nothing to write'],
    ];
  }
  if (e.type === 'envsync.commit') {
    const failed = list(d.failed).length;
    return [
      TYPES[e.type],
      [String(d.target ?? '')],
      [
        `${list(d.created).length} created, ${list(d.updated).length} updated, ${list(d.deleted).length} deleted${failed ? `, ${failed} failed` : ''}`,
      ],
    ];
  }
  if (e.type === 'envsync.sync_failed') {
    const c = d.counts ?? {};
    const interrupted = d.outcome === 'interrupted';
    return [
      interrupted ? 'Sync interrupted' : TYPES[e.type],
      list(d.targets).map(String),
      [
        `${n(Number(c.applied) || 0, 'write')} made, ${fmtNumber(Number(interrupted ? c.not_written : c.failed) || 0)} ${interrupted ? 'not written' : 'failed'}`,
      ],
    ];
  }
  if (e.type === 'envsync.approval_needed') {
    const targets = list(d.targets);
    return [
      TYPES[e.type],
      targets.map((t) => String(t?.target ?? '')),
      targets.map(
        (t) =>
          `${t?.target}: ${n(Number(t?.create) || 0, 'create')}, ${n(Number(t?.update) || 0, 'update')}, ${n(Number(t?.delete) || 0, 'delete')}`,
      ),
    ];
  }
  return [String(e.type), [], []];
}

function delivery(deliveries) {
  const all = list(deliveries);
  if (all.length === 0)
    return h('span', { class: 'muted' }, 'No delivery recorded (no webhook endpoint, or not sent yet)');
  return h(
    'ul',
    { class: 'plain' },
    all.map((d) =>
      h(
        'li',
        { class: d.ok ? 'ok' : 'bad' },
        h('span', { 'aria-hidden': 'true' }, d.ok ? '✓ ' : '✕ '),
        d.ok ? 'Delivered to ' : 'Failed: ',
        h('code', {}, d.endpoint),
        ` (${n(d.attempts, 'attempt')}${d.status ? `, HTTP ${d.status}` : ''}${!d.ok && d.error ? `, ${d.error}` : ''}${!d.ok && d.detail ? `, ${d.detail}` : ''}${d.final ? ', refused: not sent again' : ''})`,
      ),
    ),
  );
}

export function renderEvents() {
  const correlation = params().get('correlation_id') ?? '';
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'events-title' },
      h('h2', { id: 'events-title' }, 'Events'),
      h(
        'p',
        { class: 'muted' },
        'What EnvSync told webhooks and notification channels: names and counts, never values.',
      ),
      correlationFilter(correlation),
      pagedTable({
        title: 'Events',
        what: 'the events',
        more: 'Load older events',
        columns: ['#', 'Time', 'Event', 'Targets', 'Keys', 'Delivery', 'Correlation id', 'Raw'],
        fetchPage: (before) => api('events', { limit: 50, before, correlation_id: correlation }),
        empty: correlation
          ? 'No events with this correlation id (a check in parity publishes none).'
          : 'No events yet.',
        row: (e) => {
          const [what, targets, counts] = describe(e);
          return h(
            'tr',
            { class: `event event-${e.type === 'envsync.drift' ? 'drift' : 'sync'}` },
            h('td', { class: 'num' }, `#${e.seq}`),
            h('td', {}, timeEl(e.timestamp)),
            h('td', { class: 'lead' }, what, ' ', h('code', { class: 'muted' }, e.type)),
            h('td', {}, targets.length ? targets.map((t, i) => [i ? ', ' : '', h('code', {}, t)]) : '—'),
            h(
              'td',
              {},
              counts.length
                ? h(
                    'ul',
                    { class: 'plain' },
                    counts.map((c) => h('li', {}, c)),
                  )
                : '—',
            ),
            h('td', {}, delivery(e.deliveries)),
            h(
              'td',
              {},
              correlationLink('audit', e.correlation_id),
              e.type === 'envsync.approval_needed' && can('write') ? approveButton(e.correlation_id) : null,
            ),
            h(
              'td',
              {},
              h('details', {}, h('summary', {}, 'Show JSON'), h('pre', {}, JSON.stringify(e.data, null, 2))),
            ),
          );
        },
      }),
    ),
  );
}

// Approve a waiting plan (an admiral, not its author).
function approveButton(id) {
  const out = h('span', { role: 'status' });
  const approve = async () => {
    try {
      const a = await post(`plans/${encodeURIComponent(id)}/approve`);
      put(out, ` Approved (${a.approvals.length} of ${a.required}).`);
    } catch (error) {
      put(out, ` ${explain(error, 'the approval')}`);
    }
  };
  return [
    ' ',
    h('button', { type: 'button', class: 'secondary', onclick: () => void approve() }, 'Approve'),
    out,
  ];
}
