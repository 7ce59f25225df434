/**
 * Seeds a local Blobs server's folder straight from files: writing 100,000 blobs through the HTTP
 * API would measure the writes. Where the server keeps a store is found by writing a probe through
 * it; what is seeded is read back through the stores by each benchmark.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import type { StoreName } from '../../src/store/blobs.ts';

export async function seedStore(
  dir: string,
  store: StoreName,
  files: ReadonlyMap<string, string>,
): Promise<void> {
  const probe = await startLocalBlobs(dir);
  await probe.store(store).set('probe', 'x');
  await probe.close();
  const find = async (at: string): Promise<string | undefined> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.isFile() && entry.name === 'probe') return at;
      if (entry.isDirectory()) {
        const found = await find(path.join(at, entry.name));
        if (found) return found;
      }
    }
    return undefined;
  };
  const root = await find(path.join(dir, 'entries'));
  if (!root) throw new Error(`bench: the Blobs folder of ${store} was not found`);
  await rm(path.join(root, 'probe'));
  const dirs = new Set([...files.keys()].map((k) => path.dirname(path.join(root, k))));
  for (const d of dirs) await mkdir(d, { recursive: true });
  const entries = [...files];
  for (let i = 0; i < entries.length; i += 500)
    await Promise.all(entries.slice(i, i + 500).map(([k, body]) => writeFile(path.join(root, k), body)));
}
