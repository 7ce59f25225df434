/**
 * The shared pacing state: runs of one token stay inside a budget together, and a blob edited by
 * someone else is read as nothing rather than trusted or fatal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Pacer } from '../../src/providers/pacer.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { paceKey, paceShares } from '../../src/store/pacing.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function blobs() {
  const dir = await mkdtemp(path.join(tmpdir(), 'pacing-'));
  const stores = await startLocalBlobs(dir);
  closers.push(async () => {
    await stores.close();
    await rm(dir, { recursive: true, force: true });
  });
  return stores;
}

const WINDOW = 400;
const LIMIT = 6;

/** Admission times of `n` writes through a pacer, each held `holdMs`. */
async function run(pacer: Pacer, n: number, times: number[], holdMs = 5): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      const release = await pacer.acquire(true);
      times.push(Date.now());
      await new Promise((r) => setTimeout(r, holdMs));
      release();
    }),
  );
}

/** The most admissions inside any window of `ms`. */
function densest(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] ?? 0;
    most = Math.max(most, sorted.filter((t) => t >= start && t < start + ms).length);
  }
  return most;
}

describe('shared pacing state', () => {
  it('two runs of one token together stay within the budget', async () => {
    const stores = await blobs();
    const shares = paceShares(stores.store('pacing'));
    const key = paceKey('github', 'http://x', 'ghp_t');
    const budget = { applies: 'writes' as const, limit: LIMIT, windowMs: WINDOW };
    const a = new Pacer({ budgets: [budget], share: shares.share(key) });
    const b = new Pacer({ budgets: [budget], share: shares.share(key) });
    const times: number[] = [];
    await Promise.all([run(a, 12, times), run(b, 12, times)]);
    expect(times).toHaveLength(24);
    expect(densest(times, WINDOW)).toBeLessThanOrEqual(LIMIT);
  }, 30_000);

  it('without it, the same two runs exceed the budget (the attack the share stops)', async () => {
    const budget = { applies: 'writes' as const, limit: LIMIT, windowMs: WINDOW };
    const times: number[] = [];
    await Promise.all([
      run(new Pacer({ budgets: [budget] }), 12, times),
      run(new Pacer({ budgets: [budget] }), 12, times),
    ]);
    expect(densest(times, WINDOW)).toBeGreaterThan(LIMIT);
  }, 30_000);

  it('a run that ended leaves its use for the next one', async () => {
    const stores = await blobs();
    const shares = paceShares(stores.store('pacing'));
    const key = paceKey('github', 'http://x', 'ghp_t');
    const budget = { applies: 'writes' as const, limit: LIMIT, windowMs: WINDOW };
    const times: number[] = [];
    await run(new Pacer({ budgets: [budget], share: shares.share(key) }), LIMIT, times);
    await shares.settle();
    const next = paceShares(stores.store('pacing'));
    await run(new Pacer({ budgets: [budget], share: next.share(key) }), LIMIT, times);
    expect(densest(times, WINDOW)).toBeLessThanOrEqual(LIMIT);
  }, 30_000);

  it('reads a hostile blob as nothing: wrong shapes, __proto__ owners, huge lists', async () => {
    const stores = await blobs();
    const store = stores.store('pacing');
    const key = paceKey('render', 'http://x', 'rnd_t');
    const share = paceShares(store).share(key);
    for (const hostile of [
      'not json',
      { v: 1, runs: { ['__proto__']: { at: 1, expiries: { x: [Infinity] }, announced: {} } } },
      JSON.parse(
        '{"v":1,"runs":{"__proto__":{"at":1,"expiries":{},"announced":{"a":{"remaining":0,"resetAt":9e15}}}}}',
      ),
      { v: 1, runs: { big: { at: 1, expiries: { x: Array(7000).fill(9e15) }, announced: {} } } },
    ]) {
      await store.set(key, typeof hostile === 'string' ? hostile : JSON.stringify(hostile));
      const others = await share.exchange('me', { expiries: {}, announced: {} }, Date.now());
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['remaining']).toBeUndefined();
      // Invalid state is dropped whole; the __proto__ run is an own entry or dropped, never a prototype.
      expect(others.every((o) => typeof o.expiries === 'object')).toBe(true);
      expect(others.some((o) => (o.expiries['x'] ?? []).length > 6000)).toBe(false);
    }
  });

  it('never stores the token, only a hash of it', () => {
    const key = paceKey('github', 'https://api.github.com', 'ghp_CANARY_TOKEN_123');
    expect(key).not.toContain('CANARY');
    expect(key).toMatch(/^github\/[0-9a-f]{24}$/);
  });
});
