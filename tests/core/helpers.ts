import { fingerprinter } from '../../src/core/fingerprint.ts';
import type { EnvMap, EnvValue, Ledger, Policy, Source, Target } from '../../src/core/model.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import { plan } from '../../src/core/plan.ts';
import type { PlanInput } from '../../src/core/plan.ts';
import { PERMISSIVE_RULES } from '../../src/core/rules.ts';
import type { TargetRules } from '../../src/core/rules.ts';
import { Secret } from '../../src/core/secret.ts';

export const fingerprint = fingerprinter('test-key');
export const NOW = '2026-11-24T12:00:00.000Z';

export function values(record: Record<string, string>): Map<string, EnvValue> {
  return new Map(
    Object.entries(record).map(([k, v]) => [k, { kind: 'value', value: new Secret(v) } as const]),
  );
}

export function writeOnly(record: Record<string, string>): Map<string, EnvValue> {
  return new Map(
    Object.entries(record).map(([k, updatedAt]) => [k, { kind: 'write-only', updatedAt } as const]),
  );
}

export const SOURCE: Source = { kind: 'manifest', id: 'manifest' };
export const RENDER: Target = {
  id: 'render',
  provider: 'render',
  scope: { kind: 'service', serviceId: 'srv-1' },
};
export const NETLIFY: Target = {
  id: 'netlify',
  provider: 'netlify',
  scope: { siteId: 'site-1', context: 'production' },
};
export const GITHUB: Target = {
  id: 'github',
  provider: 'github',
  store: 'secrets',
  scope: { kind: 'repo', owner: 'acme', repo: 'web' },
};

export function planOne(
  source: EnvMap,
  current: EnvMap,
  options: { policy?: Partial<Policy>; ledger?: Ledger; rules?: TargetRules; target?: Target } = {},
) {
  const target = options.target ?? RENDER;
  const input: PlanInput = {
    source: SOURCE,
    sourceValues: source,
    targets: [{ target, current, rules: options.rules ?? PERMISSIVE_RULES }],
    policy: { ...DEFAULT_POLICY, ...options.policy },
    ledger: options.ledger ?? new Map(),
    fingerprint,
    now: NOW,
  };
  const result = plan(input);
  const targetPlan = result.targets[0];
  if (!targetPlan) throw new Error('plan returned no target');
  return {
    plan: result,
    entries: targetPlan.entries,
    byKey: new Map(targetPlan.entries.map((e) => [e.key, e])),
  };
}
