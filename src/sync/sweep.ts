/**
 * The hourly sweep at organisation scale: the scheduled function plans it (targets expanded,
 * batches, whether its reads fit the hour) and returns; background invocations check the batches,
 * one recorded check per target, each invocation within its deadline, handing on what is left.
 * Reads are paced by the adapters' shared budgets (store/pacing.ts), so concurrent batches of one
 * token never exceed what the provider allows.
 */
import { randomUUID } from 'node:crypto';
import { environmentOfTarget, environmentsOf } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import type { ProviderId } from '../core/model.ts';
import type { BatchState, SweepRecord } from '../store/sweeps.ts';
import { newSweepId } from '../store/sweeps.ts';
import { discoveredRecord, expandPatterns } from './discover.ts';
import { checkDrift } from './drift.ts';
import type { Records } from './records.ts';
import type { SyncContext } from './run.ts';

/** Targets one background invocation checks (at 2 reads each, well inside its deadline). */
export const SWEEP_BATCH = 25;
/** Targets of a batch checked at once. */
const SWEEP_PARALLEL = 5;
/** From this many targets on, the scheduled function sweeps in batches instead of checking inline. */
export const SWEEP_FROM = 20;

/**
 * The cost model: requests to read one target's variables (a listing of up to 100 keys, and for
 * GitHub the secrets' and variables' listings of a repository), and what each provider allows in an
 * hour for one token (GitHub's 5,000 an hour; Render's 400 reads and Netlify's 500 requests a minute).
 */
const READS_PER_TARGET: Readonly<Record<ProviderId, number>> = {
  github: 2,
  render: 1,
  netlify: 1,
  dotenv: 0,
};
const READS_PER_HOUR: Readonly<Record<ProviderId, number>> = {
  github: 5_000,
  render: 400 * 60,
  netlify: 500 * 60,
  dotenv: Number.POSITIVE_INFINITY,
};

/** Plans a sweep of every target of the project and records it (with an event when it cannot fit the hour). */
export async function planSweep(
  ctx: SyncContext & { readonly records: Records },
  project: Project,
  options: {
    readonly batchSize?: number;
    /** What each provider allows in an hour, where it is not the documented figure (a test's). */
    readonly readsPerHour?: Partial<Record<ProviderId, number>>;
  } = {},
): Promise<SweepRecord> {
  // Targets declared by pattern are matched against the organisation's repositories now, once.
  project = await expandPatterns(ctx, project);
  const found = discoveredRecord(project);
  const perHour = (p: ProviderId) => options.readsPerHour?.[p] ?? READS_PER_HOUR[p];
  const size = Math.max(1, options.batchSize ?? SWEEP_BATCH);
  // Each environment's source is read, not checked.
  const sources = new Set(environmentsOf(project).map((p) => p.sourceId));
  const targets = [...project.targets.values()].filter((t) => !sources.has(t.id));
  const estimated = new Map<ProviderId, number>();
  const add = (p: ProviderId, n: number) => estimated.set(p, (estimated.get(p) ?? 0) + n);
  for (const t of targets) {
    add(t.provider, READS_PER_TARGET[t.provider]);
    // Its environment's source is read once per target's check when it is a provider.
    const home = environmentOfTarget(project, t.id);
    const source = home.targets.get(home.sourceId);
    if (source) add(source.provider, 1);
  }
  const over = [...estimated].filter(([p, n]) => n > perHour(p));
  const ids = targets.map((t) => t.id);
  const record: SweepRecord = {
    id: newSweepId(ctx.now()),
    started_at: ctx.now().toISOString(),
    targets: ids,
    batches: Array.from({ length: Math.ceil(ids.length / size) }, (_, i) =>
      ids.slice(i * size, (i + 1) * size),
    ),
    reads: {
      estimated: Object.fromEntries(estimated),
      // A local file has no budget (Infinity would be stored as null).
      budget: Object.fromEntries(
        [...estimated.keys()].filter((p) => Number.isFinite(perHour(p))).map((p) => [p, perHour(p)]),
      ),
    },
    fits: over.length === 0,
    ...(found ? { found } : {}),
    ...(over.length > 0
      ? {
          note:
            `the sweep needs more reads than an hour allows (${over.map(([p, n]) => `${p}: ${n} of ${perHour(p)}`).join('; ')}): ` +
            'every target is still checked, paced past the hour; split the manifest or use more tokens',
        }
      : {}),
  };
  await ctx.records.sweeps.create(record);
  if (!record.fits)
    await ctx.records.events.publish('envsync.sweep', record.id, {
      sweep_id: record.id,
      fits: false,
      targets: ids.length,
      reads: record.reads,
      note: record.note,
    });
  return record;
}

/** How long a batch's claim lasts without being renewed: beyond a background invocation's life. */
const BATCH_LEASE_MS = 16 * 60_000;

export interface BatchOutcome {
  /** Targets of the batch not checked yet (the next invocation's). */
  readonly remaining: number;
  /** Invocations in a row that checked nothing. */
  readonly stalled: number;
  /** False when the batch was done, held by a live invocation, or missing. */
  readonly claimed: boolean;
}

/**
 * Checks one batch of a sweep: claims it, checks each target not checked yet (one recorded check
 * each), saves its state after every target, and stops admitting targets when `stop` fires.
 */
export async function runSweepBatch(
  ctx: SyncContext & { readonly records: Records },
  project: Project,
  sweepId: string,
  batch: number,
  options: { readonly stop?: AbortSignal } = {},
): Promise<BatchOutcome> {
  const record = await ctx.records.sweeps.record(sweepId);
  const targets = record?.batches[batch];
  if (!targets) return { remaining: 0, stalled: 0, claimed: false };
  // The targets the sweep planned: its patterns as they were matched then, not as they match now.
  if (record.found) project = await expandPatterns(ctx, project, new Map(Object.entries(record.found)));
  const claim = await ctx.records.sweeps.claim(sweepId, batch, randomUUID(), BATCH_LEASE_MS, ctx.now());
  if (!claim) return { remaining: 0, stalled: 0, claimed: false };
  let { state, etag } = claim;
  const save = async (next: BatchState) => {
    etag = await ctx.records.sweeps.put(sweepId, batch, next, etag);
    state = next;
  };
  const left = () =>
    targets.filter((t) => !Object.hasOwn(state.checked, t) && !Object.hasOwn(state.failed, t));
  const before = left().length;
  // A few targets at a time: their records' shared counts and digests go in one write per blob.
  const pending = left();
  for (let i = 0; i < pending.length && !options.stop?.aborted; i += SWEEP_PARALLEL) {
    const results = await Promise.all(
      pending.slice(i, i + SWEEP_PARALLEL).map(async (id) => {
        if (!project.targets.has(id)) return { id, failed: 'no longer in the manifest' };
        try {
          const check = await checkDrift(
            ctx,
            { project, targets: [id] },
            { trigger: 'schedule', actor: 'scheduler', correlationId: sweepId, audit: false },
          );
          return {
            id,
            check: { check_id: check.record.id, has_drift: check.record.targets.some((t) => t.has_drift) },
          };
        } catch (error) {
          // Stopped mid-check: the target stays for the next invocation; anything else is recorded.
          return options.stop?.aborted ? { id } : { id, failed: (error as Error).name };
        }
      }),
    );
    const checked = { ...state.checked };
    const failed = { ...state.failed };
    for (const r of results) {
      if (r.check) checked[r.id] = r.check;
      else if (r.failed) failed[r.id] = r.failed;
    }
    await save({ ...state, checked, failed });
  }
  const remaining = left().length;
  const stalled = remaining > 0 && remaining === before ? state.stalled + 1 : 0;
  // One audit entry per batch and invocation (not one per target: 300 targets an hour would bury
  // the trail), with what it checked, what drifted and what failed.
  const drifted = Object.entries(state.checked).filter(([, c]) => c.has_drift);
  const failures = Object.keys(state.failed);
  await ctx.records.audit.append({
    action: 'drift-check',
    actor: 'scheduler',
    correlation_id: sweepId,
    source: project.sourceId,
    targets: [...targets],
    counts: {
      checked: Object.keys(state.checked).length,
      drifted: drifted.length,
      failed: failures.length,
      remaining,
    },
    outcome:
      failures.length > 0 ? 'partial' : drifted.length > 0 ? 'drift' : remaining > 0 ? 'interrupted' : 'ok',
    ...(failures.length > 0 ? { error: Object.values(state.failed)[0] } : {}),
    detail: { sweep_id: sweepId, batch, drifted: drifted.map(([id]) => id) },
  });
  const { lease: _released, ...rest } = state;
  await save({ ...rest, status: remaining === 0 ? 'done' : 'queued', stalled });
  return { remaining, stalled, claimed: true };
}
