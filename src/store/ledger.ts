/**
 * What EnvSync remembers per target: the keys it manages, the fingerprint it last wrote and the
 * provider's `updated_at` afterwards. It lets `deletions: managed` touch only EnvSync's own keys
 * and turns an unreadable secret into a comparable one. Kept in Blobs (ledger-blobs.ts).
 */
import type { Ledger, LedgerEntry } from '../core/model.ts';

export interface LedgerStore {
  load(targetIds: readonly string[]): Promise<Ledger>;
  save(targetId: string, entries: ReadonlyMap<string, LedgerEntry>): Promise<void>;
}

/** A ledger held in memory, for runs that keep nothing (benchmarks, tests, one-off plans). */
export function memoryLedgerStore(): LedgerStore {
  const state = new Map<string, ReadonlyMap<string, LedgerEntry>>();
  return {
    load: (ids) =>
      Promise.resolve(new Map(ids.map((id) => [id, state.get(id) ?? new Map<string, LedgerEntry>()]))),
    save(id, entries) {
      state.set(id, new Map(entries));
      return Promise.resolve();
    },
  };
}
