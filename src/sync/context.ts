/**
 * The context every run needs, built the same way for the CLI and the functions: the adapters
 * from the configured credentials and base URLs, and the records on the given Blobs stores.
 */
import type { EnvConfig } from '../config/env.ts';
import type { Fingerprinter } from '../core/fingerprint.ts';
import { createAdapters } from '../providers/index.ts';
import type { BlobStores } from '../store/blobs.ts';
import { parseSnapshotKey } from '../store/encryption.ts';
import { openRecords } from './records.ts';
import type { Records } from './records.ts';
import type { SyncContext } from './run.ts';

export function syncContext(
  config: EnvConfig,
  blobs: BlobStores,
  fingerprint: Fingerprinter,
  options: { readonly fetch?: typeof fetch } = {},
): SyncContext & { readonly records: Records } {
  const now = () => new Date();
  const { urls, secret } = config.webhooks;
  const records = openRecords({
    blobs,
    snapshotKey: () => parseSnapshotKey(config.snapshotKey),
    fingerprint,
    delivery: urls.length > 0 ? { urls, secret } : undefined,
    now,
  });
  const adapters = createAdapters({
    github: { baseUrl: config.github.apiUrl, token: config.github.token },
    render: { baseUrl: config.render.apiUrl, token: config.render.apiKey },
    netlify: { baseUrl: config.netlify.apiUrl, token: config.netlify.token },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { adapters, ledger: records.ledger, records, fingerprint, now };
}
