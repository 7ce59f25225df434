/** `npm run bench`: runs every benchmark section, prints the tables and rewrites docs/BENCHMARKS.md. */
import { fileURLToPath } from 'node:url';
import { benchBaselines, benchRateBound, benchRenderAnnounced } from './baselines.bench.ts';
import { benchFunctions } from './functions.bench.ts';
import { benchPage } from './page.bench.ts';
import { benchPlan } from './plan.bench.ts';
import { benchApiCalls, benchDriftLatency, benchSealing } from './providers.bench.ts';
import { benchAuditVerify, benchDriftMemory } from './records.bench.ts';
import { writeReport } from './report.ts';

const sections = [
  benchPlan(),
  await benchApiCalls(),
  await benchBaselines(),
  await benchRateBound(),
  await benchRenderAnnounced(),
  await benchDriftLatency(),
  await benchSealing(),
  await benchAuditVerify(),
  await benchFunctions(),
  await benchDriftMemory(),
  await benchPage(),
];
const text = await writeReport(fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url)), sections);
console.log(text);
