/**
 * Where EnvSync keeps its state: Netlify Blobs, through `@netlify/blobs`. On Netlify the function's
 * environment carries the Blobs context; elsewhere the deployed site's Blobs when
 * ENVSYNC_BLOBS_TOKEN and a site id are set (blobs-site.ts), else a local `BlobsServer` serves a
 * folder (default `.envsync/blobs`), so the same code path runs in all of them.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { getStore } from '@netlify/blobs';
import type { Store } from '@netlify/blobs';
import type * as BlobsServerModule from '@netlify/blobs/server';
import { lateImport } from '../runtime/late-import.ts';
import { parseBlobsEnv, probeSite, siteBlobsFrom, siteStore } from './blobs-site.ts';

const LOCAL_BLOBS_DIR = ['.envsync', 'blobs'];

export const STORE_NAMES = [
  'snapshots',
  'audit',
  'history',
  'events',
  'deliveries',
  'ledger',
  'locks',
  'plans',
  'journals',
  'pacing',
  'sweeps',
  /** Probe blobs of `genesisctl doctor`, each deleted once read back. */
  'doctor',
] as const;
export type StoreName = (typeof STORE_NAMES)[number];

/** Which record store is in use: `site` is the deployed site's Blobs reached from outside it. */
export type BlobsKind = 'netlify' | 'site' | 'server' | 'folder';

export interface BlobStores {
  store(name: StoreName): Store;
  readonly kind: BlobsKind;
  /** Where the blobs live, in words, for messages (`genesisctl -v`); never a token. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenBlobsOptions {
  /** Folder for the local server. @default '.envsync/blobs' under the working directory */
  readonly directory?: string;
  /** The environment to look for a Netlify Blobs context in. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Store names get this prefix, so tests and deployments can share a site. @default 'envsync' */
  readonly prefix?: string;
}

function hasNetlifyContext(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(
    (globalThis as { netlifyBlobsContext?: unknown }).netlifyBlobsContext ?? env['NETLIFY_BLOBS_CONTEXT'],
  );
}

/**
 * In order: a shared local Blobs server (ENVSYNC_BLOBS_URL, set by `npm start`); the Blobs context
 * of a function or `netlify dev`; the deployed site's Blobs (ENVSYNC_BLOBS_TOKEN with
 * NETLIFY_SITE_ID or ENVSYNC_BLOBS_SITE_ID), checked with one request before any work; else a
 * local BlobsServer on a folder.
 */
export async function openBlobStores(options: OpenBlobsOptions = {}): Promise<BlobStores> {
  const env = options.env ?? process.env;
  const blobsEnv = parseBlobsEnv(env);
  const prefix = options.prefix ?? 'envsync';
  // A Blobs server started for local runs (`npm start`), shared by `netlify dev`'s functions and the CLI.
  const localUrl = blobsEnv.ENVSYNC_BLOBS_URL;
  if (localUrl) {
    const token = blobsEnv.ENVSYNC_BLOBS_TOKEN;
    return {
      store: (name) =>
        getStore({ name: `${prefix}-${name}`, edgeURL: localUrl, token, siteID: 'envsync-local' }),
      kind: 'server',
      location: `the local Blobs server at ${localUrl} (ENVSYNC_BLOBS_URL)`,
      close: () => Promise.resolve(),
    };
  }
  if (hasNetlifyContext(env)) {
    return {
      store: (name) => getStore({ name: `${prefix}-${name}`, consistency: 'strong' }),
      kind: 'netlify',
      location: "this site's Netlify Blobs",
      close: () => Promise.resolve(),
    };
  }
  const site = siteBlobsFrom(blobsEnv);
  if (site) {
    await probeSite(site, `${prefix}-locks`);
    return {
      store: (name) => siteStore(site, `${prefix}-${name}`),
      kind: 'site',
      location: `Netlify Blobs of site ${site.siteID} (${site.siteVariable}, ENVSYNC_BLOBS_TOKEN${site.edgeURL ? `, ENVSYNC_BLOBS_EDGE_URL ${site.edgeURL}` : ''})`,
      close: () => Promise.resolve(),
    };
  }
  // Built at run time: a literal path here makes the function bundler pack the local folder
  // (snapshots included) into every deployed function.
  const directory = options.directory ?? path.join(process.cwd(), ...LOCAL_BLOBS_DIR);
  return startLocalBlobs(directory, prefix);
}

/** A `BlobsServer` on a random loopback port, guarded by a random token. */
export async function startLocalBlobs(
  directory: string,
  prefix = 'envsync',
): Promise<BlobStores & { url: string; token: string }> {
  // Out of the bundlers' sight: deployed functions always have Netlify's own Blobs.
  const { BlobsServer } = await lateImport<typeof BlobsServerModule>('@netlify/blobs/server');
  const token = randomBytes(16).toString('hex');
  const server = new BlobsServer({ directory, token, logger: () => undefined });
  serializeWrites(server);
  const { port } = await server.start();
  const edgeURL = `http://127.0.0.1:${port}`;
  return {
    store: (name) => getStore({ name: `${prefix}-${name}`, edgeURL, token, siteID: 'envsync-local' }),
    kind: 'folder',
    location: `the local folder ${directory}`,
    url: edgeURL,
    token,
    close: () => server.stop(),
  };
}

/**
 * The local BlobsServer checks `onlyIfNew`/`onlyIfMatch` and then writes in separate steps, so
 * two concurrent conditional writes can both succeed; Netlify's service applies them atomically.
 * Running this server's writes one at a time gives local runs the same guarantee, which the
 * audit chain, event order and target locks rely on.
 */
function serializeWrites(server: object): void {
  const methods = server as unknown as Record<
    'put' | 'delete',
    ((req: unknown) => Promise<unknown>) | undefined
  >;
  let queue: Promise<unknown> = Promise.resolve();
  for (const name of ['put', 'delete'] as const) {
    const original = methods[name];
    if (typeof original !== 'function')
      throw new Error(`@netlify/blobs BlobsServer has no ${name}(): update serializeWrites`);
    methods[name] = (req) => {
      const run = queue.then(() => original.call(server, req));
      // Its etags hash the file's mtime to the millisecond: two writes of a key in one millisecond
      // would share an etag, and a compare-and-set against the first would pass after the second.
      // The next write waits for the clock to move on.
      queue = run.catch(() => undefined).then(nextMillisecond);
      return run;
    };
  }
}

async function nextMillisecond(): Promise<void> {
  const at = Date.now();
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** Reads a JSON blob, or undefined when there is none. */
export async function getJson<T>(store: Store, key: string): Promise<T | undefined> {
  const value: unknown = await store.get(key, { type: 'json' });
  return value === null ? undefined : (value as T);
}

/** Every key under a prefix, all pages, sorted. */
export async function listKeys(store: Store, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of store.list({ prefix, paginate: true }))
    for (const blob of page.blobs) keys.push(blob.key);
  return keys.sort();
}

/** Blob keys must not contain characters that break paths; target ids are already safe, times are made so. */
export function timeKey(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * A JSON blob with its etag, for compare-and-set (`onlyIfMatch`). Netlify's API returns the etag
 * with the blob; the local `BlobsServer` only in listings, so there the listing is asked first and
 * the blob read after it: a write in between leaves an etag older than the data, so the
 * compare-and-set fails and is retried, instead of a newer etag passing with older data.
 */
export async function getJsonWithEtag<T>(
  store: Store,
  key: string,
): Promise<{ data: T; etag: string } | undefined> {
  const found = await getTextWithEtag(store, key);
  return found && { data: JSON.parse(found.data) as T, etag: found.etag };
}

/**
 * `getJsonWithEtag` for a blob others may have written: text that is not JSON reads as
 * `undefined` data (with its etag, so it can be replaced) instead of throwing.
 */
export async function getUntrustedWithEtag(
  store: Store,
  key: string,
): Promise<{ data: unknown; etag: string } | undefined> {
  const found = await getTextWithEtag(store, key);
  if (!found) return undefined;
  try {
    return { data: JSON.parse(found.data) as unknown, etag: found.etag };
  } catch {
    return { data: undefined, etag: found.etag };
  }
}

async function getTextWithEtag(
  store: Store,
  key: string,
): Promise<{ data: string; etag: string } | undefined> {
  const found = await store.getWithMetadata(key, { type: 'text' });
  if (!found) return undefined;
  if (found.etag) return { data: found.data, etag: found.etag };
  // The local server walks its folder to list: a listing taken while other blobs are being written
  // can miss one that exists. The blob was there a moment ago, so the listing is asked again.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
    const etag = await etagOf(store, key);
    if (!etag) continue;
    const again = await store.getWithMetadata(key, { type: 'text' });
    return again ? { data: again.data, etag } : undefined;
  }
  return undefined;
}

async function etagOf(store: Store, key: string): Promise<string | undefined> {
  return (await store.list({ prefix: key })).blobs.find((b) => b.key === key)?.etag;
}
