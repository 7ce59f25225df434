/**
 * Syncs that outlive a request: `POST /api/sync` checks the plan is still current and queues a
 * journal; the background function runs it. The journal records the pre-sync snapshots, every
 * write as it completes and whether the audit entry was written, so a crash or a retry resumes
 * where it stopped, without writing, publishing or auditing anything twice.
 */
import { randomBytes } from 'node:crypto';
import { isWrite } from '../core/apply.ts';
import type { Plan, TargetPlan } from '../core/model.ts';
import { reviseEntry } from '../core/plan.ts';
import { environmentsOf } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import type { Journal, PlannedEntry, RunSpec, StoredPlan } from '../store/journals.ts';
import { doneKey, plannedEntries } from '../store/journals.ts';
import { checkDrift } from './drift.ts';
import { executeSync } from './execute.ts';
import type { ExecutedSync, SyncJournal } from './execute.ts';
import type { Records } from './records.ts';
import { planRollback } from './rollback.ts';
import { planRun } from './run.ts';
import type { PlannedRun, RunRequest, SyncContext } from './run.ts';

type Ctx = SyncContext & { readonly records: Records };

export function specRequest(
  project: Project,
  spec: RunSpec,
  extra: Partial<RunRequest['policy']> = {},
): RunRequest {
  return {
    // Named, the environment's own project; otherwise the one the targets belong to (run.ts).
    project:
      spec.env !== undefined && project.environment !== spec.env
        ? (environmentsOf(project, spec.env)[0] ?? project)
        : project,
    from: spec.from,
    targets: spec.targets,
    policy: {
      ...(spec.include ? { include: spec.include } : {}),
      ...(spec.exclude ? { exclude: [...project.policy.exclude, ...spec.exclude] } : {}),
      ...(spec.deletions ? { deletions: spec.deletions } : {}),
      ...(spec.mode ? { mode: spec.mode } : {}),
      ...(spec.overwrite_unknown ? { overwriteUnknown: true } : {}),
      ...extra,
    },
  };
}

/** `target:key` of every entry whose action, fingerprints or `updated_at` moved since planning. */
export function staleKeys(planned: StoredPlan['targets'], fresh: Plan): string[] {
  const moved: string[] = [];
  const now = new Map(plannedEntries(fresh).map((t) => [t.id, new Map(t.entries.map((e) => [e.key, e]))]));
  for (const target of planned) {
    const current = now.get(target.id) ?? new Map<string, PlannedEntry>();
    const keys = new Set([...target.entries.map((e) => e.key), ...current.keys()]);
    const before = new Map(target.entries.map((e) => [e.key, e]));
    for (const key of keys) {
      const a = before.get(key);
      const b = current.get(key);
      const same =
        a &&
        b &&
        a.action === b.action &&
        a.source_fingerprint === b.source_fingerprint &&
        a.target_fingerprint === b.target_fingerprint &&
        a.target_updated_at === b.target_updated_at;
      if (!same) moved.push(`${target.id}:${key}`);
    }
  }
  return moved.sort();
}

/** Plans the journal's run again from the current state and keeps only its writes not yet done. */
async function remaining(
  ctx: Ctx,
  project: Project,
  journal: Journal,
): Promise<{ planned: PlannedRun; changedAtSource: string[]; alreadyDone: string[] }> {
  // Write-only keys an earlier attempt wrote read back as unknown: planning with overwrite-unknown
  // gives them their value again, and the journal says whether they still need writing.
  const planned = journal.rollback
    ? await planRollback(ctx, project, journal.rollback.target, journal.rollback.snapshot_id)
    : await planRun(ctx, specRequest(project, journal.spec, { overwriteUnknown: true }));
  const wanted = new Map(
    journal.targets.flatMap((t) =>
      t.entries
        .filter((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete')
        .map((e) => [doneKey(t.id, e.key), e]),
    ),
  );
  const changedAtSource: string[] = [];
  const alreadyDone: string[] = [];
  const targets: TargetPlan[] = planned.plan.targets.map((tp) => ({
    target: tp.target,
    entries: tp.entries.flatMap((e) => {
      const k = doneKey(tp.target.id, e.key);
      const want = wanted.get(k);
      if (!want) return [];
      // Done writes stay in the run (as planned, not made again) so its commit events, snapshots
      // and audit entry cover the whole sync.
      if (k in journal.done) return [reviseEntry(e, { action: want.action })];
      if (!isWrite(e)) {
        // Nothing left to do: applied by an attempt that died before recording it. (An in-sync
        // entry carries no source fingerprint to compare: the target already holds the source.)
        alreadyDone.push(k);
        return [reviseEntry(e, { action: want.action })];
      }
      if (want.action !== 'delete' && want.source_fingerprint !== e.sourceFingerprint) {
        changedAtSource.push(`${tp.target.id}:${e.key}`);
        return [];
      }
      return [e];
    }),
  }));
  return { planned: { ...planned, plan: { ...planned.plan, targets } }, changedAtSource, alreadyDone };
}

/** How long a run's claim on a journal lasts without a write; every journal write renews it. */
export const JOURNAL_LEASE_MS = 5 * 60_000;

/**
 * Runs a journal once, whoever asks how often: the run claims it with compare-and-set (a queued
 * journal, or one whose runner's lease expired), renews its lease with every journal write, and
 * stops if another run took it over. A second delivery of the same hand-off finds it claimed and
 * returns it as it is.
 */
export async function runJournal(ctx: Ctx, project: Project, journalId: string): Promise<Journal> {
  return (await runJournalWith(ctx, project, journalId)).journal;
}

export interface JournalRun {
  readonly journal: Journal;
  /** The run's outcome; absent when this call did not run it (done, failed, or running elsewhere). */
  readonly result?: ExecutedSync;
}

/**
 * `runJournal` for callers that stay to watch (the CLI): `stop` interrupts it resumably, and
 * `planned`, the plan just confirmed, spares a first attempt from reading everything again.
 */
export async function runJournalWith(
  ctx: Ctx,
  project: Project,
  journalId: string,
  options: {
    readonly stop?: AbortSignal;
    readonly planned?: PlannedRun;
    /** Claim it even under a live lease: its runner is known to be gone (a killed process). */
    readonly takeOver?: boolean;
    /** See `ExecuteOptions.announceInterruption`. @default true */
    readonly announceInterruption?: boolean;
    /** Called as each write is recorded: writes done (earlier attempts' included) of planned. */
    readonly onWrite?: (done: number, total: number) => void;
  } = {},
): Promise<JournalRun> {
  const { journals } = ctx.records;
  const leaseId = randomBytes(8).toString('hex');
  const claim = await journals.claim(journalId, leaseId, JOURNAL_LEASE_MS, ctx.now(), {
    takeOver: options.takeOver === true,
  });
  if (!claim) {
    const found = await journals.get(journalId);
    if (!found) throw new Error(`no journal ${journalId}`);
    return { journal: found }; // done, failed, or running elsewhere
  }
  let journal: Journal = claim.journal;
  let etag = claim.etag;

  // Outcomes arrive concurrently: journal writes are chained so none is lost; each renews the lease.
  let saving: Promise<void> = Promise.resolve();
  const update = (change: (j: Journal) => Journal): Promise<void> => {
    saving = saving.then(async () => {
      const at = ctx.now();
      journal = {
        ...change(journal),
        updated_at: at.toISOString(),
        lease: { id: leaseId, expires_at: new Date(at.getTime() + JOURNAL_LEASE_MS).toISOString() },
      };
      etag = await journals.putHeld(journal, etag);
    });
    return saving;
  };
  const plannedWrites = journal.targets.reduce(
    (n, t) => n + t.entries.filter((e) => ['create', 'update', 'delete'].includes(e.action)).length,
    0,
  );
  const hooks: SyncJournal = {
    resumed: journal.attempts > 1,
    before: (target) => journal.before[target],
    recordBefore: (target, id) => update((j) => ({ ...j, before: { ...j.before, [target]: id } })),
    wasDone: (target, key) => {
      const was = journal.done[doneKey(target, key)];
      return was && { ...(was.updated_at ? { updatedAt: was.updated_at } : {}) };
    },
    done: async (target, outcome) => {
      await update((j) => ({
        ...j,
        done: {
          ...j.done,
          [doneKey(target, outcome.key)]:
            outcome.ok && outcome.updatedAt ? { updated_at: outcome.updatedAt } : {},
        },
      }));
      options.onWrite?.(Object.keys(journal.done).length, plannedWrites);
    },
    get audited() {
      return journal.audited;
    },
    markAudited: () => update((j) => ({ ...j, audited: true })),
  };

  let result: ExecutedSync | undefined;
  const progressAtStart = Object.keys(journal.done).length + Object.keys(journal.before).length;
  try {
    const { planned, changedAtSource, alreadyDone } =
      options.planned && journal.attempts === 1
        ? { planned: options.planned, changedAtSource: [], alreadyDone: [] }
        : await remaining(ctx, project, journal);
    if (changedAtSource.length > 0) {
      await update((j) => ({
        ...j,
        status: 'failed',
        error: `the source changed since the plan for ${changedAtSource.join(', ')}; plan again`,
      }));
      await saving;
      return { journal };
    }
    if (alreadyDone.length > 0)
      await update((j) => ({
        ...j,
        done: { ...j.done, ...Object.fromEntries(alreadyDone.map((k) => [k, {}])) },
      }));
    const executed = await executeSync(ctx, planned, {
      dryRun: false,
      actor: journal.actor,
      action: journal.action,
      correlationId: journal.id,
      journal: hooks,
      ...(options.stop ? { stop: options.stop } : {}),
      ...(options.announceInterruption === false ? { announceInterruption: false } : {}),
    });
    result = executed;
    // A rollback's plan compares the target with a snapshot; the check the page shows compares it
    // with the source, so it is read again once the rollback wrote something.
    const rolledBack = executed.targets.some((t) => t.applied.length > 0);
    if (journal.action === 'rollback' && journal.rollback && rolledBack && !executed.interrupted)
      await checkDrift(
        ctx,
        { project, targets: [journal.rollback.target] },
        { trigger: 'sync', actor: journal.actor, correlationId: journal.id, audit: false, events: false },
      ).catch((error: unknown) => {
        // The rollback is done and audited; a check that failed leaves the tiles as they were.
        console.error(`[envsync] the check after rollback ${journal.id} failed: ${(error as Error).name}`);
      });
    const applied = Object.keys(journal.done).length;
    const failed = executed.targets.reduce((n, t) => n + t.failed.length, 0);
    const progressed =
      Object.keys(journal.done).length + Object.keys(journal.before).length > progressAtStart;
    await update((j) => ({
      ...j,
      status: executed.interrupted ? 'interrupted' : failed === 0 ? 'done' : 'failed',
      // An invocation that waited for a provider's budget window to reset is neither progress nor
      // a stall: the window resets at a time the provider announced.
      stalled:
        !executed.interrupted || progressed ? 0 : (j.stalled ?? 0) + (executed.waitingForBudget ? 0 : 1),
      result: {
        ok: executed.ok,
        applied,
        failed,
        snapshots: { ...j.result?.snapshots, ...executed.snapshots },
      },
    }));
  } catch (error) {
    await update((j) => ({ ...j, status: 'failed', error: (error as Error).name }));
    throw error;
  } finally {
    await ctx.settle?.();
  }
  await saving;
  return { journal, ...(result ? { result } : {}) };
}

/** A journal for a run planned now, queued for the background function. */
export function newJournal(
  id: string,
  plan: Plan,
  options: {
    action: Journal['action'];
    actor: string;
    spec: RunSpec;
    planId?: string;
    rollback?: Journal['rollback'];
    now: Date;
  },
): Journal {
  return {
    id,
    action: options.action,
    actor: options.actor,
    status: 'queued',
    created_at: options.now.toISOString(),
    updated_at: options.now.toISOString(),
    spec: options.spec,
    ...(options.planId ? { plan_id: options.planId } : {}),
    ...(options.rollback ? { rollback: options.rollback } : {}),
    targets: plannedEntries(plan),
    done: {},
    before: {},
    audited: false,
    attempts: 0,
  };
}
