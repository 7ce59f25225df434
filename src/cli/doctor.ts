/**
 * `genesisctl doctor`'s checks: the environment, the manifest, the keys, each provider (DNS, TCP,
 * token, then each target's list and write access) and the record store. Each check runs on its
 * own, so one broken part is named without hiding the others; nothing is written but a probe blob.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ConfigError, loadEnvConfig, PROVIDER_CREDENTIALS } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { projectFromEnv } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import { targetLabel } from '../core/model.ts';
import type { Target } from '../core/model.ts';
import { adapterFor } from '../providers/adapter.ts';
import type { Adapters } from '../providers/adapter.ts';
import { createAdapters } from '../providers/index.ts';
import { openBlobStores } from '../store/blobs.ts';
import { parseSnapshotKey } from '../store/encryption.ts';
import type { CliEnvironment } from './context.ts';
import { findProject } from './context.ts';
import { connectTo, endpointOf, resolveHost } from './doctor-network.ts';

/** `warn` and `info` are not problems: only `fail` makes the exit code 1. */
export type CheckStatus = 'ok' | 'fail' | 'warn' | 'info';

export interface Check {
  /** `environment`, `manifest`, `keys`, a provider, `target <id>` or `records`. */
  readonly subject: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do, when the status is not ok. */
  readonly fix?: string;
}

export interface DoctorOptions extends CliEnvironment {
  readonly manifestFlag?: string;
  /** Each network step's limit, in ms. @default 5000 */
  readonly timeoutMs?: number;
}

const REMOTE = ['github', 'render', 'netlify'] as const;
type Remote = (typeof REMOTE)[number];
const API_URL_SETTING: Readonly<Record<Remote, string>> = {
  github: 'GITHUB_API_URL',
  render: 'RENDER_API_URL',
  netlify: 'NETLIFY_API_URL',
};
const FIREWALL_HINT =
  'a firewall may be blocking API calls (the seed\'s "drift persists after sync: firewall blocking API calls")';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const checks: Check[] = [];
  let config: EnvConfig;
  try {
    config = loadEnvConfig(options.env);
    checks.push({ subject: 'environment', check: 'variables', status: 'ok', detail: 'valid' });
  } catch (error) {
    checks.push({ subject: 'environment', check: 'variables', status: 'fail', detail: errorText(error) });
    return checks;
  }

  const { project, check: manifestCheck } = await manifestStep(config, options);
  checks.push(manifestCheck, ...keyChecks(config, project?.root ?? options.cwd));
  const targets = project?.targets ?? fallbackTargets(config, options.cwd);
  const adapters = createAdapters({
    github: { baseUrl: config.github.apiUrl, token: config.github.token },
    render: { baseUrl: config.render.apiUrl, token: config.render.apiKey },
    netlify: { baseUrl: config.netlify.apiUrl, token: config.netlify.token },
    // One short attempt: doctor reports a slow or failing provider, it does not wait one out.
    retry: { maxAttempts: 1, attemptTimeoutMs: timeoutMs },
  });
  const sourceId = project?.sourceId;
  const perProvider = await Promise.all(
    REMOTE.map((p) =>
      providerChecks(
        p,
        config,
        [...targets.values()].filter((t) => t.provider === p),
        adapters,
        {
          timeoutMs,
          sourceId,
        },
      ),
    ),
  );
  checks.push(...perProvider.flat());
  for (const target of targets.values())
    if (target.provider === 'dotenv') checks.push(await listCheck(target, adapters));
  checks.push(await recordStoreCheck(options, project?.root ?? options.cwd, timeoutMs));
  return checks;
}

async function manifestStep(
  config: EnvConfig,
  options: DoctorOptions,
): Promise<{ project?: Project; check: Check }> {
  try {
    const project = await findProject(config, options.cwd, options.manifestFlag);
    const ids = [...project.targets.keys()].join(', ');
    const where =
      project.manifestPath ?? 'no manifest: targets from RENDER_SERVICE_ID, NETLIFY_SITE_ID, GITHUB_REPO';
    return {
      project,
      check: {
        subject: 'manifest',
        check: 'load',
        status: 'ok',
        detail: `${where}: source ${project.sourceId}, ${project.targets.size} targets (${ids})`,
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { check: { subject: 'manifest', check: 'load', status: 'fail', detail: error.message } };
  }
}

/** The environment's targets, so the providers are still checked when the manifest is broken. */
function fallbackTargets(config: EnvConfig, cwd: string): ReadonlyMap<string, Target> {
  try {
    return projectFromEnv(config, cwd).targets;
  } catch {
    return new Map();
  }
}

function keyChecks(config: EnvConfig, root: string): Check[] {
  const checks: Check[] = [];
  let snapshotKeyOk = false;
  try {
    parseSnapshotKey(config.snapshotKey);
    snapshotKeyOk = true;
    checks.push({
      subject: 'keys',
      check: 'snapshot key',
      status: 'ok',
      detail: 'ENVSYNC_SNAPSHOT_KEY is 32 bytes',
    });
  } catch (error) {
    checks.push({ subject: 'keys', check: 'snapshot key', status: 'fail', detail: errorText(error) });
  }
  const fingerprint = config.fingerprintKey;
  if (fingerprint && fingerprint.length < 16)
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'warn',
      detail: `ENVSYNC_FINGERPRINT_KEY is ${fingerprint.length} characters: short keys make fingerprints of short values guessable`,
      fix: 'set it to 32 random bytes (`openssl rand -base64 32`), the same for the CLI and the functions',
    });
  else if (fingerprint)
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'ok',
      detail: `ENVSYNC_FINGERPRINT_KEY set (${fingerprint.length} characters)`,
    });
  else if (snapshotKeyOk)
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'ok',
      detail: 'derived from ENVSYNC_SNAPSHOT_KEY (ENVSYNC_FINGERPRINT_KEY unset)',
    });
  else
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'warn',
      detail: `neither ENVSYNC_FINGERPRINT_KEY nor a valid ENVSYNC_SNAPSHOT_KEY: the CLI keys fingerprints from ${path.join(root, '.envsync', 'fingerprint.key')}, which the functions do not share`,
      fix: 'set ENVSYNC_FINGERPRINT_KEY (or ENVSYNC_SNAPSHOT_KEY) so the CLI and the functions agree',
    });
  return checks;
}

function tokenOf(provider: Remote, config: EnvConfig): string {
  return { github: config.github.token, render: config.render.apiKey, netlify: config.netlify.token }[
    provider
  ];
}

function apiUrlOf(provider: Remote, config: EnvConfig): string {
  return { github: config.github.apiUrl, render: config.render.apiUrl, netlify: config.netlify.apiUrl }[
    provider
  ];
}

async function providerChecks(
  provider: Remote,
  config: EnvConfig,
  targets: readonly Target[],
  adapters: Adapters,
  options: { readonly timeoutMs: number; readonly sourceId: string | undefined },
): Promise<Check[]> {
  const token = tokenOf(provider, config);
  const variable = PROVIDER_CREDENTIALS[provider].join(', ');
  // A provider neither configured nor used is not a problem: nothing would talk to it.
  if (!token && targets.length === 0) return [];
  const row = (check: string, status: CheckStatus, detail: string, fix?: string): Check => ({
    subject: provider,
    check,
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  if (!token)
    return [
      row(
        'credentials',
        'fail',
        `${variable} is not set, and ${targets.map((t) => t.id).join(', ')} use ${provider}`,
        `set ${variable} (see README, Configuration)`,
      ),
    ];
  // Its length only: a token, or any part of it, never reaches the output.
  const checks = [row('credentials', 'ok', `${variable} set (${token.length} characters)`)];
  // The targets of a provider that failed a step are named, not silently left out.
  const unchecked = (step: string): Check[] =>
    targets.map((t) => ({
      subject: `target ${t.id}`,
      check: 'can list',
      status: 'info',
      detail: `not checked: ${provider} failed its ${step} check`,
    }));
  const apiUrl = apiUrlOf(provider, config);
  const setting = API_URL_SETTING[provider];
  const endpoint = endpointOf(apiUrl);
  const dns = await resolveHost(endpoint.host, options.timeoutMs);
  if (!dns.ok) {
    checks.push(
      row(
        'dns',
        'fail',
        `cannot resolve ${endpoint.host} (${dns.reason})`,
        `check ${setting} (${apiUrl}) and this machine's DNS`,
      ),
    );
    return [...checks, ...unchecked('dns')];
  }
  checks.push(row('dns', 'ok', dns.detail));
  const tcp = await connectTo(endpoint, options.timeoutMs);
  if (!tcp.ok) {
    checks.push(
      row(
        'reachability',
        'fail',
        `cannot connect to ${endpoint.host}:${endpoint.port} (${tcp.reason})`,
        `${FIREWALL_HINT}: allow outbound HTTPS to ${endpoint.host}:${endpoint.port}, or check ${setting}`,
      ),
    );
    return [...checks, ...unchecked('reachability')];
  }
  checks.push(row('reachability', 'ok', tcp.detail));

  const adapter = adapters[provider];
  try {
    const auth = await adapter.probe?.auth();
    if (auth) checks.push(row('auth', auth.ok === false ? 'fail' : 'ok', auth.detail, auth.fix));
    if (auth?.ok === false) return [...checks, ...unchecked('auth')];
  } catch (error) {
    checks.push(row('auth', 'fail', errorText(error)));
    return [...checks, ...unchecked('auth')];
  }
  for (const target of targets) {
    checks.push(await listCheck(target, adapters));
    checks.push(await writeCheck(target, adapters, target.id === options.sourceId));
  }
  return checks;
}

async function listCheck(target: Target, adapters: Adapters): Promise<Check> {
  const subject = `target ${target.id}`;
  try {
    // A harmless read: the values stay in memory, only their count is told.
    const listed = await adapterFor(adapters, target).list(target);
    return {
      subject,
      check: 'can list',
      status: 'ok',
      detail: `${listed.size} variable${listed.size === 1 ? '' : 's'} in ${targetLabel(target)}`,
    };
  } catch (error) {
    return {
      subject,
      check: 'can list',
      status: 'fail',
      detail: `${targetLabel(target)}: ${errorText(error)}`,
    };
  }
}

async function writeCheck(target: Target, adapters: Adapters, isSource: boolean): Promise<Check> {
  const subject = `target ${target.id}`;
  const probe = adapterFor(adapters, target).probe;
  if (!probe) return { subject, check: 'can write', status: 'info', detail: 'not checked for this provider' };
  try {
    const answer = await probe.writeAccess(target);
    if (answer.ok === true) return { subject, check: 'can write', status: 'ok', detail: answer.detail };
    if (answer.ok === undefined)
      return { subject, check: 'can write', status: 'info', detail: answer.detail };
    // The source is only read: a read-only token is all it needs.
    if (isSource)
      return {
        subject,
        check: 'can write',
        status: 'info',
        detail: `${answer.detail}; enough for the source, which is only read`,
      };
    return {
      subject,
      check: 'can write',
      status: 'fail',
      detail: answer.detail,
      ...(answer.fix ? { fix: answer.fix } : {}),
    };
  } catch (error) {
    return { subject, check: 'can write', status: 'fail', detail: errorText(error) };
  }
}

function timeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Writes a probe blob, reads it back and deletes it: what every sync does to its records. */
async function recordStoreCheck(options: DoctorOptions, root: string, timeoutMs: number): Promise<Check> {
  const row = (status: CheckStatus, detail: string, fix?: string): Check => ({
    subject: 'records',
    check: 'read/write',
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  const sharedUrl = options.env['ENVSYNC_BLOBS_URL'];
  const fix = sharedUrl
    ? 'start the Blobs server ENVSYNC_BLOBS_URL names (`npm start` runs one), or unset ENVSYNC_BLOBS_URL to use .envsync/blobs'
    : 'check that the records folder is writable (ENVSYNC_BLOBS_DIR), or on Netlify that the site has Blobs';
  if (sharedUrl) {
    // The Blobs client retries a refused connection for half a minute; a TCP check says it at once.
    let endpoint;
    try {
      endpoint = endpointOf(sharedUrl);
    } catch {
      return row(
        'fail',
        'ENVSYNC_BLOBS_URL is not a URL',
        'set it to the Blobs server printed by `npm start`',
      );
    }
    const tcp = await connectTo(endpoint, timeoutMs);
    if (!tcp.ok)
      return row(
        'fail',
        `cannot connect to the record store at ${endpoint.host}:${endpoint.port} (${tcp.reason})`,
        fix,
      );
  }
  let blobs;
  try {
    blobs = await openBlobStores({
      directory: options.env['ENVSYNC_BLOBS_DIR'] ?? path.join(root, '.envsync', 'blobs'),
      env: options.env,
    });
  } catch (error) {
    return row('fail', `cannot open the record store: ${errorText(error)}`, fix);
  }
  try {
    const store = blobs.store('doctor');
    const key = `probe-${randomUUID()}`;
    const stamp = new Date().toISOString();
    await timeout(
      (async () => {
        await store.set(key, stamp, { onlyIfNew: true });
        const back = await store.get(key, { type: 'text' });
        await store.delete(key);
        if (back !== stamp) throw new Error('the probe blob read back differs from what was written');
      })(),
      timeoutMs * 2,
    );
    return row('ok', `wrote, read back and deleted a probe blob in ${blobs.location}`);
  } catch (error) {
    return row('fail', `cannot use the record store at ${blobs.location}: ${errorText(error)}`, fix);
  } finally {
    await blobs.close().catch(() => undefined);
  }
}
