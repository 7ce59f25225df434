/**
 * Rollback: a snapshot becomes the source of a sync to its own target, planned like any other
 * (same table, audit and events), restoring the target exactly as it was. Write-only values the
 * snapshot does not hold (GitHub secrets EnvSync did not write) cannot be restored: they are kept
 * as they are and reported.
 */
import type { EnvValue } from '../core/model.ts';
import type { Project } from '../config/manifest.ts';
import { ConfigError } from '../config/env.ts';
import { snapshotState } from '../store/snapshots.ts';
import type { Records } from './records.ts';
import { planRun } from './run.ts';
import type { PlannedRun, SyncContext } from './run.ts';

export interface PlannedRollback extends PlannedRun {
  readonly snapshotId: string;
  /** Keys the snapshot knows of but holds no value for. */
  readonly unrestorable: readonly string[];
}

export async function planRollback(
  ctx: SyncContext & { readonly records: Records },
  project: Project,
  targetId: string,
  snapshotId: string,
): Promise<PlannedRollback> {
  const snapshot = await ctx.records.snapshots.get(snapshotId);
  if (snapshot.target !== targetId) {
    throw new ConfigError(`Snapshot ${snapshotId} is of target "${snapshot.target}", not "${targetId}".`);
  }
  const { values, unrestorable } = snapshotState(ctx.records.snapshots, snapshot);
  // Unrestorable keys stay in the source as write-only: planned as `skip`, never deleted.
  const source = new Map<string, EnvValue>(values);
  for (const key of unrestorable) source.set(key, { kind: 'write-only' });
  const planned = await planRun(ctx, {
    project,
    from: 'manifest',
    targets: [targetId],
    policy: {
      include: [],
      exclude: [],
      rename: {},
      deletions: 'all',
      mode: 'overwrite',
      overwriteUnknown: true,
    },
    restore: { source: { kind: 'snapshot', id: snapshotId }, values: source },
  });
  return { ...planned, snapshotId, unrestorable };
}
