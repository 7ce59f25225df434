/** `npm run bench`: runs every benchmark section, prints the tables and rewrites docs/BENCHMARKS.md. */
import { fileURLToPath } from 'node:url';
import {
  benchBaselines,
  benchLongSync,
  benchRateBound,
  benchRenderAnnounced,
  benchRenderMerged,
} from './baselines.bench.ts';
import { benchFunctions } from './functions.bench.ts';
import { benchHistoryReads } from './history.bench.ts';
import { benchSweep } from './sweep.bench.ts';
import { benchPage } from './page.bench.ts';
import { benchPlan } from './plan.bench.ts';
import { benchApiCalls, benchDriftLatency, benchSealing } from './providers.bench.ts';
import { benchAuditVerify, benchDriftMemory } from './records.bench.ts';
import { replaceSections, writeReport } from './report.ts';
import type { BenchSection } from './report.ts';

/** Every section by name, in the order of docs/BENCHMARKS.md. */
const SECTIONS: Record<string, () => BenchSection | Promise<BenchSection>> = {
  plan: benchPlan,
  'api-calls': benchApiCalls,
  baselines: benchBaselines,
  'rate-bound': benchRateBound,
  'render-announced': benchRenderAnnounced,
  'long-sync': benchLongSync,
  'render-merged': benchRenderMerged,
  sweep: benchSweep,
  'drift-latency': benchDriftLatency,
  sealing: benchSealing,
  'audit-verify': benchAuditVerify,
  'history-reads': benchHistoryReads,
  functions: benchFunctions,
  'drift-memory': benchDriftMemory,
  page: benchPage,
};

// `npm run bench -- --only long-sync,page` measures those sections and replaces only them.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
const unknown = (only ?? []).filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(`Unknown section ${unknown.join(', ')}. Sections: ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}
const names = only ?? Object.keys(SECTIONS);
const sections: { name: string; section: BenchSection }[] = [];
for (const name of names)
  sections.push({ name, section: await (SECTIONS[name] as () => Promise<BenchSection>)() });
const file = fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url));
const text = only
  ? await replaceSections(file, sections)
  : await writeReport(
      file,
      sections.map((s) => s.section),
    );
console.log(text);
// The naive sweep's abandoned work (its scheduled door timed out) may still hold a timer: the
// report is written, so the run ends here rather than waiting for it.
process.exit(0);
