/**
 * The scheduled drift check: audit every configured target, record it, publish `envsync.drift`
 * on drift and, with ENVSYNC_AUTOHEAL, queue a heal for the background sync rather than healing
 * inline — the scheduled function only reads, well inside its 30 s. From SWEEP_FROM targets on it
 * plans a sweep instead and hands its batches to background invocations (sync/sweep.ts).
 */
import { randomUUID } from 'node:crypto';
import { environmentsOf } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import { queueForApproval } from '../sync/approvals.ts';
import { newJournal } from '../sync/background.ts';
import { checkDrift } from '../sync/drift.ts';
import { SWEEP_FROM, planSweep } from '../sync/sweep.ts';
import { withDeadline } from '../providers/stop.ts';
import { deliverAfterResponse } from '../store/events.ts';
import { terminalText } from '../core/names.ts';
import { OUTBOX_PASS_MS, SYNC_DOOR_DEADLINE_MS } from './limits.ts';
import type { ApiDeps } from './deps.ts';

/** A sweep planned and handed to background invocations, one batch each. */
export interface SweepStarted {
  readonly sweepId: string;
  readonly targets: number;
  readonly batches: number;
  readonly fits: boolean;
}

/** Many targets: plans the sweep, hands each batch to the background function, answers at once. */
export async function startSweep(deps: ApiDeps): Promise<SweepStarted> {
  const sweep = await planSweep(deps.ctx, await deps.project());
  await Promise.all(sweep.batches.map((_, n) => deps.startSweepBatch(sweep.id, n)));
  return {
    sweepId: sweep.id,
    targets: sweep.targets.length,
    batches: sweep.batches.length,
    fits: sweep.fits,
  };
}

/** One environment's scheduled check (and, with ENVSYNC_AUTOHEAL, its heal queued). */
export interface ScheduledCheck {
  readonly environment?: string;
  /** Targets checked, and the ids of those that drifted (for the one-line log). */
  readonly targets: number;
  readonly drifted: readonly string[];
  readonly checkId: string;
  readonly hasDrift: boolean;
  readonly heal?: string;
  /** The plan of the heal, waiting for approval (the environment requires approvals). */
  readonly awaitingApproval?: string;
}

/** Every environment of the manifest is checked on its own: drift is per environment. */
export async function scheduledDriftCheck(
  deps: ApiDeps,
): Promise<ScheduledCheck & { readonly environments?: readonly ScheduledCheck[] }> {
  const checks: ScheduledCheck[] = [];
  for (const project of environmentsOf(await deps.project())) checks.push(await checkOne(deps, project));
  const [first] = checks;
  if (!first) throw new Error('no environment to check');
  if (checks.length === 1) return first;
  return {
    checkId: first.checkId,
    hasDrift: checks.some((c) => c.hasDrift),
    targets: checks.reduce((n, c) => n + c.targets, 0),
    drifted: checks.flatMap((c) => c.drifted),
    environments: checks,
  };
}

async function checkOne(deps: ApiDeps, project: Project): Promise<ScheduledCheck> {
  const check = await checkDrift(deps.ctx, { project }, { trigger: 'schedule', actor: 'scheduler' });
  const hasDrift = check.planned.report.has_drift;
  const targets = check.planned.report.targets;
  const env = {
    ...(project.environment !== undefined ? { environment: project.environment } : {}),
    targets: targets.length,
    drifted: targets.filter((t) => t.has_drift).map((t) => t.id),
  };
  if (!hasDrift || !deps.renderWebhook.autoheal) return { ...env, checkId: check.record.id, hasDrift };
  const spec = project.environment !== undefined ? { env: project.environment } : {};
  // Under approvals, the heal waits as a plan for an admiral to approve.
  const required = project.approvals?.required ?? 0;
  if (required > 0) {
    const plan = await queueForApproval(deps.ctx, check.planned, { actor: 'scheduler', spec, required });
    return { ...env, checkId: check.record.id, hasDrift, awaitingApproval: plan.id };
  }
  const journal = newJournal(randomUUID(), check.planned.plan, {
    action: 'heal',
    actor: 'scheduler',
    spec,
    now: deps.now(),
  });
  await deps.records.journals.create(journal);
  await deps.startBackground(journal.id);
  return { ...env, checkId: check.record.id, hasDrift, heal: journal.id };
}

/** What the scheduled door answers: the check, or that the providers did not answer in time. */
export type ScheduledOutcome =
  | Awaited<ReturnType<typeof scheduledDriftCheck>>
  | SweepStarted
  | { readonly timeout: true; readonly auditSeq: number };

/**
 * The scheduled door's work, ended before Netlify's 30 s: provider calls stop at the deadline and
 * a slow provider gives a recorded `timeout` (an audit entry), never a function killed with
 * nothing recorded. Its drift event is delivered after the answer.
 */
export async function runScheduledCheck(
  deps: ApiDeps,
  context?: { readonly waitUntil?: (work: Promise<unknown>) => void },
  deadlineMs = SYNC_DOOR_DEADLINE_MS,
): Promise<ScheduledOutcome> {
  try {
    const waitUntil = context?.waitUntil?.bind(context);
    const outcome = await deliverAfterResponse(waitUntil, () =>
      withDeadline(Date.now() + deadlineMs, async () =>
        (await deps.project()).targets.size >= SWEEP_FROM ? startSweep(deps) : scheduledDriftCheck(deps),
      ),
    );
    // The outbox: events a subscriber has not acknowledged yet get another round, after the answer.
    const retry = deps.records.events.retryPending(OUTBOX_PASS_MS).catch(() => 0);
    if (waitUntil) waitUntil(retry);
    else await retry;
    return outcome;
  } catch (error) {
    if ((error as Error).name !== 'DeadlineError') throw error;
    const project = await deps.project();
    const entry = await deps.records.audit.append({
      action: 'drift-check',
      actor: 'scheduler',
      correlation_id: randomUUID(),
      source: project.sourceId,
      targets: [...project.targets.keys()],
      outcome: 'timeout',
      error: 'DeadlineError',
    });
    return { timeout: true, auditSeq: entry.seq };
  }
}

/**
 * One line saying what a scheduled run did, for the function's log: netlify-cli shows no body for
 * a scheduled function (`functions:invoke` prints nothing), so this is what a person sees. Target
 * ids and counts only, never a key or a value.
 */
export function scheduledSummary(outcome: ScheduledOutcome): string {
  if ('timeout' in outcome)
    return `envsync drift-check: the providers did not answer in time; recorded as audit entry ${outcome.auditSeq}`;
  if ('sweepId' in outcome)
    return `envsync drift-check: sweep ${outcome.sweepId} of ${outcome.targets} targets in ${outcome.batches} background batches${outcome.fits ? '' : " (more reads than the providers' hourly budgets allow)"}`;
  const drift = outcome.hasDrift
    ? `drift on ${outcome.drifted.length} (${outcome.drifted.map((id) => terminalText(id)).join(', ')})`
    : 'all in parity';
  const heal = outcome.heal ? `; heal ${outcome.heal} queued for the background sync` : '';
  return `envsync drift-check: ${outcome.targets} target${outcome.targets === 1 ? '' : 's'} checked, ${drift}; check ${outcome.checkId}${heal}`;
}
