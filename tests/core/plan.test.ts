import { describe, expect, it } from 'vitest';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import type { LedgerEntry, Target } from '../../src/core/model.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import { plan, reviseEntry } from '../../src/core/plan.ts';
import { Secret } from '../../src/core/secret.ts';
import { githubRules } from '../../src/providers/github-rules.ts';
import { netlifyRules } from '../../src/providers/netlify-rules.ts';
import { renderRules } from '../../src/providers/render-rules.ts';
import { PERMISSIVE_RULES } from '../../src/core/rules.ts';
import { fingerprint, GITHUB, NETLIFY, NOW, planOne, RENDER, SOURCE, values, writeOnly } from './helpers.ts';

const ledgerOf = (targetId: string, entries: Record<string, LedgerEntry>) =>
  new Map([[targetId, new Map(Object.entries(entries))]]);

describe('plan actions', () => {
  it('creates missing keys, updates differing ones and leaves equal ones', () => {
    const { byKey } = planOne(values({ A: '1', B: '2', C: '3' }), values({ B: '2', C: 'old' }));
    expect(byKey.get('A')).toMatchObject({ action: 'create', finding: 'missing' });
    expect(byKey.get('B')).toMatchObject({ action: 'noop', finding: 'in-sync' });
    expect(byKey.get('C')).toMatchObject({
      action: 'update',
      finding: 'conflict',
      reason: 'differs from source',
    });
    expect(byKey.get('C')?.value?.reveal()).toBe('3');
    expect(byKey.get('C')?.sourceFingerprint).not.toBe(byKey.get('C')?.targetFingerprint);
  });

  it('keeps extra keys by default and says why', () => {
    const { byKey } = planOne(values({ A: '1' }), values({ A: '1', EXTRA: 'x' }));
    expect(byKey.get('EXTRA')).toMatchObject({ action: 'noop', finding: 'extra' });
    expect(byKey.get('EXTRA')?.reason).toContain('deletions are off');
  });

  it('deletes extra keys with deletions: all', () => {
    const { byKey } = planOne(values({}), values({ EXTRA: 'x' }), { policy: { deletions: 'all' } });
    expect(byKey.get('EXTRA')).toMatchObject({ action: 'delete', finding: 'extra' });
  });

  it('skips, with the reason, deleting a value the target only inherits (Netlify `all` under one context)', () => {
    const current = new Map([
      [
        'INHERITED',
        { kind: 'value' as const, value: new Secret('x'), inheritedFrom: "Netlify's all context" },
      ],
      ['OWN', { kind: 'value' as const, value: new Secret('y') }],
    ]);
    const { byKey } = planOne(values({}), current, { policy: { deletions: 'all' } });
    expect(byKey.get('INHERITED')).toMatchObject({ action: 'skip', finding: 'extra' });
    expect(byKey.get('INHERITED')?.reason).toContain("comes from Netlify's all context");
    expect(byKey.get('OWN')?.action).toBe('delete');
  });

  it('deletes only keys EnvSync created with deletions: managed', () => {
    const ledger = ledgerOf('render', {
      MINE: { fingerprint: 'hmac:x', syncedAt: 'then', created: true },
      ADOPTED: { fingerprint: 'hmac:y', syncedAt: 'then', created: false },
    });
    const { byKey } = planOne(values({}), values({ MINE: '1', ADOPTED: '2', THEIRS: '3' }), {
      policy: { deletions: 'managed' },
      ledger,
    });
    expect(byKey.get('MINE')?.action).toBe('delete');
    expect(byKey.get('ADOPTED')?.action).toBe('noop');
    expect(byKey.get('THEIRS')?.action).toBe('noop');
  });

  it('marks write-only values EnvSync never wrote as unknown, or rewrites them when asked', () => {
    const source = values({ TOKEN: 's3cret' });
    const current = writeOnly({ TOKEN: '2026-01-01T00:00:00Z' });
    expect(planOne(source, current).byKey.get('TOKEN')).toMatchObject({
      action: 'unknown',
      finding: 'unknown',
    });
    expect(planOne(source, current, { policy: { overwriteUnknown: true } }).byKey.get('TOKEN')).toMatchObject(
      { action: 'update', finding: 'unknown' },
    );
  });

  it('compares write-only values through the ledger and sees changes made outside EnvSync', () => {
    const source = values({ TOKEN: 's3cret' });
    const { byKey: first } = planOne(source, writeOnly({ TOKEN: 't1' }), {
      policy: { overwriteUnknown: true },
    });
    const fp = first.get('TOKEN')?.sourceFingerprint ?? '';
    const ledger = ledgerOf('render', {
      TOKEN: { fingerprint: fp, updatedAt: 't2', syncedAt: 'x', created: false },
    });
    expect(planOne(source, writeOnly({ TOKEN: 't2' }), { ledger }).byKey.get('TOKEN')).toMatchObject({
      action: 'noop',
      finding: 'in-sync',
    });
    expect(
      planOne(values({ TOKEN: 'rotated' }), writeOnly({ TOKEN: 't2' }), { ledger }).byKey.get('TOKEN'),
    ).toMatchObject({ action: 'update', finding: 'conflict' });
    const moved = planOne(source, writeOnly({ TOKEN: 't3' }), { ledger }).byKey.get('TOKEN');
    expect(moved).toMatchObject({ action: 'update', finding: 'drifted' });
    expect(moved?.reason).toContain('changed outside EnvSync');
  });

  it('skips a source value it cannot read', () => {
    const { byKey } = planOne(writeOnly({ TOKEN: 't' }), values({}));
    expect(byKey.get('TOKEN')).toMatchObject({ action: 'skip', finding: 'unknown' });
  });
});

describe('policy', () => {
  it('include and exclude prefixes, exclude winning', () => {
    const source = values({ REACT_APP_URL: '1', REACT_APP_SECRET_X: '2', API_URL: '3' });
    const { byKey } = planOne(source, values({ API_OLD: 'x' }), {
      policy: { include: ['REACT_APP_'], exclude: ['REACT_APP_SECRET_'], deletions: 'all' },
    });
    expect([...byKey.keys()]).toEqual(['REACT_APP_URL']);
  });

  it('renames keys per target', () => {
    const { byKey } = planOne(values({ API_URL: 'u' }), values({}), {
      policy: { rename: { render: { API_URL: 'BACKEND_URL' } } },
    });
    expect(byKey.get('BACKEND_URL')).toMatchObject({ action: 'create', sourceKey: 'API_URL' });
    expect(byKey.has('API_URL')).toBe(false);
  });

  it('create-only fills missing keys and changes nothing else', () => {
    const { byKey } = planOne(values({ A: '1', B: 'new' }), values({ B: 'old' }), {
      policy: { mode: 'create-only' },
    });
    expect(byKey.get('A')?.action).toBe('create');
    expect(byKey.get('B')).toMatchObject({ action: 'noop', finding: 'conflict' });
  });

  it('routes keys only to the targets named', () => {
    const { byKey } = planOne(values({ A: '1', B: '2' }), values({}), {
      policy: { routes: { B: { targets: ['netlify'] } } },
    });
    expect([...byKey.keys()]).toEqual(['A']);
  });
});

describe('per-target validation', () => {
  const gh = githubRules(GITHUB as Extract<typeof GITHUB, { provider: 'github' }>);

  it.each([
    ['BAD-NAME', 'only letters, digits and _'],
    ['1ST', 'must not start with a digit'],
    ['GITHUB_TOKEN', 'reserves names starting with GITHUB_'],
  ])('GitHub refuses %s', (key, reason) => {
    const entry = planOne(values({ [key]: 'v', OK_NAME: 'v' }), values({}), {
      rules: gh,
      target: GITHUB,
    }).byKey;
    expect(entry.get(key)).toMatchObject({ action: 'skip', finding: 'invalid' });
    expect(entry.get(key)?.reason).toContain(reason);
    expect(entry.get('OK_NAME')?.action).toBe('create');
  });

  it('GitHub names are case-insensitive: foo and FOO collide, and foo matches FOO', () => {
    const { byKey, entries } = planOne(values({ FOO: '1', foo: '2' }), values({}), {
      rules: gh,
      target: GITHUB,
    });
    expect(
      entries
        .filter((e) => e.key === 'FOO')
        .map((e) => e.action)
        .sort(),
    ).toEqual(['create', 'skip']);
    expect(entries.find((e) => e.action === 'skip')?.reason).toContain('collides');
    expect(
      planOne(values({ api_url: 'x' }), values({ API_URL: 'x' }), { rules: gh, target: GITHUB }).byKey.get(
        'API_URL',
      )?.action,
    ).toBe('noop');
    expect(byKey.size).toBe(1);
  });

  it('GitHub refuses values over 48 KB', () => {
    const { byKey } = planOne(
      values({ BIG: 'x'.repeat(48 * 1024 + 1), FITS: 'x'.repeat(48 * 1024) }),
      values({}),
      { rules: gh, target: GITHUB },
    );
    expect(byKey.get('BIG')?.action).toBe('skip');
    expect(byKey.get('BIG')?.reason).toContain('48 KB');
    expect(byKey.get('FITS')?.action).toBe('create');
  });

  it('GitHub holds at most 100 secrets a repository; the rest of the plan stands', () => {
    const existing = values(Object.fromEntries(Array.from({ length: 98 }, (_, i) => [`OLD_${i}`, 'v'])));
    const wanted = values(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`NEW_${i}`, 'v'])));
    const { entries } = planOne(wanted, existing, { rules: gh, target: GITHUB });
    expect(entries.filter((e) => e.action === 'create')).toHaveLength(2);
    const skipped = entries.filter((e) => e.action === 'skip');
    expect(skipped).toHaveLength(3);
    expect(skipped[0]?.reason).toContain('limit of 100 secrets per repository');
  });

  it('deletions make room under the limit', () => {
    const existing = values(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`OLD_${i}`, 'v'])));
    const { entries } = planOne(values({ NEW: 'v' }), existing, {
      rules: gh,
      target: GITHUB,
      policy: { deletions: 'all' },
    });
    expect(entries.find((e) => e.key === 'NEW')?.action).toBe('create');
  });

  it('GitHub holds at most 500 variables a repository', () => {
    const vars = {
      ...(GITHUB as Extract<typeof GITHUB, { provider: 'github' }>),
      store: 'variables' as const,
    };
    const rules = githubRules(vars);
    const existing = values(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`V_${i}`, 'v'])));
    expect(
      planOne(values({ NEW: 'v' }), existing, { rules, target: vars }).byKey.get('NEW')?.reason,
    ).toContain('limit of 500 variables');
  });

  it('Render refuses empty values', () => {
    const { byKey } = planOne(values({ EMPTY: '', FULL: 'x' }), values({}), { rules: renderRules });
    expect(byKey.get('EMPTY')).toMatchObject({ action: 'skip' });
    expect(byKey.get('EMPTY')?.reason).toContain('Render rejects empty values');
    expect(byKey.get('FULL')?.action).toBe('create');
  });

  it('Netlify refuses secret values in the all and dev contexts only', () => {
    for (const context of ['all', 'dev', 'production'] as const) {
      const target = { ...NETLIFY, scope: { siteId: 's', context } } as Extract<
        typeof NETLIFY,
        { provider: 'netlify' }
      >;
      const { byKey } = planOne(values({ S: 'x', P: 'y' }), values({}), {
        rules: netlifyRules(target),
        target,
        policy: { routes: { S: { secret: true } } },
      });
      expect(byKey.get('S')?.action).toBe(context === 'production' ? 'create' : 'skip');
      expect(byKey.get('P')?.action).toBe('create');
    }
  });
});

describe('plan fingerprints', () => {
  it('are computed when first read, once per key and value, and are those of the values', () => {
    const computed: string[] = [];
    const fp = fingerprinter('plan-fingerprint-test');
    const counting = Object.assign(
      (v: Secret, name: string) => {
        computed.push(v.reveal());
        return fp(v, name);
      },
      { matches: fp.matches },
    );
    const source = values({ A: 'new', B: 'same', C: 'shared', D: 'shared' });
    const result = plan({
      source: { kind: 'manifest', id: 'manifest' },
      sourceValues: source,
      targets: [
        { target: RENDER, current: values({ A: 'old', B: 'same', X: 'extra' }), rules: renderRules },
        { target: { ...RENDER, id: 'render-2' }, current: values({ A: 'old' }), rules: renderRules },
      ],
      policy: DEFAULT_POLICY,
      ledger: new Map(),
      fingerprint: counting,
      now: new Date(0).toISOString(),
    });
    expect(computed).toEqual([]); // deciding needed none
    const [first, second] = result.targets;
    const a = first?.entries.find((e) => e.key === 'A');
    expect(a?.sourceFingerprint).toBe(fp(new Secret('new'), 'A'));
    expect(a?.targetFingerprint).toBe(fp(new Secret('old'), 'A'));
    expect(second?.entries.find((e) => e.key === 'A')?.targetFingerprint).toBe(a?.targetFingerprint);
    expect(computed).toEqual(['new', 'old']); // the second target's 'old' came from the memo
    expect(first?.entries.find((e) => e.key === 'B')?.sourceFingerprint).toBeUndefined(); // in sync
    expect(first?.entries.find((e) => e.key === 'X')?.targetFingerprint).toBe(fp(new Secret('extra'), 'X'));
    // Two keys holding one value show different fingerprints: a fingerprint names no value across keys.
    const shared = ['C', 'D'].map((key) => first?.entries.find((e) => e.key === key)?.sourceFingerprint);
    expect(shared[0]).not.toBe(shared[1]);
    // One key on two targets compares: computed once for both.
    const c2 = second?.entries.find((e) => e.key === 'C')?.sourceFingerprint;
    expect(c2).toBe(shared[0]);
    expect(computed.filter((t) => t === 'shared')).toHaveLength(2);

    // JSON and revised copies carry them; the value still prints redacted.
    const json = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
    expect(json).toMatchObject({ key: 'A', action: 'update', sourceFingerprint: a?.sourceFingerprint });
    expect(JSON.stringify(a)).not.toContain('"new"');
    const revised = a && reviseEntry(a, { action: 'skip', value: undefined });
    expect(revised).toMatchObject({
      key: 'A',
      action: 'skip',
      sourceFingerprint: a?.sourceFingerprint,
      targetFingerprint: a?.targetFingerprint,
    });
    expect(revised?.value).toBeUndefined();
  });
});

describe("a site's all-context target and a one-context target in one plan", () => {
  it('leaves to the all target the keys it keeps at the source value, and writes the rest', () => {
    const all: Target = {
      id: 'netlify-all',
      provider: 'netlify',
      scope: { siteId: 'site-1', context: 'all' },
    };
    const other: Target = {
      id: 'other-site',
      provider: 'netlify',
      scope: { siteId: 'site-2', context: 'production' },
    };
    const result = plan({
      source: SOURCE,
      sourceValues: values({ SHARED: 'v', PROD_ONLY: 'p' }),
      targets: [
        { target: all, current: values({ SHARED: 'old' }), rules: PERMISSIVE_RULES },
        { target: NETLIFY, current: values({}), rules: PERMISSIVE_RULES },
        { target: other, current: values({}), rules: PERMISSIVE_RULES },
      ],
      policy: {
        ...DEFAULT_POLICY,
        routes: { SHARED: {}, PROD_ONLY: { targets: ['netlify', 'other-site'] } },
      },
      ledger: new Map(),
      fingerprint,
      now: NOW,
    });
    const [allPlan, prodPlan, otherPlan] = result.targets.map(
      (tp) => new Map(tp.entries.map((e) => [e.key, e])),
    );
    expect(allPlan?.get('SHARED')?.action).toBe('update');
    expect(prodPlan?.get('SHARED')).toMatchObject({ action: 'noop', finding: 'missing' });
    expect(prodPlan?.get('SHARED')?.reason).toContain('left to target netlify-all');
    expect(prodPlan?.get('SHARED')?.value).toBeUndefined();
    expect(prodPlan?.get('PROD_ONLY')?.action).toBe('create');
    // Another site is not affected.
    expect(otherPlan?.get('SHARED')?.action).toBe('create');
  });
});

describe('fingerprints recorded under the earlier scheme', () => {
  it('a write-only key EnvSync wrote before the scheme changed stays in sync, not drifted or unknown', async () => {
    const { createHmac } = await import('node:crypto');
    const old = `hmac:${createHmac('sha256', 'kept-in-blobs').update('s3cret').digest('hex').slice(0, 12)}`;
    const ledger = ledgerOf('github', { TOKEN: { fingerprint: old, syncedAt: 'then', created: true } });
    const current = writeOnly({ TOKEN: '2026-01-01T00:00:00Z' });
    const entryFor = (value: string) =>
      plan({
        source: SOURCE,
        sourceValues: values({ TOKEN: value }),
        targets: [{ target: GITHUB, current, rules: PERMISSIVE_RULES }],
        policy: DEFAULT_POLICY,
        ledger,
        fingerprint: fingerprinter('derived-key', 'kept-in-blobs'),
        now: NOW,
      }).targets[0]?.entries[0];
    expect(entryFor('s3cret')).toMatchObject({ key: 'TOKEN', action: 'noop', finding: 'in-sync' });
    // A changed value is still seen as changed.
    expect(entryFor('rotated')).toMatchObject({ action: 'update', finding: 'conflict' });
  });
});
