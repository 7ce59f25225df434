import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import type { BlobStores } from '../../src/store/blobs.ts';

export const KEY = Buffer.alloc(32, 3);
export const fingerprint = fingerprinter('store-tests');

/** A real BlobsServer on a fresh folder. */
export async function localBlobs(): Promise<BlobStores & { directory: string }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'blobs-'));
  const blobs = await startLocalBlobs(directory);
  return { ...blobs, directory };
}

/** Every file under a folder, with its text: for canary scans of raw blobs. */
export async function rawFiles(directory: string): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const file = path.join(e.parentPath, e.name);
        return { file, text: await readFile(file, 'utf8') };
      }),
  );
}
