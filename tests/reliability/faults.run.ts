/* eslint-disable no-console -- a script that prints its figures */
/**
 * The full-size fault run: `npx tsx tests/reliability/faults.run.ts` (200 scenarios; set
 * `ENVSYNC_FAULT_SCENARIOS` for another count and `ENVSYNC_FAULT_SEED` to replay a run). Prints
 * the figures and writes them to docs/reliability/faults.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faultSeed, runFaults } from './faults-harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const scenarios = Number(process.env['ENVSYNC_FAULT_SCENARIOS'] ?? 200);
  const seed = faultSeed();
  console.log(`fault run: ${scenarios} scenarios, seed ${seed} (replay: ENVSYNC_FAULT_SEED=${seed})`);
  const f = await runFaults({
    scenarios,
    seed,
    onScenario: (line) => {
      if (process.env['ENVSYNC_FAULT_VERBOSE']) console.log(line);
    },
  });
  const kinds = Object.entries(f.faultsInjected)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const lines = [
    '',
    '| figure | value |',
    '| --- | --- |',
    `| seed | ${f.seed} |`,
    `| scenarios | ${f.scenarios} |`,
    `| fault rate asked | ${(f.faultRate * 100).toFixed(0)} % (${Object.entries(f.faultRates)
      .map(([k, r]) => `${k} ${((r ?? 0) * 100).toFixed(1)} %`)
      .join(', ')}) |`,
    `| requests made | ${f.requests} (GitHub ${f.requestsByProvider['github']}, Render ${f.requestsByProvider['render']}, Netlify ${f.requestsByProvider['netlify']}) |`,
    `| faults injected | ${f.faultsTotal} (${((f.faultsTotal / Math.max(1, f.requests)) * 100).toFixed(1)} %): ${kinds} |`,
    `| retries | ${f.retries} |`,
    `| writes planned (first syncs) | ${f.writesPlanned} |`,
    `| syncs per scenario | max ${f.syncs.max}, mean ${f.syncs.mean.toFixed(2)} (histogram ${JSON.stringify(f.histogram)}); ${f.syncsThrown} threw before writing |`,
    `| converged | ${f.converged}/${f.scenarios} |`,
    `| lost | ${f.lost} |`,
    `| duplicated variables | ${f.duplicated} |`,
    `| duplicated events/audit entries | ${f.duplicatedRecords} |`,
    `| wall time | ${(f.wallMs / 1000).toFixed(1)} s (attempt timeout ${f.attemptTimeoutMs} ms, stalls ${f.stallMs} ms, time scale ${f.timeScale}) |`,
    '',
  ];
  console.log(lines.join('\n'));
  for (const p of f.problems) console.log(`problem: scenario ${p.scenario}: ${p.problem}`);
  const out = path.join(root, 'docs', 'reliability', 'faults.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, ...f }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(root, out)}`);
  if (f.problems.length > 0 || f.converged !== f.scenarios) process.exitCode = 1;
}

await main();
