/**
 * Builds what a CLI run needs from the environment and the working directory: the project (manifest
 * or environment), the adapters, the ledger and the fingerprint key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, credentialsFor, loadEnvConfig, PROVIDER_CREDENTIALS } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { loadProject, MANIFEST_NAMES, projectFromEnv } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import type { Target } from '../core/model.ts';
import { openBlobStores } from '../store/blobs.ts';
import type { BlobsKind } from '../store/blobs.ts';
import type { Records } from '../sync/records.ts';
import type { SyncContext } from '../sync/run.ts';
import { fingerprintFor, syncContext } from '../sync/context.ts';
import { expandPatterns } from '../sync/discover.ts';
import { channelLoader } from '../sync/notify.ts';

export interface CliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export async function findProject(
  config: EnvConfig,
  cwd: string,
  manifestFlag: string | undefined,
): Promise<Project> {
  const explicit = manifestFlag ?? (config.manifestPath || undefined);
  if (explicit) return loadProject(path.resolve(cwd, explicit), config);
  const found = MANIFEST_NAMES.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
  return found ? loadProject(found, config) : projectFromEnv(config, cwd);
}

/**
 * A local key (0600, beside the local records) for a laptop with no snapshot key; never in Blobs.
 * `npm start` gives its functions this one too, so the CLI and the page agree across restarts.
 */
export async function localFingerprintKey(stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'fingerprint.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('base64url');
    await mkdir(stateDir, { recursive: true });
    await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

/** Fails early, with the seed's "Not Configured" message, when a used provider has no credentials. */
export function requireCredentials(config: EnvConfig, targets: Iterable<Target>): void {
  for (const target of targets) {
    if (target.provider in PROVIDER_CREDENTIALS)
      credentialsFor(target.provider as keyof typeof PROVIDER_CREDENTIALS, config);
  }
}

export interface CliSession {
  readonly config: EnvConfig;
  readonly project: Project;
  readonly ctx: SyncContext & { readonly records: Records };
  /** `cli:<user>`: who the audit trail says acted. */
  readonly actor: string;
  /** Which record store this run reads and writes (`genesisctl -v` prints it). */
  readonly records: { readonly kind: BlobsKind; readonly location: string };
  /** Stops the local Blobs server, if one was started. */
  close(): Promise<void>;
}

export async function openSession(
  environment: CliEnvironment,
  manifestFlag: string | undefined,
): Promise<CliSession> {
  const config = loadEnvConfig(environment.env);
  const project = await findProject(config, environment.cwd, manifestFlag);
  const stateDir = path.join(project.root, '.envsync');
  const localKey = path.join(stateDir, 'fingerprint.key');
  const fingerprint = await fingerprintFor(config, {
    // The local key of an earlier version, to recognise the fingerprints it recorded.
    legacy: () =>
      readFile(localKey, 'utf8').then(
        (k) => k.trim(),
        () => undefined,
      ),
    fallback: () => localFingerprintKey(stateDir),
  });
  const blobs = await openBlobStores({
    directory: environment.env['ENVSYNC_BLOBS_DIR'] ?? path.join(stateDir, 'blobs'),
    env: environment.env,
  });
  const ctx = syncContext(config, blobs, fingerprint, {
    channels: channelLoader(() => Promise.resolve(project), environment.env),
  });
  // Targets declared by pattern become targets now: the organisation's repositories are listed once.
  const ready = await expandPatterns(ctx, project).catch(async (error: unknown) => {
    await blobs.close();
    throw error;
  });
  return {
    config,
    project: ready,
    ctx,
    actor: `cli:${userName(environment.env)}`,
    records: { kind: blobs.kind, location: blobs.location },
    close: () => blobs.close(),
  };
}

function userName(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return env['GITHUB_ACTOR'] ?? os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export { ConfigError };
