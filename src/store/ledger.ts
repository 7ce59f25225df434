/**
 * What EnvSync remembers per target: the keys it manages, the fingerprint it last wrote and the
 * provider's `updated_at` afterwards. It lets `deletions: managed` touch only EnvSync's own keys
 * and turns an unreadable secret into a comparable one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Ledger, LedgerEntry } from '../core/model.ts';

export interface LedgerStore {
  load(targetIds: readonly string[]): Promise<Ledger>;
  save(targetId: string, entries: ReadonlyMap<string, LedgerEntry>): Promise<void>;
}

type LedgerFile = Record<string, Record<string, LedgerEntry>>;

/** A JSON file (e.g. `.envsync/ledger.json`); holds fingerprints only, never values. */
export function fileLedgerStore(file: string): LedgerStore {
  async function read(): Promise<LedgerFile> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as LedgerFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }
  // Saves of several targets run in parallel; chaining them keeps read-modify-write whole.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    async load(targetIds) {
      const all = await read();
      return new Map(targetIds.map((id) => [id, new Map(Object.entries(all[id] ?? {}))]));
    },
    save(targetId, entries) {
      const next = queue.then(async () => {
        const all = await read();
        all[targetId] = Object.fromEntries(entries);
        await mkdir(path.dirname(file), { recursive: true });
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(all, null, 2), { mode: 0o600 });
        await rename(temp, file);
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

export function memoryLedgerStore(initial: Ledger = new Map()): LedgerStore & { snapshot(): Ledger } {
  const state = new Map<string, ReadonlyMap<string, LedgerEntry>>(initial);
  return {
    load: (ids) => Promise.resolve(new Map(ids.map((id) => [id, state.get(id) ?? new Map()]))),
    save(id, entries) {
      state.set(id, new Map(entries));
      return Promise.resolve();
    },
    snapshot: () => new Map(state),
  };
}
