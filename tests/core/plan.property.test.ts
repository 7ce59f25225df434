import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyToMap, isWrite, nextLedgerEntries } from '../../src/core/apply.ts';
import type { EnvValue, Ledger, Policy } from '../../src/core/model.ts';
import { PERMISSIVE_RULES } from '../../src/core/rules.ts';
import { githubRules } from '../../src/providers/github-rules.ts';
import { GITHUB, NOW, planOne, values } from './helpers.ts';

const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/);
const env = fc.dictionary(key, fc.string({ maxLength: 8 }), { maxKeys: 12 });
const policy: fc.Arbitrary<Partial<Policy>> = fc.record({
  deletions: fc.constantFrom('never', 'managed', 'all'),
  mode: fc.constantFrom('overwrite', 'create-only'),
  exclude: fc.subarray(['A', 'B', 'X_']),
});

describe('plan properties', () => {
  it('applying a plan converges: the next plan changes nothing', () => {
    fc.assert(
      fc.property(env, env, policy, (source, target, pol) => {
        const first = planOne(values(source), values(target), { policy: pol });
        const tp = first.plan.targets[0];
        if (!tp) throw new Error('no target');
        const after = applyToMap(values(target), tp, PERMISSIVE_RULES);
        const second = planOne(values(source), after, { policy: pol });
        expect(second.entries.filter(isWrite)).toEqual([]);
      }),
    );
  });

  it('converges on write-only targets through the ledger', () => {
    fc.assert(
      fc.property(env, env, (source, target) => {
        const rules = githubRules(GITHUB as Extract<typeof GITHUB, { provider: 'github' }>);
        const current = new Map<string, EnvValue>(
          Object.keys(target).map((k) => [k, { kind: 'write-only', updatedAt: 't0' }]),
        );
        const first = planOne(values(source), current, {
          rules,
          target: GITHUB,
          policy: { overwriteUnknown: true },
        });
        const written = first.entries.filter(isWrite);
        const ledger: Ledger = new Map([['github', nextLedgerEntries(new Map(), written, () => 't1', NOW)]]);
        const after = new Map(current);
        for (const e of written) after.set(e.key, { kind: 'write-only', updatedAt: 't1' });
        const second = planOne(values(source), after, { rules, target: GITHUB, ledger });
        expect(second.entries.filter(isWrite)).toEqual([]);
      }),
    );
  });

  it('never deletes with deletions: never', () => {
    fc.assert(
      fc.property(env, env, fc.boolean(), (source, target, createOnly) => {
        const { entries } = planOne(values(source), values(target), {
          policy: { deletions: 'never', mode: createOnly ? 'create-only' : 'overwrite' },
        });
        expect(entries.some((e) => e.action === 'delete')).toBe(false);
      }),
    );
  });

  it('plans every selected key exactly once per target', () => {
    fc.assert(
      fc.property(env, env, (source, target) => {
        const { entries } = planOne(values(source), values(target));
        const keys = entries.map((e) => e.key);
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(keys)).toEqual(new Set([...Object.keys(source), ...Object.keys(target)]));
      }),
    );
  });
});
