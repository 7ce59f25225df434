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
  /** The manifest environment checked, when it has environments. */
  readonly environment?: string;
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
    /** The manifest environment checked, when it has environments. */
    environment?: string;
  }): Promise<CheckRecord>;
  get(id: string): Promise<CheckRecord | undefined>;
  /** Newest first. */
  list(query?: HistoryQuery): Promise<{ items: CheckRecord[]; next?: string; total: number }>;
  /** Each target's newest check, by target id (targets checked before this record was kept are absent). */
  latest(): Promise<Map<string, LatestCheck>>;
  /** Like `list`, the checks as points (counts only), read from the day digests: for charts; pages of up to 2,000. */
  points(query?: HistoryQuery): Promise<{ items: CheckPoint[]; next?: string; total: number }>;
}

/** A check as the chart and the history's pages list it: counts, no key names. */
export interface CheckPoint {
  readonly id: string;
  readonly environment?: string;
  readonly checked_at: string;
  readonly trigger: Trigger;
  readonly has_drift: boolean;
  readonly summary: DriftReport['summary'];
  readonly targets: readonly {
    readonly id: string;
    readonly has_drift: boolean;
    readonly missing: number;
    readonly conflicts: number;
    readonly extra: number;
    readonly unknown: number;
  }[];
}

export interface LatestCheck {
  readonly check_id: string;
  readonly checked_at: string;
  readonly trigger: Trigger;
  readonly has_drift: boolean;
}

const LATEST = 'latest/targets';
/** Largest page of records (`list`) and of points (`points`, counts only: a week of ten targets). */
const MAX_PAGE = 500;
const MAX_POINTS = 2000;

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

  // Updates of one blob are batched within this process — the changes queued while one
  // compare-and-set is in flight go together in the next — and compare-and-set across processes:
  // a sweep recording a check per target writes each shared count once per round, not per target.
  type Change = (was: unknown) => unknown;
  const queued = new Map<
    string,
    { changes: Change[]; done: { resolve(): void; reject(e: unknown): void }[] }
  >();
  const draining = new Set<string>();
  function update<T>(key: string, change: (was: T | undefined) => T | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const batch = queued.get(key) ?? { changes: [], done: [] };
      queued.set(key, batch);
      batch.changes.push(change as Change);
      batch.done.push({ resolve, reject });
      if (!draining.has(key)) void drain(key);
    });
  }

  async function drain(key: string): Promise<void> {
    draining.add(key);
    try {
      for (let batch = queued.get(key); batch; batch = queued.get(key)) {
        queued.delete(key);
        const { changes, done } = batch;
        // Each change sees the one before it; undefined from all of them writes nothing.
        const all = (was: unknown) => {
          let value = was;
          let changed = false;
          for (const change of changes) {
            const next = change(value);
            if (next !== undefined) [value, changed] = [next, true];
          }
          return changed ? value : undefined;
        };
        try {
          await updateOnce(key, all);
          for (const d of done) d.resolve();
        } catch (error) {
          for (const d of done) d.reject(error);
        }
      }
    } finally {
      draining.delete(key);
    }
  }

  async function updateOnce<T>(key: string, change: (was: T | undefined) => T | undefined): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 20));
      const current = await getJsonWithEtag<T>(store, key);
      const next = change(current?.data);
      if (next === undefined) return; // nothing to change
      const written = current
        ? await store.setJSON(key, next, { onlyIfMatch: current.etag })
        : await store.setJSON(key, next, { onlyIfNew: true });
      if (written.modified) return;
    }
    throw new Error(`history: could not update ${key}`);
  }

  const count = (scope: string, day: string, drift: boolean) =>
    update<IndexCounts>(`counts/${scope}`, (was = EMPTY) => ({
      total: was.total + 1,
      drift: was.drift + (drift ? 1 : 0),
      parity: was.parity + (drift ? 0 : 1),
      days: was.days.includes(day) ? was.days : [...was.days, day].sort(),
    }));

  /**
   * Each index's checks of a day, in one blob (`digest/<scope>/<day>`): a page or a chart window
   * reads the days it covers instead of listing index keys, so its cost does not grow with the
   * history. Days recorded before digests existed are listed from their index keys.
   */
  const digest = (scope: string, day: string, point: CheckPoint) =>
    update<CheckPoint[]>(`digest/${scope}/${day}`, (was = []) =>
      was.some((p) => p.id === point.id) ? undefined : [...was, point].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );

  /** A day's checks of an index, oldest first: its digest, else its index keys and records. */
  async function dayPoints(scope: string, prefix: string, day: string): Promise<CheckPoint[]> {
    const kept = await getJson<CheckPoint[]>(store, `digest/${scope}/${day}`);
    if (Array.isArray(kept)) return kept;
    const ids = (await listKeys(store, `${prefix}${day}/`))
      .map((key) => key.slice(prefix.length + day.length + 1))
      .map((name) => name.slice(0, name.lastIndexOf('.')))
      .filter((id) => ID.test(id))
      .sort();
    const records = await Promise.all(ids.map((id) => getJson<CheckRecord>(store, `checks/${id}`)));
    return records.filter((r): r is CheckRecord => r !== undefined).map(pointOf);
  }

  /** Newest first, one page of points, by the days the index has. */
  async function page(
    query: HistoryQuery,
    max: number,
  ): Promise<{ points: CheckPoint[]; next?: string; total: number }> {
    const scope = query.target ? `target/${query.target}` : 'all';
    const prefix = query.target ? `by-target/${query.target}/` : 'all/';
    const counts = (await getJson<IndexCounts>(store, `counts/${scope}`)) ?? EMPTY;
    const since = query.since ? `chk_${timeKey(new Date(query.since))}` : undefined;
    const limit = Math.min(query.limit ?? 50, max);
    const cursorDay = query.cursor && ID.test(query.cursor) ? dayOf(query.cursor) : undefined;
    const found: CheckPoint[] = [];
    let sinceTotal = 0;
    for (const day of [...counts.days].reverse()) {
      if (cursorDay && day > cursorDay) continue;
      if (since && day < dayOf(since)) break;
      const points = (await dayPoints(scope, prefix, day))
        .filter((p) => !query.status || p.has_drift === (query.status === 'drift'))
        .filter((p) => !since || p.id >= since);
      sinceTotal += points.length;
      found.push(...points.filter((p) => !query.cursor || p.id < query.cursor).reverse());
      // One more than the page tells whether there is a next one; `since` counts every day it covers.
      if (found.length > limit && !since) break;
    }
    const points = found.slice(0, limit);
    const total = since ? sinceTotal : query.status ? counts[query.status] : counts.total;
    return { points, next: found.length > limit ? points[points.length - 1]?.id : undefined, total };
  }

  /** The newest check of each target, kept as checks are recorded: status without a listing. */
  const noteLatest = (record: CheckRecord) =>
    update<Record<string, LatestCheck>>(LATEST, (was) => {
      const latest = new Map(Object.entries(was ?? {}));
      let changed = false;
      for (const t of record.targets) {
        const known = latest.get(t.id);
        if (known && known.check_id >= record.id) continue;
        latest.set(t.id, {
          check_id: record.id,
          checked_at: record.checked_at,
          trigger: record.trigger,
          has_drift: t.has_drift,
        });
        changed = true;
      }
      return changed ? Object.fromEntries(latest) : undefined;
    });

  return {
    async record({ report, trigger, correlationId, durationMs, at, environment }) {
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
        ...(environment !== undefined ? { environment } : {}),
      };
      await store.setJSON(`checks/${id}`, record, { onlyIfNew: true });
      // Index keys: every check, and every target of it, with the status in the name.
      const day = dayOf(id);
      await Promise.all([
        store.set(`all/${day}/${id}.${status(record.has_drift)}`, ''),
        ...record.targets.map((t) => store.set(`by-target/${t.id}/${day}/${id}.${status(t.has_drift)}`, '')),
      ]);
      const point = pointOf(record);
      await Promise.all([
        count('all', day, record.has_drift),
        ...record.targets.map((t) => count(`target/${t.id}`, day, t.has_drift)),
        digest('all', day, point),
        ...record.targets.map((t) => digest(`target/${t.id}`, day, point)),
        noteLatest(record),
      ]);
      return record;
    },
    async latest() {
      const found = await getJson<Record<string, LatestCheck>>(store, LATEST);
      return new Map(found ? Object.entries(found) : []);
    },
    async get(id) {
      return ID.test(id) ? getJson<CheckRecord>(store, `checks/${id}`) : undefined;
    },
    async list(query = {}) {
      const { points, next, total } = await page(query, MAX_PAGE);
      const items = await Promise.all(points.map((p) => getJson<CheckRecord>(store, `checks/${p.id}`)));
      return { items: items.filter((r): r is CheckRecord => r !== undefined), next, total };
    },
    async points(query = {}) {
      const { points, next, total } = await page(query, MAX_POINTS);
      return { items: points, next, total };
    },
  };
}

/** A check's counts, for the day digests. */
function pointOf(record: CheckRecord): CheckPoint {
  return {
    id: record.id,
    ...(record.environment !== undefined ? { environment: record.environment } : {}),
    checked_at: record.checked_at,
    trigger: record.trigger,
    has_drift: record.has_drift,
    summary: record.summary,
    targets: record.targets.map((t) => ({
      id: t.id,
      has_drift: t.has_drift,
      missing: t.missing.length,
      conflicts: t.conflicts.length,
      extra: t.extra.length,
      unknown: t.unknown.length,
    })),
  };
}
