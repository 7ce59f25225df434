/**
 * The drift report, in the shape the seed's verifier writes:
 * `{verified_at, has_drift, missing_in_<target>, conflicts, summary}`, with values always masked.
 */
import type { Action, Finding, Plan, PlanEntry, TargetPlan } from './model.ts';
import { targetLabel } from './model.ts';
import { dict } from './names.ts';

export interface TargetDrift {
  readonly id: string;
  readonly provider: string;
  readonly label: string;
  readonly has_drift: boolean;
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly conflicts: readonly string[];
  readonly unknown: readonly string[];
  readonly invalid: readonly { readonly key: string; readonly reason: string }[];
  /** Keys the target holds as the source does. */
  readonly in_parity: readonly string[];
  /** Keys the plan leaves alone on purpose (policy, routing, a provider rule), with why. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
  readonly counts: Readonly<Record<Action, number>>;
}

export interface DriftReport {
  readonly verified_at: string;
  readonly has_drift: boolean;
  readonly source: string;
  /** `missing_in_<target id>`, `extra_in_<target id>`, `unknown_in_<target id>` lists, as in the seed. */
  readonly [list: `${'missing' | 'extra' | 'unknown'}_in_${string}`]: readonly string[];
  /** KEY → { <source id>: fingerprint, <target id>: fingerprint | "write-only" }. */
  readonly conflicts: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly summary: ParitySummary;
  readonly targets: readonly TargetDrift[];
}

/**
 * The one definition of the parity numbers, printed alike by verify, audit, the API and the page.
 * Over the source's keys: a key is **drifted** when any target lacks it, differs, or refuses it;
 * **unknown** when it is not drifted but some target holds it write-only and EnvSync cannot tell;
 * **in parity** otherwise. **Extra** counts keys a target holds that the source does not (per
 * target); they put a target out of parity only when the policy would delete them.
 */
export interface ParitySummary {
  readonly total_keys: number;
  /** Keys in parity on every target (the seed's `synced`). */
  readonly synced: number;
  readonly in_parity: number;
  readonly drifted: number;
  readonly unknown: number;
  readonly extra: number;
  readonly targets: number;
}

/** `1 key`, `2 keys`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The parity numbers in words, the same wherever they are printed. */
export function paritySentence(s: ParitySummary): string {
  const parts = [`${s.in_parity} of ${plural(s.total_keys, 'key', 'keys')} in parity`];
  if (s.drifted > 0) parts.push(`${s.drifted} drifted`);
  if (s.unknown > 0) parts.push(`${s.unknown} unknown (write-only)`);
  const extra = s.extra > 0 ? `; ${s.extra} extra on targets` : '';
  return `${parts.join(', ')}${extra}, across ${plural(s.targets, 'target', 'targets')}`;
}

const DRIFT_FINDINGS: ReadonlySet<Finding> = new Set(['missing', 'conflict', 'drifted', 'invalid']);

/** An entry puts its target out of parity when EnvSync would change something, or a value differs. */
export function entryDrifts(entry: PlanEntry): boolean {
  if (entry.action === 'create' || entry.action === 'update' || entry.action === 'delete') return true;
  return DRIFT_FINDINGS.has(entry.finding) && entry.action !== 'unknown';
}

export function targetDrift(targetPlan: TargetPlan): TargetDrift {
  const { target, entries } = targetPlan;
  const pick = (finding: Finding): string[] => entries.filter((e) => e.finding === finding).map((e) => e.key);
  const counts = { create: 0, update: 0, delete: 0, noop: 0, unknown: 0, skip: 0 } satisfies Record<
    Action,
    number
  >;
  for (const entry of entries) counts[entry.action] += 1;
  return {
    id: target.id,
    provider: target.provider,
    label: targetLabel(target),
    has_drift: entries.some(entryDrifts),
    missing: pick('missing'),
    extra: pick('extra'),
    conflicts: entries.filter((e) => e.finding === 'conflict' || e.finding === 'drifted').map((e) => e.key),
    unknown: pick('unknown'),
    invalid: entries.filter((e) => e.finding === 'invalid').map((e) => ({ key: e.key, reason: e.reason })),
    in_parity: pick('in-sync'),
    skipped: entries
      .filter((e) => e.action === 'skip' && e.finding !== 'invalid' && e.finding !== 'in-sync')
      .map((e) => ({ key: e.key, reason: e.reason })),
    counts,
  };
}

export function driftReport(plan: Plan): DriftReport {
  const targets = plan.targets.map(targetDrift);
  // Keyed by names from outside (keys, target ids): no prototype to write through.
  const lists = dict<string[]>();
  const conflicts = dict<Record<string, string>>();
  const sourceId = plan.source.id;
  const sourceKeys = new Set<string>();
  const driftedSourceKeys = new Set<string>();
  const unknownSourceKeys = new Set<string>();
  let extra = 0;

  for (const [index, targetPlan] of plan.targets.entries()) {
    const drift = targets[index];
    if (!drift) continue;
    lists[`missing_in_${drift.id}`] = [...drift.missing];
    lists[`extra_in_${drift.id}`] = [...drift.extra];
    lists[`unknown_in_${drift.id}`] = [...drift.unknown];
    for (const entry of targetPlan.entries) {
      if (entry.sourceKey !== undefined) {
        sourceKeys.add(entry.sourceKey);
        if (entryDrifts(entry)) driftedSourceKeys.add(entry.sourceKey);
        else if (entry.finding === 'unknown') unknownSourceKeys.add(entry.sourceKey);
      } else if (entry.finding === 'extra') extra += 1;
      if (entry.finding !== 'conflict' && entry.finding !== 'drifted') continue;
      const name = entry.sourceKey ?? entry.key;
      let row = conflicts[name];
      if (row === undefined) {
        row = dict<string>();
        row[sourceId] = entry.sourceFingerprint ?? 'write-only';
        conflicts[name] = row;
      }
      row[drift.id] =
        entry.finding === 'drifted' ? 'changed outside EnvSync' : (entry.targetFingerprint ?? 'write-only');
    }
  }

  return {
    verified_at: plan.createdAt,
    has_drift: targets.some((t) => t.has_drift),
    source: sourceId,
    ...lists,
    conflicts,
    summary: summaryOf(sourceKeys.size, driftedSourceKeys, unknownSourceKeys, extra, targets.length),
    targets,
  };
}

function summaryOf(
  total: number,
  drifted: ReadonlySet<string>,
  unknown: ReadonlySet<string>,
  extra: number,
  targets: number,
): ParitySummary {
  let unknownOnly = 0;
  for (const key of unknown) if (!drifted.has(key)) unknownOnly += 1;
  const inParity = total - drifted.size - unknownOnly;
  return {
    total_keys: total,
    synced: inParity,
    in_parity: inParity,
    drifted: drifted.size,
    unknown: unknownOnly,
    extra,
    targets,
  };
}
