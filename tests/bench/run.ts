/** `npm run bench`: runs every benchmark section, prints the tables and rewrites docs/BENCHMARKS.md. */
import { fileURLToPath } from 'node:url';
import { benchPlan } from './plan.bench.ts';
import { writeReport } from './report.ts';

const sections = [benchPlan()];
const text = await writeReport(fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url)), sections);
console.log(text);
