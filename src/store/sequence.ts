/**
 * Appending to a numbered log in Blobs without a server-side counter: write `<prefix><seq>` with
 * `onlyIfNew`, and when another writer took the number, move past it. A `head` blob remembers the
 * end so a reader does not walk the whole log; it may lag, so the writer probes beyond it.
 */
import type { Store } from '@netlify/blobs';
import { getJson, listKeys } from './blobs.ts';

export interface Sequenced {
  readonly seq: number;
}

export const seqKey = (prefix: string, seq: number) => `${prefix}${String(seq).padStart(12, '0')}`;

/** The last entry of the log (seq 0 and undefined when empty). */
export async function lastInSequence<T extends Sequenced>(
  store: Store,
  prefix: string,
): Promise<{ seq: number; entry?: T }> {
  const head = await getJson<{ seq: number }>(store, `${prefix}head`);
  let seq = head?.seq ?? 0;
  let entry = seq > 0 ? await getJson<T>(store, seqKey(prefix, seq)) : undefined;
  for (;;) {
    const next = await getJson<T>(store, seqKey(prefix, seq + 1));
    if (!next) return { seq, entry };
    seq += 1;
    entry = next;
  }
}

/** Appends `build(seq, previous)` at the next free number and returns it; `head` says what the head holds. */
export async function appendInSequence<T extends Sequenced>(
  store: Store,
  prefix: string,
  build: (seq: number, previous: T | undefined) => T,
  head: (entry: T) => Sequenced = (entry) => ({ seq: entry.seq }),
): Promise<T> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const last = await lastInSequence<T>(store, prefix);
    const entry = build(last.seq + 1, last.entry);
    const { modified } = await store.setJSON(seqKey(prefix, entry.seq), entry, { onlyIfNew: true });
    if (!modified) continue; // another writer took this number; chain onto theirs
    await store.setJSON(`${prefix}head`, head(entry));
    return entry;
  }
  throw new Error(`${prefix}: could not append after 50 attempts (heavy contention)`);
}

/** Newest first, `limit` entries that pass `keep`, before seq `before`; `next` continues the listing. */
export async function listSequence<T extends Sequenced>(
  store: Store,
  prefix: string,
  options: {
    limit?: number;
    before?: number;
    keep?: (entry: T) => boolean;
    /** Read at most this many entries. */ scan?: number;
  },
): Promise<{ items: T[]; next?: number }> {
  const pattern = new RegExp(`^${prefix.replace(/[/]/g, '\\/')}\\d{12}$`);
  const keys = (await listKeys(store, prefix)).filter((k) => pattern.test(k)).reverse();
  const before = options.before;
  const eligible = before === undefined ? keys : keys.filter((k) => Number(k.slice(prefix.length)) < before);
  const limit = options.limit ?? 50;
  const items: T[] = [];
  let i = 0;
  const scan = Math.min(eligible.length, options.scan ?? Infinity);
  for (; i < scan && items.length < limit; i++) {
    const entry = await getJson<T>(store, eligible[i] ?? '');
    if (entry && (!options.keep || options.keep(entry))) items.push(entry);
  }
  return { items, next: i < eligible.length ? items[items.length - 1]?.seq : undefined };
}
