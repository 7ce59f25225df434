/**
 * The context every run needs, built the same way for the CLI and the functions: the adapters
 * from the configured credentials and base URLs, and the records on the given Blobs stores.
 */
import { ConfigError } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { deriveFingerprintKey, fingerprinter } from '../core/fingerprint.ts';
import type { Fingerprinter } from '../core/fingerprint.ts';
import { createAdapters } from '../providers/index.ts';
import type { TransportOptions } from '../providers/index.ts';
import type { BlobStores } from '../store/blobs.ts';
import { deriveKey, parseSnapshotKey } from '../store/encryption.ts';
import type { NotificationChannel } from '../store/events.ts';
import { paceKey, paceShares } from '../store/pacing.ts';
import { openRecords } from './records.ts';
import type { Records } from './records.ts';
import type { SyncContext } from './run.ts';

/**
 * The fingerprinter, the same for the CLI and the functions: keyed by ENVSYNC_FINGERPRINT_KEY, else
 * by a key derived from ENVSYNC_SNAPSHOT_KEY (never stored), else (`fallback`, the CLI on a laptop
 * without a snapshot key) a local key. `legacy` is the key an earlier version kept (in Blobs or a
 * local file), read only to recognise the fingerprints it recorded.
 */
export async function fingerprintFor(
  config: EnvConfig,
  sources: {
    readonly legacy: () => Promise<string | undefined>;
    readonly fallback?: () => Promise<string>;
  },
): Promise<Fingerprinter> {
  if (config.fingerprintKey) return fingerprinter(config.fingerprintKey, config.fingerprintKey);
  const legacy = await sources.legacy();
  if (config.snapshotKey)
    return fingerprinter(deriveFingerprintKey(parseSnapshotKey(config.snapshotKey)), legacy);
  if (sources.fallback) return fingerprinter(await sources.fallback(), legacy);
  throw new ConfigError(
    'Fingerprints are keyed from ENVSYNC_SNAPSHOT_KEY, which is not set. Set it to 32 random bytes (`openssl rand -base64 32`), or set ENVSYNC_FINGERPRINT_KEY.',
  );
}

export function syncContext(
  config: EnvConfig,
  blobs: BlobStores,
  fingerprint: Fingerprinter,
  options: {
    readonly fetch?: typeof fetch;
    readonly transport?: TransportOptions;
    /** The manifest's notification channels (sync/notify.ts `channelLoader`), delivered with the events. */
    readonly channels?: () => Promise<readonly NotificationChannel[]>;
  } = {},
): SyncContext & { readonly records: Records } {
  const now = () => new Date();
  const { urls, secret } = config.webhooks;
  const { channels } = options;
  const records = openRecords({
    blobs,
    snapshotKey: () => parseSnapshotKey(config.snapshotKey),
    auditKey: () =>
      config.snapshotKey ? deriveKey(parseSnapshotKey(config.snapshotKey), 'audit-v1') : undefined,
    fingerprint,
    delivery: urls.length > 0 || channels ? { urls, secret, ...(channels ? { channels } : {}) } : undefined,
    now,
  });
  // Budgets a provider never announces are shared by every run of the same token (store/pacing.ts).
  const pacing = paceShares(blobs.store('pacing'));
  const adapters = createAdapters({
    ...options.transport,
    github: {
      baseUrl: config.github.apiUrl,
      token: config.github.token,
      ...(config.github.app ? { app: config.github.app } : {}),
    },
    render: {
      baseUrl: config.render.apiUrl,
      token: config.render.apiKey,
      mergeWrites: config.render.mergeWrites,
    },
    netlify: { baseUrl: config.netlify.apiUrl, token: config.netlify.token },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    paceShare:
      options.transport?.paceShare ??
      ((provider, baseUrl, token) => pacing.share(paceKey(provider, baseUrl, token))),
  });
  return { adapters, ledger: records.ledger, records, fingerprint, now, settle: () => pacing.settle() };
}
