/**
 * Names come from outside (providers, manifests, requests): `__proto__` or an escape sequence is
 * as likely as `API_URL`. Records keyed by such names are null-prototype objects or `Map`s, looked
 * up with `Object.hasOwn`, and names that cannot be handled safely are planned as `skip`.
 */

/** Names JavaScript objects treat specially: a store or page keyed by them could misbehave. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Why a name cannot be handled safely, or undefined. Never quotes the name (it may hold escapes). */
export function nameHazard(name: string): string | undefined {
  if (RESERVED.has(name))
    return `the name ${name} is reserved in JavaScript objects, where EnvSync keeps names; rename the key`;
  if (CONTROL.test(name))
    return 'the name holds control characters (escape sequences, line breaks); rename the key';
  return undefined;
}

/** An empty record without a prototype: `record['__proto__'] = x` stores a key like any other. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `record[key]` when the record itself holds the key, never an inherited property. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

// eslint-disable-next-line no-control-regex
const CONTROL_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A name as it may be shown: control characters (escape sequences, line breaks) and bidirectional
 * overrides written as `\x1b`, `\n`, `\u202e`, so a name can neither move the cursor, clear the
 * screen nor start a line of its own. Ordinary names come back unchanged.
 */
export function escapeName(name: string): string {
  return CONTROL.test(name) ? name.replace(CONTROL_GLOBAL, escapeChar) : name;
}

// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text for a terminal: every control character escaped except the line breaks the text is laid out with. */
export function terminalText(text: string): string {
  return text.replace(TERMINAL_CONTROL, escapeChar);
}

/**
 * A Markdown code span that shows `text` literally: controls escaped, `|` escaped for tables,
 * and fenced with one more backtick than its longest run, so nothing in it is read as Markdown
 * (no link, image, heading or table cell of its own).
 */
export function markdownCode(text: string): string {
  const shown = escapeName(text).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') || longest > 0 ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}
