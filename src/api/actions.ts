/**
 * Routes that plan, verify and change things: `POST /api/plan`, `/api/verify`, `/api/sync`,
 * `/api/rollback`, and `GET /api/sync/:id` for a queued sync's progress. Writes are queued as a
 * journal and run by the background function.
 */
import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { driftReport } from '../core/report.ts';
import { planJson } from '../core/plan-json.ts';
import { isJournalId, isPlanId } from '../store/journals.ts';
import type { RunSpec } from '../store/journals.ts';
import { newJournal, specRequest, staleKeys } from '../sync/background.ts';
import {
  approvePlan,
  assertApproved,
  assertNoApprovalNeeded,
  keepPlan,
  StalePlanError,
} from '../sync/approvals.ts';
import { checkDrift } from '../sync/drift.ts';
import { lockHolder } from '../sync/execute.ts';
import { planRollback } from '../sync/rollback.ts';
import { planRun } from '../sync/run.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError, json, queryOf, readJsonBody, validate } from './http.ts';
import type { Route, RouteContext } from './router.ts';

const id = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a target id (lower-case letters, digits, - or _)'),
);
const prefix = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(128),
  v.regex(/^[\w.-]+$/, 'may hold only letters, digits, _ . -'),
);

const SpecEntries = {
  env: v.optional(id),
  from: v.optional(v.union([v.literal('manifest'), id], 'must be "manifest" or a target id')),
  targets: v.optional(v.pipe(v.array(id), v.minLength(1, 'name at least one target'), v.maxLength(50))),
  include: v.optional(v.pipe(v.array(prefix), v.maxLength(50))),
  exclude: v.optional(v.pipe(v.array(prefix), v.maxLength(50))),
  deletions: v.optional(v.picklist(['never', 'managed', 'all'], 'must be never, managed or all')),
  mode: v.optional(v.picklist(['overwrite', 'create-only'], 'must be overwrite or create-only')),
  overwrite_unknown: v.optional(v.boolean('must be true or false')),
};
const PlanBody = v.strictObject(SpecEntries);
const SyncByPlan = v.strictObject({
  plan_id: v.pipe(
    v.string('must be a plan id from POST /api/plan'),
    v.check(isPlanId, 'must be a plan id from POST /api/plan'),
  ),
});
const SyncRun = v.strictObject({
  ...SpecEntries,
  action: v.optional(v.picklist(['sync', 'heal'], 'must be sync or heal')),
});
type SyncInput = v.InferOutput<typeof SyncByPlan> | v.InferOutput<typeof SyncRun>;
/** `{plan_id}` applies a stored plan; anything else is the run itself. Two schemas, so errors name the field. */
const syncSchema = (body: unknown) =>
  typeof body === 'object' && body !== null && 'plan_id' in body ? SyncByPlan : SyncRun;
const RollbackBody = v.strictObject({
  target: id,
  snapshot_id: v.pipe(
    v.string(),
    v.maxLength(120),
    v.regex(
      /^[a-z0-9][a-z0-9_-]{0,62}\.[\dTZ-]+\.[0-9a-f]{8}$/,
      'must be a snapshot id from GET /api/snapshots',
    ),
  ),
  dry_run: v.optional(v.boolean('must be true or false')),
});
/** The only query parameter an action takes: the manifest environment. */
const EnvQuery = v.strictObject({ env: v.optional(id) });

async function body<const S extends v.GenericSchema>(
  ctx: RouteContext,
  schema: S,
): Promise<v.InferOutput<S>> {
  validate(EnvQuery, queryOf(ctx.url), 'query');
  return validate(schema, await readJsonBody(ctx.request), 'body');
}

const actor = (ctx: RouteContext) => `${ctx.caller.role}:${ctx.caller.name}`;

/** As long as a background sync may run (15 minutes), so a lock outlives no live holder by much. */
const LOCK_TTL_MS = 15 * 60_000;

/** Queues a journal and hands it to the background function: 202 with where to follow it. */
async function queue(ctx: RouteContext, journal: ReturnType<typeof newJournal>): Promise<Response> {
  const { deps } = ctx;
  deps.records.snapshots.assertWritable(); // 503 with how to set the key, before anything is queued
  // The targets are locked now, so a second sync is told at once (409, naming this one) rather
  // than failing in the background; the background run holds the same locks and releases them.
  const targets = journal.targets
    .filter((t) =>
      t.entries.some((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete'),
    )
    .map((t) => t.id);
  const holder = lockHolder(journal.actor, journal.id);
  await deps.records.locks.acquire(targets, holder, LOCK_TTL_MS);
  try {
    await deps.records.journals.create(journal);
    await deps.startBackground(journal.id);
  } catch (error) {
    await deps.records.locks.release(targets, holder);
    // Our own message (a status code) or the fetch error's class: never a value.
    console.error(
      `[envsync] background sync ${journal.id} did not start: ${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`,
    );
    await deps.records.journals.put({ ...journal, status: 'failed', error: 'BackgroundStartError' });
    throw new ApiError(
      503,
      'background_unavailable',
      'The background sync could not be started; nothing was written. Try again.',
    );
  }
  return json(
    202,
    { correlation_id: journal.id, status: 'queued', status_url: `/api/sync/${journal.id}` },
    { location: `/api/sync/${journal.id}` },
  );
}

/** Runs a check that may refuse the sync; a refusal is audited before it is answered. */
async function refusedUnless(
  ctx: RouteContext,
  spec: RunSpec,
  source: string,
  check: () => void,
): Promise<void> {
  try {
    check();
  } catch (error) {
    await ctx.deps.records.audit.append({
      action: 'sync',
      actor: actor(ctx),
      correlation_id: randomUUID(),
      source,
      targets: [...(spec.targets ?? [])],
      outcome: 'refused',
      error: (error as Error).name,
      detail: {
        reason: (error as Error).message.slice(0, 300),
        ...(spec.env ? { environment: spec.env } : {}),
      },
    });
    throw error;
  }
}

/**
 * `?env=` names the environment too (the query is validated by `EnvQuery` before this); the
 * body's and the query's must agree.
 */
function withEnv(ctx: RouteContext, spec: RunSpec): RunSpec {
  const query = ctx.url.searchParams.get('env') ?? undefined;
  if (query !== undefined && spec.env !== undefined && query !== spec.env)
    throw new ApiError(400, 'invalid_request', `?env=${query} and the body's env disagree; give one of them`);
  const env = query ?? spec.env;
  return env === undefined ? spec : { ...spec, env };
}

function hasWrites(plan: { targets: readonly { entries: readonly { action: string }[] }[] }): boolean {
  return plan.targets.some((t) =>
    t.entries.some((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete'),
  );
}

export const actionRoutes: readonly Route[] = [
  {
    method: 'POST',
    path: '/api/plan',
    permission: 'plan',
    async handle(ctx) {
      const spec: RunSpec = withEnv(ctx, await body(ctx, PlanBody));
      const { deps } = ctx;
      const planned = await planRun(deps.ctx, specRequest(await deps.project(), spec));
      const stored = await keepPlan(deps.ctx, planned, { actor: actor(ctx), spec });
      return json(200, { plan_id: stored.id, plan: planJson(planned.plan), report: planned.report });
    },
  },
  {
    method: 'POST',
    path: '/api/verify',
    permission: 'plan',
    async handle(ctx) {
      const spec: RunSpec = withEnv(ctx, await body(ctx, PlanBody));
      const { deps } = ctx;
      const project = await deps.project();
      // No environment named (nor targets): every environment, one check each.
      const envs =
        project.environments && spec.env === undefined && !spec.targets
          ? [...project.environments.keys()]
          : [spec.env];
      const checks: Awaited<ReturnType<typeof checkDrift>>[] = [];
      for (const env of envs)
        checks.push(
          await checkDrift(deps.ctx, specRequest(project, env === undefined ? spec : { ...spec, env }), {
            trigger: 'manual',
            actor: actor(ctx),
          }),
        );
      const answer = (check: (typeof checks)[number]) => ({
        ...(check.planned.environment !== undefined ? { environment: check.planned.environment } : {}),
        check_id: check.record.id,
        correlation_id: check.correlationId,
        report: check.planned.report,
      });
      const [only] = checks;
      if (checks.length === 1 && only) return json(200, answer(only));
      return json(200, {
        has_drift: checks.some((c) => c.planned.report.has_drift),
        environments: checks.map(answer),
      });
    },
  },
  {
    method: 'POST',
    path: '/api/sync',
    permission: 'write',
    async handle(ctx) {
      validate(EnvQuery, queryOf(ctx.url), 'query');
      const raw = await readJsonBody(ctx.request);
      const input: SyncInput = validate(syncSchema(raw), raw, 'body');
      const { deps } = ctx;
      const project = await deps.project();
      let spec: RunSpec;
      let planId: string | undefined;
      let action: 'sync' | 'heal' = 'sync';
      if ('plan_id' in input) {
        const stored = await deps.records.plans.get(input.plan_id);
        if (!stored)
          throw new ApiError(404, 'not_found', 'No plan with that id; make one with POST /api/plan.');
        spec = stored.spec;
        planId = stored.id;
        const fresh = await planRun(deps.ctx, specRequest(project, spec));
        const moved = staleKeys(stored.targets, fresh.plan);
        if (moved.length > 0) {
          return json(409, {
            error: {
              code: 'stale_plan',
              message: 'The targets or the source changed since this plan was made; plan again.',
              keys: moved,
            },
          });
        }
        if (!hasWrites(fresh.plan)) return json(200, { status: 'noop', message: 'Nothing to change.' });
        await refusedUnless(ctx, spec, stored.source, () => assertApproved(deps.records, project, stored));
        return queue(
          ctx,
          newJournal(randomUUID(), fresh.plan, { action, actor: actor(ctx), spec, planId, now: deps.now() }),
        );
      }
      const { action: requested, ...rest } = input;
      spec = withEnv(ctx, rest);
      action = requested ?? 'sync';
      const planned = await planRun(deps.ctx, specRequest(project, spec));
      await refusedUnless(ctx, spec, planned.plan.source.id, () => assertNoApprovalNeeded(project, spec));
      if (!hasWrites(planned.plan)) return json(200, { status: 'noop', message: 'Nothing to change.' });
      return queue(
        ctx,
        newJournal(randomUUID(), planned.plan, { action, actor: actor(ctx), spec, now: deps.now() }),
      );
    },
  },
  {
    method: 'POST',
    path: '/api/plans/:id/approve',
    permission: 'write',
    async handle(ctx) {
      validate(EnvQuery, queryOf(ctx.url), 'query');
      const { deps } = ctx;
      try {
        const approved = await approvePlan(
          deps.ctx,
          await deps.project(),
          ctx.params['id'] ?? '',
          actor(ctx),
        );
        return json(200, {
          plan_id: approved.plan.id,
          approvals: deps.records.plans
            .validApprovals(approved.plan)
            .map(({ approver, at }) => ({ approver, at })),
          required: approved.required,
          approved: approved.approvals >= approved.required,
        });
      } catch (error) {
        if (error instanceof StalePlanError)
          return json(409, { error: { code: 'stale_plan', message: `${error.message}.`, keys: error.keys } });
        throw error;
      }
    },
  },
  {
    method: 'GET',
    path: '/api/sync/:id',
    permission: 'audit',
    async handle({ url, params, deps }) {
      validate(EnvQuery, queryOf(url), 'query');
      const journalId = params['id'] ?? '';
      const journal = isJournalId(journalId) ? await deps.records.journals.get(journalId) : undefined;
      if (!journal) throw new ApiError(404, 'not_found', 'No sync with that correlation id.');
      const planned = journal.targets.reduce(
        (n, t) => n + t.entries.filter((e) => ['create', 'update', 'delete'].includes(e.action)).length,
        0,
      );
      const { done, ...rest } = journal;
      return json(200, { ...rest, progress: { planned, done: Object.keys(done).length } });
    },
  },
  {
    method: 'POST',
    path: '/api/rollback',
    permission: 'write',
    async handle(ctx) {
      const input = await body(ctx, RollbackBody);
      const { deps } = ctx;
      const project = await deps.project();
      if (!project.targets.has(input.target))
        throw new ApiError(400, 'invalid_request', `Unknown target "${input.target}".`, [
          { path: 'body.target', message: 'unknown target' },
        ]);
      const planned = await planRollback(deps.ctx, project, input.target, input.snapshot_id);
      const report = driftReport(planned.plan);
      if (input.dry_run)
        return json(200, { plan: planJson(planned.plan), unrestorable: planned.unrestorable, report });
      if (!hasWrites(planned.plan))
        return json(200, {
          status: 'noop',
          message: 'The target already matches the snapshot.',
          unrestorable: planned.unrestorable,
        });
      const rollback = { target: input.target, snapshot_id: input.snapshot_id };
      return queue(
        ctx,
        newJournal(randomUUID(), planned.plan, {
          action: 'rollback',
          actor: actor(ctx),
          spec: { targets: [input.target] },
          rollback,
          now: deps.now(),
        }),
      );
    },
  },
];

export type { ApiDeps };
