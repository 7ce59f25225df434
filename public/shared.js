// What every view shares: the URL state, the session (targets, who the token is), messages,
// target pickers, paged tables and small pieces (facts, correlation links).
import { ApiError } from './api.js';
import { h, put, stateBox } from './dom.js';

export const $ = (id) => document.getElementById(id);
export const viewEl = () => $('view');

/** targets: the last GET /api/targets answer; me: GET /api/whoami; generation: bumped per navigation. */
export const session = { targets: null, me: null, generation: 0 };
/** Whether the token may: reports, audit, plan, write (false until whoami answers). */
export const can = (what) => Boolean(session.me?.can?.[what]);

// ---------------------------------------------------------------- URL state

let router = () => undefined;
/** The app registers its router, so views can navigate without importing it. */
export const setRouter = (fn) => (router = fn);

export const params = () => new URLSearchParams(location.search);

export function href(changes, base = params()) {
  const p = new URLSearchParams(base);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') p.delete(k);
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : location.pathname;
}

/** Pushes a new URL (or replaces it, for typing in a filter) and shows it. */
export function navigate(changes, { fresh = false, replace = false } = {}) {
  const url = href(changes, fresh ? new URLSearchParams() : params());
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  return router();
}

export const link = (changes, text, attrs = {}) =>
  h('a', { href: href(changes, new URLSearchParams()), ...attrs }, text);

// ---------------------------------------------------------------- messages

export function explain(error, what) {
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

export function notice(message, kind = 'info') {
  const el = $('notice');
  if (!message) return put(el).removeAttribute('class');
  el.className = `notice notice-${kind}`;
  put(el, message);
}

export function failure(error, what, retry) {
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

export const loading = (what) => stateBox('loading', `Loading ${what}…`);

// ---------------------------------------------------------------- target pickers

/** The manifest environment the page shows (`?env=`), when the manifest has environments. */
export const chosenEnv = () => (session.targets?.environments ? (params().get('env') ?? '') : '');

/** The targets of the chosen environment (every target when none is chosen). */
export function visibleTargets() {
  const env = chosenEnv();
  return (session.targets?.targets ?? []).filter((t) => !env || t.environment === env);
}

export function fillTargetSelects() {
  for (const select of document.querySelectorAll('select[data-targets]')) {
    const chosen = select.value || params().get('target') || '';
    put(
      select,
      h('option', { value: '' }, 'All targets'),
      visibleTargets().map((t) => h('option', { value: t.id }, `${t.id} (${t.provider})`)),
    );
    if (chosen && !session.targets?.targets.some((t) => t.id === chosen))
      select.append(h('option', { value: chosen }, chosen));
    select.value = chosen;
  }
}

export function targetSelect(id, value, onchange) {
  const select = h('select', { id, 'data-targets': '', onchange }, h('option', { value: '' }, 'All targets'));
  if (value) select.append(h('option', { value }, value));
  select.value = value ?? '';
  return select;
}

// ---------------------------------------------------------------- small pieces

export const fact = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
export const shortId = (id) => (id && id.length > 12 ? `${id.slice(0, 8)}…` : (id ?? '—'));

/** A link to the audit entries or events of a correlation id (when the role may read them). */
export function correlationLink(view, id) {
  if (!id) return '—';
  if (!can('audit')) return h('code', { title: id }, shortId(id));
  return link({ view, correlation_id: id }, shortId(id), {
    title: id,
    'aria-label': `${view === 'audit' ? 'Audit entries' : 'Events'} of correlation id ${id}`,
  });
}

/** "Audit entries · Events" of what an action produced. */
export const producedLinks = (correlationId, { events = true } = {}) =>
  h(
    'span',
    { class: 'links' },
    link({ view: 'audit', correlation_id: correlationId }, 'Audit entries it produced'),
    events ? [' · ', link({ view: 'events', correlation_id: correlationId }, 'Events it produced')] : null,
  );

/** Labels each cell with its column, for the stacked layout on phones. */
export function labelCells(tr, columns) {
  [...tr.children].forEach((cell, i) => {
    if (columns[i]) cell.dataset.label = columns[i];
  });
  return tr;
}

/**
 * A table filled page by page: `fetchPage(next)` → { items, next }; the button appends the next
 * page (`more` names it: "Load older entries").
 */
export function pagedTable({ title, what, more: moreLabel, columns, fetchPage, row, empty, cls = 'cards' }) {
  const gen = session.generation;
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: cls },
    h('caption', { class: 'sr-only' }, title),
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
  table.hidden = true;
  const state = h('div', {}, loading(what));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, moreLabel);
  let next;
  const load = async () => {
    more.disabled = true;
    more.textContent = 'Loading…';
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await fetchPage(next);
      if (gen !== session.generation) return;
      next = page.next;
      for (const item of page.items) tbody.append(labelCells(row(item), columns));
      put(state, tbody.rows.length ? null : stateBox('empty', empty));
    } catch (error) {
      if (gen !== session.generation) return;
      put(
        state,
        failure(error, what, () => void load()),
      );
    } finally {
      table.hidden = tbody.rows.length === 0;
      table.removeAttribute('aria-busy');
      more.disabled = false;
      more.textContent = moreLabel;
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
