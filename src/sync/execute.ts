/**
 * A sync with everything that makes it trustworthy around the writes: target locks, the pre-sync
 * snapshot (written before the first write), the `envsync.init`/`envsync.commit` events, the
 * post-sync snapshot, and one audit entry. Used by `genesisctl env sync|heal|rollback` and the
 * background sync function alike.
 */
import { randomUUID } from 'node:crypto';
import { applyToMap, isWrite } from '../core/apply.ts';
import type { Plan, PlanEntry, Target, TargetPlan } from '../core/model.ts';
import { reviseEntry } from '../core/plan.ts';
import { driftReport } from '../core/report.ts';
import type { Secret } from '../core/secret.ts';
import { adapterFor } from '../providers/adapter.ts';
import type { WriteOutcome } from '../providers/adapter.ts';
import { budgetWaitCut } from '../providers/stop.ts';
import type { AuditAction, AuditOutcome } from '../store/audit.ts';
import { failureOf, publishSyncFailed } from './notify.ts';
import type { Records } from './records.ts';
import { applyPlan } from './run.ts';
import type { PlannedRun, SyncContext, SyncResult, TargetOutcome } from './run.ts';

export interface ExecuteOptions {
  readonly dryRun: boolean;
  /** Token name, role or `cli:<user>`: recorded in the audit entry and events. */
  readonly actor: string;
  readonly action: Extract<AuditAction, 'sync' | 'heal' | 'rollback'>;
  /** Ties events, audit entries and snapshots of one run together. @default a new UUID */
  readonly correlationId?: string;
  /** How long a target lock lasts if its holder dies. @default 15 minutes */
  readonly lockTtlMs?: number;
  /** Makes the run resumable: what it did is recorded as it goes, and not done twice. */
  readonly journal?: SyncJournal;
  /**
   * Aborted (Ctrl-C, SIGTERM, a deadline): no further write starts, those in flight finish, the
   * locks are released and an `interrupted` audit entry says what was written; the journal resumes.
   */
  readonly stop?: AbortSignal;
  /**
   * An interruption publishes `envsync.sync_failed` (and so notifies) unless the caller hands the
   * run on by itself (the background function, until it gives up). @default true
   */
  readonly announceInterruption?: boolean;
}

/**
 * The memory of a run that may be interrupted and resumed (the background sync). The lock holder
 * is the correlation id, so a resumed run takes its own locks back.
 */
export interface SyncJournal {
  /** Whether an earlier attempt ran (and may have saved snapshots it did not get to record). */
  readonly resumed: boolean;
  /** The pre-sync snapshot already taken for a target by an earlier attempt. */
  before(target: string): string | undefined;
  recordBefore(target: string, snapshotId: string): Promise<void>;
  /** A key's write finished: recorded before the next one is counted as done. */
  done(target: string, outcome: WriteOutcome): Promise<void>;
  /** Whether an earlier attempt made this write (then it is not made again). */
  wasDone(target: string, key: string): { readonly updatedAt?: string } | undefined;
  readonly audited: boolean;
  markAudited(): Promise<void>;
}

export interface ExecutedSync extends SyncResult {
  readonly correlationId: string;
  /** Stopped before every write was made (see `ExecuteOptions.stop`): resumable from its journal. */
  readonly interrupted?: boolean;
  /**
   * Interrupted while a write waited for a provider's budget window to reset: the run made no
   * progress because it may not yet, not because the provider is too slow.
   */
  readonly waitingForBudget?: boolean;
  /** What providers did after changes (a Render deploy), or the error class when that failed. */
  readonly followUps: Readonly<Record<string, string>>;
  /** Snapshot ids by target: `before` (the rollback point) and `after`. */
  readonly snapshots: Readonly<Record<string, { readonly before?: string; readonly after?: string }>>;
}

const writesOf = (tp: TargetPlan) => tp.entries.filter(isWrite);

/** Who holds a sync's target locks: the API takes them when it queues, the run keeps them. */
export function lockHolder(actor: string, correlationId: string): string {
  return `${actor} (${correlationId})`;
}

export async function executeSync(
  ctx: SyncContext & { readonly records: Records },
  planned: PlannedRun,
  options: ExecuteOptions,
): Promise<ExecutedSync> {
  const { records } = ctx;
  const correlationId = options.correlationId ?? randomUUID();
  const { plan } = planned;
  const source = plan.source.id;
  const targetIds = plan.targets.map((tp) => tp.target.id);
  // The manifest environment the run belongs to, on its audit entries and events.
  const environment = planned.environment !== undefined ? { environment: planned.environment } : {};
  const audit = (
    outcome: AuditOutcome,
    extra: {
      counts?: Record<string, number>;
      keys?: Record<string, string | null>;
      error?: string;
      detail?: Record<string, unknown>;
    } = {},
  ) =>
    records.audit.append({
      action: options.action,
      actor: options.actor,
      correlation_id: correlationId,
      source,
      targets: targetIds,
      outcome,
      ...extra,
      ...(planned.environment !== undefined ? { detail: { ...extra.detail, ...environment } } : {}),
    });

  if (options.dryRun) {
    const result = await applyPlan(ctx, planned, { dryRun: true });
    await audit('dry-run', { counts: countPlanned(plan.targets), keys: plannedKeys(plan.targets) });
    return { ...result, correlationId, snapshots: {}, followUps: {} };
  }

  const changing = plan.targets.filter((tp) => writesOf(tp).length > 0);
  // No write without a rollback point: a missing snapshot key stops the sync before anything.
  if (changing.length > 0) records.snapshots.assertWritable();
  const journal = options.journal;
  const holder = lockHolder(options.actor, correlationId);
  try {
    await records.locks.acquire(
      changing.map((tp) => tp.target.id),
      holder,
      options.lockTtlMs ?? 15 * 60_000,
    );
  } catch (error) {
    await audit('refused', { error: (error as Error).name });
    throw error;
  }
  // The locks are a lease: renewed while the run writes. Lost (released by hand, or taken after
  // expiring), the run stops admitting writes and ends interrupted, resumable from its journal.
  const ttlMs = options.lockTtlMs ?? 15 * 60_000;
  const lockLost = new AbortController();
  const renewal = setInterval(
    () => {
      void records.locks
        .renew(
          changing.map((tp) => tp.target.id),
          holder,
          ttlMs,
        )
        .then(
          (held) => {
            if (!held) lockLost.abort();
          },
          () => undefined, // a failed renewal is retried at the next tick
        );
    },
    Math.max(50, Math.min(ttlMs / 3, 60_000)),
  );
  renewal.unref();
  const stop = options.stop ? AbortSignal.any([options.stop, lockLost.signal]) : lockLost.signal;
  try {
    await records.events.publish(
      'envsync.init',
      correlationId,
      {
        action: options.action,
        actor: options.actor,
        source,
        targets: targetIds,
        planned: countPlanned(plan.targets),
      },
      `${correlationId}:init`,
      environment,
    );
    // The rollback point of every changing target exists before the first write to any of them.
    const before = new Map<string, string>();
    for (const tp of changing) {
      // A resumed run reuses the rollback point its last attempt saved, even one it was killed
      // before recording in the journal.
      const taken =
        journal &&
        (journal.before(tp.target.id) ??
          (journal.resumed
            ? await records.snapshots.findOfRun(tp.target.id, correlationId, 'before')
            : undefined));
      if (taken) {
        before.set(tp.target.id, taken);
        if (!journal.before(tp.target.id)) await journal.recordBefore(tp.target.id, taken);
        continue;
      }
      const snap = await records.snapshots.save({
        target: tp.target,
        source,
        correlationId,
        phase: 'before',
        state: planned.currents.get(tp.target.id) ?? new Map(),
      });
      before.set(tp.target.id, snap.id);
      await journal?.recordBefore(tp.target.id, snap.id);
    }

    const progress =
      journal &&
      ((target: Target, outcome: WriteOutcome) =>
        outcome.ok ? journal.done(target.id, outcome) : Promise.resolve());
    const alreadyDone = journal && ((target: Target, key: string) => journal.wasDone(target.id, key));
    const result = await applyPlan(ctx, planned, {
      dryRun: false,
      progress,
      alreadyDone,
      signal: stop,
    });
    const notWritten = result.targets.flatMap((t) =>
      t.failed.filter((f) => f.error === 'InterruptedError').map((f) => `${t.target}:${f.key}`),
    );
    if (stop.aborted && notWritten.length > 0) {
      // What was written is recorded; deploys, after-snapshots and commit events wait for the resume.
      const written = result.targets.flatMap((t) => t.applied.map((a) => `${t.target}:${a.key}`));
      await audit('interrupted', {
        counts: { ...countPlanned(plan.targets), applied: written.length, not_written: notWritten.length },
        keys: Object.fromEntries(written.map((k) => [k, null])),
        detail: {
          not_written: notWritten.slice(0, 200),
          reason: lockLost.signal.aborted ? 'the target lock was lost' : 'asked to stop',
        },
      });
      if (options.announceInterruption !== false)
        await publishSyncFailed(
          records.events,
          failureOf(
            { ...result, correlationId },
            options,
            'interrupted',
            lockLost.signal.aborted ? 'the target lock was lost' : 'asked to stop',
          ),
        );
      const snapshots = Object.fromEntries([...before].map(([t, id]) => [t, { before: id }]));
      return {
        ...result,
        correlationId,
        snapshots,
        followUps: {},
        interrupted: true,
        ...(budgetWaitCut(stop) ? { waitingForBudget: true } : {}),
      };
    }

    const followUps: Record<string, string> = {};
    for (const t of result.targets) {
      const tp = changing.find((c) => c.target.id === t.target);
      const adapter = tp && adapterFor(ctx.adapters, tp.target);
      if (!tp || !adapter?.afterChanges || t.applied.length === 0) continue;
      try {
        const did = await adapter.afterChanges(tp.target, t.applied.length);
        if (did) followUps[t.target] = did;
      } catch (error) {
        followUps[t.target] = `failed: ${(error as Error).name}`;
      }
    }

    const snapshots: Record<string, { before?: string; after?: string }> = {};
    for (const tp of changing) {
      const outcome = result.targets.find((t) => t.target === tp.target.id);
      // After every write: one an earlier attempt saved already holds this state.
      const after =
        (journal?.resumed && (await records.snapshots.findOfRun(tp.target.id, correlationId, 'after'))) ||
        (await afterSnapshot(ctx, planned, tp, outcome, correlationId));
      snapshots[tp.target.id] = { before: before.get(tp.target.id), after };
      await records.events.publish(
        'envsync.commit',
        correlationId,
        {
          ...commitPayload(tp, outcome, snapshots[tp.target.id] ?? {}),
          ...(followUps[tp.target.id] ? { follow_up: followUps[tp.target.id] } : {}),
        },
        `${correlationId}:commit:${tp.target.id}`,
        environment,
      );
    }
    const failed = result.targets.some((t) => t.failed.length > 0);
    const applied = result.targets.reduce((n, t) => n + t.applied.length, 0);
    if (journal?.audited) {
      // Resumed after its audit entry: the check after it may not have been recorded.
      await recordCheckAfter(ctx, plan, result, correlationId);
      return { ...result, correlationId, snapshots, followUps };
    }
    const outcome: AuditOutcome = result.ok ? 'ok' : failed && applied === 0 ? 'failed' : 'partial';
    await audit(outcome, {
      counts: {
        ...countPlanned(plan.targets),
        applied,
        failed: result.targets.reduce((n, t) => n + t.failed.length, 0),
      },
      keys: plannedKeys(plan.targets),
      error: result.targets.flatMap((t) => t.failed.map((f) => f.error))[0],
      detail: { snapshots, ...(Object.keys(followUps).length > 0 ? { follow_ups: followUps } : {}) },
    });
    if (outcome === 'failed')
      await publishSyncFailed(records.events, failureOf({ ...result, correlationId }, options, 'failed'));
    await journal?.markAudited();
    await recordCheckAfter(ctx, plan, result, correlationId);
    return { ...result, correlationId, snapshots, followUps };
  } finally {
    clearInterval(renewal);
    await records.locks.release(
      changing.map((tp) => tp.target.id),
      holder,
    );
  }
}

/**
 * A parity check of the targets the run touched, recorded as it ends (trigger `sync`), so the page's
 * tiles, chart and audit trail never disagree. Derived from the plan and the writes that succeeded
 * (no extra API call): an applied key is now in parity, a deleted one gone, the rest as planned.
 */
async function recordCheckAfter(
  ctx: SyncContext & { readonly records: Records },
  plan: Plan,
  result: SyncResult,
  correlationId: string,
): Promise<void> {
  // A rollback's source is a snapshot: parity against it is not the parity the page shows.
  if (plan.source.kind === 'snapshot') return;
  const touched = plan.targets.filter((tp) => writesOf(tp).length > 0);
  if (touched.length === 0) return;
  const targets = touched.map((tp) => {
    const outcome = result.targets.find((t) => t.target === tp.target.id);
    const applied = new Map((outcome?.applied ?? []).map((a) => [a.key, a.action]));
    return {
      target: tp.target,
      entries: tp.entries.flatMap((e) => {
        const done = applied.get(e.key);
        if (done === 'delete') return [];
        if (done === undefined) return [e];
        return [
          reviseEntry(e, {
            action: 'noop',
            finding: 'in-sync',
            reason: 'written by this sync',
            value: undefined,
          }),
        ];
      }),
    };
  });
  await ctx.records.history.record({
    report: driftReport({ ...plan, targets }),
    trigger: 'sync',
    correlationId,
    durationMs: 0,
    at: ctx.now(),
  });
}

/**
 * The state after the sync, derived from the state before and the writes that succeeded (no
 * extra API call); write-only values EnvSync just wrote are kept so a rollback can restore them.
 */
async function afterSnapshot(
  ctx: SyncContext & { readonly records: Records },
  planned: PlannedRun,
  tp: TargetPlan,
  outcome: TargetOutcome | undefined,
  correlationId: string,
): Promise<string> {
  const done = new Set(outcome?.applied.map((a) => a.key));
  const applied: TargetPlan = { target: tp.target, entries: tp.entries.filter((e) => done.has(e.key)) };
  const rules = adapterFor(ctx.adapters, tp.target).rules(tp.target);
  // Written keys become readable values here even on write-only targets: EnvSync knows what it wrote.
  const state = applyToMap(planned.currents.get(tp.target.id) ?? new Map(), applied, rules);
  const known = new Map<string, Secret>();
  for (const e of applied.entries) if (e.value) known.set(e.key, e.value);
  const snap = await ctx.records.snapshots.save({
    target: tp.target,
    source: planned.plan.source.id,
    correlationId,
    phase: 'after',
    state,
    known,
  });
  return snap.id;
}

function countPlanned(targets: readonly TargetPlan[]): Record<string, number> {
  const counts: Record<string, number> = { create: 0, update: 0, delete: 0, noop: 0, unknown: 0, skip: 0 };
  for (const tp of targets) for (const e of tp.entries) counts[e.action] = (counts[e.action] ?? 0) + 1;
  return counts;
}

/** Names of the keys a run touches, with the fingerprint of the value written (never the value). */
function plannedKeys(targets: readonly TargetPlan[]): Record<string, string | null> {
  const keys: Record<string, string | null> = {};
  for (const tp of targets)
    for (const e of tp.entries)
      if (isWrite(e) || e.action === 'skip') keys[`${tp.target.id}:${e.key}`] = e.sourceFingerprint ?? null;
  return keys;
}

function commitPayload(
  tp: TargetPlan,
  outcome: TargetOutcome | undefined,
  snapshots: { before?: string; after?: string },
): Record<string, unknown> {
  const applied = new Map(outcome?.applied.map((a) => [a.key, a.action]));
  const names = (action: PlanEntry['action']) =>
    tp.entries.filter((e) => e.action === action && applied.has(e.key)).map((e) => e.key);
  return {
    target: tp.target.id,
    provider: tp.target.provider,
    created: names('create'),
    updated: names('update'),
    deleted: names('delete'),
    failed: outcome?.failed.map((f) => ({ key: f.key, error: f.error })) ?? [],
    skipped: outcome?.skipped.map((s) => s.key) ?? [],
    snapshot_before: snapshots.before,
    snapshot_after: snapshots.after,
  };
}
