// DOM building without innerHTML: every piece of data becomes a text node.

/**
 * h('a', { href, class: 'x', onclick }, 'text', child) → element. Attributes starting with `on`
 * become listeners; `false`/`null`/`undefined` attributes and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function put(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Times show seconds and their zone, local or UTC as the reader chose (kept in localStorage).
const ZONE_KEY = 'envsync.time-zone';
let utc = readUtc();
function readUtc() {
  try {
    return localStorage.getItem(ZONE_KEY) === 'utc';
  } catch {
    return false;
  }
}
const zoneOption = () => (utc ? { timeZone: 'UTC' } : {});
let dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'long',
  ...zoneOption(),
});
let timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'long', ...zoneOption() });

/** Whether times are shown in UTC (else in the reader's zone). */
export const usesUtc = () => utc;

/** Shows times in UTC or local time from now on, and remembers the choice. */
export function useUtc(on) {
  utc = on;
  try {
    localStorage.setItem(ZONE_KEY, on ? 'utc' : 'local');
  } catch {
    // storage refused (private mode): the choice lasts for this page
  }
  dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long', ...zoneOption() });
  timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'long', ...zoneOption() });
}
const number = new Intl.NumberFormat();

export const fmtNumber = (n) => number.format(n);
export const fmtClock = (d) => timeOnly.format(d);

/**
 * `<time>` with the date and time to the second and its zone, and how long ago; the ISO time in
 * `datetime` and as a tooltip.
 */
export function timeEl(iso, relative = false) {
  if (!iso) return h('span', { class: 'muted' }, 'never');
  const d = new Date(iso);
  // Relative times keep their clock and zone beside them: the day's time, or the date when older.
  const clock = Date.now() - d.getTime() < 864e5 ? timeOnly.format(d) : dateTime.format(d);
  return h(
    'time',
    { datetime: iso, title: iso },
    relative ? `${ago(d)} (${clock})` : `${dateTime.format(d)} (${ago(d)})`,
  );
}

export function ago(d, now = Date.now()) {
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function fmtDuration(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const TRIGGERS = { schedule: 'schedule', webhook: 'Render deploy', manual: 'manual', sync: 'sync' };
/** A record's own entry, never an inherited property (names from records may be `constructor`). */
export const own = (record, key) => (Object.hasOwn(record, key) ? record[key] : undefined);

export const triggerName = (t) => (t ? (own(TRIGGERS, t) ?? t) : '—');

const STATUS = {
  drift: ['Drifted', '✕'],
  parity: ['In parity', '✓'],
  unknown: ['Unknown', '?'],
};
/** A status pill: colour plus a symbol and a word, so colour is never the only signal. */
export function statusPill(status) {
  const known = own(STATUS, status) !== undefined;
  const [word, symbol] = known ? STATUS[status] : STATUS.unknown;
  return h(
    'span',
    { class: `pill pill-${known ? status : 'unknown'}` },
    h('span', { 'aria-hidden': 'true' }, symbol),
    ' ',
    word,
  );
}

/** A block saying what is happening and what to do: loading, empty or error. */
export function stateBox(kind, message, action, role = kind === 'error' ? 'alert' : 'status') {
  return h(
    'div',
    {
      class: `state state-${kind}`,
      role,
      'aria-busy': kind === 'loading' ? 'true' : null,
    },
    h('p', {}, message),
    action ?? null,
  );
}

/** A `<code>` with a button that copies it; the result is announced. */
export function copyable(text, label = 'Copy') {
  const said = h('span', { class: 'copied', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary small copy',
      'aria-label': `${label} ${text}`,
      onclick: async () => {
        try {
          await window.navigator.clipboard.writeText(text);
          put(said, 'Copied');
        } catch {
          // No clipboard (an insecure origin, a refusal): select the text for Ctrl+C instead.
          const range = document.createRange();
          range.selectNodeContents(code);
          const selection = window.getSelection();
          selection?.removeAllRanges();
          selection?.addRange(range);
          put(said, 'Selected: press Ctrl+C to copy');
        }
        window.setTimeout(() => put(said), 4000);
      },
    },
    'Copy',
  );
  const code = h('code', { class: 'id' }, text);
  return h('span', { class: 'copyable' }, code, ' ', button, said);
}
