// Actions by role, through the API the CLI uses: check now and plan (architect, admiral), apply a
// plan and roll back to a snapshot (admiral). Each asks first, naming targets and counts; each
// result links to the audit entries and events it produced.
import { ApiError, post } from './api.js';
import { h, put, stateBox, copyable } from './dom.js';
import { paritySentence } from './check.js';
import { confirmAction, countsText, follow, planCounts, planTable } from './plan.js';
import { $, can, explain, link, producedLinks, session } from './shared.js';

let onChanged = () => undefined;
/** Called after an action changed what the page shows (a new check, a sync's end). */
export const setOnChanged = (fn) => (onChanged = fn);

const result = () => $('action-result');
const busy = (on) => {
  for (const b of document.querySelectorAll('#actions button')) b.disabled = on;
  $('actions')?.setAttribute('aria-busy', String(on));
};

function chosenTargets() {
  const all = [...document.querySelectorAll('#action-targets input[type=checkbox]')];
  const ids = all.filter((b) => b.checked).map((b) => b.value);
  return { ids, spec: ids.length === all.length ? {} : { targets: ids } };
}

const listed = (ids) => ids.join(', ');

/** The actions panel: shown only to roles that may plan; "Apply" only to those that may write. */
export function renderActions(visible) {
  const section = $('actions');
  if (!section) return;
  section.hidden = !visible || !can('plan') || session.targets?.targets.length === 0;
  if (section.hidden) return;
  const built = session.targets ? session.me.name : '';
  if (section.dataset.built === built) return; // keeps a plan on screen across refreshes
  section.dataset.built = built;
  if (!session.targets) {
    // Until the targets are known: the panel's place and its (disabled) buttons, so nothing moves.
    put(
      section,
      h('h2', { id: 'actions-title' }, 'Actions'),
      h('p', { class: 'muted' }, 'Loading the targets…'),
      h(
        'p',
        { class: 'buttons' },
        h('button', { type: 'button', disabled: true }, 'Check now'),
        ' ',
        h('button', { type: 'button', class: 'secondary', disabled: true }, 'Plan'),
      ),
    );
    return;
  }
  put(
    section,
    h('h2', { id: 'actions-title' }, 'Actions'),
    h(
      'fieldset',
      { id: 'action-targets', class: 'range' },
      h('legend', {}, 'Targets'),
      session.targets.targets.map((t) =>
        h('label', {}, h('input', { type: 'checkbox', value: t.id, checked: true }), ` ${t.id}`),
      ),
    ),
    h(
      'p',
      { class: 'buttons' },
      h('button', { type: 'button', id: 'action-check', onclick: () => void checkNow() }, 'Check now'),
      h(
        'button',
        { type: 'button', id: 'action-plan', class: 'secondary', onclick: () => void makePlan() },
        'Plan',
      ),
      h(
        'span',
        { class: 'muted help' },
        can('write')
          ? ' Check reads the targets and records a check; Plan shows what a sync would write, for you to apply.'
          : ' Check reads the targets and records a check; Plan shows what a sync would write (applying it needs an admiral).',
      ),
    ),
    h('div', { id: 'action-result', role: 'status', 'aria-live': 'polite' }),
    h('div', { id: 'plan-area' }),
  );
}

function refuse(message) {
  put(result(), stateBox('error', message, null, 'alert'));
}

async function checkNow() {
  const { ids, spec } = chosenTargets();
  if (!ids.length) return refuse('Pick at least one target to check.');
  const ok = await confirmAction({
    title: 'Check now?',
    lines: [
      `Reads ${ids.length} ${ids.length === 1 ? 'target' : 'targets'} (${listed(ids)}) and compares them with the source.`,
      'It records a check in the history; nothing is written to the targets.',
    ],
    confirm: `Check ${ids.length} ${ids.length === 1 ? 'target' : 'targets'}`,
  });
  if (!ok) return;
  busy(true);
  put(result(), stateBox('loading', `Checking ${listed(ids)}…`));
  try {
    const answer = await post('verify', spec);
    put(
      result(),
      h(
        'div',
        { class: `state state-${answer.report.has_drift ? 'error' : 'ok'}` },
        h('p', {}, `Check recorded: ${paritySentence(answer.report.summary)}.`),
        h(
          'p',
          {},
          link({ view: 'check', id: answer.check_id }, 'Open the check'),
          ' · ',
          producedLinks(answer.correlation_id),
        ),
      ),
    );
    onChanged();
  } catch (error) {
    refuse(explain(error, 'the check'));
  } finally {
    busy(false);
  }
}

async function makePlan(spec = chosenTargets().spec, ids = chosenTargets().ids) {
  if (!ids.length) return refuse('Pick at least one target to plan.');
  const ok = await confirmAction({
    title: 'Make a plan?',
    lines: [
      `Reads ${ids.length} ${ids.length === 1 ? 'target' : 'targets'} (${listed(ids)}) and works out what a sync from the source would write.`,
      'The plan is stored and audited; nothing is written to the targets.',
    ],
    confirm: `Plan ${ids.length} ${ids.length === 1 ? 'target' : 'targets'}`,
  });
  if (!ok) return;
  busy(true);
  put(result(), stateBox('loading', `Planning ${listed(ids)}…`));
  try {
    const answer = await post('plan', spec);
    put(result(), h('p', { class: 'state state-ok' }, `Plan made: ${countsText(answer.plan)}.`));
    showPlan(answer, spec, ids);
  } catch (error) {
    refuse(explain(error, 'the plan'));
  } finally {
    busy(false);
  }
}

function showPlan(answer, spec, ids) {
  const area = $('plan-area');
  const { writes } = planCounts(answer.plan);
  const follow_ = h('div', { id: 'apply-area' });
  put(
    area,
    h(
      'section',
      { class: 'plan-box', 'aria-labelledby': 'plan-title' },
      h('h3', { id: 'plan-title', tabindex: '-1' }, 'Plan ', copyable(answer.plan_id, 'Copy plan id')),
      h(
        'p',
        {},
        `${countsText(answer.plan)[0].toUpperCase()}${countsText(answer.plan).slice(1)}.`,
        ' ',
        producedLinks(answer.plan_id, { events: false }),
      ),
      planTable(answer.plan, 'What the plan writes'),
      can('write') && writes > 0
        ? h(
            'p',
            { class: 'buttons' },
            h(
              'button',
              { type: 'button', id: 'apply-plan', onclick: () => void apply(answer, spec, ids, follow_) },
              'Apply this plan',
            ),
          )
        : null,
      follow_,
    ),
  );
  $('plan-title').focus();
}

async function apply(answer, spec, ids, el) {
  const ok = await confirmAction({
    title: 'Apply this plan?',
    lines: [
      `Writes ${countsText(answer.plan)}.`,
      'A snapshot of each changing target is taken first, so it can be rolled back.',
    ],
    confirm: 'Apply the plan',
  });
  if (!ok) return;
  busy(true);
  try {
    const queued = await post('sync', { plan_id: answer.plan_id });
    if (queued.status === 'noop') {
      put(el, stateBox('ok', `Nothing to change: ${queued.message}`));
      return;
    }
    $('apply-plan')?.remove();
    follow(queued.correlation_id, el, { what: 'Sync', onEnd: () => onChanged() });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'stale_plan') {
      const keys = Array.isArray(error.details.keys) ? error.details.keys : [];
      put(
        el,
        h(
          'div',
          { class: 'state state-error', role: 'alert' },
          h(
            'p',
            {},
            'This plan is out of date: the source or the targets changed since it was made, so nothing was written.',
          ),
          keys.length
            ? h(
                'p',
                {},
                'Keys that moved: ',
                keys.map((k, i) => [
                  i ? ', ' : '',
                  h('code', {}, typeof k === 'string' ? k : JSON.stringify(k)),
                ]),
              )
            : null,
          h(
            'button',
            { type: 'button', id: 'replan', onclick: () => void makePlan(spec, ids) },
            'Plan again',
          ),
        ),
      );
      $('replan')?.focus();
    } else put(el, stateBox('error', explain(error, 'the sync'), null, 'alert'));
  } finally {
    busy(false);
  }
}

/**
 * "Roll back to this snapshot": its plan first (a dry run), then, confirmed, the rollback queued
 * and followed. `el` is where the plan and the progress go.
 */
export async function rollbackFlow(snapshot, el) {
  put(el, stateBox('loading', `Working out what rolling ${snapshot.target} back would change…`));
  let dry;
  try {
    dry = await post('rollback', { target: snapshot.target, snapshot_id: snapshot.id, dry_run: true });
  } catch (error) {
    return put(el, stateBox('error', explain(error, 'the rollback plan'), null, 'alert'));
  }
  const { writes } = planCounts(dry.plan);
  const progress = h('div', {});
  put(
    el,
    h(
      'h3',
      { id: 'snapshot-detail-title', tabindex: '-1' },
      `Roll back ${snapshot.target} to snapshot `,
      h('code', {}, snapshot.id),
    ),
    h(
      'p',
      {},
      writes
        ? `It would write ${countsText(dry.plan)}.`
        : 'The target already matches this snapshot: nothing to roll back.',
    ),
    unrestorable(dry.unrestorable),
    planTable(dry.plan, 'What the rollback writes'),
    writes
      ? h(
          'p',
          { class: 'buttons' },
          h(
            'button',
            {
              type: 'button',
              id: 'rollback-confirm',
              onclick: async (e) => {
                const ok = await confirmAction({
                  title: `Roll back ${snapshot.target}?`,
                  lines: [
                    `Restores snapshot ${snapshot.id} on ${snapshot.target}: ${countsText(dry.plan)}.`,
                    'A snapshot of the target as it is now is taken first.',
                  ],
                  confirm: 'Roll back',
                });
                if (!ok) return;
                e.target.disabled = true;
                try {
                  const queued = await post('rollback', {
                    target: snapshot.target,
                    snapshot_id: snapshot.id,
                  });
                  if (queued.status === 'noop') return put(progress, stateBox('ok', queued.message));
                  e.target.remove();
                  follow(queued.correlation_id, progress, { what: 'Rollback', onEnd: () => onChanged() });
                } catch (error) {
                  e.target.disabled = false;
                  put(progress, stateBox('error', explain(error, 'the rollback'), null, 'alert'));
                }
              },
            },
            'Roll back to this snapshot',
          ),
        )
      : null,
    progress,
  );
  $('snapshot-detail-title')?.focus();
}

export function unrestorable(keys) {
  if (!keys?.length) return null;
  return h(
    'p',
    { class: 'muted' },
    `Not restorable (write-only or not kept): `,
    keys.map((k, i) => [i ? ', ' : '', h('code', {}, typeof k === 'string' ? k : (k.key ?? ''))]),
  );
}
