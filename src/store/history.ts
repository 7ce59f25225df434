/**
 * Parity history: one record per drift check (scheduled, webhook or manual). Besides the record,
 * small index blobs whose keys carry time, target and status, so that `list({ prefix })` answers
 * "checks of this target", "drifted checks", "since when" without reading every record.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import type { DriftReport } from '../core/report.ts';
import { getJson, listKeys, timeKey } from './blobs.ts';

export type Trigger = 'schedule' | 'webhook' | 'manual' | 'sync';

export interface TargetCheck {
  readonly id: string;
  readonly provider: string;
  readonly label: string;
  readonly has_drift: boolean;
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly conflicts: readonly string[];
  readonly unknown: readonly string[];
}

export interface CheckRecord {
  readonly id: string;
  readonly checked_at: string;
  readonly trigger: Trigger;
  readonly source: string;
  readonly correlation_id: string;
  readonly duration_ms: number;
  readonly has_drift: boolean;
  readonly summary: DriftReport['summary'];
  readonly targets: readonly TargetCheck[];
}

export interface HistoryQuery {
  readonly target?: string;
  readonly status?: 'drift' | 'parity';
  /** ISO time: only checks at or after it. */
  readonly since?: string;
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
}

export interface HistoryStore {
  record(input: {
    report: DriftReport;
    trigger: Trigger;
    correlationId: string;
    durationMs: number;
    at: Date;
  }): Promise<CheckRecord>;
  get(id: string): Promise<CheckRecord | undefined>;
  /** Newest first. */
  list(query?: HistoryQuery): Promise<{ items: CheckRecord[]; next?: string; total: number }>;
}

const ID = /^chk_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)_([0-9a-f]{8})$/;
export const isCheckId = (id: string) => ID.test(id);

export function historyStore(store: Store): HistoryStore {
  const status = (drift: boolean) => (drift ? 'drift' : 'parity');
  return {
    async record({ report, trigger, correlationId, durationMs, at }) {
      const id = `chk_${timeKey(at)}_${randomBytes(4).toString('hex')}`;
      const record: CheckRecord = {
        id,
        checked_at: at.toISOString(),
        trigger,
        source: report.source,
        correlation_id: correlationId,
        duration_ms: Math.round(durationMs),
        has_drift: report.has_drift,
        summary: report.summary,
        targets: report.targets.map((t) => ({
          id: t.id,
          provider: t.provider,
          label: t.label,
          has_drift: t.has_drift,
          missing: t.missing,
          extra: t.extra,
          conflicts: t.conflicts,
          unknown: t.unknown,
        })),
      };
      await store.setJSON(`checks/${id}`, record, { onlyIfNew: true });
      // Index keys: every check, and every target of it, with the status in the name.
      await Promise.all([
        store.set(`all/${id}.${status(record.has_drift)}`, ''),
        ...record.targets.map((t) => store.set(`by-target/${t.id}/${id}.${status(t.has_drift)}`, '')),
      ]);
      return record;
    },
    async get(id) {
      return ID.test(id) ? getJson<CheckRecord>(store, `checks/${id}`) : undefined;
    },
    async list(query = {}) {
      const prefix = query.target ? `by-target/${query.target}/` : 'all/';
      const since = query.since ? `chk_${timeKey(new Date(query.since))}` : undefined;
      const ids = (await listKeys(store, prefix))
        .map((key) => key.slice(prefix.length))
        .filter((name) => !query.status || name.endsWith(`.${query.status}`))
        .map((name) => name.slice(0, name.lastIndexOf('.')))
        .filter((id) => !since || id >= since)
        .reverse();
      const start = query.cursor ? ids.indexOf(query.cursor) + 1 : 0;
      const limit = Math.min(query.limit ?? 50, 500);
      const page = ids.slice(start, start + limit);
      const items = await Promise.all(page.map((id) => getJson<CheckRecord>(store, `checks/${id}`)));
      return {
        items: items.filter((r): r is CheckRecord => r !== undefined),
        next: start + limit < ids.length ? page[page.length - 1] : undefined,
        total: ids.length,
      };
    },
  };
}
