/**
 * The plan engine: given what the source says and what each target holds, decide per key what to
 * do and why. Pure: no I/O, no provider knowledge beyond the `TargetRules` passed in.
 */
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
import type { TargetRules } from './rules.ts';

export interface PlanInput {
  readonly source: Source;
  readonly sourceValues: EnvMap;
  readonly targets: readonly { readonly target: Target; readonly current: EnvMap; readonly rules: TargetRules }[];
  readonly policy: Policy;
  readonly ledger: Ledger;
  readonly fingerprint: Fingerprinter;
  /** ISO time stamped on the plan. */
  readonly now: string;
}

export function plan(input: PlanInput): Plan {
  return {
    source: input.source,
    createdAt: input.now,
    policy: input.policy,
    targets: input.targets.map(({ target, current, rules }) =>
      planTarget(input, target, current, rules, input.ledger.get(target.id) ?? new Map()),
    ),
  };
}

interface Desired {
  readonly sourceKey: string;
  readonly value: EnvValue;
  readonly secret: boolean;
}

function planTarget(
  input: PlanInput,
  target: Target,
  current: EnvMap,
  rules: TargetRules,
  ledger: ReadonlyMap<string, LedgerEntry>,
): TargetPlan {
  const { policy, fingerprint } = input;
  const entries: PlanEntry[] = [];
  const rename = policy.rename[target.id] ?? {};

  // Desired keys on this target, after filtering, routing, renaming and the provider's normalisation.
  const desired = new Map<string, Desired>();
  const sourceKeys = [...input.sourceValues.keys()].sort();
  for (const sourceKey of sourceKeys) {
    if (!keySelected(sourceKey, policy)) continue;
    const route = policy.routes[sourceKey];
    if (route?.targets && !route.targets.includes(target.id)) continue;
    const value = input.sourceValues.get(sourceKey);
    if (!value) continue;
    const key = rules.normalizeKey(rename[sourceKey] ?? sourceKey);
    const secret = route?.secret ?? (value.kind === 'value' ? (value.secret ?? false) : true);
    const taken = desired.get(key);
    if (taken) {
      entries.push({
        key,
        sourceKey,
        action: 'skip',
        finding: 'invalid',
        secret,
        reason: `collides with ${taken.sourceKey}: both become ${key} on this target; rename or exclude one of them`,
      });
      continue;
    }
    desired.set(key, { sourceKey, value, secret });
  }

  const normalizedCurrent = new Map<string, EnvValue>();
  for (const [key, value] of current) normalizedCurrent.set(rules.normalizeKey(key), value);

  const creates: PlanEntry[] = [];
  for (const [key, want] of desired) {
    const entry = planKey(key, want, normalizedCurrent.get(key), ledger.get(key), rules, policy, fingerprint);
    (entry.action === 'create' ? creates : entries).push(entry);
  }

  let deletes = 0;
  for (const [key, have] of normalizedCurrent) {
    if (desired.has(key) || !keySelected(key, policy)) continue;
    const entry = planExtra(key, have, ledger.get(key), policy, fingerprint);
    if (entry.action === 'delete') deletes += 1;
    entries.push(entry);
  }

  // Creates beyond the destination's capacity become skips; the rest of the plan stands.
  const room = rules.capacity ? rules.capacity.limit - (normalizedCurrent.size - deletes) : Infinity;
  creates.forEach((entry, index) => {
    if (index < room) {
      entries.push(entry);
      return;
    }
    const capacity = rules.capacity;
    entries.push({
      ...entry,
      action: 'skip',
      finding: 'invalid',
      value: undefined,
      reason: `would exceed the limit of ${capacity?.limit ?? 0} ${capacity?.what ?? 'keys'}; remove unused keys or route this one elsewhere`,
    });
  });

  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { target, entries };
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
  const base = { key, sourceKey: want.sourceKey, secret: want.secret };
  const targetFingerprint = have?.kind === 'value' ? fingerprint(have.value) : undefined;
  const targetUpdatedAt = have?.updatedAt;
  if (want.value.kind === 'write-only') {
    return {
      ...base,
      action: 'skip',
      finding: 'unknown',
      targetFingerprint,
      targetUpdatedAt,
      reason: 'the source value is write-only and cannot be copied; choose a source that can read it',
    };
  }
  const value = want.value.value;
  const sourceFingerprint = fingerprint(value);
  const invalid = rules.checkKey(key) ?? rules.checkValue(value, want.secret);
  if (invalid) {
    return { ...base, action: 'skip', finding: 'invalid', sourceFingerprint, targetFingerprint, reason: invalid };
  }
  const write = { ...base, value, sourceFingerprint, targetFingerprint, targetUpdatedAt };
  if (!have) return { ...write, action: 'create', finding: 'missing', reason: 'missing on target' };

  const createOnly = policy.mode === 'create-only';
  if (have.kind === 'value') {
    if (have.value.equals(value)) return { ...write, value: undefined, action: 'noop', finding: 'in-sync', reason: 'in sync' };
    return createOnly
      ? { ...write, value: undefined, action: 'noop', finding: 'conflict', reason: 'differs from source; kept because mode is create-only' }
      : { ...write, action: 'update', finding: 'conflict', reason: 'differs from source' };
  }

  // Write-only on the target: judge by what EnvSync last wrote and whether it moved since.
  if (synced) {
    const movedOutside = Boolean(synced.updatedAt && have.updatedAt && have.updatedAt !== synced.updatedAt);
    if (movedOutside) {
      const why = `changed outside EnvSync at ${have.updatedAt ?? '?'} (EnvSync wrote it at ${synced.updatedAt ?? '?'})`;
      return createOnly
        ? { ...write, value: undefined, action: 'noop', finding: 'drifted', reason: `${why}; kept because mode is create-only` }
        : { ...write, action: 'update', finding: 'drifted', reason: why };
    }
    const written = { ...write, targetFingerprint: synced.fingerprint };
    if (synced.fingerprint === sourceFingerprint) {
      return { ...written, value: undefined, action: 'noop', finding: 'in-sync', reason: `matches the value EnvSync wrote at ${synced.syncedAt}` };
    }
    return createOnly
      ? { ...written, value: undefined, action: 'noop', finding: 'conflict', reason: 'source changed since the last sync; kept because mode is create-only' }
      : { ...written, action: 'update', finding: 'conflict', reason: 'source changed since the last sync' };
  }
  if (policy.overwriteUnknown && !createOnly) {
    return { ...write, action: 'update', finding: 'unknown', reason: 'write-only and never synced by EnvSync; rewritten because overwrite-unknown is on' };
  }
  return {
    ...write,
    value: undefined,
    action: 'unknown',
    finding: 'unknown',
    reason: 'write-only and never synced by EnvSync, so it cannot be compared; sync with --overwrite-unknown to take it over',
  };
}

function planExtra(
  key: string,
  have: EnvValue,
  synced: LedgerEntry | undefined,
  policy: Policy,
  fingerprint: Fingerprinter,
): PlanEntry {
  const base = {
    key,
    finding: 'extra' as const,
    secret: have.kind === 'write-only',
    targetFingerprint: have.kind === 'value' ? fingerprint(have.value) : undefined,
    targetUpdatedAt: have.updatedAt,
  };
  switch (policy.deletions) {
    case 'all':
      return { ...base, action: 'delete', reason: 'not in source; deletions are on for all keys' };
    case 'managed':
      return synced?.created
        ? { ...base, action: 'delete', reason: 'not in source any more; EnvSync created it' }
        : { ...base, action: 'noop', reason: 'not in source; kept because EnvSync did not create it' };
    case 'never':
      return { ...base, action: 'noop', reason: 'not in source; kept because deletions are off' };
  }
}
