// The parity page: routing between the views, the token, refresh. State lives in the URL (view,
// filters, sort, page) so every view is a link; the token does not.
import { getToken, setToken } from './api.js';
import { put, stateBox, useUtc, usesUtc } from './dom.js';
import { renderActions, setOnChanged } from './actions.js';
import { renderAudit } from './audit.js';
import { renderCheck } from './check.js';
import { renderEvents } from './events.js';
import { dropChart, loadChart } from './history-chart.js';
import { renderHistoryView, resetHistory } from './history.js';
import { renderMatrix } from './matrix.js';
import { $, notice, params, session, setRouter, viewEl } from './shared.js';
import { loadMe, loadStatus, renderStatus } from './status.js';
import { renderSnapshots } from './snapshots.js';
import { renderTimeline } from './timeline.js';

const REFRESH_MS = 60_000;
const AUTO_KEY = 'envsync.autoRefresh';
const VIEWS = {
  check: ['check', () => renderCheck(params().get('id'))],
  matrix: ['parity matrix', renderMatrix],
  key: ['key timeline', renderTimeline],
  snapshots: ['snapshots', renderSnapshots],
  audit: ['audit trail', renderAudit],
  events: ['events', renderEvents],
};
const TITLE_FOCUS = { check: 'check-title', key: 'key-title' };
let renderedOnce = false;

function currentView() {
  const view = params().get('view') ?? '';
  return Object.hasOwn(VIEWS, view) ? view : 'history';
}

async function route({ full = false } = {}) {
  session.generation += 1;
  const view = currentView();
  document.body.dataset.view = view;
  if (session.targets) renderStatus();
  for (const a of document.querySelectorAll('nav.views a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `EnvSync parity — ${view === 'history' ? 'history' : VIEWS[view][0]}`;
  if (view !== 'history') dropChart();
  renderActions(view === 'history' && Boolean(getToken()));
  if (!getToken()) {
    put(
      viewEl(),
      stateBox(
        'empty',
        'Enter an API token above to see the parity history. npm start prints a viewer, an architect and an admiral token.',
      ),
    );
    return;
  }
  if (view === 'history') return renderHistoryView(full);
  return VIEWS[view][1]();
}
setRouter(route);

async function refreshAll({ auto = false } = {}) {
  if (!getToken()) {
    session.targets = null;
    session.me = null;
    await loadMe();
    put($('status-body'), stateBox('empty', 'Enter an API token above to see each target’s status.'));
    put($('updated'), 'Waiting for a token');
    notice('');
    return route();
  }
  // The role decides which controls the view may show; the targets do not wait for it.
  let me = null;
  if (!auto) {
    if (!session.targets) put($('updated'), 'Loading…');
    me = loadMe();
  }
  const status = Promise.all([loadStatus(), me]).then(() => renderActions(currentView() === 'history'));
  await me;
  // An automatic refresh leaves older pages and appended lists where the reader is.
  let view = null;
  if (!auto) view = route({ full: true });
  else if (currentView() === 'history')
    view = params().get('cursor') ? loadChart(true) : renderHistoryView(true);
  await Promise.allSettled([status, view]);
}

function forgetSession() {
  session.targets = null;
  session.me = null;
  resetHistory();
  dropChart();
  const actions = $('actions');
  if (actions) delete actions.dataset.built;
  put(viewEl());
}

function setUpToken() {
  const form = $('token-form');
  const input = $('token-input');
  const showState = () => {
    input.placeholder = getToken() ? 'Token in use; enter another to replace it' : 'Paste a token';
  };
  showState();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) {
      input.focus();
      return;
    }
    setToken(value);
    input.value = '';
    showState();
    forgetSession();
    void refreshAll();
  });
  $('token-forget').addEventListener('click', () => {
    setToken('');
    showState();
    forgetSession();
    void refreshAll();
    input.focus();
  });
}

function setUpRefresh() {
  const box = $('auto-refresh');
  box.checked = sessionStorage.getItem(AUTO_KEY) !== 'off';
  box.addEventListener('change', () => sessionStorage.setItem(AUTO_KEY, box.checked ? 'on' : 'off'));
  $('refresh-now').addEventListener('click', () => void refreshAll());
  const utcBox = $('utc-times');
  utcBox.checked = usesUtc();
  utcBox.addEventListener('change', () => {
    useUtc(utcBox.checked);
    renderStatus();
    void refreshAll();
  });
  setInterval(() => {
    if (box.checked && !document.hidden && getToken()) void refreshAll({ auto: true });
  }, REFRESH_MS);
}

// Links within the page change the URL without reloading it; a detail view takes the focus.
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname !== location.pathname) return;
  e.preventDefault();
  history.pushState(null, '', url.search || location.pathname);
  const focus = TITLE_FOCUS[currentView()];
  void route().then(() => {
    if (focus) $(focus)?.focus();
  });
});
window.addEventListener('popstate', () => void route());

setOnChanged(
  () => void Promise.allSettled([loadStatus(), currentView() === 'history' ? renderHistoryView(true) : null]),
);
setUpToken();
setUpRefresh();
void refreshAll().finally(() => {
  if (renderedOnce) return;
  renderedOnce = true;
  // The time to first render (status strip, chart and table), read by the benchmark.
  performance.mark('envsync:first-render');
  document.body.dataset.rendered = 'true';
});
