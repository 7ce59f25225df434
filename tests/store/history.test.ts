import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriftReport, TargetDrift } from '../../src/core/report.ts';
import { historyStore } from '../../src/store/history.ts';
import { localBlobs } from './helpers.ts';

let blobs: Awaited<ReturnType<typeof localBlobs>>;
beforeEach(async () => {
  blobs = await localBlobs();
});
afterEach(() => blobs.close());

const target = (id: string, drift: boolean): TargetDrift => ({
  id,
  provider: 'render',
  label: id,
  has_drift: drift,
  missing: drift ? ['A'] : [],
  extra: [],
  conflicts: [],
  unknown: [],
  invalid: [],
  in_parity: [],
  skipped: [],
  counts: { create: drift ? 1 : 0, update: 0, delete: 0, noop: 1, unknown: 0, skip: 0 },
});
const report = (drifts: Record<string, boolean>): DriftReport => ({
  verified_at: '',
  has_drift: Object.values(drifts).some(Boolean),
  source: 'manifest',
  conflicts: {},
  summary: { total_keys: 2, synced: 1, in_parity: 1, drifted: 1, unknown: 0, extra: 0, targets: 2 },
  targets: Object.entries(drifts).map(([id, d]) => target(id, d)),
});

describe('parity history', () => {
  it('filters by target, status and time from key names, newest first, with cursors', async () => {
    const history = historyStore(blobs.store('history'));
    const base = Date.UTC(2026, 10, 1);
    for (let i = 0; i < 6; i++) {
      await history.record({
        report: report({ render: i % 2 === 0, netlify: false }),
        trigger: 'schedule',
        correlationId: `c${i}`,
        durationMs: 12.4,
        at: new Date(base + i * 3_600_000),
      });
    }
    const all = await history.list({ limit: 4 });
    expect(all.total).toBe(6);
    expect(all.items.map((r) => r.correlation_id)).toEqual(['c5', 'c4', 'c3', 'c2']);
    const rest = await history.list({ limit: 4, cursor: all.next });
    expect(rest.items.map((r) => r.correlation_id)).toEqual(['c1', 'c0']);
    expect(rest.next).toBeUndefined();
    expect(
      (await history.list({ target: 'render', status: 'drift' })).items.map((r) => r.correlation_id),
    ).toEqual(['c4', 'c2', 'c0']);
    expect((await history.list({ target: 'netlify', status: 'drift' })).total).toBe(0);
    expect((await history.list({ since: new Date(base + 4 * 3_600_000).toISOString() })).total).toBe(2);
    const one = all.items[0];
    expect(await history.get(one?.id ?? '')).toEqual(one);
    expect(one).toMatchObject({ trigger: 'schedule', duration_ms: 12, has_drift: false });
    expect(await history.get('../checks/x')).toBeUndefined();
  });
});

describe('parity history over many days', () => {
  it('pages newest first across days, counts exactly under parallel recording, and filters by since', async () => {
    const history = historyStore(blobs.store('history'));
    const base = Date.UTC(2026, 9, 1);
    // 5 days × 12 checks, recorded all at once.
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        history.record({
          report: report({ render: i % 3 === 0, netlify: false }),
          trigger: 'schedule',
          correlationId: `c${i}`,
          durationMs: 1,
          at: new Date(base + i * 2 * 3_600_000),
        }),
      ),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await history.list({ limit: 7, cursor });
      expect(page.total).toBe(60);
      seen.push(...page.items.map((r) => r.correlation_id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `c${59 - i}`));
    expect((await history.list({ target: 'render', status: 'drift', limit: 500 })).total).toBe(20);
    const since = new Date(base + 48 * 3_600_000).toISOString();
    const recent = await history.list({ since, limit: 500 });
    expect(recent.total).toBe(36);
    expect(recent.items).toHaveLength(36);
    expect((await history.list({ since, status: 'drift', target: 'render' })).total).toBe(12);
  });
});

describe('parity history at scale: digests and the latest record', () => {
  it("keeps each target's newest check, whatever order checks are recorded in", async () => {
    const history = historyStore(blobs.store('history'));
    const base = Date.UTC(2026, 10, 2);
    const at = (h: number) => new Date(base + h * 3_600_000);
    await history.record({
      report: report({ render: true }),
      trigger: 'schedule',
      correlationId: 'new',
      durationMs: 1,
      at: at(5),
    });
    // An older check finishing later (a slow batch) does not replace the newer status.
    await history.record({
      report: report({ render: false, netlify: true }),
      trigger: 'manual',
      correlationId: 'old',
      durationMs: 1,
      at: at(1),
    });
    const latest = await history.latest();
    expect(latest.get('render')).toMatchObject({ has_drift: true, trigger: 'schedule' });
    expect(latest.get('netlify')).toMatchObject({ has_drift: true, trigger: 'manual' });
  });

  it('points come from the day digests with counts only; a day recorded before digests is listed from its index', async () => {
    const store = blobs.store('history');
    const history = historyStore(store);
    const base = Date.UTC(2026, 10, 3);
    for (let i = 0; i < 3; i++)
      await history.record({
        report: report({ render: i === 1 }),
        trigger: 'schedule',
        correlationId: `p${i}`,
        durationMs: 1,
        at: new Date(base + i * 86_400_000),
      });
    const points = await history.points({ limit: 10 });
    expect(points.items.map((p) => p.has_drift)).toEqual([false, true, false]);
    expect(points.items[1]?.targets).toEqual([
      { id: 'render', has_drift: true, missing: 1, conflicts: 0, extra: 0, unknown: 0 },
    ]);
    expect(JSON.stringify(points)).not.toContain('"A"'); // names stay in the records
    // The middle day as an earlier version left it: index keys and records, no digest.
    const day = points.items[1]?.id.slice(4, 14) ?? '';
    await store.delete(`digest/all/${day}`);
    const listed = await history.list({ limit: 10 });
    expect(listed.items.map((r) => r.correlation_id)).toEqual(['p2', 'p1', 'p0']);
    expect((await history.points({ limit: 10 })).items.map((p) => p.id)).toEqual(
      points.items.map((p) => p.id),
    );
  });
});
