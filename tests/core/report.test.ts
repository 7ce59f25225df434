import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import { plan } from '../../src/core/plan.ts';
import { driftReport, paritySentence } from '../../src/core/report.ts';
import { PERMISSIVE_RULES } from '../../src/core/rules.ts';
import { Secret } from '../../src/core/secret.ts';
import { fingerprint, NETLIFY, NOW, planOne, RENDER, SOURCE, values, writeOnly } from './helpers.ts';

const CANARY = 'canary-7f3a9c-do-not-leak';

function report(targets: Parameters<typeof plan>[0]['targets']) {
  return driftReport(
    plan({
      source: SOURCE,
      sourceValues: values({ API_URL: CANARY, DEBUG: 'false', TOKEN: 'x' }),
      targets,
      policy: DEFAULT_POLICY,
      ledger: new Map(),
      fingerprint,
      now: NOW,
    }),
  );
}

describe('drift report', () => {
  it("has the seed's shape, with conflicts masked", () => {
    const r = report([
      {
        target: RENDER,
        current: values({ API_URL: CANARY, DEBUG: 'false', TOKEN: 'x' }),
        rules: PERMISSIVE_RULES,
      },
      { target: NETLIFY, current: values({ API_URL: 'https://other', EXTRA: '1' }), rules: PERMISSIVE_RULES },
    ]);
    expect(r.verified_at).toBe(NOW);
    expect(r.has_drift).toBe(true);
    expect(r['missing_in_netlify']).toEqual(['DEBUG', 'TOKEN']);
    expect(r['missing_in_render']).toEqual([]);
    expect(r['extra_in_netlify']).toEqual(['EXTRA']);
    expect(Object.keys(r.conflicts)).toEqual(['API_URL']);
    expect(r.conflicts['API_URL']?.['manifest']).toMatch(/^hmac2:[0-9a-f]{12}$/);
    expect(r.conflicts['API_URL']?.['netlify']).toMatch(/^hmac2:[0-9a-f]{12}$/);
    expect(r.conflicts['API_URL']?.['manifest']).not.toBe(r.conflicts['API_URL']?.['netlify']);
    expect(r.summary).toEqual({
      total_keys: 3,
      synced: 0,
      in_parity: 0,
      drifted: 3,
      unknown: 0,
      extra: 1,
      targets: 2,
    });
    expect(r.targets.map((t) => t.has_drift)).toEqual([false, true]);
    expect(JSON.stringify(r)).not.toContain(CANARY);
  });

  it('reports no drift when every target agrees, even with write-only unknowns', () => {
    const r = report([
      {
        target: RENDER,
        current: new Map([...values({ API_URL: CANARY, DEBUG: 'false' }), ...writeOnly({ TOKEN: 't' })]),
        rules: PERMISSIVE_RULES,
      },
    ]);
    expect(r.has_drift).toBe(false);
    expect(r['unknown_in_render']).toEqual(['TOKEN']);
    expect(r.summary.synced).toBe(2);
  });
});

describe('Secret', () => {
  it('never prints its value', async () => {
    const s = new Secret(CANARY);
    const { inspect } = await import('node:util');
    for (const text of [
      String(s),
      `${s.toString()}`,
      JSON.stringify({ s }),
      inspect(s),
      inspect({ deep: { s } }),
    ]) {
      expect(text).not.toContain(CANARY);
    }
    expect(s.reveal()).toBe(CANARY);
  });

  it('fingerprints are keyed: another key gives another fingerprint', async () => {
    const { fingerprinter } = await import('../../src/core/fingerprint.ts');
    const v = new Secret('true');
    expect(fingerprinter('a')(v, 'DEBUG')).not.toBe(fingerprinter('b')(v, 'DEBUG'));
    expect(fingerprinter('a')(v, 'DEBUG')).toBe(fingerprinter('a')(new Secret('true'), 'DEBUG'));
  });
});

describe('fingerprinter', () => {
  it('is HMAC-SHA256 per RFC 2104 over the name length, the name and the value (checked against createHmac)', async () => {
    const { createHmac } = await import('node:crypto');
    const { fingerprinter } = await import('../../src/core/fingerprint.ts');
    for (const key of ['k', 'x'.repeat(64), 'y'.repeat(100)]) {
      for (const name of ['DEBUG', 'é_KEY', '']) {
        for (const value of ['', 'true', 'é😀 unicode', 'z'.repeat(1000)]) {
          const nameBytes = Buffer.from(name, 'utf8');
          const length = Buffer.alloc(4);
          length.writeUInt32BE(nameBytes.length);
          const message = Buffer.concat([length, nameBytes, Buffer.from(value, 'utf8')]);
          const expected = createHmac('sha256', key).update(message).digest('hex').slice(0, 12);
          expect(fingerprinter(key)(new Secret(value), name)).toBe(`hmac2:${expected}`);
        }
      }
    }
  });

  it('binds the name: two keys with one value differ, one key compares; `name‖value` splits cannot collide', async () => {
    const { fingerprinter } = await import('../../src/core/fingerprint.ts');
    const fp = fingerprinter('k');
    expect(fp(new Secret('true'), 'DEBUG')).not.toBe(fp(new Secret('true'), 'CORS_ALLOW_ALL'));
    expect(fp(new Secret('Bc'), 'A')).not.toBe(fp(new Secret('c'), 'AB'));
  });

  it('still matches fingerprints recorded under the earlier name-blind scheme, with the key then in use', async () => {
    const { createHmac } = await import('node:crypto');
    const { fingerprinter } = await import('../../src/core/fingerprint.ts');
    const old = `hmac:${createHmac('sha256', 'old-key').update('true').digest('hex').slice(0, 12)}`;
    const fp = fingerprinter('new-key', 'old-key');
    expect(fp.matches(old, new Secret('true'), 'DEBUG')).toBe(true);
    expect(fp.matches(old, new Secret('false'), 'DEBUG')).toBe(false);
    expect(fp.matches(fp(new Secret('true'), 'DEBUG'), new Secret('true'), 'DEBUG')).toBe(true);
    expect(fingerprinter('new-key').matches(old, new Secret('true'), 'DEBUG')).toBe(false);
  });

  it('derives its key from the snapshot key (HKDF), so no fingerprint key is ever stored', async () => {
    const { deriveFingerprintKey } = await import('../../src/core/fingerprint.ts');
    const a = deriveFingerprintKey(Buffer.alloc(32, 1));
    expect(a).toHaveLength(32);
    expect(a.equals(deriveFingerprintKey(Buffer.alloc(32, 1)))).toBe(true);
    expect(a.equals(deriveFingerprintKey(Buffer.alloc(32, 2)))).toBe(false);
    expect(a.equals(Buffer.alloc(32, 1))).toBe(false);
  });

  it('measures UTF-8 byte length', () => {
    for (const value of ['', 'abc', 'é', '😀', 'a😀b€', '\ud800']) {
      expect(new Secret(value).byteLength).toBe(Buffer.byteLength(value, 'utf8'));
    }
  });
});

describe('parity numbers, defined once', () => {
  it('in parity, drifted, unknown and extra are counted apart, and read the same everywhere', () => {
    const ledger = new Map([[RENDER.id, new Map()]]);
    const { plan } = planOne(
      values({ SAME: '1', DIFF: 'new', SECRET: 's' }),
      new Map([
        ['SAME', { kind: 'value' as const, value: new Secret('1') }],
        ['DIFF', { kind: 'value' as const, value: new Secret('old') }],
        ['SECRET', { kind: 'write-only' as const }],
        ['EXTRA', { kind: 'value' as const, value: new Secret('x') }],
      ]),
      { policy: { deletions: 'never' }, ledger },
    );
    const { summary } = driftReport(plan);
    expect(summary).toMatchObject({
      total_keys: 3,
      in_parity: 1,
      synced: 1,
      drifted: 1,
      unknown: 1,
      extra: 1,
    });
    expect(paritySentence(summary)).toBe(
      '1 of 3 keys in parity, 1 drifted, 1 unknown (write-only); 1 extra on targets, across 1 target',
    );
  });

  it('an extra key alone is not counted as a key out of parity', () => {
    const { plan } = planOne(values({ A: '1' }), values({ A: '1', EXTRA: 'x' }), {
      policy: { deletions: 'all' },
    });
    const report = driftReport(plan);
    expect(report.has_drift).toBe(true); // the policy would delete it
    expect(paritySentence(report.summary)).toBe('1 of 1 key in parity; 1 extra on targets, across 1 target');
  });
});
