/**
 * The process environment EnvSync reads, validated in one place. Everything else receives a typed
 * `EnvConfig` and never touches `process.env`.
 */
import * as v from 'valibot';
import { parsePrefixList } from '../core/filter.ts';
import type { DeletionPolicy } from '../core/model.ts';
import { parseAppPrivateKey } from '../providers/github-app.ts';
import type { GitHubAppCredentials } from '../providers/github-app.ts';

const optionalText = v.optional(v.pipe(v.string(), v.trim()), '');
const url = (fallback: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.url('must be an absolute URL such as https://api.example.com'),
      v.transform((s) => s.replace(/\/+$/, '')),
    ),
    fallback,
  );
const flag = v.optional(
  v.pipe(
    v.string(),
    v.trim(),
    v.toLowerCase(),
    v.picklist(['', 'true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
    v.transform((s) => s === 'true' || s === '1' || s === 'yes'),
  ),
  'false',
);

export const EnvSchema = v.object({
  GITHUB_TOKEN: optionalText,
  GITHUB_REPO: v.optional(
    v.union(
      [v.literal(''), v.pipe(v.string(), v.trim(), v.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'))],
      'must be owner/repo, e.g. acme/web',
    ),
    '',
  ),
  GITHUB_API_URL: url('https://api.github.com'),
  /** GitHub App auth (instead of GITHUB_TOKEN): the App ID and its private key (PEM, `\n` escapes allowed). */
  GITHUB_APP_ID: v.optional(
    v.pipe(v.string(), v.trim(), v.regex(/^\d*$/, 'must be the numeric App ID, e.g. 123456')),
    '',
  ),
  // Checked after parsing: valibot's messages could quote a key.
  GITHUB_APP_PRIVATE_KEY: optionalText,
  /** Found from the target's repository or organization when unset. */
  GITHUB_APP_INSTALLATION_ID: v.optional(
    v.pipe(v.string(), v.trim(), v.regex(/^\d*$/, 'must be the numeric installation id, e.g. 12345678')),
    '',
  ),
  RENDER_API_KEY: optionalText,
  RENDER_SERVICE_ID: optionalText,
  RENDER_API_URL: url('https://api.render.com/v1'),
  /**
   * More changes on one Render service than a minute of write budget go as one guarded
   * replace-all PUT (providers/render.ts); `false` writes key by key, however many.
   */
  ENVSYNC_RENDER_MERGED_WRITES: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.toLowerCase(),
      v.picklist(['', 'true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
      v.transform((s) => s !== 'false' && s !== '0' && s !== 'no'),
    ),
    'true',
  ),
  NETLIFY_AUTH_TOKEN: optionalText,
  NETLIFY_SITE_ID: optionalText,
  NETLIFY_ACCOUNT_ID: optionalText,
  NETLIFY_API_URL: url('https://api.netlify.com/api/v1'),
  HUBSYNC_DRYRUN: flag,
  ENVSYNC_INCLUDE_PREFIXES: optionalText,
  ENVSYNC_EXCLUDE_PREFIXES: optionalText,
  ENVSYNC_ALLOW_DELETIONS: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.toLowerCase(),
      v.picklist(['', 'never', 'managed', 'all', 'true', 'false'], 'must be never, managed or all'),
    ),
    '',
  ),
  ENVSYNC_MANIFEST: optionalText,
  /** Key for value fingerprints; EnvSync keeps one in `.envsync/` when unset. */
  ENVSYNC_FINGERPRINT_KEY: optionalText,
  /** 32 bytes, base64 or hex: encrypts snapshot values (AES-256-GCM). */
  ENVSYNC_SNAPSHOT_KEY: optionalText,
  ENVSYNC_WEBHOOK_URLS: v.optional(
    v.pipe(
      v.string(),
      v.transform((s) =>
        s
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      ),
      v.array(v.pipe(v.string(), v.url('must be comma-separated absolute URLs'))),
    ),
    '',
  ),
  ENVSYNC_WEBHOOK_SECRET: optionalText,
});

export interface EnvConfig {
  readonly github: {
    readonly token: string;
    readonly repo: string;
    readonly apiUrl: string;
    /** Set when GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are: installation tokens instead of the token. */
    readonly app?: GitHubAppCredentials;
  };
  readonly render: {
    readonly apiKey: string;
    readonly serviceId: string;
    readonly apiUrl: string;
    /** One guarded replace-all PUT for more changes than a minute of budget (default true). */
    readonly mergeWrites: boolean;
  };
  readonly netlify: {
    readonly token: string;
    readonly siteId: string;
    readonly accountId: string;
    readonly apiUrl: string;
  };
  readonly dryRun: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Undefined when the environment does not say; the manifest or the default (`never`) decides. */
  readonly deletions: DeletionPolicy | undefined;
  readonly manifestPath: string;
  readonly fingerprintKey: string;
  /** Raw; parsed (and refused with a clear message) only when a snapshot is written or read. */
  readonly snapshotKey: string;
  readonly webhooks: { readonly urls: readonly string[]; readonly secret: string };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadEnvConfig(env: Readonly<Record<string, string | undefined>>): EnvConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.entries)) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  const result = v.safeParse(EnvSchema, picked);
  if (!result.success) {
    const lines = result.issues.map((issue) => `  ${v.getDotPath(issue) ?? '?'}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}\nFix these variables and run again.`);
  }
  const e = result.output;
  const deletions: Record<string, DeletionPolicy | undefined> = {
    '': undefined,
    never: 'never',
    false: 'never',
    managed: 'managed',
    true: 'managed',
    all: 'all',
  };
  const config: EnvConfig = {
    github: {
      token: e.GITHUB_TOKEN,
      repo: e.GITHUB_REPO,
      apiUrl: e.GITHUB_API_URL,
      ...gitHubApp(e.GITHUB_APP_ID, e.GITHUB_APP_PRIVATE_KEY, e.GITHUB_APP_INSTALLATION_ID),
    },
    render: {
      apiKey: e.RENDER_API_KEY,
      serviceId: e.RENDER_SERVICE_ID,
      apiUrl: e.RENDER_API_URL,
      mergeWrites: e.ENVSYNC_RENDER_MERGED_WRITES,
    },
    netlify: {
      token: e.NETLIFY_AUTH_TOKEN,
      siteId: e.NETLIFY_SITE_ID,
      accountId: e.NETLIFY_ACCOUNT_ID,
      apiUrl: e.NETLIFY_API_URL,
    },
    dryRun: e.HUBSYNC_DRYRUN,
    include: parsePrefixList(e.ENVSYNC_INCLUDE_PREFIXES),
    exclude: parsePrefixList(e.ENVSYNC_EXCLUDE_PREFIXES),
    deletions: deletions[e.ENVSYNC_ALLOW_DELETIONS],
    manifestPath: e.ENVSYNC_MANIFEST,
    fingerprintKey: e.ENVSYNC_FINGERPRINT_KEY,
    snapshotKey: e.ENVSYNC_SNAPSHOT_KEY,
    webhooks: { urls: e.ENVSYNC_WEBHOOK_URLS, secret: e.ENVSYNC_WEBHOOK_SECRET },
  };
  if (config.webhooks.urls.length > 0 && !config.webhooks.secret) {
    throw new ConfigError(
      'ENVSYNC_WEBHOOK_URLS is set but ENVSYNC_WEBHOOK_SECRET is not: set the secret subscribers verify signatures with (whsec_… or base64).',
    );
  }
  return config;
}

/** GitHub App credentials from the three variables; none when neither id nor key is set. */
function gitHubApp(
  appId: string,
  privateKey: string,
  installationId: string,
): { app?: GitHubAppCredentials } {
  if (!appId && !privateKey) {
    if (installationId)
      throw new ConfigError(
        'GITHUB_APP_INSTALLATION_ID is set but GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are not: set them too, or unset it.',
      );
    return {};
  }
  if (!appId)
    throw new ConfigError(
      'GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not: set the App ID (a number).',
    );
  if (!privateKey)
    throw new ConfigError(
      "GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY is not: set it to the app's private key (the .pem GitHub generated).",
    );
  const key = parseAppPrivateKey(privateKey);
  if (!key)
    throw new ConfigError(
      'GITHUB_APP_PRIVATE_KEY is not an RSA private key in PEM: paste the whole .pem file GitHub generated for the app (from -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY----- to its END line), with real line breaks or \\n escapes.',
    );
  return {
    app: { appId, privateKey: key, ...(installationId ? { installationId: Number(installationId) } : {}) },
  };
}

/** Which variables each provider needs, for the seed's "Not Configured" message. */
export const PROVIDER_CREDENTIALS = {
  github: ['GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)'],
  render: ['RENDER_API_KEY'],
  netlify: ['NETLIFY_AUTH_TOKEN'],
} as const;

export function credentialsFor(provider: keyof typeof PROVIDER_CREDENTIALS, config: EnvConfig): string {
  const app = config.github.app;
  const token = {
    github: config.github.token || (app ? `github-app:${app.appId}` : ''),
    render: config.render.apiKey,
    netlify: config.netlify.token,
  }[provider];
  if (!token) {
    throw new ConfigError(
      `${provider}: Not Configured. Set ${PROVIDER_CREDENTIALS[provider].join(', ')} in the environment (see README, Configuration).`,
    );
  }
  return token;
}
