/**
 * A drift check: plan (reads only), record it in the parity history, publish `envsync.drift` when
 * a target is out of parity, and leave an audit entry. The scheduled function, the Render webhook
 * and `genesisctl env audit` all come through here.
 */
import { randomUUID } from 'node:crypto';
import type { CheckRecord, Trigger } from '../store/history.ts';
import type { Records } from './records.ts';
import { planRun } from './run.ts';
import type { PlannedRun, RunRequest, SyncContext } from './run.ts';

export interface DriftCheck {
  readonly planned: PlannedRun;
  readonly record: CheckRecord;
  readonly correlationId: string;
}

export async function checkDrift(
  ctx: SyncContext & { readonly records: Records },
  request: RunRequest,
  options: {
    trigger: Trigger;
    actor: string;
    correlationId?: string;
    /** An audit entry of its own; a sweep writes one per batch, a run's closing check none. @default true */
    audit?: boolean;
    /** `envsync.drift` on drift; a run's closing check leaves it to the run's own events. @default true */
    events?: boolean;
  },
): Promise<DriftCheck> {
  const correlationId = options.correlationId ?? randomUUID();
  const started = performance.now();
  const planned = await planRun(ctx, request);
  const { report } = planned;
  const record = await ctx.records.history.record({
    report,
    trigger: options.trigger,
    correlationId,
    durationMs: performance.now() - started,
    at: ctx.now(),
    ...(planned.environment !== undefined ? { environment: planned.environment } : {}),
  });
  const environment = planned.environment !== undefined ? { environment: planned.environment } : {};
  if (report.has_drift && options.events !== false) {
    await ctx.records.events.publish(
      'envsync.drift',
      correlationId,
      {
        check_id: record.id,
        trigger: options.trigger,
        source: report.source,
        has_drift: true,
        targets: record.targets.filter((t) => t.has_drift),
        summary: report.summary,
      },
      undefined,
      environment,
    );
  }
  if (options.audit === false) return { planned, record, correlationId };
  await ctx.records.audit.append({
    action: 'drift-check',
    actor: options.actor,
    correlation_id: correlationId,
    source: report.source,
    targets: report.targets.map((t) => t.id),
    counts: { total_keys: report.summary.total_keys, synced: report.summary.synced },
    keys: Object.fromEntries(
      Object.entries(report.conflicts).map(([key, row]) => [key, row[report.source] ?? null]),
    ),
    outcome: report.has_drift ? 'drift' : 'ok',
    detail: { check_id: record.id, trigger: options.trigger, ...environment },
  });
  return { planned, record, correlationId };
}
