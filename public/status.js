// The status strip: a tile per target (state, last check), and who the token is.
import { api } from './api.js';
import { fmtClock, h, put, stateBox, statusPill, timeEl, triggerName } from './dom.js';
import {
  $,
  can,
  chosenEnv,
  failure,
  fillTargetSelects,
  link,
  loading,
  navigate,
  notice,
  session,
  visibleTargets,
} from './shared.js';

export async function loadStatus() {
  const body = $('status-body');
  if (!session.targets) put(body, loading('the targets'));
  try {
    session.targets = await api('targets');
  } catch (error) {
    session.targets = null;
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

export function renderStatus() {
  const body = $('status-body');
  const { targets } = session;
  if (!targets) return;
  if (targets.targets.length === 0) {
    put(body, stateBox('empty', 'The manifest declares no targets. Add targets to envsync.manifest.yaml.'));
    return;
  }
  const env = chosenEnv();
  const shown = visibleTargets();
  const drifted = shown.filter((t) => t.status === 'drift').length;
  const source = env ? targets.environments.find((e) => e.name === env)?.source : targets.source;
  put(
    body,
    targets.environments ? environmentFilter(targets.environments, env) : null,
    h(
      'p',
      { class: 'summary' },
      env || !targets.environments ? ['Source: ', h('code', {}, source ?? '—'), ' · '] : null,
      `${drifted === 0 ? 'every checked target is in parity' : `${drifted} of ${shown.length} targets drifted`}`,
      ' · ',
      link({ view: 'matrix' }, 'Parity matrix'),
    ),
    h(
      'ul',
      { class: 'tiles' },
      shown.map((t) =>
        h(
          'li',
          { class: `tile tile-${t.status}` },
          h('h3', {}, h('span', { class: 'provider' }, t.provider), ' ', t.label),
          t.environment && !env ? h('p', { class: 'meta' }, t.environment) : null,
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
            can('audit')
              ? [
                  ' · ',
                  link({ view: 'snapshots', target: t.id }, 'Snapshots', {
                    'aria-label': `Snapshots of ${t.id}`,
                  }),
                ]
              : null,
          ),
        ),
      ),
    ),
  );
}

// The environment shown (?env=, like every filter).
function environmentFilter(environments, env) {
  return h(
    'form',
    { class: 'filters', onsubmit: (e) => e.preventDefault() },
    h('label', { for: 'filter-env' }, 'Environment'),
    h(
      'select',
      {
        id: 'filter-env',
        onchange: (e) => navigate({ env: e.target.value, target: null, cursor: null, page: null }),
      },
      h('option', { value: '' }, 'All environments'),
      environments.map((e) => h('option', { value: e.name, selected: e.name === env }, e.name)),
    ),
  );
}

const ROLE_WORDS = {
  admiral: 'may check, plan, apply and roll back',
  architect: 'may check and plan; applying needs an admiral',
};

/** GET /api/whoami: the token's name and role in the header; the views it may open in the nav. */
export async function loadMe() {
  const el = $('whoami');
  try {
    session.me = await api('whoami');
  } catch {
    session.me = null;
  }
  const me = session.me;
  for (const a of document.querySelectorAll('nav.views a[data-needs]'))
    a.hidden = !(me && me.can?.[a.dataset.needs]);
  if (!me) return put(el, '');
  const words = Object.hasOwn(ROLE_WORDS, me.role) ? ROLE_WORDS[me.role] : 'may read the history';
  put(
    el,
    'Token ',
    h('strong', {}, me.name),
    ' · role ',
    h('strong', {}, me.role),
    h('span', { class: 'muted' }, ` (${words})`),
  );
}
