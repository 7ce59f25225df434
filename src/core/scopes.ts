/**
 * Scopes: where a key is exposed on targets that scope keys (Netlify's builds, functions, runtime,
 * post-processing). Names only, never values; no provider knowledge beyond the `ScopeRules` given.
 */
import type { Fingerprinter } from './fingerprint.ts';
import type { EnvMap, EnvValue, PlanEntry, Policy } from './model.ts';
import { escapeName } from './names.ts';
import { entryOf, readable, reviseEntry } from './plan-entry.ts';
import type { Desired } from './plan-entry.ts';
import type { ScopeRules } from './rules.ts';

/** The same scopes, whatever their order. */
export function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((s) => set.has(s));
}

/** `builds,functions`, in the target's order; `(none)` for an empty list. */
export function scopeList(scopes: readonly string[], rules: ScopeRules): string {
  const rank = (s: string) => {
    const i = rules.known.indexOf(s);
    return i < 0 ? rules.known.length : i;
  };
  const sorted = [...scopes].sort((a, b) => rank(a) - rank(b));
  return sorted.length > 0 ? sorted.map(escapeName).join(',') : '(none)';
}

/**
 * The scope part of one key's decision, on top of its value's: scopes the target refuses turn the
 * entry into a skip; a declared difference is a change even when the value is equal; a difference
 * that cannot be applied says why. Scopes not declared are never touched, so a value change neither
 * widens nor narrows them.
 */
export function withScopes(
  entry: PlanEntry,
  want: Desired,
  have: EnvValue | undefined,
  rules: ScopeRules,
  policy: Policy,
  fingerprint: Fingerprinter,
): PlanEntry {
  const wanted = want.scopes;
  if (!wanted || entry.action === 'skip') return entry;
  const problem = rules.check(wanted, want.secret || have?.kind === 'write-only');
  if (problem)
    return reviseEntry(entry, {
      action: 'skip',
      finding: 'invalid',
      reason: problem,
      value: undefined,
      scopes: undefined,
    });
  const current = have?.scopes;
  if (!have || !current || sameScopes(current, wanted)) return entry;
  const diff = `scopes: ${scopeList(current, rules)} → ${scopeList(wanted, rules)}`;
  const notApplied = (why: string) =>
    reviseEntry(entry, { reason: `${entry.reason}; ${diff} ${why}`, scopes: undefined });
  if (entry.action === 'update')
    return have.scopesFixed
      ? notApplied(`left as they are: ${have.scopesFixed}`)
      : reviseEntry(entry, { reason: `${entry.reason}; ${diff}` });
  if (entry.action !== 'noop' || entry.finding !== 'in-sync' || want.value.kind !== 'value')
    return notApplied('left as they are until the value can be written');
  // The value is in sync: the scopes alone differ.
  if (policy.mode === 'create-only')
    return reviseEntry(entry, {
      finding: 'conflict',
      reason: `${diff}; kept because mode is create-only`,
      scopes: undefined,
    });
  if (have.scopesFixed)
    return reviseEntry(entry, {
      action: 'skip',
      finding: 'invalid',
      reason: `${diff}, but ${have.scopesFixed}`,
      scopes: undefined,
    });
  const value = want.value.value;
  return entryOf(
    entry.key,
    want,
    have,
    fingerprint,
    { action: 'update', finding: 'conflict', reason: diff },
    value,
    value,
    readable(have),
  );
}

/** UTF-8 length without encoding (a plan may size every key of a large target). */
function bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      n += 4; // a surrogate pair: one 4-byte character
      i += 1;
    } else n += 3;
  }
  return n;
}
const thousands = (n: number) => n.toLocaleString('en-US');

/**
 * The keys a target would expose in a size-limited scope once the plan is applied, when they add up
 * to more than the limit: names and sizes, never values. Write-only values not being written cannot
 * be measured; they are named as not counted.
 */
export function scopeSizeWarning(
  entries: readonly PlanEntry[],
  have: EnvMap,
  rules: ScopeRules,
): string | undefined {
  const limit = rules.sizeLimit;
  if (!limit) return undefined;
  let total = 0;
  const sized: [string, number][] = [];
  const unsized: string[] = [];
  for (const e of entries) {
    if (e.action === 'delete') continue;
    const current = have.get(e.key);
    const writes = (e.action === 'create' || e.action === 'update') && e.value !== undefined;
    if (!writes && !current) continue;
    const scopes = e.scopes ?? current?.scopes ?? rules.defaults(e.secret);
    if (!scopes.includes(limit.scope)) continue;
    const value = writes ? e.value : readable(current);
    if (!value) {
      unsized.push(e.key);
      continue;
    }
    const size = bytes(e.key) + bytes(value.reveal());
    total += size;
    sized.push([e.key, size]);
  }
  if (total <= limit.bytes) return undefined;
  sized.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const largest = sized
    .slice(0, 5)
    .map(([key, size]) => `${escapeName(key)} (${thousands(size)} bytes)`)
    .join(', ');
  const more = sized.length > 5 ? ` and ${sized.length - 5} more` : '';
  const uncounted =
    unsized.length > 0
      ? `; ${unsized.length} write-only ${unsized.length === 1 ? 'key' : 'keys'} not counted (${unsized.slice(0, 5).map(escapeName).join(', ')}${unsized.length > 5 ? ', …' : ''})`
      : '';
  return (
    `the keys in the ${limit.scope} scope add up to ${thousands(total)} bytes (names and values), ` +
    `over the ${thousands(limit.bytes)}-byte limit: ${limit.why}. Largest: ${largest}${more}${uncounted}. ` +
    `Declare scopes without ${limit.scope} (keys: KEY: { scopes: [...] } in the manifest) for the keys functions do not read.`
  );
}
