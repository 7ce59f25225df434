/**
 * History reads at organisation scale: what the page asks for (a page of 25 checks, a 7-day chart
 * window, every target's status) at 720 checks and at 87,600 (10 targets checked hourly for a
 * year, one check per target as a sweep records them), side by side in one run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import type { CheckRecord } from '../../src/store/history.ts';
import { historyStore } from '../../src/store/history.ts';
import { seedStore } from './blobs-seed.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const TARGETS = Array.from({ length: 10 }, (_, i) => ({ id: `target-${i}`, provider: 'render' as const }));
const HOUR = 3_600_000;
const END = Date.parse('2026-11-30T23:30:00.000Z');

const idOf = (at: number, n: number) =>
  `chk_${new Date(at).toISOString().replace(/[:.]/g, '-')}_${n.toString(16).padStart(8, '0')}`;

/**
 * Seeds `checks` records straight into the local Blobs server's folder: recording 87,600 checks
 * through the store (one compare-and-set per count) would take hours and measure the writes. The
 * layout is the store's own (record, day index keys, counts, latest), checked after seeding by
 * reading it back through the store.
 */
export async function seedHistory(
  dir: string,
  checks: number,
  targets: readonly {
    readonly id: string;
    readonly provider: CheckRecord['targets'][number]['provider'];
  }[] = TARGETS,
  end = END,
): Promise<void> {
  const files = new Map<string, string>();
  const counts = new Map<string, { total: number; drift: number; parity: number; days: Set<string> }>();
  const latest: Record<string, unknown> = {};
  const digests = new Map<string, unknown[]>();
  const perTarget = checks / targets.length;
  for (let h = 0; h < perTarget; h++) {
    for (const [n, { id: target, provider }] of targets.entries()) {
      const at = end - (perTarget - 1 - h) * HOUR + n * 1000;
      const id = idOf(at, h * targets.length + n);
      const drift = (h + n) % 7 === 0;
      const day = id.slice(4, 14);
      const record: CheckRecord = {
        id,
        checked_at: new Date(at).toISOString(),
        trigger: 'schedule',
        source: 'render',
        correlation_id: `c${h}-${n}`,
        duration_ms: 120,
        has_drift: drift,
        summary: {
          total_keys: 100,
          synced: 99,
          in_parity: 99,
          drifted: drift ? 1 : 0,
          unknown: 0,
          extra: 0,
          targets: 1,
        },
        targets: [
          {
            id: target,
            provider,
            label: target,
            has_drift: drift,
            missing: drift ? ['API_URL'] : [],
            extra: [],
            conflicts: [],
            unknown: [],
          },
        ],
      };
      const status = drift ? 'drift' : 'parity';
      files.set(`checks/${id}`, JSON.stringify(record));
      files.set(`all/${day}/${id}.${status}`, '');
      files.set(`by-target/${target}/${day}/${id}.${status}`, '');
      const point = {
        id,
        checked_at: record.checked_at,
        trigger: record.trigger,
        has_drift: drift,
        summary: record.summary,
        targets: [
          { id: target, has_drift: drift, missing: drift ? 1 : 0, conflicts: 0, extra: 0, unknown: 0 },
        ],
      };
      for (const scope of ['all', `target/${target}`]) {
        const key = `digest/${scope}/${day}`;
        digests.set(key, [...(digests.get(key) ?? []), point]);
        const c = counts.get(scope) ?? { total: 0, drift: 0, parity: 0, days: new Set<string>() };
        c.total += 1;
        c[status] += 1;
        c.days.add(day);
        counts.set(scope, c);
      }
      latest[target] = { check_id: id, checked_at: record.checked_at, trigger: 'schedule', has_drift: drift };
    }
  }
  for (const [scope, c] of counts)
    files.set(`counts/${scope}`, JSON.stringify({ ...c, days: [...c.days].sort() }));
  files.set('latest/targets', JSON.stringify(latest));
  for (const [key, points] of digests) files.set(key, JSON.stringify(points));
  await seedStore(dir, 'history', files);
}

interface Figures {
  readonly page: number;
  readonly chart: number;
  readonly status: number;
  readonly requests: Record<'page' | 'chart' | 'status', number>;
}

async function measure(dir: string, runs: number): Promise<Figures> {
  const blobs = await startLocalBlobs(dir);
  let requests = 0;
  const original = globalThis.fetch;
  const counting: typeof fetch = (input, init) => {
    requests += 1;
    return original(input, init);
  };
  globalThis.fetch = counting;
  try {
    const history = historyStore(blobs.store('history'));
    // Three days: all the small history holds, so both read the same window.
    const since = new Date(END - 71 * HOUR - 1000).toISOString();
    const time = async (work: () => Promise<unknown>) => {
      const ms: number[] = [];
      let used = 0;
      await work(); // warm-up
      for (let i = 0; i < runs; i++) {
        requests = 0;
        const start = performance.now();
        await work();
        ms.push(performance.now() - start);
        used = requests;
      }
      return { ms: median(ms), used };
    };
    const page = await time(async () => {
      const got = await history.list({ limit: 25 });
      if (got.items.length !== 25) throw new Error('history bench: a page is not 25 checks');
    });
    const chart = await time(() => history.points({ since, limit: 500 }));
    const status = await time(async () => {
      const latest = await history.latest();
      if (latest.size !== TARGETS.length) throw new Error('history bench: a target has no status');
    });
    return {
      page: page.ms,
      chart: chart.ms,
      status: status.ms,
      requests: { page: page.used, chart: chart.used, status: status.used },
    };
  } finally {
    globalThis.fetch = original;
    await blobs.close();
  }
}

export async function benchHistoryReads(): Promise<BenchSection> {
  const sizes = [720, 87_600];
  const dirs: string[] = [];
  try {
    for (const size of sizes) {
      const dir = await mkdtemp(path.join(tmpdir(), 'history-bench-'));
      dirs.push(dir);
      await seedHistory(dir, size);
    }
    // Side by side: the two stores measured in alternation, so drift of the machine hits both.
    const rounds: Figures[][] = [[], []];
    for (let round = 0; round < 3; round++)
      for (const [i, dir] of dirs.entries()) rounds[i]?.push(await measure(dir, 5));
    const figures = rounds.map((r) => ({
      page: median(r.map((f) => f.page)),
      chart: median(r.map((f) => f.chart)),
      status: median(r.map((f) => f.status)),
      requests: r[0]?.requests ?? { page: 0, chart: 0, status: 0 },
    }));
    const [small, large] = figures;
    const rows = (['page', 'chart', 'status'] as const).map((what) => {
      const ratio = (large?.[what] ?? 0) / (small?.[what] ?? 1);
      return [
        {
          page: 'a page of 25 checks',
          chart: 'a 3-day chart window (500 points)',
          status: "every target's status",
        }[what],
        `${(small?.[what] ?? 0).toFixed(1)} ms (${small?.requests[what] ?? 0} requests)`,
        `${(large?.[what] ?? 0).toFixed(1)} ms (${large?.requests[what] ?? 0} requests)`,
        ratio.toFixed(2),
        `≤ 1.2: ${ratio <= 1.2 ? 'met' : 'missed'}`,
      ];
    });
    return {
      title: 'History reads: 720 checks against 87,600',
      note:
        'Ten targets checked hourly, one check record per target (as a sweep records them): 72 hours (720 checks) and a year (87,600), on a local Blobs server, the two measured in alternation in one run (median of 3 rounds × 5 reads after a warm-up). ' +
        "Each index keeps its counts, its days and a digest per day (every check's counts, no key names): a page reads the newest day's digest and its 25 records; a chart window (`GET /api/history/points`) reads the digests of the days it covers and no record (3 days here: all the small history holds, so both read the same window); every target's status is one read of the record the history keeps of each target's newest check. Requests are HTTP requests to the Blobs server (on Netlify each is one Blobs API call). The store was seeded straight into the server's folder and read back through the store.",
      headers: ['read', '720 checks', '87,600 checks', 'ratio', 'goal'],
      rows,
    };
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}
