/** A plan as JSON for the CLI's --json and the HTTP API: names, actions, reasons, fingerprints; never values. */
import type { Plan, PlanEntry } from './model.ts';
import { targetLabel } from './model.ts';

/** A plan entry as JSON: everything but the value. */
export function entryJson(entry: PlanEntry): Record<string, unknown> {
  return {
    key: entry.key,
    ...(entry.sourceKey !== undefined && entry.sourceKey !== entry.key
      ? { source_key: entry.sourceKey }
      : {}),
    action: entry.action,
    finding: entry.finding,
    reason: entry.reason,
    secret: entry.secret,
    ...(entry.scopes ? { scopes: entry.scopes } : {}),
    ...(entry.sourceFingerprint ? { source_fingerprint: entry.sourceFingerprint } : {}),
    ...(entry.targetFingerprint ? { target_fingerprint: entry.targetFingerprint } : {}),
    ...(entry.targetUpdatedAt ? { target_updated_at: entry.targetUpdatedAt } : {}),
  };
}

export function planJson(plan: Plan): Record<string, unknown> {
  return {
    created_at: plan.createdAt,
    source: plan.source.id,
    policy: {
      include: plan.policy.include,
      exclude: plan.policy.exclude,
      deletions: plan.policy.deletions,
      mode: plan.policy.mode,
      overwrite_unknown: plan.policy.overwriteUnknown,
    },
    targets: plan.targets.map((tp) => ({
      id: tp.target.id,
      provider: tp.target.provider,
      label: targetLabel(tp.target),
      entries: tp.entries.map(entryJson),
      ...(tp.warnings ? { warnings: tp.warnings } : {}),
    })),
  };
}
