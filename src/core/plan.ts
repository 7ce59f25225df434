/**
 * The plan engine: given what the source says and what each target holds, decide per key what to
 * do and why. Pure: no I/O, no provider knowledge beyond the `TargetRules` passed in.
 */
import { leaveToAllContext } from './all-context.ts';
import { planExtra } from './extras.ts';
import { nameHazard, own } from './names.ts';
import type { Fingerprinter } from './fingerprint.ts';
import { keySelected } from './filter.ts';
import type {
  EnvMap,
  EnvValue,
  Ledger,
  LedgerEntry,
  Plan,
  PlanEntry,
  Policy,
  Source,
  Target,
  TargetPlan,
} from './model.ts';
import { entryOf, readable, reviseEntry } from './plan-entry.ts';
import type { Desired, Verdict } from './plan-entry.ts';
import type { TargetRules } from './rules.ts';
import { scopeSizeWarning, withScopes } from './scopes.ts';
import type { Secret } from './secret.ts';

export { reviseEntry } from './plan-entry.ts';

export interface PlanInput {
  readonly source: Source;
  readonly sourceValues: EnvMap;
  readonly targets: readonly {
    readonly target: Target;
    readonly current: EnvMap;
    readonly rules: TargetRules;
  }[];
  readonly policy: Policy;
  readonly ledger: Ledger;
  readonly fingerprint: Fingerprinter;
  /** ISO time stamped on the plan. */
  readonly now: string;
}

export function plan(input: PlanInput): Plan {
  // A key's fingerprint is the same wherever its value appears (the source, several targets):
  // computed once per name and text, and only when shown.
  const memo = new Map<string, string>();
  const compute = input.fingerprint;
  const fingerprint = ((value: Secret, name: string) => {
    const memoKey = `${name}\u0000${value.reveal()}`;
    let fp = memo.get(memoKey);
    if (fp === undefined) memo.set(memoKey, (fp = compute(value, name)));
    return fp;
  }) as Fingerprinter;
  fingerprint.matches = compute.matches;
  // Filtering and ordering the source is the same for every target: done once.
  const selected: [string, EnvValue][] = [];
  for (const [key, value] of input.sourceValues)
    if (keySelected(key, input.policy)) selected.push([key, value]);
  selected.sort(byFirst);
  const routed = Object.keys(input.policy.routes).length > 0;
  const shared: Shared = {
    policy: input.policy,
    fingerprint,
    selected,
    sourceValues: input.sourceValues,
    routed,
    normalizedBy: new Map(),
    restoring: input.source.kind === 'snapshot',
  };
  return {
    source: input.source,
    createdAt: input.now,
    policy: input.policy,
    targets: leaveToAllContext(
      input.targets.map(({ target, current, rules }) =>
        planTarget(shared, target, current, rules, input.ledger.get(target.id) ?? new Map()),
      ),
    ),
  };
}

const byFirst = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const byKey = (a: PlanEntry, b: PlanEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

interface Shared {
  readonly policy: Policy;
  readonly fingerprint: Fingerprinter;
  /** Selected source keys, sorted, with their values. */
  readonly selected: readonly [string, EnvValue][];
  readonly sourceValues: EnvMap;
  /** Whether any key has a route (most manifests route none: then no lookup per key). */
  readonly routed: boolean;
  /** Per normalisation: whether it leaves every selected key as it is (computed once). */
  readonly normalizedBy: Map<(key: string) => string, boolean>;
  /** A rollback: the snapshot's scopes are the ones to restore. */
  readonly restoring: boolean;
}

/** Whether the selected keys arrive on the target as they are: no route, rename or renaming normalisation. */
function keysAsTheyAre(
  shared: Shared,
  target: Target,
  normalize: ((key: string) => string) | undefined,
): boolean {
  if (shared.routed || own(shared.policy.rename, target.id)) return false;
  if (!normalize) return true;
  let same = shared.normalizedBy.get(normalize);
  if (same === undefined) {
    same = shared.selected.every(([key]) => normalize(key) === key);
    shared.normalizedBy.set(normalize, same);
  }
  return same;
}

/** Merges two runs sorted by key into one. */
function mergeByKey(a: PlanEntry[], b: PlanEntry[]): PlanEntry[] {
  if (b.length === 0) return a;
  const out: PlanEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(byKey(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

// Hot at 10k keys × 3 targets: Map.forEach and index loops rather than destructuring iterators,
// which allocate a pair per entry; one sorted run instead of a sort.
function planTarget(
  shared: Shared,
  target: Target,
  current: EnvMap,
  rules: TargetRules,
  ledger: ReadonlyMap<string, LedgerEntry>,
): TargetPlan {
  const { policy, fingerprint, selected, routed } = shared;
  const rename = own(policy.rename, target.id);
  const normalize = rules.normalizeKey;

  // The target's keys, normalised as the provider compares them (a copy only when that changes one).
  let have: EnvMap = current;
  if (normalize) {
    let changes = false;
    current.forEach((_, key) => {
      if (!changes && normalize(key) !== key) changes = true;
    });
    if (changes) {
      const normalized = new Map<string, EnvValue>();
      current.forEach((value, key) => normalized.set(normalize(key), value));
      have = normalized;
    }
  }

  let entries: PlanEntry[] = [];
  const collisions: PlanEntry[] = [];
  let sorted = true;
  let creates = 0;
  const add = (entry: PlanEntry) => {
    if (entry.action === 'create') creates += 1;
    entries.push(entry);
  };
  /** Whether a target key is one the source wants there. */
  let wanted: (key: string) => boolean;

  if (keysAsTheyAre(shared, target, normalize)) {
    // The usual manifest: every selected key lands as it is, in the source's sorted order. One
    // reused `want` (planKey copies what it keeps) and no map of desired keys.
    const want: { -readonly [K in keyof Desired]: Desired[K] } = {
      sourceKey: '',
      value: selected[0]?.[1] as EnvValue,
      secret: false,
    };
    for (let i = 0; i < selected.length; i++) {
      const [key, value] = selected[i]!;
      want.sourceKey = key;
      want.value = value;
      want.secret = value.kind === 'value' ? (value.secret ?? false) : true;
      want.scopes = shared.restoring && rules.scopes ? value.scopes : undefined;
      add(planKey(key, want, have.get(key), ledger.get(key), rules, policy, fingerprint));
    }
    const source = shared.sourceValues;
    wanted = (key) => source.has(key);
  } else {
    // Desired keys on this target, after routing, renaming and the provider's normalisation.
    const desired = new Map<string, Desired>();
    for (let i = 0; i < selected.length; i++) {
      const [sourceKey, value] = selected[i]!;
      const route = routed && Object.hasOwn(policy.routes, sourceKey) ? policy.routes[sourceKey] : undefined;
      const refused = route?.refused && own(route.refused, target.id);
      if (refused !== undefined) {
        const key = normalize ? normalize(sourceKey) : sourceKey;
        collisions.push({
          key,
          sourceKey,
          action: 'skip',
          finding: 'invalid',
          secret: true,
          reason: refused,
        });
        continue;
      }
      if (route?.targets && !route.targets.includes(target.id)) continue;
      const renamed =
        rename && Object.hasOwn(rename, sourceKey) ? (rename[sourceKey] ?? sourceKey) : sourceKey;
      const key = normalize ? normalize(renamed) : renamed;
      const secret = route?.secret ?? (value.kind === 'value' ? (value.secret ?? false) : true);
      const taken = desired.get(key);
      if (taken) {
        const reason = `${sourceKey} collides with ${taken.sourceKey}: both become ${key} on this target; rename or exclude one of them`;
        collisions.push({ key, sourceKey, action: 'skip', finding: 'invalid', secret, reason });
        continue;
      }
      const scopes = rules.scopes
        ? (route?.scopes ?? (shared.restoring ? value.scopes : undefined))
        : undefined;
      desired.set(key, { sourceKey, value, secret, scopes });
    }
    let last = '';
    desired.forEach((want, key) => {
      if (key < last) sorted = false;
      last = key;
      add(planKey(key, want, have.get(key), ledger.get(key), rules, policy, fingerprint));
    });
    wanted = (key) => desired.has(key);
  }

  const extras: PlanEntry[] = [];
  let deletes = 0;
  have.forEach((value, key) => {
    if (wanted(key) || !keySelected(key, policy)) return;
    const entry = planExtra(key, value, ledger.get(key), policy, fingerprint);
    if (entry.action === 'delete') deletes += 1;
    extras.push(entry);
  });

  // Creates beyond the destination's capacity become skips, in key order; the rest of the plan stands.
  const capacity = rules.capacity;
  const room = capacity ? capacity.limit - (have.size - deletes) : Infinity;
  if (capacity && creates > room) {
    const reason = `would exceed the limit of ${capacity.limit} ${capacity.what}; remove unused keys or route this one elsewhere`;
    if (!sorted) entries.sort(byKey);
    let kept = 0;
    entries = entries.map((entry) =>
      entry.action !== 'create' || kept++ < room
        ? entry
        : reviseEntry(entry, { action: 'skip', finding: 'invalid', value: undefined, reason }),
    );
  }

  if (!sorted) entries.sort(byKey);
  if (extras.length > 1) extras.sort(byKey);
  if (collisions.length > 1) collisions.sort(byKey);
  const all = mergeByKey(mergeByKey(entries, extras), collisions);
  const warning = rules.scopes && scopeSizeWarning(all, have, rules.scopes);
  return { target, entries: all, ...(warning ? { warnings: [warning] } : {}) };
}

function planKey(
  key: string,
  want: Desired,
  have: EnvValue | undefined,
  synced: LedgerEntry | undefined,
  rules: TargetRules,
  policy: Policy,
  fingerprint: Fingerprinter,
): PlanEntry {
  const entry = planValue(key, want, have, synced, rules, policy, fingerprint);
  return rules.scopes && want.scopes
    ? withScopes(entry, want, have, rules.scopes, policy, fingerprint)
    : entry;
}

/** The decision a key's value alone calls for. */
function planValue(
  key: string,
  want: Desired,
  have: EnvValue | undefined,
  synced: LedgerEntry | undefined,
  rules: TargetRules,
  policy: Policy,
  fingerprint: Fingerprinter,
): PlanEntry {
  // Entries are made by a module function, not a closure per key: tsx (the CLI) names every
  // closure it creates (keepNames), which costs microseconds a key.
  if (want.value.kind === 'write-only') {
    const reason = 'the source value is write-only and cannot be copied; choose a source that can read it';
    return entryOf(
      key,
      want,
      have,
      fingerprint,
      { action: 'skip', finding: 'unknown', reason },
      undefined,
      undefined,
      readable(have),
    );
  }
  const value = want.value.value;
  const invalid = nameHazard(key) ?? rules.checkKey(key) ?? rules.checkValue(value, want.secret);
  if (invalid)
    return entryOf(
      key,
      want,
      have,
      fingerprint,
      { action: 'skip', finding: 'invalid', reason: invalid },
      undefined,
      value,
    );
  // Most keys are in sync: they need no fingerprint.
  if (have?.kind === 'value' && have.value.equals(value))
    return entryOf(key, want, have, fingerprint, IN_SYNC);
  if (!have)
    return entryOf(
      key,
      want,
      have,
      fingerprint,
      { action: 'create', finding: 'missing', reason: 'missing on target' },
      value,
      value,
    );
  if (have.kind === 'value')
    return entryOf(
      key,
      want,
      have,
      fingerprint,
      change(policy, 'conflict', 'differs from source'),
      value,
      value,
      have.value,
    );

  // Write-only on the target: judge by what EnvSync last wrote and whether it moved since.
  if (synced) {
    if (synced.updatedAt && have.updatedAt && have.updatedAt !== synced.updatedAt) {
      const why = `changed outside EnvSync at ${have.updatedAt} (EnvSync wrote it at ${synced.updatedAt})`;
      return entryOf(key, want, have, fingerprint, change(policy, 'drifted', why), value, value);
    }
    // The one comparison that needs the fingerprint now: against the one EnvSync recorded.
    const sourceFingerprint = fingerprint(value, want.sourceKey);
    // A fingerprint recorded under the earlier scheme still matches its value.
    if (fingerprint.matches(synced.fingerprint, value, want.sourceKey)) {
      const reason = `matches the value EnvSync wrote at ${synced.syncedAt}`;
      return entryOf(
        key,
        want,
        have,
        fingerprint,
        { action: 'noop', finding: 'in-sync', reason },
        undefined,
        sourceFingerprint,
        synced.fingerprint,
      );
    }
    return entryOf(
      key,
      want,
      have,
      fingerprint,
      change(policy, 'conflict', 'source changed since the last sync'),
      value,
      sourceFingerprint,
      synced.fingerprint,
    );
  }
  if (policy.overwriteUnknown && policy.mode !== 'create-only') {
    const reason = 'write-only and never synced by EnvSync; rewritten because overwrite-unknown is on';
    return entryOf(
      key,
      want,
      have,
      fingerprint,
      { action: 'update', finding: 'unknown', reason },
      value,
      value,
    );
  }
  const reason =
    'write-only and never synced by EnvSync, so it cannot be compared; sync with --overwrite-unknown to take it over';
  return entryOf(
    key,
    want,
    have,
    fingerprint,
    { action: 'unknown', finding: 'unknown', reason },
    undefined,
    value,
  );
}

const IN_SYNC: Verdict = { action: 'noop', finding: 'in-sync', reason: 'in sync' };

/** A differing value is updated, unless the mode only fills missing keys. */
function change(policy: Policy, finding: 'conflict' | 'drifted', why: string): Verdict {
  return policy.mode === 'create-only'
    ? { action: 'noop', finding, reason: `${why}; kept because mode is create-only` }
    : { action: 'update', finding, reason: why };
}
