/** CPU cost of `plan`: 1k, 10k and 100k keys × 3 targets, to show it grows linearly. */
import { fingerprinter } from '../../src/core/fingerprint.ts';
import type { EnvValue, Target } from '../../src/core/model.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import { plan } from '../../src/core/plan.ts';
import { Secret } from '../../src/core/secret.ts';
import { githubRules } from '../../src/providers/github-rules.ts';
import { netlifyRules } from '../../src/providers/netlify-rules.ts';
import { renderRules } from '../../src/providers/render-rules.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const RENDER: Target = { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: 'srv-1' } };
const NETLIFY: Extract<Target, { provider: 'netlify' }> = {
  id: 'netlify',
  provider: 'netlify',
  scope: { siteId: 's', context: 'production' },
};
const GITHUB: Extract<Target, { provider: 'github' }> = {
  id: 'github',
  provider: 'github',
  store: 'variables',
  scope: { kind: 'org', org: 'acme' },
};

/** `drift` 1 = heavy drift (about a quarter of each target differs); 0.1 = a tenth of that. */
function scenario(keys: number, drift: number) {
  const source = new Map<string, EnvValue>();
  const a = new Map<string, EnvValue>();
  const b = new Map<string, EnvValue>();
  const c = new Map<string, EnvValue>();
  for (let i = 0; i < keys; i++) {
    const key = `KEY_${i}`;
    const value = { kind: 'value', value: new Secret(`value-${i}`) } as const;
    source.set(key, value);
    // A realistic mix: most in sync, some differing, some missing, some extra.
    const every = (n: number) => i % Math.round(n / drift) === 0;
    if (!every(10)) a.set(key, every(7) ? { kind: 'value', value: new Secret('other') } : value);
    if (!every(13)) b.set(key, value);
    c.set(every(17) ? `EXTRA_${i}` : key, value);
  }
  return { source, targets: [a, b, c] };
}

function timePlan(keys: number, runs: number, drift = 1): number {
  const { source, targets } = scenario(keys, drift);
  const fingerprint = fingerprinter('bench');
  const input = {
    source: { kind: 'manifest', id: 'manifest' } as const,
    sourceValues: source,
    targets: [
      { target: RENDER, current: targets[0] ?? new Map(), rules: renderRules },
      { target: NETLIFY, current: targets[1] ?? new Map(), rules: netlifyRules(NETLIFY) },
      {
        target: GITHUB,
        current: targets[2] ?? new Map(),
        rules: { ...githubRules(GITHUB), capacity: undefined },
      },
    ],
    policy: DEFAULT_POLICY,
    ledger: new Map(),
    fingerprint,
    now: new Date(0).toISOString(),
  };
  plan(input); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    plan(input);
    times.push(performance.now() - start);
  }
  return median(times);
}

export function benchPlan(): BenchSection {
  const t1k = timePlan(1_000, 31);
  const t10k = timePlan(10_000, 15);
  const t100k = timePlan(100_000, 5);
  const t10kLow = timePlan(10_000, 15, 0.1);
  return {
    title: 'plan (CPU): keys × 3 targets',
    note:
      'Median of repeated runs after a warm-up; the ratio column shows growth against 1k keys (10.0 per 10× = linear). ' +
      'Heavy drift: about a quarter of each target missing, differing or extra; light drift: a tenth of that, the usual drift check. ' +
      'Every differing value costs a keyed HMAC-SHA256 fingerprint (about 2 µs here), which is half the heavy-drift time. GitHub capacity limits lifted so every key is planned.',
    headers: ['keys × 3 targets', 'drift', 'median ms', 'ratio to 1k', 'goal'],
    rows: [
      ['1,000', 'heavy', t1k.toFixed(2), '1.00', ''],
      [
        '10,000',
        'heavy',
        t10k.toFixed(2),
        (t10k / t1k).toFixed(2),
        `≤ 20 ms: ${t10k <= 20 ? 'met' : 'missed'}`,
      ],
      ['100,000', 'heavy', t100k.toFixed(2), (t100k / t1k).toFixed(2), ''],
      ['10,000', 'light', t10kLow.toFixed(2), '', `≤ 20 ms: ${t10kLow <= 20 ? 'met' : 'missed'}`],
    ],
  };
}
