/**
 * Parity history: one record per drift check (scheduled, webhook or manual). Besides the record,
 * small index blobs whose keys carry time, target and status, so that `list({ prefix })` answers
 * "checks of this target", "drifted checks", "since when" without reading every record.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import type { DriftReport, TargetDrift } from '../core/report.ts';
import { getJson, getJsonWithEtag, listKeys, timeKey } from './blobs.ts';

export type Trigger = 'schedule' | 'webhook' | 'manual' | 'sync';

/** A target's part of a check: its drift report's names, without the plan's counts and reasons. */
export type TargetCheck = Pick<
  TargetDrift,
  'id' | 'provider' | 'label' | 'has_drift' | 'missing' | 'extra' | 'conflicts' | 'unknown'
> &
  // Absent from checks recorded before the parity matrix.
  Partial<Pick<TargetDrift, 'in_parity' | 'skipped' | 'invalid'>>;

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
  /** KEY → { source id: fingerprint, target id: fingerprint | 'write-only' }: both sides of a conflict. */
  readonly conflicts?: DriftReport['conflicts'];
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

/** Per index (all checks, or one target's): how many, by status, and which days have any. */
interface IndexCounts {
  readonly total: number;
  readonly drift: number;
  readonly parity: number;
  /** `YYYY-MM-DD`, ascending. */
  readonly days: readonly string[];
}

const EMPTY: IndexCounts = { total: 0, drift: 0, parity: 0, days: [] };
/** `chk_2026-11-24T…` → `2026-11-24`. */
const dayOf = (id: string) => id.slice(4, 14);

/**
 * Index keys are bucketed by day (`all/2026-11-24/<id>.<status>`) and each index keeps its counts
 * and its days: a page of the newest checks lists one or two days' keys, not a year's, and the
 * total needs no listing at all.
 */
export function historyStore(store: Store): HistoryStore {
  const status = (drift: boolean) => (drift ? 'drift' : 'parity');

  // Updates of one index's counts are chained within this process, and compare-and-set across
  // processes: the local Blobs server's etags change only once a millisecond, so two updates from
  // one process in the same millisecond could otherwise both pass `onlyIfMatch`.
  const chains = new Map<string, Promise<void>>();
  function count(scope: string, day: string, drift: boolean): Promise<void> {
    const next = (chains.get(scope) ?? Promise.resolve()).then(() => countOnce(scope, day, drift));
    chains.set(
      scope,
      next.catch(() => undefined),
    );
    return next;
  }

  async function countOnce(scope: string, day: string, drift: boolean): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 20));
      const current = await getJsonWithEtag<IndexCounts>(store, `counts/${scope}`);
      const was = current?.data ?? EMPTY;
      const next: IndexCounts = {
        total: was.total + 1,
        drift: was.drift + (drift ? 1 : 0),
        parity: was.parity + (drift ? 0 : 1),
        days: was.days.includes(day) ? was.days : [...was.days, day].sort(),
      };
      const written = current
        ? await store.setJSON(`counts/${scope}`, next, { onlyIfMatch: current.etag })
        : await store.setJSON(`counts/${scope}`, next, { onlyIfNew: true });
      if (written.modified) return;
    }
    throw new Error(`history: could not update the counts of ${scope}`);
  }

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
          in_parity: t.in_parity,
          skipped: t.skipped,
          invalid: t.invalid,
        })),
        conflicts: report.conflicts,
      };
      await store.setJSON(`checks/${id}`, record, { onlyIfNew: true });
      // Index keys: every check, and every target of it, with the status in the name.
      const day = dayOf(id);
      await Promise.all([
        store.set(`all/${day}/${id}.${status(record.has_drift)}`, ''),
        ...record.targets.map((t) => store.set(`by-target/${t.id}/${day}/${id}.${status(t.has_drift)}`, '')),
      ]);
      await Promise.all([
        count('all', day, record.has_drift),
        ...record.targets.map((t) => count(`target/${t.id}`, day, t.has_drift)),
      ]);
      return record;
    },
    async get(id) {
      return ID.test(id) ? getJson<CheckRecord>(store, `checks/${id}`) : undefined;
    },
    async list(query = {}) {
      const prefix = query.target ? `by-target/${query.target}/` : 'all/';
      const counts =
        (await getJson<IndexCounts>(store, `counts/${query.target ? `target/${query.target}` : 'all'}`)) ??
        EMPTY;
      const since = query.since ? `chk_${timeKey(new Date(query.since))}` : undefined;
      const limit = Math.min(query.limit ?? 50, 500);
      const cursorDay = query.cursor && ID.test(query.cursor) ? dayOf(query.cursor) : undefined;
      const idsOf = async (day: string) =>
        (await listKeys(store, `${prefix}${day}/`))
          .map((key) => key.slice(prefix.length + day.length + 1))
          .filter((name) => !query.status || name.endsWith(`.${query.status}`))
          .map((name) => name.slice(0, name.lastIndexOf('.')))
          .filter((id) => (!since || id >= since) && (!query.cursor || id < query.cursor))
          .reverse();
      // Newest day first; one more id than the page tells whether there is a next page.
      const page: string[] = [];
      for (const day of [...counts.days].reverse()) {
        if (cursorDay && day > cursorDay) continue;
        if (since && day < dayOf(since)) break;
        page.push(...(await idsOf(day)));
        if (page.length > limit) break;
      }
      const ids = page.slice(0, limit);
      const items = await Promise.all(ids.map((id) => getJson<CheckRecord>(store, `checks/${id}`)));
      // The counts answer without listing; with `since`, only the days it covers are listed.
      const total = since
        ? await countSince(store, prefix, counts.days, since, query.status)
        : query.status
          ? counts[query.status]
          : counts.total;
      return {
        items: items.filter((r): r is CheckRecord => r !== undefined),
        next: page.length > limit ? ids[ids.length - 1] : undefined,
        total,
      };
    },
  };
}

/** Checks at or after `since` (optionally of one status), counted over the days it covers. */
async function countSince(
  store: Store,
  prefix: string,
  days: readonly string[],
  since: string,
  status?: string,
): Promise<number> {
  let total = 0;
  for (const day of days) {
    if (day < dayOf(since)) continue;
    const names = (await listKeys(store, `${prefix}${day}/`)).map((key) =>
      key.slice(prefix.length + day.length + 1),
    );
    total += names.filter(
      (name) => (!status || name.endsWith(`.${status}`)) && name.slice(0, name.lastIndexOf('.')) >= since,
    ).length;
  }
  return total;
}
