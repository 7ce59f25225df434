/**
 * The parity page's time to first render (status strip, chart and first history page) over a year
 * of hourly checks, in headless Chromium against the API on local Blobs, median of 5 fresh loads;
 * a month of checks beside it shows what grows with the number of records.
 */
import { launchChromium } from '../page/support/browser.ts';
import { PAGE_TOKENS, startPageFixture } from '../page/support/fixture.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const SIZES = [720, 8_760];
const LOADS = 5;
const GOAL_MS = 1_000;

interface Load {
  /** From navigation start to `performance.mark('envsync:first-render')`. */
  readonly render: number;
  /** When the last API answer the first render needed arrived. */
  readonly api: number;
  readonly requests: number;
}

async function measure(records: number): Promise<{ loads: Load[]; seedMs: number }> {
  const seedStart = performance.now();
  const fixture = await startPageFixture({ checks: records, realChecks: false });
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
        const rendered = performance.getEntriesByName('envsync:first-render')[0]?.startTime ?? Number.NaN;
        const api = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter(
          (e) => e.name.includes('/api/') && e.responseEnd <= rendered,
        );
        return { render: rendered, api: Math.max(0, ...api.map((e) => e.responseEnd)), requests: api.length };
      });
      if (Number.isNaN(load.render)) throw new Error('the page set no first-render mark');
      await page.close();
      if (i > 0) loads.push(load); // the first load warms the server's JIT and the browser's cache
    }
  } finally {
    await browser.close();
    await fixture.close();
  }
  return { loads, seedMs };
}

export async function benchPage(): Promise<BenchSection> {
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  const rows: string[][] = [];
  let seedNote = '';
  for (const records of SIZES) {
    const { loads, seedMs } = await measure(records);
    const renders = loads.map((l) => l.render);
    const render = median(renders);
    const api = median(loads.map((l) => l.api));
    rows.push([
      records.toLocaleString('en'),
      String(loads[0]?.requests ?? 0),
      fmt(api),
      fmt(render - api),
      fmt(render),
      `${fmt(Math.min(...renders))} – ${fmt(Math.max(...renders))}`,
      `≤ ${fmt(GOAL_MS)} ${render <= GOAL_MS ? '(met)' : '(missed)'}`,
    ]);
    seedNote = `Seeding ${records.toLocaleString('en')} checks through the history store took ${(seedMs / 1000).toFixed(0)} s.`;
  }
  return {
    title: 'Parity page: time to first render',
    note:
      'Hourly checks of 4 targets on a local Blobs server (8,760 = a year); the page in headless Chromium ' +
      "(Debian's, playwright-core), from navigation start to the first render of the status strip, the 7-day " +
      "chart and the first history page (`performance.mark('envsync:first-render')` in app.js); median of " +
      `${LOADS} loads after a warm-up load. The page asks for one history page (25 checks), one chart window ` +
      '(the last 7 days, ≤ 500 checks a request) and the targets, never the whole year. "API answered" is ' +
      'when the last of those answers arrived, "page work" the rest. Each answer lists every index key of ' +
      'the history store (src/store/history.ts keeps one key per check, and `list` reads them all to page), ' +
      `so the API's time grows with the number of checks while the page's does not. ${seedNote}`,
    headers: [
      'checks',
      'requests',
      'API answered',
      'page work',
      'first render (median)',
      'min – max',
      'goal',
    ],
    rows,
  };
}
