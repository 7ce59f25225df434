// One check: its facts, per target the keys in each category, and both fingerprints of each conflict.
import { ApiError, api } from './api.js';
import { fmtDuration, h, put, stateBox, statusPill, timeEl, triggerName } from './dom.js';
import { can, fact, failure, link, loading, session, viewEl } from './shared.js';

/** The parity numbers in words, as the CLI prints them (core/report.ts paritySentence). */
export function paritySentence(s) {
  const inParity = s.in_parity ?? s.synced;
  const parts = [`${inParity} of ${s.total_keys} ${s.total_keys === 1 ? 'key' : 'keys'} in parity`];
  if (s.drifted > 0) parts.push(`${s.drifted} drifted`);
  if (s.unknown > 0) parts.push(`${s.unknown} unknown (write-only)`);
  const extra = s.extra > 0 ? `; ${s.extra} extra on targets` : '';
  return `${parts.join(', ')}${extra}, across ${s.targets} ${s.targets === 1 ? 'target' : 'targets'}`;
}

const keyLink = (key) =>
  link({ view: 'key', key }, h('code', {}, key), { 'aria-label': `Timeline of ${key}` });

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
          keys.map((k) =>
            typeof k === 'string'
              ? h('li', {}, keyLink(k))
              : h('li', {}, keyLink(k.key), h('span', { class: 'muted' }, ` — ${k.reason}`)),
          ),
        )
      : h('p', { class: 'muted' }, 'none'),
  );
}

export async function renderCheck(id) {
  const gen = session.generation;
  const back = h('p', { class: 'back' }, link({}, '← Back to the history'));
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'check-title' },
      h('h2', { id: 'check-title', tabindex: '-1' }, 'Drift check'),
      back,
      loading('the check'),
    ),
  );
  let check;
  try {
    check = await api(`history/${encodeURIComponent(id ?? '')}`);
  } catch (error) {
    if (gen !== session.generation) return;
    const missing = error instanceof ApiError && (error.status === 404 || error.status === 400);
    put(
      viewEl(),
      h(
        'section',
        { class: 'panel' },
        h('h2', { id: 'check-title', tabindex: '-1' }, 'Drift check'),
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
  if (gen !== session.generation) return;
  const fingerprints = h('div', {});
  put(
    viewEl(),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'check-title' },
      h('h2', { id: 'check-title', tabindex: '-1' }, 'Drift check of ', timeEl(check.checked_at)),
      back,
      h(
        'dl',
        { class: 'facts' },
        fact('Status', statusPill(check.has_drift ? 'drift' : 'parity')),
        fact('Keys', paritySentence(check.summary)),
        fact('Trigger', triggerName(check.trigger)),
        fact('Source', h('code', {}, check.source)),
        fact('Check id', h('code', {}, check.id)),
        fact('Correlation id', h('code', { id: 'correlation-id' }, check.correlation_id)),
        fact('Duration', fmtDuration(check.duration_ms)),
      ),
      h(
        'p',
        { class: 'links' },
        link({ view: 'matrix', id: check.id }, 'Key by key (matrix)'),
        can('audit')
          ? [
              ' · ',
              link({ view: 'events', correlation_id: check.correlation_id }, 'Events of this check'),
              ' · ',
              link({ view: 'audit', correlation_id: check.correlation_id }, 'Audit entries of this check'),
            ]
          : null,
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
            `${t.provider} · ${t.label}`,
            can('audit') ? [' · ', link({ view: 'snapshots', target: t.id }, `Snapshots of ${t.id}`)] : null,
          ),
          h(
            'div',
            { class: 'categories' },
            category('Missing', 'in the source, not on the target', t.missing),
            category('Conflicts', 'the values differ', t.conflicts, 'conflict'),
            category('Extra', 'on the target, not in the source', t.extra),
            category('Unknown', 'write-only: cannot be compared', t.unknown),
            t.skipped?.length ? category('Skipped', 'left alone on purpose', t.skipped) : null,
            t.invalid?.length ? category('Invalid', 'the target refuses them', t.invalid, 'conflict') : null,
          ),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'fp-title' },
        h('h3', { id: 'fp-title' }, 'Conflict fingerprints'),
        fingerprints,
      ),
    ),
  );
  await showFingerprints(check, fingerprints, gen);
}

const fpTable = (head, rows) =>
  h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Conflict fingerprints' },
    h(
      'table',
      { class: 'compact' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );

async function showFingerprints(check, el, gen) {
  const conflicted = check.targets.flatMap((t) => t.conflicts.map((key) => ({ key, target: t.id })));
  if (conflicted.length === 0) return put(el, h('p', { class: 'muted' }, 'No conflicts in this check.'));
  const note = h(
    'p',
    { class: 'muted' },
    'Keyed fingerprints (HMAC) of the values on both sides; values are never shown.',
  );
  if (check.conflicts) {
    const side = (key, id) => {
      const fp = Object.hasOwn(check.conflicts, key) ? check.conflicts[key] : {};
      return Object.hasOwn(fp, id) ? fp[id] : '—';
    };
    return put(
      el,
      note,
      fpTable(
        ['Key', 'Target', `In ${check.source}`, 'On the target'],
        conflicted.map(({ key, target }) =>
          h(
            'tr',
            {},
            h('td', {}, keyLink(key)),
            h('td', {}, h('code', {}, target)),
            h('td', {}, h('code', {}, side(key, check.source))),
            h('td', {}, h('code', {}, side(key, target))),
          ),
        ),
      ),
    );
  }
  // Checks recorded before both sides were kept: the source's side, from the check's audit entry.
  if (!can('audit'))
    return put(
      el,
      h('p', { class: 'muted' }, 'This check was recorded before fingerprints were kept with checks.'),
    );
  put(el, loading('the fingerprints'));
  try {
    const audit = await api('audit', { correlation_id: check.correlation_id, limit: 20 });
    if (gen !== session.generation) return;
    const entry = audit.items.find((e) => e.action === 'drift-check' && e.keys);
    if (!entry)
      return put(
        el,
        stateBox(
          'empty',
          'The audit trail has no drift-check entry for this check, so no fingerprints can be shown.',
        ),
      );
    const keys = [...new Set(conflicted.map((c) => c.key))];
    put(
      el,
      h(
        'p',
        { class: 'muted' },
        'Keyed fingerprints (HMAC) of the source values, from the audit entry; values are never shown.',
      ),
      fpTable(
        ['Key', `In ${check.source}`],
        keys.map((key) =>
          h(
            'tr',
            {},
            h('td', {}, keyLink(key)),
            h('td', {}, h('code', {}, Object.hasOwn(entry.keys, key) ? entry.keys[key] : '—')),
          ),
        ),
      ),
    );
  } catch (error) {
    if (gen !== session.generation) return;
    put(el, failure(error, 'the fingerprints (they come from the audit trail)'));
  }
}
