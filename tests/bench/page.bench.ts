/**
 * The parity page's time to first render (status strip, chart and first history page) over a year
 * of hourly checks, in headless Chromium against the API on local Blobs, median of 5 fresh loads.
 */
import { launchChromium } from '../../src/page/browser.ts';
import { PAGE_TOKENS, startPageFixture } from '../../src/page/fixture.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const RECORDS = 8_760;
const LOADS = 5;
const GOAL_MS = 1_000;

interface Load {
  readonly render: number;
  /** When the last API answer needed for the first render arrived. */
  readonly api: number;
  readonly requests: number;
  readonly fetched: number;
}

export async function benchPage(): Promise<BenchSection> {
  const seedStart = performance.now();
  const fixture = await startPageFixture({ checks: RECORDS });
  const seedMs = performance.now() - seedStart;
  const browser = await launchChromium();
  const loads: Load[] = [];
  try {
    for (let i = 0; i <= LOADS; i++) {
      const page = await browser.context.newPage();
      await page.addInitScript((t) => sessionStorage.setItem('envsync.token', t), PAGE_TOKENS.viewer);
      await page.goto(`${fixture.url}/`);
      await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
      const load = await page.evaluate(() => {
        const mark = performance.getEntriesByName('envsync:first-render')[0];
        const api = performance
          .getEntriesByType('resource')
          .filter((e) => e.name.includes('/api/')) as PerformanceResourceTiming[];
        const rendered = mark?.startTime ?? Number.NaN;
        const before = api.filter((e) => e.responseEnd <= rendered);
        return {
          render: rendered,
          api: Math.max(0, ...before.map((e) => e.responseEnd)),
          requests: before.length,
          fetched: document.querySelectorAll('#history-table tbody tr').length,
        };
      });
      await page.close();
      if (i > 0) loads.push(load); // the first load warms the server's JIT and the browser's cache
    }
  } finally {
    await browser.close();
    await fixture.close();
  }
  const render = median(loads.map((l) => l.render));
  const api = median(loads.map((l) => l.api));
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  return {
    title: 'Parity page: time to first render',
    note:
      `${RECORDS.toLocaleString('en')} hourly checks (a year) of 4 targets on a local Blobs server; the page in headless ` +
      `Chromium (Debian's, playwright-core), from navigation start to the first render of the status strip, the ` +
      `7-day chart and the first history page (${'`performance.mark`'} in app.js); median of ${LOADS} loads after a ` +
      `warm-up load. The page asks for one history page (25 checks) and one chart window (≤ 500 checks), never the ` +
      `whole year. "API answered" is when the last answer the first render needed arrived; the rest is the page's ` +
      `own work. Seeding the records through the history store took ${(seedMs / 1000).toFixed(0)} s.`,
    headers: ['records', 'requests', 'API answered (median)', 'first render (median)', 'min – max', 'goal'],
    rows: [
      [
        RECORDS.toLocaleString('en'),
        String(loads[0]?.requests ?? 0),
        fmt(api),
        fmt(render),
        `${fmt(Math.min(...loads.map((l) => l.render)))} – ${fmt(Math.max(...loads.map((l) => l.render)))}`,
        `≤ ${fmt(GOAL_MS)} ${render <= GOAL_MS ? '(met)' : '(missed)'}`,
      ],
    ],
  };
}
