/**
 * What a target holds once a plan is applied, and what the ledger remembers afterwards. Pure:
 * file-backed targets use it to write, tests use it as the model the real providers must match.
 */
import type { EnvMap, EnvValue, LedgerEntry, PlanEntry, TargetPlan } from './model.ts';
import type { TargetRules } from './rules.ts';

/** Only these actions change a target. */
export function isWrite(entry: PlanEntry): boolean {
  return entry.action === 'create' || entry.action === 'update' || entry.action === 'delete';
}

export function applyToMap(
  current: EnvMap,
  targetPlan: TargetPlan,
  rules: TargetRules,
): Map<string, EnvValue> {
  const next = new Map<string, EnvValue>();
  for (const [key, value] of current) next.set(rules.normalizeKey ? rules.normalizeKey(key) : key, value);
  for (const entry of targetPlan.entries) {
    if (entry.action === 'delete') next.delete(entry.key);
    else if ((entry.action === 'create' || entry.action === 'update') && entry.value) {
      // Scopes: the ones planned, else the key's own (a value change keeps them), else the defaults.
      const was = next.get(entry.key)?.scopes;
      const scopes = rules.scopes && (entry.scopes ?? was ?? rules.scopes.defaults(entry.secret));
      next.set(entry.key, {
        kind: 'value',
        value: entry.value,
        secret: entry.secret,
        ...(scopes ? { scopes } : {}),
      });
    }
  }
  return next;
}

/**
 * The ledger of one target after its writes: written keys get the new fingerprint and the
 * provider's `updated_at` (read back after writing), deleted keys are forgotten.
 */
export function nextLedgerEntries(
  previous: ReadonlyMap<string, LedgerEntry>,
  written: readonly PlanEntry[],
  updatedAt: (key: string) => string | undefined,
  now: string,
): Map<string, LedgerEntry> {
  const next = new Map(previous);
  for (const entry of written) {
    if (entry.action === 'delete') {
      next.delete(entry.key);
      continue;
    }
    if (!entry.sourceFingerprint) continue;
    next.set(entry.key, {
      fingerprint: entry.sourceFingerprint,
      updatedAt: updatedAt(entry.key),
      syncedAt: now,
      created: entry.action === 'create' || (previous.get(entry.key)?.created ?? false),
    });
  }
  return next;
}
