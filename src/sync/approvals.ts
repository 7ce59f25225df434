/**
 * Approvals: under `approvals: { required: N }` (per environment), a plan is applied only once N
 * admirals other than its author approved it, and only while the targets and the source are as
 * planned. Approving, applying and every refusal are audited; approvals are signed (store/journals.ts)
 * so a plan edited in Blobs loses them.
 */
import type { Project } from '../config/manifest.ts';
import type { StoredPlan } from '../store/journals.ts';
import { ApprovalError, plannedEntries } from '../store/journals.ts';
import { isWrite } from '../core/apply.ts';
import { specRequest, staleKeys } from './background.ts';
import { requestApproval } from './notify.ts';
import type { Records } from './records.ts';
import { inEnvironment, planRun } from './run.ts';
import type { PlannedRun, SyncContext } from './run.ts';

/** A run that needs approvals it does not have. */
export class ApprovalRequiredError extends Error {
  override readonly name = 'ApprovalRequiredError';
}

/** The plan's targets or source changed since it was made: it can be neither approved nor applied. */
export class StalePlanError extends Error {
  override readonly name = 'StalePlanError';
  constructor(readonly keys: readonly string[]) {
    super('the targets or the source changed since this plan was made; plan again');
  }
}

/** Approvals a run of `spec` needs: its environment's `approvals.required`, or none. */
export function approvalsRequired(project: Project, spec: StoredPlan['spec']): number {
  return inEnvironment(specRequest(project, spec)).project.approvals?.required ?? 0;
}

const HOW =
  'make a plan (POST /api/plan or `genesisctl env plan`), have another admiral approve it ' +
  '(POST /api/plans/<id>/approve or `genesisctl env approve <id>`), then apply it by its id';

/** Refuses a run without a plan where the environment requires approvals. */
export function assertNoApprovalNeeded(project: Project, spec: StoredPlan['spec']): void {
  const required = approvalsRequired(project, spec);
  if (required > 0)
    throw new ApprovalRequiredError(
      `this environment requires ${required} approval${required === 1 ? '' : 's'} before a sync: ${HOW}`,
    );
}

/** Plans the stored plan's run again and refuses it if anything moved since. */
export async function replanFresh(
  ctx: SyncContext,
  project: Project,
  stored: StoredPlan,
): Promise<PlannedRun> {
  const fresh = await planRun(ctx, specRequest(project, stored.spec));
  const moved = staleKeys(stored.targets, fresh.plan);
  if (moved.length > 0) throw new StalePlanError(moved);
  return fresh;
}

/** Refuses to apply a stored plan that has fewer valid approvals than its environment requires. */
export function assertApproved(records: Records, project: Project, stored: StoredPlan): void {
  const required = approvalsRequired(project, stored.spec);
  const have = records.plans.validApprovals(stored).length;
  if (have < required)
    throw new ApprovalRequiredError(
      `plan ${stored.id} has ${have} of the ${required} approval${required === 1 ? '' : 's'} it needs: ${HOW}`,
    );
}

/**
 * Approves a plan as `approver`: refused (and audited) when the plan is stale, is the approver's
 * own, or was approved by them already.
 */
export async function approvePlan(
  ctx: SyncContext & { readonly records: Records },
  project: Project,
  planId: string,
  approver: string,
): Promise<{ plan: StoredPlan; approvals: number; required: number }> {
  const { records } = ctx;
  const stored = await records.plans.get(planId);
  const refuse = async (error: Error) => {
    await records.audit.append({
      action: 'approve',
      actor: approver,
      correlation_id: planId,
      source: stored?.source ?? 'unknown',
      targets: stored?.targets.map((t) => t.id) ?? [],
      outcome: 'refused',
      error: error.name,
      detail: { plan_id: planId, reason: error.message.slice(0, 200) },
    });
    return error;
  };
  if (!stored) throw await refuse(new ApprovalError(`no plan ${planId}; make one with POST /api/plan`));
  try {
    await replanFresh(ctx, project, stored);
    const plan = await records.plans.approve(planId, approver, ctx.now());
    const required = approvalsRequired(project, stored.spec);
    const approvals = records.plans.validApprovals(plan).length;
    await records.audit.append({
      action: 'approve',
      actor: approver,
      correlation_id: planId,
      source: stored.source,
      targets: stored.targets.map((t) => t.id),
      outcome: 'ok',
      counts: { approvals, required },
      detail: { plan_id: planId, ...(stored.spec.env ? { environment: stored.spec.env } : {}) },
    });
    return { plan, approvals, required };
  } catch (error) {
    if (error instanceof ApprovalError || error instanceof StalePlanError) throw await refuse(error);
    throw error;
  }
}

/**
 * A heal the schedule or a Render deploy wants where approvals are required: a plan awaiting
 * approval, announced by an `envsync.approval` event (and the notifications that follow it).
 */
/**
 * Keeps a plan (so it can be approved and applied by its id) and audits it: a kept plan is a
 * decision others act on. The API's plans, the CLI's under approvals and the heals awaiting one.
 */
export async function keepPlan(
  ctx: SyncContext & { readonly records: Records },
  planned: PlannedRun,
  options: { readonly actor: string; readonly spec: StoredPlan['spec']; readonly awaiting?: number },
): Promise<StoredPlan> {
  const stored = await ctx.records.plans.save(
    {
      actor: options.actor,
      spec: options.spec,
      source: planned.plan.source.id,
      targets: plannedEntries(planned.plan),
    },
    ctx.now(),
  );
  await ctx.records.audit.append({
    action: 'plan',
    actor: options.actor,
    correlation_id: stored.id,
    source: stored.source,
    targets: stored.targets.map((t) => t.id),
    counts: Object.fromEntries(
      planned.plan.targets.map((tp) => [tp.target.id, tp.entries.filter(isWrite).length]),
    ),
    outcome: planned.report.has_drift ? 'drift' : 'ok',
    detail: {
      plan_id: stored.id,
      ...(options.awaiting ? { awaiting_approval: options.awaiting } : {}),
      ...(options.spec.env ? { environment: options.spec.env } : {}),
    },
  });
  return stored;
}

export async function queueForApproval(
  ctx: SyncContext & { readonly records: Records },
  planned: PlannedRun,
  options: { readonly actor: string; readonly spec: StoredPlan['spec']; readonly required: number },
): Promise<StoredPlan> {
  const stored = await keepPlan(ctx, planned, {
    actor: options.actor,
    spec: options.spec,
    awaiting: options.required,
  });
  await requestApproval(ctx.records.events, {
    correlationId: stored.id,
    actor: options.actor,
    source: stored.source,
    targets: planned.plan.targets.map((tp) => {
      const writes = tp.entries.filter(isWrite);
      const count = (action: string) => writes.filter((e) => e.action === action).length;
      return {
        target: tp.target.id,
        create: count('create'),
        update: count('update'),
        delete: count('delete'),
        keys: writes.map((e) => e.key),
      };
    }),
    reason: `plan ${stored.id} needs ${options.required} approval${options.required === 1 ? '' : 's'}`,
    ...(options.spec.env ? { environment: options.spec.env } : {}),
  });
  return stored;
}
