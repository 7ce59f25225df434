/**
 * The parity page's time to first render (status strip, chart and first history page) at ten
 * targets checked hourly for a year (87,600 checks), in headless Chromium against the API on local
 * Blobs, median of 5 fresh loads; three days of the same (720) beside it, in one run.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium } from '../page/support/browser.ts';
import { PAGE_TOKENS, REPO_ROOT, startPageFixture } from '../page/support/fixture.ts';
import { seedHistory } from './history.bench.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const SIZES = [720, 87_600];
/** Ten targets on the sandbox's three providers: every Netlify context, GitHub environments. */
const TARGETS = [
  { id: 'render', provider: 'render', yaml: 'provider: render' },
  { id: 'netlify', provider: 'netlify', yaml: 'provider: netlify, context: all' },
  { id: 'netlify-production', provider: 'netlify', yaml: 'provider: netlify, context: production' },
  { id: 'netlify-previews', provider: 'netlify', yaml: 'provider: netlify, context: deploy-preview' },
  { id: 'netlify-branches', provider: 'netlify', yaml: 'provider: netlify, context: branch-deploy' },
  { id: 'netlify-dev', provider: 'netlify', yaml: 'provider: netlify, context: dev' },
  { id: 'github-vars', provider: 'github', yaml: 'provider: github, store: variables' },
  { id: 'github-secrets', provider: 'github', yaml: 'provider: github, store: secrets' },
  {
    id: 'staging-vars',
    provider: 'github',
    yaml: 'provider: github, store: variables, environment: staging',
  },
  {
    id: 'staging-secrets',
    provider: 'github',
    yaml: 'provider: github, store: secrets, environment: staging',
  },
] as const;

async function benchManifest(dir: string): Promise<string> {
  await copyFile(path.join(REPO_ROOT, 'docs/examples/seed.env'), path.join(dir, 'seed.env'));
  const file = path.join(dir, 'page-bench.manifest.yaml');
  await writeFile(
    file,
    [
      'version: 1',
      'source: manifest',
      'seed: seed.env',
      'targets:',
      ...TARGETS.map((t) => `  ${t.id}: { ${t.yaml} }`),
      'policy:',
      '  exclude: [RENDER_, NETLIFY_]',
      '',
    ].join('\n'),
  );
  return file;
}
const LOADS = 5;
const GOAL_MS = 1_000;

interface Load {
  /** From navigation start to `performance.mark('envsync:first-render')`. */
  readonly render: number;
  /** When the last API answer the first render needed arrived. */
  readonly api: number;
  readonly requests: number;
}

interface Site {
  readonly url: string;
  close(): Promise<void>;
}

async function site(records: number): Promise<Site> {
  const dir = await mkdtemp(path.join(tmpdir(), 'page-bench-'));
  const fixture = await startPageFixture({
    realChecks: false,
    manifest: await benchManifest(dir),
    // Hourly checks ending an hour ago, seeded in the store's own layout (as the history bench does).
    seedBlobs: (blobs) => seedHistory(blobs, records, TARGETS, Date.now() - 3_600_000),
  });
  return {
    url: fixture.url,
    async close() {
      await fixture.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One fresh load of the page in a new tab: when it rendered and which API answers it waited for. */
async function load(browser: Awaited<ReturnType<typeof launchChromium>>, url: string): Promise<Load> {
  const page = await browser.context.newPage();
  try {
    await page.addInitScript((t) => sessionStorage.setItem('envsync.token', t), PAGE_TOKENS.viewer);
    await page.goto(`${url}/`);
    await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
    const got = await page.evaluate(() => {
      const rendered = performance.getEntriesByName('envsync:first-render')[0]?.startTime ?? Number.NaN;
      const api = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter(
        (e) => e.name.includes('/api/') && e.responseEnd <= rendered,
      );
      return { render: rendered, api: Math.max(0, ...api.map((e) => e.responseEnd)), requests: api.length };
    });
    if (Number.isNaN(got.render)) throw new Error('the page set no first-render mark');
    return got;
  } finally {
    await page.close();
  }
}

export async function benchPage(): Promise<BenchSection> {
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  const seedStart = performance.now();
  const sites: Site[] = [];
  const browser = await launchChromium();
  const loads: Load[][] = SIZES.map(() => []);
  let seedMs: number;
  try {
    for (const records of SIZES) sites.push(await site(records));
    seedMs = performance.now() - seedStart;
    // The first load of each warms the server's JIT and the browser's cache; then the two in
    // alternation, so that whatever else the machine does hits both.
    for (const s of sites) await load(browser, s.url);
    for (let i = 0; i < LOADS; i++)
      for (const [n, s] of sites.entries()) loads[n]?.push(await load(browser, s.url));
  } finally {
    await browser.close();
    for (const s of sites) await s.close();
  }
  const renders = loads.map((l) => median(l.map((x) => x.render)));
  const rows = SIZES.map((records, n) => {
    const mine = loads[n] ?? [];
    const render = renders[n] ?? 0;
    const api = median(mine.map((l) => l.api));
    return [
      records.toLocaleString('en'),
      String(mine[0]?.requests ?? 0),
      fmt(api),
      fmt(render - api),
      fmt(render),
      `${fmt(Math.min(...mine.map((l) => l.render)))} – ${fmt(Math.max(...mine.map((l) => l.render)))}`,
      n === 0 ? '' : ((renders[n] ?? 0) / (renders[0] ?? 1)).toFixed(2),
      `≤ ${fmt(GOAL_MS)} ${render <= GOAL_MS ? '(met)' : '(missed)'}`,
    ];
  });
  return {
    title: 'Parity page: time to first render',
    note:
      `Ten targets (${TARGETS.map((t) => t.id).join(', ')}) checked hourly, one record per target ` +
      'as a sweep records them: three days (720 checks) and a year (87,600), each in its own local Blobs ' +
      "server, seeded in the history store's layout (tests/bench/history.bench.ts). The page in headless " +
      "Chromium (Debian's, playwright-core), as a viewer, from navigation start to the first render of the " +
      "status strip, the 7-day chart and the first history page (`performance.mark('envsync:first-render')`); " +
      `median of ${LOADS} fresh loads of each, the two in alternation after a warm-up load. The page asks ` +
      "for its token's role, the targets (one read of the latest-check record), one history page (25 records) " +
      'and the chart window (`GET /api/history/points`: the day digests, counts only, up to 2,000 checks a request), ' +
      'never the whole year. "API answered" is when the last of those answers arrived, "page work" the rest. ' +
      `Seeding both took ${(seedMs / 1000).toFixed(0)} s.`,
    headers: [
      'checks',
      'requests',
      'API answered',
      'page work',
      'first render (median)',
      'min – max',
      'ratio to 720',
      'goal',
    ],
    rows,
  };
}
