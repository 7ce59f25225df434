/** Keys only the target holds: kept, deleted or skipped as the policy and the ledger say. */
import type { Fingerprinter } from './fingerprint.ts';
import type { EnvValue, LedgerEntry, PlanEntry, Policy } from './model.ts';
import { nameHazard } from './names.ts';
import { Entry, readable } from './plan-entry.ts';

/** An entry for a key the source does not hold. */
export function planExtra(
  key: string,
  have: EnvValue,
  synced: LedgerEntry | undefined,
  policy: Policy,
  fingerprint: Fingerprinter,
): PlanEntry {
  const entry = (action: 'delete' | 'noop' | 'skip', reason: string) =>
    new Entry(
      key,
      undefined,
      { action, finding: 'extra', reason },
      have.kind === 'write-only',
      undefined,
      have.updatedAt,
      undefined,
      fingerprint,
      undefined,
      readable(have),
    );
  const hazard = nameHazard(key);
  if (hazard) return entry('skip', `not in source, and ${hazard}`);
  const remove = (reason: string) =>
    have.inheritedFrom === undefined
      ? entry('delete', reason)
      : entry(
          'skip',
          `not in source, but its value comes from ${have.inheritedFrom}, which this target cannot delete alone; remove it there`,
        );
  switch (policy.deletions) {
    case 'all':
      return remove('not in source; deletions are on for all keys');
    case 'managed':
      return synced?.created
        ? remove('not in source any more; EnvSync created it')
        : entry('noop', 'not in source; kept because EnvSync did not create it');
    case 'never':
      return entry('noop', 'not in source; kept because deletions are off');
  }
}
