/**
 * What the HTTP API and the functions need, built once per function instance from the
 * environment: configuration, tokens, the project, adapters and the records in Blobs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { signInternal } from '../auth/internal.ts';
import { parseTokens } from '../auth/tokens.ts';
import { loadEnvConfig } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { loadProject, MANIFEST_NAMES, projectFromEnv } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import type { TransportOptions } from '../providers/index.ts';
import { getJson, openBlobStores } from '../store/blobs.ts';
import type { BlobStores } from '../store/blobs.ts';
import { parseSnapshotKey } from '../store/encryption.ts';
import type { Records } from '../sync/records.ts';
import type { SyncContext } from '../sync/run.ts';
import { fingerprintFor, syncContext } from '../sync/context.ts';
import { expandPatterns } from '../sync/discover.ts';
import { channelLoader } from '../sync/notify.ts';

export interface ApiDeps {
  readonly config: EnvConfig;
  readonly tokens: ReturnType<typeof parseTokens>;
  readonly blobs: BlobStores;
  readonly records: Records;
  readonly ctx: SyncContext & { readonly records: Records };
  /** The project, its targets declared by pattern matched against the providers' listings (once). */
  project(): Promise<Project>;
  /** The project as the manifest declares it, patterns not matched yet (a sweep's batch matches its own). */
  manifestProject(): Promise<Project>;
  /** Webhook settings for `POST /api/hooks/render`. */
  readonly renderWebhook: {
    readonly secret: string;
    readonly events: readonly string[];
    readonly autoheal: boolean;
  };
  /** Hands a journal to the background sync function; resolves once it was accepted. */
  startBackground(journalId: string): Promise<void>;
  /** Hands one batch of a sweep to the background function; resolves once it was accepted. */
  startSweepBatch(sweepId: string, batch: number): Promise<void>;
  readonly now: () => Date;
}

export interface DepsOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The site's own URL, to call the background function. */
  readonly siteUrl?: string;
  readonly fetch?: typeof fetch;
  /** How long a request may spend on provider calls. @default SYNC_DOOR_DEADLINE_MS (25 s) */
  readonly deadlineMs?: number;
  /** Runs a queued journal instead of calling the background function (in-process use and tests). */
  readonly background?: (journalId: string, deps: ApiDeps) => Promise<void>;
  /** Runs a sweep's batch instead of calling the background function (in-process use and tests). */
  readonly sweepBackground?: (sweepId: string, batch: number, deps: ApiDeps) => Promise<void>;
  /** The project, instead of the manifest the environment names (in-process use and tests). */
  readonly project?: Project;
  /** Transport options for every adapter (`timeScale` for time-scaled runs). */
  readonly transport?: TransportOptions;
}

/**
 * The key an earlier version generated and kept in Blobs when ENVSYNC_FINGERPRINT_KEY was unset:
 * read (never written any more) only to recognise the fingerprints recorded with it.
 */
async function legacyFingerprintKey(blobs: BlobStores): Promise<string | undefined> {
  const kept = await getJson<{ key?: unknown }>(blobs.store('ledger'), 'keys/fingerprint');
  return typeof kept?.key === 'string' ? kept.key : undefined;
}

export async function createApiDeps(options: DepsOptions = {}): Promise<ApiDeps> {
  const env = options.env ?? process.env;
  const config = loadEnvConfig(env);
  const blobs = await openBlobStores({
    env,
    directory: env['ENVSYNC_BLOBS_DIR'],
  });
  const fingerprint = await fingerprintFor(config, { legacy: () => legacyFingerprintKey(blobs) });
  let project: Promise<Project> | undefined;
  // ENVSYNC_MANIFEST, else the manifest at the repository root (shipped with the functions), as
  // the CLI finds it; only without either do the targets come from the environment.
  const manifestFile = config.manifestPath
    ? path.resolve(config.manifestPath)
    : MANIFEST_NAMES.map((name) => path.resolve(name)).find((file) => existsSync(file));
  const loadProjectOnce = () =>
    (project ??= options.project
      ? Promise.resolve(options.project)
      : manifestFile
        ? loadProject(manifestFile, config)
        : Promise.resolve(projectFromEnv(config, process.cwd())));
  const ctx = syncContext(config, blobs, fingerprint, {
    fetch: options.fetch,
    ...(options.transport ? { transport: options.transport } : {}),
    channels: channelLoader(loadProjectOnce, env),
  });
  const { records, now } = ctx;
  let expanded: Promise<Project> | undefined;
  const doFetch = options.fetch ?? fetch;
  /** A signed POST to the background function; each hand-off has its own id, so it runs once. */
  const handOff = async (work: Record<string, unknown>): Promise<void> => {
    const base = options.siteUrl ?? env['ENVSYNC_SITE_URL'] ?? env['URL'] ?? 'http://localhost:8888';
    const body = JSON.stringify({ ...work, handoff_id: randomUUID() });
    const res = await doFetch(`${base}/.netlify/functions/sync-background`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signInternal(parseSnapshotKey(config.snapshotKey), body, now()),
      },
      body,
    });
    await res.body?.cancel();
    if (res.status !== 202 && !res.ok)
      throw new Error(`background work did not start (status ${res.status})`);
  };
  const deps: ApiDeps = {
    config,
    tokens: parseTokens(env['ENVSYNC_TOKENS']),
    blobs,
    records,
    ctx,
    manifestProject: loadProjectOnce,
    project: () => (expanded ??= loadProjectOnce().then((p) => expandPatterns(ctx, p))),
    renderWebhook: {
      secret: env['RENDER_WEBHOOK_SECRET'] ?? '',
      events: (env['ENVSYNC_RENDER_EVENTS'] ?? 'deploy_ended')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      autoheal: /^(true|1|yes)$/i.test(env['ENVSYNC_AUTOHEAL'] ?? ''),
    },
    async startBackground(journalId) {
      if (options.background) return options.background(journalId, deps);
      await handOff({ journal_id: journalId });
    },
    async startSweepBatch(sweepId, batch) {
      if (options.sweepBackground) return options.sweepBackground(sweepId, batch, deps);
      await handOff({ sweep_id: sweepId, batch });
    },
    now,
  };
  return deps;
}
