/**
 * Read-only routes for the page and for tools: parity history, snapshots, audit trail, events,
 * targets. Paginated with opaque cursors (`next`); values never appear, only names and
 * fingerprints.
 */
import * as v from 'valibot';
import { environmentOfTarget, environmentsOf } from '../config/manifest.ts';
import { targetLabel } from '../core/model.ts';
import { may } from '../auth/tokens.ts';
import { planJson } from '../core/plan-json.ts';
import { EVENT_TYPES } from '../store/events.ts';
import { isCheckId } from '../store/history.ts';
import type { TargetCheck } from '../store/history.ts';
import { planRollback } from '../sync/rollback.ts';
import { ApiError, json, queryOf, validate } from './http.ts';
import type { Route } from './router.ts';

const limit = (max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(1),
      v.maxValue(max, `must be at most ${max}`),
    ),
  );
const targetId = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a target id (lower-case letters, digits, - or _)'),
  ),
);
const seq = v.optional(
  v.pipe(v.string(), v.regex(/^\d{1,12}$/, 'must be a sequence number'), v.transform(Number)),
);
const correlationId = v.optional(v.pipe(v.string(), v.regex(/^[\w-]{1,64}$/, 'must be a correlation id')));

const HistoryQuery = v.strictObject({
  limit: limit(500),
  cursor: v.optional(v.pipe(v.string(), v.check(isCheckId, 'must be the `next` of a previous page'))),
  target: targetId,
  status: v.optional(v.picklist(['drift', 'parity'], 'must be drift or parity')),
  since: v.optional(
    v.pipe(v.string(), v.isoTimestamp('must be an ISO 8601 time such as 2026-11-24T10:00:00Z')),
  ),
});
/** Chart points are counts only: a week of ten targets checked hourly (1,680) is one request. */
const PointsQuery = v.strictObject({ ...HistoryQuery.entries, limit: limit(2000) });
const SnapshotsQuery = v.strictObject({
  limit: limit(200),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[a-z0-9][a-z0-9_-]{0,62}\/[\w.-]{1,80}$/, 'must be the `next` of a previous page'),
    ),
  ),
  target: targetId,
});
const AuditQuery = v.strictObject({ limit: limit(200), before: seq, correlation_id: correlationId });
const EventsQuery = v.strictObject({
  limit: limit(200),
  before: seq,
  correlation_id: correlationId,
  type: v.optional(v.picklist(EVENT_TYPES, `must be one of ${EVENT_TYPES.join(', ')}`)),
});
/** `?env=`: only the targets of one manifest environment. */
const TargetsQuery = v.strictObject({
  env: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be an environment name'))),
});
const NoQuery = v.strictObject({});
const VerifyQuery = v.strictObject({
  full: v.optional(v.picklist(['true', 'false'], 'must be true or false')),
});
const TimelineQuery = v.strictObject({
  limit: limit(200),
  cursor: v.optional(v.pipe(v.string(), v.check(isCheckId, 'must be the `next` of a previous page'))),
  target: targetId,
});
/** A variable name as providers allow it (letters, digits, `_`, `.`, `-`), at most 256 characters. */
const KeyName = v.pipe(
  v.string(),
  v.regex(/^[\w.-]{1,256}$/, 'must be a variable name (letters, digits, _, . or -)'),
);

/** What a key was on a target in one check. */
export type KeyState =
  'in_parity' | 'missing' | 'extra' | 'conflict' | 'unknown' | 'skipped' | 'invalid' | 'absent';

function keyState(check: TargetCheck, key: string): { state: KeyState; reason?: string } {
  if (check.missing.includes(key)) return { state: 'missing' };
  if (check.conflicts.includes(key)) return { state: 'conflict' };
  if (check.extra.includes(key)) return { state: 'extra' };
  if (check.unknown.includes(key)) return { state: 'unknown' };
  const invalid = check.invalid?.find((i) => i.key === key);
  if (invalid) return { state: 'invalid', reason: invalid.reason };
  const skipped = check.skipped?.find((i) => i.key === key);
  if (skipped) return { state: 'skipped', reason: skipped.reason };
  if (check.in_parity?.includes(key)) return { state: 'in_parity' };
  return { state: 'absent' };
}

/** Audit entries read for a key's timeline: the newest ones, one page. */
const TIMELINE_AUDIT_ENTRIES = 200;

export const reportRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/whoami',
    permission: 'reports',
    handle({ url, caller }) {
      validate(NoQuery, queryOf(url), 'query');
      return Promise.resolve(
        json(200, {
          name: caller.name,
          role: caller.role,
          can: {
            reports: may(caller, 'reports'),
            audit: may(caller, 'audit'),
            plan: may(caller, 'plan'),
            write: may(caller, 'write'),
          },
        }),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/keys/:key',
    permission: 'reports',
    async handle({ url, params, caller, deps }) {
      const key = validate(KeyName, params['key'] ?? '', 'path');
      const q = validate(TimelineQuery, queryOf(url), 'query');
      // One page of checks, newest first: the key's state on each target, both fingerprints of a conflict.
      const page = await deps.records.history.list({
        limit: q.limit ?? 50,
        cursor: q.cursor,
        target: q.target,
      });
      const checks = page.items.map((check) => ({
        id: check.id,
        checked_at: check.checked_at,
        trigger: check.trigger,
        correlation_id: check.correlation_id,
        targets: check.targets
          .filter((t) => !q.target || t.id === q.target)
          .map((t) => ({ id: t.id, ...keyState(t, key) })),
        fingerprints:
          check.conflicts && Object.hasOwn(check.conflicts, key) ? check.conflicts[key] : undefined,
      }));
      // Who changed it: the newest audit entries naming it (for callers who may read the audit trail).
      const changes = may(caller, 'audit')
        ? (await deps.records.audit.list({ limit: TIMELINE_AUDIT_ENTRIES })).items.flatMap((e) => {
            // Syncs name `target:KEY`, checks and plans the bare key.
            const named = Object.entries(e.keys ?? {}).filter(
              ([name]) =>
                name === key ||
                (name.endsWith(`:${key}`) && e.targets.includes(name.slice(0, -key.length - 1))),
            );
            const targets = named.map(([name]) =>
              name === key ? undefined : name.slice(0, -key.length - 1),
            );
            if (named.length === 0 || (q.target && !e.targets.includes(q.target))) return [];
            return [
              {
                seq: e.seq,
                at: e.at,
                action: e.action,
                actor: e.actor,
                outcome: e.outcome,
                targets: targets.every((t) => t !== undefined) ? targets : e.targets,
                correlation_id: e.correlation_id,
                fingerprint: named[0]?.[1] ?? null,
              },
            ];
          })
        : undefined;
      return json(200, { key, checks, next: page.next, ...(changes ? { changes } : {}) });
    },
  },
  {
    method: 'GET',
    path: '/api/history',
    permission: 'reports',
    async handle({ url, deps }) {
      const q = validate(HistoryQuery, queryOf(url), 'query');
      return json(200, await deps.records.history.list(q));
    },
  },
  {
    method: 'GET',
    path: '/api/history/points',
    permission: 'reports',
    async handle({ url, deps }) {
      // The chart's data: each check's counts from the day digests, no record read.
      const q = validate(PointsQuery, queryOf(url), 'query');
      return json(200, await deps.records.history.points(q));
    },
  },
  {
    method: 'GET',
    path: '/api/history/:id',
    permission: 'reports',
    async handle({ url, params, deps }) {
      validate(NoQuery, queryOf(url), 'query');
      const record = await deps.records.history.get(params['id'] ?? '');
      if (!record) throw new ApiError(404, 'not_found', 'No drift check with that id.');
      return json(200, record);
    },
  },
  {
    method: 'GET',
    path: '/api/sweeps/:id',
    permission: 'reports',
    async handle({ url, params, deps }) {
      // An hourly sweep of many targets: its batches, counts and whether its reads fit the hour.
      validate(NoQuery, queryOf(url), 'query');
      const id = params['id'] ?? '';
      const sweep = id === 'latest' ? await deps.records.sweeps.latest() : await deps.records.sweeps.get(id);
      if (!sweep)
        throw new ApiError(
          404,
          'not_found',
          id === 'latest' ? 'No sweep recorded yet.' : 'No sweep with that id.',
        );
      return json(200, {
        ...sweep.record,
        counts: sweep.counts,
        done: sweep.done,
        batches: sweep.record.batches.map((targets, n) => {
          const b = sweep.batches[n];
          return {
            targets,
            status: b?.status ?? 'unreadable',
            invocations: b?.invocations ?? 0,
            checked: b ? Object.keys(b.checked).length : 0,
            failed: b?.failed ?? {},
          };
        }),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/targets',
    permission: 'reports',
    async handle({ url, deps }) {
      const { env } = validate(TargetsQuery, queryOf(url), 'query');
      const all = await deps.project();
      const project = env === undefined ? all : (environmentsOf(all, env)[0] ?? all);
      // Each target's newest check comes from the record the history keeps up to date: one read,
      // whatever the history's size. A target checked only before that record existed is looked
      // up in its own index.
      const latest = await deps.records.history.latest();
      const targets = await Promise.all(
        [...project.targets.values()].map(async (t) => {
          let last = latest.get(t.id);
          if (!last) {
            const [record] = (await deps.records.history.list({ target: t.id, limit: 1 })).items;
            const check = record?.targets.find((c) => c.id === t.id);
            if (record && check)
              last = {
                check_id: record.id,
                checked_at: record.checked_at,
                trigger: record.trigger,
                has_drift: check.has_drift,
              };
          }
          const environment = environmentOfTarget(all, t.id).environment;
          return {
            id: t.id,
            ...(environment !== undefined ? { environment } : {}),
            provider: t.provider,
            label: targetLabel(t),
            status: last ? (last.has_drift ? 'drift' : 'parity') : 'unknown',
            checked_at: last?.checked_at ?? null,
            trigger: last?.trigger ?? null,
            check_id: last?.check_id ?? null,
          };
        }),
      );
      return json(200, {
        source: project.sourceId,
        ...(all.environments
          ? {
              environments: [...all.environments].map(([name, p]) => ({ name, source: p.sourceId })),
            }
          : {}),
        targets,
      });
    },
  },
  {
    method: 'GET',
    path: '/api/snapshots',
    permission: 'audit',
    async handle({ url, deps }) {
      const q = validate(SnapshotsQuery, queryOf(url), 'query');
      const page = await deps.records.snapshots.list(q);
      return json(200, { items: page.items.map(({ values: _sealed, ...meta }) => meta), next: page.next });
    },
  },
  {
    method: 'GET',
    path: '/api/snapshots/:id',
    permission: 'audit',
    async handle({ url, params, deps }) {
      validate(NoQuery, queryOf(url), 'query');
      const { values: _sealed, ...meta } = await deps.records.snapshots.get(params['id'] ?? '');
      return json(200, meta);
    },
  },
  {
    method: 'GET',
    path: '/api/snapshots/:id/compare',
    permission: 'plan',
    async handle({ url, params, deps }) {
      validate(NoQuery, queryOf(url), 'query');
      const snapshot = await deps.records.snapshots.get(params['id'] ?? '');
      const project = await deps.project();
      if (!project.targets.has(snapshot.target))
        throw new ApiError(
          404,
          'not_found',
          `The snapshot's target "${snapshot.target}" is no longer in the manifest.`,
        );
      // What restoring it would change: the snapshot's names and fingerprints against the target now.
      const planned = await planRollback(deps.ctx, project, snapshot.target, snapshot.id);
      return json(200, {
        snapshot: {
          id: snapshot.id,
          target: snapshot.target,
          synced_at: snapshot.synced_at,
          phase: snapshot.phase,
        },
        plan: planJson(planned.plan),
        unrestorable: planned.unrestorable,
      });
    },
  },
  {
    method: 'GET',
    path: '/api/audit',
    permission: 'audit',
    async handle({ url, deps }) {
      const q = validate(AuditQuery, queryOf(url), 'query');
      return json(
        200,
        await deps.records.audit.list({ limit: q.limit, before: q.before, correlationId: q.correlation_id }),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/audit/verify',
    permission: 'audit',
    async handle({ url, deps }) {
      const q = validate(VerifyQuery, queryOf(url), 'query');
      return json(200, await deps.records.audit.verify(q.full === 'true' ? { full: true } : {}));
    },
  },
  {
    method: 'GET',
    path: '/api/events',
    permission: 'audit',
    async handle({ url, deps }) {
      const q = validate(EventsQuery, queryOf(url), 'query');
      const page = await deps.records.events.list({
        limit: q.limit,
        before: q.before,
        correlationId: q.correlation_id,
        type: q.type,
      });
      // Each event with where it was delivered, or failed to be (endpoints without query strings).
      const items = await Promise.all(
        page.items.map(async (e) => ({ ...e, deliveries: await deps.records.events.deliveries(e.id) })),
      );
      return json(200, { ...page, items });
    },
  },
];
