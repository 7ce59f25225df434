import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError, lockStore } from '../../src/store/locks.ts';
import { localBlobs } from './helpers.ts';

let blobs: Awaited<ReturnType<typeof localBlobs>>;
let now = Date.UTC(2026, 10, 24);

beforeEach(async () => {
  blobs = await localBlobs();
});
afterEach(() => blobs.close());

describe('locks', () => {
  it.each([2, 5, 10])('%i contenders: exactly one holds the target, the others are told who', async (n) => {
    const locks = lockStore(blobs.store('locks'), () => new Date(now));
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => locks.acquire(['render'], `sync-${i}`, 60_000)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const holder = (await locks.holder('render'))?.holder;
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(LockHeldError);
        expect((r.reason as Error).message).toContain(`sync in progress by ${holder ?? '?'}`);
      }
    }
  });

  it('a lock left by a dead holder expires; a released lock is free at once', async () => {
    const locks = lockStore(blobs.store('locks'), () => new Date(now));
    await locks.acquire(['render'], 'crashed', 60_000);
    await expect(locks.acquire(['render'], 'next', 60_000)).rejects.toThrow(LockHeldError);
    now += 61_000;
    await locks.acquire(['render'], 'next', 60_000);
    expect((await locks.holder('render'))?.holder).toBe('next');
    await locks.release(['render'], 'next');
    expect(await locks.holder('render')).toBeUndefined();
    await locks.acquire(['render'], 'third', 60_000);
  });

  it('takes all targets or none', async () => {
    const locks = lockStore(blobs.store('locks'), () => new Date(now));
    await locks.acquire(['netlify'], 'a', 60_000);
    await expect(locks.acquire(['render', 'netlify'], 'b', 60_000)).rejects.toThrow('sync in progress by a');
    expect(await locks.holder('render')).toBeUndefined();
  });
});
