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
