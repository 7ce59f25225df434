/** Declared scopes in the plan engine: planned as changes, never touched when undeclared, refused and sized. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyToMap, isWrite } from '../../src/core/apply.ts';
import type {
  EnvValue,
  KeyRoute,
  Ledger,
  NetlifyScopeName,
  Policy,
  Source,
  Target,
} from '../../src/core/model.ts';
import { DEFAULT_POLICY, NETLIFY_SCOPES } from '../../src/core/model.ts';
import { plan } from '../../src/core/plan.ts';
import { Secret } from '../../src/core/secret.ts';
import { netlifyRules } from '../../src/providers/netlify-rules.ts';
import { fingerprint, NETLIFY, NOW, planOne, RENDER, SOURCE } from './helpers.ts';

const rules = netlifyRules(NETLIFY as Extract<Target, { provider: 'netlify' }>);
const ALL = ['builds', 'functions', 'runtime', 'post-processing'];

const value = (v: string, scopes?: readonly string[], extra: { scopesFixed?: string } = {}): EnvValue => ({
  kind: 'value',
  value: new Secret(v),
  ...(scopes ? { scopes } : {}),
  ...extra,
});
const routes = (r: Record<string, KeyRoute>) => ({ routes: r });
const onNetlify = (
  source: Map<string, EnvValue>,
  current: Map<string, EnvValue>,
  policy: Partial<Policy> = {},
  ledger?: Ledger,
) => planOne(source, current, { rules, target: NETLIFY, policy, ...(ledger ? { ledger } : {}) });

describe('declared scopes', () => {
  it('plans a scope difference as an update even when the values are equal, naming scopes only', () => {
    const { byKey, plan: p } = onNetlify(
      new Map([['API_URL', value('https://a')]]),
      new Map([['API_URL', value('https://a', ['builds', 'functions'])]]),
      routes({ API_URL: { scopes: ['builds', 'functions', 'runtime'] } }),
    );
    const e = byKey.get('API_URL');
    expect(e).toMatchObject({
      action: 'update',
      finding: 'conflict',
      reason: 'scopes: builds,functions → builds,functions,runtime',
      scopes: ['builds', 'functions', 'runtime'],
    });
    expect(e?.value?.reveal()).toBe('https://a');
    expect(JSON.stringify(p)).not.toContain('https://a');
  });

  it('adds the scope change to a value change, and creates new keys with the declared scopes', () => {
    const { byKey } = onNetlify(
      new Map([
        ['A', value('new')],
        ['B', value('b')],
      ]),
      new Map([['A', value('old', ALL)]]),
      routes({ A: { scopes: ['builds'] }, B: { scopes: ['runtime'] } }),
    );
    expect(byKey.get('A')).toMatchObject({
      action: 'update',
      reason: 'differs from source; scopes: builds,functions,runtime,post-processing → builds',
      scopes: ['builds'],
    });
    expect(byKey.get('B')).toMatchObject({ action: 'create', scopes: ['runtime'] });
  });

  it('is in sync when the scopes are the same in another order', () => {
    const { byKey } = onNetlify(
      new Map([['A', value('a')]]),
      new Map([['A', value('a', ['runtime', 'builds'])]]),
      routes({ A: { scopes: ['builds', 'runtime'] } }),
    );
    expect(byKey.get('A')).toMatchObject({ action: 'noop', finding: 'in-sync' });
  });

  it('without a declaration, a value change carries no scopes: the key keeps its own', () => {
    // Even from a source that has scopes (another Netlify site): undeclared scopes are never copied.
    const { byKey } = onNetlify(
      new Map([['A', value('new', ['builds'])]]),
      new Map([['A', value('old', ['functions'])]]),
    );
    expect(byKey.get('A')).toMatchObject({ action: 'update', reason: 'differs from source' });
    expect(byKey.get('A')?.scopes).toBeUndefined();
  });

  it('refuses a secret in post-processing, naming what to do', () => {
    const { byKey } = onNetlify(
      new Map([
        ['DECLARED', value('x')],
        ['ON_TARGET', value('y')],
      ]),
      new Map<string, EnvValue>([['ON_TARGET', { kind: 'write-only', scopes: ['builds'] }]]),
      routes({
        DECLARED: { secret: true, scopes: ['builds', 'post-processing'] },
        ON_TARGET: { scopes: ['post-processing'] },
      }),
    );
    for (const key of ['DECLARED', 'ON_TARGET'])
      expect(byKey.get(key)).toMatchObject({
        action: 'skip',
        finding: 'invalid',
        reason: expect.stringContaining('remove post-processing') as unknown,
      });
  });

  it('keeps scopes in create-only mode, and says why', () => {
    const { byKey } = onNetlify(new Map([['A', value('a')]]), new Map([['A', value('a', ['builds'])]]), {
      ...routes({ A: { scopes: ['functions'] } }),
      mode: 'create-only',
    });
    expect(byKey.get('A')).toMatchObject({
      action: 'noop',
      finding: 'conflict',
      reason: 'scopes: builds → functions; kept because mode is create-only',
    });
  });

  it('refuses a scope change the target cannot make, and still writes a value change', () => {
    const fixed = 'its other contexts are secret';
    const { byKey } = onNetlify(
      new Map([
        ['SAME', value('s')],
        ['NEW', value('n2')],
      ]),
      new Map([
        ['SAME', value('s', ['builds'], { scopesFixed: fixed })],
        ['NEW', value('n1', ['builds'], { scopesFixed: fixed })],
      ]),
      routes({ SAME: { scopes: ['runtime'] }, NEW: { scopes: ['runtime'] } }),
    );
    expect(byKey.get('SAME')).toMatchObject({
      action: 'skip',
      reason: `scopes: builds → runtime, but ${fixed}`,
    });
    expect(byKey.get('NEW')).toMatchObject({ action: 'update' });
    expect(byKey.get('NEW')?.scopes).toBeUndefined();
    expect(byKey.get('NEW')?.reason).toContain('left as they are');
  });

  it('ignores scopes on targets without them (Render)', () => {
    const { byKey } = planOne(new Map([['A', value('a')]]), new Map([['A', value('a')]]), {
      target: RENDER,
      policy: routes({ A: { scopes: ['builds'] } }),
    });
    expect(byKey.get('A')).toMatchObject({ action: 'noop', finding: 'in-sync' });
    expect(byKey.get('A')?.scopes).toBeUndefined();
  });

  it('a rollback restores the snapshot scopes of a key whose value is unchanged', () => {
    const source: Source = { kind: 'snapshot', id: 'snap-1' };
    const result = plan({
      source,
      sourceValues: new Map([['A', value('a', ['builds'])]]),
      targets: [{ target: NETLIFY, current: new Map([['A', value('a', ALL)]]), rules }],
      policy: DEFAULT_POLICY,
      ledger: new Map(),
      fingerprint,
      now: NOW,
    });
    expect(result.targets[0]?.entries[0]).toMatchObject({ action: 'update', scopes: ['builds'] });
    // From the manifest, the same values plan nothing: undeclared scopes are left alone.
    const fromManifest = plan({
      source: SOURCE,
      sourceValues: new Map([['A', value('a', ['builds'])]]),
      targets: [{ target: NETLIFY, current: new Map([['A', value('a', ALL)]]), rules }],
      policy: DEFAULT_POLICY,
      ledger: new Map(),
      fingerprint,
      now: NOW,
    });
    expect(fromManifest.targets[0]?.entries[0]).toMatchObject({ action: 'noop' });
  });
});

describe('the functions scope size limit', () => {
  const big = 'x'.repeat(1500);
  it('warns past 4 KB of names and values in the functions scope, naming the keys and the limit', () => {
    const { plan: p } = onNetlify(
      new Map([
        ['BIG_A', value(big)],
        ['BIG_B', value(big)],
        ['BIG_C', value(big)],
        ['BUILD_ONLY', value(big)],
      ]),
      new Map<string, EnvValue>([['HIDDEN', { kind: 'write-only', scopes: ['functions'] }]]),
      routes({ BUILD_ONLY: { scopes: ['builds'] } }),
    );
    const warnings = p.targets[0]?.warnings ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('4,096-byte limit');
    expect(warnings[0]).toContain('4,515 bytes');
    expect(warnings[0]).toContain('BIG_A (1,505 bytes)');
    expect(warnings[0]).not.toContain('BUILD_ONLY');
    expect(warnings[0]).toContain('1 write-only key not counted (HIDDEN)');
    expect(warnings[0]).not.toContain(big);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const { plan: p } = onNetlify(new Map([['EURO', value('€'.repeat(1400))]]), new Map());
    expect(p.targets[0]?.warnings?.[0]).toContain('EURO (4,204 bytes)');
  });

  it('says nothing when the functions scope fits, or the big keys are declared out of it', () => {
    const source = new Map([
      ['BIG_A', value(big)],
      ['BIG_B', value(big)],
      ['BIG_C', value(big)],
    ]);
    const fits = onNetlify(source, new Map(), routes({ BIG_C: { scopes: ['builds', 'runtime'] } }));
    expect(fits.plan.targets[0]?.warnings).toBeUndefined();
  });
});

const scopeSet = fc.subarray([...NETLIFY_SCOPES] as NetlifyScopeName[], { minLength: 1 });
// Few names and values, so that source, target and declarations often meet on one key.
const keyName = fc.constantFrom('A', 'B', 'C', 'D', 'E');
const text = fc.constantFrom('1', '2');

describe('scope properties', () => {
  it('applying a plan converges on the declared scopes; undeclared keys keep theirs whatever their values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(keyName, fc.record({ value: text, scopes: scopeSet })),
        fc.dictionary(keyName, fc.record({ value: text, scopes: scopeSet })),
        fc.dictionary(keyName, scopeSet),
        (sourceSpec, targetSpec, declared) => {
          const source = new Map(Object.entries(sourceSpec).map(([k, s]) => [k, value(s.value)]));
          const current = new Map(Object.entries(targetSpec).map(([k, s]) => [k, value(s.value, s.scopes)]));
          const policy = routes(
            Object.fromEntries(Object.entries(declared).map(([k, s]) => [k, { scopes: s }])),
          );
          const first = onNetlify(source, current, policy);
          const tp = first.plan.targets[0];
          if (!tp) throw new Error('no target');
          const after = applyToMap(current, tp, rules);
          expect(onNetlify(source, after, policy).entries.filter(isWrite)).toEqual([]);
          for (const [key, v] of after) {
            const want = Object.hasOwn(declared, key) && source.has(key) ? declared[key] : undefined;
            const had = Object.hasOwn(targetSpec, key) ? targetSpec[key]?.scopes : undefined;
            if (want) expect(new Set(v.scopes)).toEqual(new Set(want));
            else if (had) expect(v.scopes).toEqual(had); // never widened nor narrowed by a value change
          }
        },
      ),
    );
  });
});
