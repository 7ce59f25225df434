/** The ledger (see ledger.ts) on Netlify Blobs: one blob per target, fingerprints only. */
import type { Store } from '@netlify/blobs';
import type { LedgerEntry } from '../core/model.ts';
import { getJson } from './blobs.ts';
import type { LedgerStore } from './ledger.ts';

export function blobLedgerStore(store: Store): LedgerStore {
  return {
    async load(targetIds) {
      const all = await Promise.all(
        targetIds.map((id) => getJson<Record<string, LedgerEntry>>(store, `targets/${id}`)),
      );
      return new Map(targetIds.map((id, i) => [id, new Map(Object.entries(all[i] ?? {}))]));
    },
    async save(targetId, entries) {
      await store.setJSON(`targets/${targetId}`, Object.fromEntries(entries));
    },
  };
}
