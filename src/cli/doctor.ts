/**
 * `genesisctl doctor`'s checks: the environment, the manifest, the keys, each provider (DNS, TCP,
 * token, then each target's list and write access) and the record store. Each check runs on its
 * own, so one broken part is named without hiding the others; nothing is written but a probe blob.
 */
import { ConfigError, loadEnvConfig } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { projectFromEnv } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import type { Target } from '../core/model.ts';
import { createAdapters, scrubValues } from '../providers/index.ts';
import type { CliEnvironment } from './context.ts';
import { findProject } from './context.ts';
import type { Check } from './doctor-check.ts';
import { errorText } from './doctor-check.ts';
import { keyChecks, recordStoreCheck } from './doctor-local.ts';
import { listCheck, providerChecks, REMOTE } from './doctor-providers.ts';

export type { Check, CheckStatus } from './doctor-check.ts';

export interface DoctorOptions extends CliEnvironment {
  readonly manifestFlag?: string;
  /** Each network step's limit, in ms. @default 5000 */
  readonly timeoutMs?: number;
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
  return withoutSecrets(checks, [
    config.github.token,
    config.render.apiKey,
    config.netlify.token,
    config.snapshotKey,
    config.fingerprintKey,
    options.env['ENVSYNC_BLOBS_TOKEN'] ?? '',
  ]);
}

/**
 * A provider's error body may echo the token it refused: every secret doctor was handed is
 * removed from every line, whichever check's text carried it.
 */
function withoutSecrets(checks: readonly Check[], secrets: readonly string[]): Check[] {
  // Under 8 characters a secret is no secret, and scrubbing it would mangle every word holding it.
  const long = secrets.filter((secret) => secret.length >= 8);
  const scrub = (text: string) => scrubValues(text, long);
  return checks.map((c) => ({
    ...c,
    detail: scrub(c.detail),
    ...(c.fix === undefined ? {} : { fix: scrub(c.fix) }),
  }));
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
