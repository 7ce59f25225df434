/* eslint-disable no-console -- a script that prints its figures */
/**
 * The full-size rate-limit run: `npx tsx tests/reliability/rate-limits.run.ts`. 500 GitHub org
 * secrets, 500 Render variables, 500 Netlify creates and 500 Netlify updates against sandboxes
 * enforcing the real budgets, time-scaled (GitHub and Render minutes last 3 s and 1 s, Netlify's
 * 6 s). Prints the figures and writes docs/reliability/rate-limits.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, runCase } from './rate-limits-harness.ts';
import type { Case, CaseFigures } from './rate-limits-harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCALES: Record<Case, number> = {
  'github-org-secrets': 1 / 20,
  render: 1 / 60,
  'netlify-creates': 1 / 10,
  'netlify-updates': 1 / 10,
};

async function main(): Promise<void> {
  const results: CaseFigures[] = [];
  for (const kind of CASES)
    results.push(await runCase(kind, { keys: 500, timeScale: SCALES[kind], renderMerged: false }));
  const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;
  const lines = [
    'Pacing bound: N requests of the budget class under L per window W → the last arrives ≥ (⌈N/L⌉ − 1) × W after the first.',
    'Measured: first to last arrival of those requests in the sandbox log; ratio = measured ÷ bound (goal ≤ 1.05).',
    '',
    '| case | budget | time scale (W real) | requests | N counted | 403/429 | bound | measured | ratio | whole sync | whole ÷ bound |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results
      .map((r) =>
        [
          r.case,
          r.budget,
          `1/${Math.round(1 / r.timeScale)} (${ms(r.windowRealMs)})`,
          String(r.requests),
          String(r.counted),
          String(r.refused),
          ms(r.boundMs),
          ms(r.spanMs),
          r.ratio === undefined ? 'n/a (fits one window)' : r.ratio.toFixed(3),
          ms(r.wallMs),
          r.wallRatio === undefined ? 'n/a' : r.wallRatio.toFixed(3),
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
  ];
  console.log(lines.join('\n'));
  const out = path.join(root, 'docs', 'reliability', 'rate-limits.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        node: process.version,
        formula:
          'bound = (ceil(N / L) - 1) * W; ratio = (last - first arrival of the N counted requests) / bound',
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${path.relative(root, out)}`);
  if (results.some((r) => r.refused > 0 || !r.ok || (r.ratio !== undefined && r.ratio > 1.05)))
    process.exitCode = 1;
}

await main();
