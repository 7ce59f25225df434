/**
 * One sync per target at a time. A lock is a blob created with `onlyIfNew`; an expired one is
 * taken over with `onlyIfMatch` on its etag, so a crashed holder blocks for at most its TTL and
 * two contenders for an expired lock cannot both win.
 */
import type { Store } from '@netlify/blobs';
import { getJson, getJsonWithEtag } from './blobs.ts';

export interface LockRecord {
  readonly holder: string;
  readonly acquired_at: string;
  readonly expires_at: string;
  readonly released?: boolean;
}

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(
    readonly target: string,
    readonly holder: string,
    readonly expiresAt: string,
  ) {
    super(
      `sync in progress by ${holder} on target ${target} (lock expires at ${expiresAt}); try again after it finishes`,
    );
  }
}

export interface LockStore {
  /** Takes the lock of every target, all or none. */
  acquire(targets: readonly string[], holder: string, ttlMs: number): Promise<void>;
  release(targets: readonly string[], holder: string): Promise<void>;
  holder(target: string): Promise<LockRecord | undefined>;
  /**
   * Extends the holder's locks by `ttlMs` from now (compare-and-set): a run renews them while it
   * writes. False when any is no longer the holder's (expired and taken, or released by hand).
   */
  renew(targets: readonly string[], holder: string, ttlMs: number): Promise<boolean>;
  /** Every lock still held (not released, not expired), by target. */
  list(): Promise<{ readonly target: string; readonly lock: LockRecord }[]>;
  /**
   * Releases a target's lock whoever holds it (its holder is gone: a killed process). Returns the
   * record released, or undefined when nothing was held.
   */
  forceRelease(target: string): Promise<LockRecord | undefined>;
}

export function lockStore(store: Store, now: () => Date): LockStore {
  const key = (target: string) => `targets/${target}`;

  async function take(target: string, holder: string, ttlMs: number): Promise<void> {
    const at = now();
    const record: LockRecord = {
      holder,
      acquired_at: at.toISOString(),
      expires_at: new Date(at.getTime() + ttlMs).toISOString(),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      if ((await store.setJSON(key(target), record, { onlyIfNew: true })).modified) return;
      const current = await getJsonWithEtag<LockRecord>(store, key(target));
      if (!current) continue; // released between the two calls: try to create again
      const held = current.data;
      const free =
        held.released === true || Date.parse(held.expires_at) <= at.getTime() || held.holder === holder;
      if (!free) throw new LockHeldError(target, held.holder, held.expires_at);
      if ((await store.setJSON(key(target), record, { onlyIfMatch: current.etag })).modified) return;
    }
    const held = await getJson<LockRecord>(store, key(target));
    throw new LockHeldError(target, held?.holder ?? 'another sync', held?.expires_at ?? '?');
  }

  async function release(target: string, holder: string): Promise<void> {
    const current = await getJsonWithEtag<LockRecord>(store, key(target));
    if (!current || current.data.holder !== holder) return;
    const released: LockRecord = { ...current.data, released: true, expires_at: now().toISOString() };
    await store.setJSON(key(target), released, { onlyIfMatch: current.etag });
  }

  return {
    async acquire(targets, holder, ttlMs) {
      const taken: string[] = [];
      try {
        // In a fixed order, so two syncs over overlapping targets cannot each hold half.
        for (const target of [...targets].sort()) {
          await take(target, holder, ttlMs);
          taken.push(target);
        }
      } catch (error) {
        await Promise.all(taken.map((t) => release(t, holder)));
        throw error;
      }
    },
    async release(targets, holder) {
      await Promise.all(targets.map((t) => release(t, holder)));
    },
    async holder(target) {
      const held = await getJson<LockRecord>(store, key(target));
      return held && !held.released && Date.parse(held.expires_at) > now().getTime() ? held : undefined;
    },
    async renew(targets, holder, ttlMs) {
      const results = await Promise.all(
        targets.map(async (target) => {
          const current = await getJsonWithEtag<LockRecord>(store, key(target));
          if (!current || current.data.holder !== holder || current.data.released) return false;
          const at = now();
          const renewed: LockRecord = {
            ...current.data,
            expires_at: new Date(at.getTime() + ttlMs).toISOString(),
          };
          return (await store.setJSON(key(target), renewed, { onlyIfMatch: current.etag })).modified;
        }),
      );
      return results.every(Boolean);
    },
    async list() {
      const keys = (await store.list({ prefix: 'targets/' })).blobs.map((b) => b.key);
      const held = await Promise.all(
        keys.map(async (k) => ({
          target: k.slice('targets/'.length),
          lock: await getJson<LockRecord>(store, k),
        })),
      );
      return held.flatMap(({ target, lock }) =>
        lock && !lock.released && Date.parse(lock.expires_at) > now().getTime() ? [{ target, lock }] : [],
      );
    },
    async forceRelease(target) {
      const current = await getJsonWithEtag<LockRecord>(store, key(target));
      if (!current || current.data.released || Date.parse(current.data.expires_at) <= now().getTime())
        return undefined;
      const released: LockRecord = { ...current.data, released: true, expires_at: now().toISOString() };
      const { modified } = await store.setJSON(key(target), released, { onlyIfMatch: current.etag });
      return modified ? current.data : undefined;
    },
  };
}
