// What actions share: the confirmation dialog, a plan as a table (names, actions, reasons and
// fingerprints; values never), and a queued sync followed to its end.
import { api } from './api.js';
import { fmtNumber, h, put } from './dom.js';
import { can, labelCells, producedLinks } from './shared.js';

const WRITES = ['create', 'update', 'delete'];
const VERBS = { create: ['create', 'creates'], update: ['update', 'updates'], delete: ['delete', 'deletes'] };
const plural = (n, [one, many]) => `${fmtNumber(n)} ${n === 1 ? one : many}`;

/** Per target, its writes by action; and the total. */
export function planCounts(plan) {
  const targets = plan.targets.map((t) => {
    const counts = { id: t.id, create: 0, update: 0, delete: 0, writes: 0 };
    for (const e of t.entries)
      if (WRITES.includes(e.action)) {
        counts[e.action] += 1;
        counts.writes += 1;
      }
    return counts;
  });
  return { targets, writes: targets.reduce((n, t) => n + t.writes, 0) };
}

/** "netlify: 1 update; render: 2 creates" — the targets that change, with their counts. */
export function countsText(plan) {
  const { targets, writes } = planCounts(plan);
  if (writes === 0) return `no changes on ${plural(targets.length, ['target', 'targets'])}`;
  const changing = targets.filter((t) => t.writes > 0);
  return `${plural(writes, ['change', 'changes'])} on ${plural(changing.length, ['target', 'targets'])} — ${changing
    .map(
      (t) =>
        `${t.id}: ${WRITES.filter((a) => t[a])
          .map((a) => plural(t[a], VERBS[a]))
          .join(', ')}`,
    )
    .join('; ')}`;
}

/** The plan's writes in a table; the entries that change nothing behind a disclosure. */
export function planTable(plan, caption) {
  const rows = plan.targets.flatMap((t) => t.entries.map((e) => ({ target: t.id, ...e })));
  const writes = rows.filter((r) => WRITES.includes(r.action));
  const rest = rows.filter((r) => !WRITES.includes(r.action));
  const columns = ['Target', 'Key', 'Action', 'Reason', `In ${plan.source}`, 'On the target'];
  const table = (list, label) =>
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label },
      h(
        'table',
        { class: 'cards plan' },
        h('caption', { class: 'sr-only' }, label),
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
          list.map((r) =>
            labelCells(
              h(
                'tr',
                { class: `action-${r.action}` },
                h('td', {}, h('code', {}, r.target)),
                h('td', { class: 'lead' }, h('code', {}, r.key)),
                h('td', {}, h('span', { class: `act act-${r.action}` }, r.action)),
                h('td', {}, r.reason),
                h('td', {}, h('code', {}, r.source_fingerprint ?? '—')),
                h('td', {}, h('code', {}, r.target_fingerprint ?? '—')),
              ),
              columns,
            ),
          ),
        ),
      ),
    );
  return h(
    'div',
    { class: 'plan-view' },
    writes.length
      ? table(writes, caption)
      : h('p', { class: 'muted' }, 'Nothing to write: every target already matches.'),
    rest.length
      ? h(
          'details',
          {},
          h(
            'summary',
            {},
            `${fmtNumber(rest.length)} entries that change nothing (in sync, kept, write-only or skipped)`,
          ),
          table(rest, 'Entries that change nothing'),
        )
      : null,
  );
}

let dialog = null;

/**
 * Asks before an action: a modal dialog naming what it does, to which targets, how many changes.
 * Resolves true when confirmed; Escape or Cancel resolve false. The focus returns where it was.
 */
export function confirmAction({ title, lines, confirm }) {
  const opener = document.activeElement;
  if (!dialog) {
    dialog = h('dialog', {
      id: 'confirm',
      'aria-labelledby': 'confirm-title',
      'aria-describedby': 'confirm-body',
    });
    document.body.append(dialog);
  }
  put(
    dialog,
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'confirm-title' }, title),
      h(
        'div',
        { id: 'confirm-body' },
        lines.map((l) => h('p', {}, l)),
      ),
      h(
        'p',
        { class: 'buttons' },
        h(
          'button',
          { type: 'submit', value: 'cancel', class: 'secondary', id: 'confirm-cancel', autofocus: true },
          'Cancel',
        ),
        h('button', { type: 'submit', value: 'ok', id: 'confirm-ok' }, confirm),
      ),
    ),
  );
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        if (opener?.isConnected && typeof opener.focus === 'function') opener.focus();
        resolve(dialog.returnValue === 'ok');
      },
      { once: true },
    );
  });
}

const FINAL = new Set(['done', 'failed', 'interrupted']);
const STATUS_WORDS = {
  queued: 'Queued: waiting for the background function',
  running: 'Running',
  interrupted: 'Interrupted: stopped before every write was made; it resumes on the next run',
  done: 'Done',
  failed: 'Failed',
};

/**
 * Follows a queued sync or rollback (GET /api/sync/:id) until it ends: a progress bar, its status
 * in words (announced), then its result with links to the audit entries and events it produced.
 */
export function follow(correlationId, el, { what = 'Sync', onEnd = () => undefined } = {}) {
  const bar = h('progress', { id: 'sync-progress', max: '1', value: '0', 'aria-label': `${what} progress` });
  const status = h('p', { id: 'sync-status', role: 'status' }, 'Queued…');
  const result = h('div', { id: 'sync-result' });
  put(
    el,
    h(
      'section',
      { class: 'progress-box', 'aria-labelledby': 'sync-title' },
      h('h3', { id: 'sync-title' }, `${what} `, h('code', {}, correlationId)),
      bar,
      status,
      result,
    ),
  );
  let failures = 0;
  const poll = async () => {
    if (!el.isConnected) return; // the reader left: stop asking
    let run;
    try {
      run = await api(`sync/${encodeURIComponent(correlationId)}`);
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures >= 5) {
        put(
          status,
          `Could not follow the ${what.toLowerCase()} (${error.message}); it goes on in the background.`,
        );
        put(result, producedLinks(correlationId));
        return;
      }
      window.setTimeout(() => void poll(), 1500);
      return;
    }
    const { planned, done } = run.progress ?? { planned: 0, done: 0 };
    bar.max = Math.max(1, planned);
    bar.value = done;
    const words = Object.hasOwn(STATUS_WORDS, run.status) ? STATUS_WORDS[run.status] : run.status;
    put(status, `${words}: ${fmtNumber(done)} of ${plural(planned, ['write', 'writes'])} done.`);
    if (!FINAL.has(run.status)) {
      window.setTimeout(() => void poll(), 1000);
      return;
    }
    const r = run.result;
    put(
      result,
      h(
        'p',
        { class: `state state-${run.status === 'done' && (!r || r.ok) ? 'ok' : 'error'}` },
        r
          ? `${what} ${run.status}: ${plural(r.applied, ['change', 'changes'])} applied, ${fmtNumber(r.failed)} failed.`
          : `${what} ${run.status}${run.error ? `: ${run.error}` : ''}.`,
        run.status === 'done' ? ' It recorded a check of the targets (trigger “sync”) in the history.' : '',
      ),
      can('audit') ? h('p', {}, producedLinks(correlationId)) : null,
    );
    onEnd(run);
  };
  void poll();
}
