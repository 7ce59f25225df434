/**
 * One harness per adapter (and GitHub store): starts the provider's sandbox seeded with some keys,
 * builds the real adapter through `createAdapters` pointed at it, and reads back what the
 * provider holds through the sandbox's inspection API. The shared contract suite runs on these.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import type { GitHubStore, Target } from '../../src/core/model.ts';
import type { Adapter } from '../../src/providers/adapter.ts';
import type { RetryOptions } from '../../src/providers/http.ts';
import { createAdapters } from '../../src/providers/index.ts';
import type {
  CreateAdaptersOptions,
  GitHubAppCredentials,
  ProviderAdapters,
} from '../../src/providers/index.ts';
import { startGitHubSandbox, startNetlifySandbox, startRenderSandbox } from '../../src/sandbox/index.ts';
import type {
  GitHubSandbox,
  GitHubScopeRef,
  NetlifySandbox,
  RenderSandbox,
  SandboxEndpoint,
} from '../../src/sandbox/index.ts';

export type GitHubTarget = Extract<Target, { provider: 'github' }>;
export type RenderTarget = Extract<Target, { provider: 'render' }>;
export type NetlifyTarget = Extract<Target, { provider: 'netlify' }>;

/** A provider minute lasts 600 ms: rate limits and Retry-After waits are real but short. */
export const TIME_SCALE = 0.01;

/** Retries sized for tests: same policy, fewer and faster attempts. */
export const TEST_RETRY: RetryOptions = { maxAttempts: 6, baseDelayMs: 200, attemptTimeoutMs: 5_000 };

export interface StartOptions {
  /** @default TIME_SCALE */
  readonly timeScale?: number;
  readonly retry?: RetryOptions;
  /** Wraps the real global fetch (to act between requests, never to fake an answer). */
  readonly fetch?: typeof fetch;
}

export interface AdapterOverrides {
  readonly token?: string;
  readonly baseUrl?: string;
  readonly retry?: RetryOptions;
}

export interface Started<T extends Target> {
  readonly adapter: Adapter<T>;
  readonly adapters: ProviderAdapters;
  readonly target: T;
  readonly endpoint: SandboxEndpoint;
  /** Plaintext per key as the provider holds it for the target. */
  readonly stored: () => Record<string, string>;
  /** Sets a key behind the adapter's back, as a user in the provider's UI would. */
  readonly plant: (key: string, value: string) => void;
  /** The same adapter with other credentials, base URL or retries. */
  readonly adapterWith: (overrides: AdapterOverrides) => Adapter<T>;
  /** A target of the same kind naming something that does not exist. */
  readonly missingTarget: T;
  readonly close: () => Promise<void>;
}

export interface AdapterHarness<T extends Target> {
  readonly name: string;
  /** Keys per list page; the pagination case seeds more than one page. */
  readonly pageSize?: number;
  /** Values can be read back (false: write-only). */
  readonly readable: boolean;
  /** `updated_at` comes back in write outcomes. */
  readonly reportsUpdatedAt: boolean;
  /** The method and templated route (as the sandbox logs it) of an update of one key. */
  readonly updateRoute: { readonly method: string; readonly route: string };
  start(seed?: Readonly<Record<string, string>>, options?: StartOptions): Promise<Started<T>>;
}

export function adaptersFor(
  kind: 'github' | 'render' | 'netlify',
  endpoint: SandboxEndpoint,
  options: StartOptions,
  overrides: AdapterOverrides = {},
  app?: GitHubAppCredentials,
): ProviderAdapters {
  const unused = { token: 'unused', baseUrl: 'http://127.0.0.1:9' };
  const mine = { token: overrides.token ?? endpoint.token, baseUrl: overrides.baseUrl ?? endpoint.url };
  // App credentials, unless the case swaps in a token of its own (a bad one).
  const withApp = app && overrides.token === undefined ? { ...mine, token: '', app } : mine;
  const config: CreateAdaptersOptions = {
    github: kind === 'github' ? withApp : unused,
    render: kind === 'render' ? mine : unused,
    netlify: kind === 'netlify' ? mine : unused,
    timeScale: options.timeScale ?? TIME_SCALE,
    retry: overrides.retry ?? options.retry ?? TEST_RETRY,
    fetch: options.fetch,
  };
  return createAdapters(config);
}

const entries = (seed: Readonly<Record<string, string>>) =>
  Object.entries(seed).map(([name, value]) => ({ name, value }));

// ——— GitHub ———

interface GitHubVariant {
  readonly name: string;
  readonly store: GitHubStore;
  readonly scope: GitHubTarget['scope'];
  readonly ref: GitHubScopeRef;
  readonly pageSize?: number;
  /** Authenticate as a GitHub App installed on the org (installation found from the target). */
  readonly app?: boolean;
}

/** The GitHub App of the app-auth harnesses: its key pair is made once per test file. */
export const TEST_APP_ID = 31337;
let appKeys: { privatePem: string; publicPem: string } | undefined;
export function testAppKeys(): { privatePem: string; publicPem: string } {
  if (!appKeys) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    appKeys = {
      privatePem: pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }
  return appKeys;
}

function gitHubHarness(variant: GitHubVariant): AdapterHarness<GitHubTarget> {
  const prefix =
    variant.store === 'dependabot'
      ? variant.scope.kind === 'org'
        ? '/orgs/{org}/dependabot'
        : '/repos/{owner}/{repo}/dependabot'
      : variant.scope.kind === 'org'
        ? '/orgs/{org}/actions'
        : variant.scope.kind === 'environment'
          ? '/repos/{owner}/{repo}/environments/{environment_name}'
          : '/repos/{owner}/{repo}/actions';
  const secrets = variant.store !== 'variables';
  return {
    name: variant.name,
    pageSize: variant.pageSize,
    readable: !secrets,
    // Only write-only secrets need it (to see changes made outside EnvSync); variables are compared by value.
    reportsUpdatedAt: secrets,
    updateRoute: secrets
      ? { method: 'PUT', route: `${prefix}/secrets/{secret_name}` }
      : { method: 'PATCH', route: `${prefix}/variables/{name}` },
    async start(seed = {}, options = {}) {
      const items = entries(seed);
      const fill =
        variant.store === 'secrets'
          ? { secrets: items }
          : variant.store === 'dependabot'
            ? { dependabot_secrets: items }
            : { variables: items };
      const keys = variant.app ? testAppKeys() : undefined;
      const app = keys && {
        appId: String(TEST_APP_ID),
        privateKey: createPrivateKey(keys.privatePem),
      };
      const sandbox: GitHubSandbox = await startGitHubSandbox({
        timeScale: options.timeScale ?? TIME_SCALE,
        seed: {
          ...(keys
            ? {
                apps: [
                  {
                    id: TEST_APP_ID,
                    public_key: keys.publicPem,
                    installations: [
                      {
                        account: 'acme',
                        permissions: {
                          secrets: 'write' as const,
                          actions_variables: 'write' as const,
                          environments: 'write' as const,
                          dependabot_secrets: 'write' as const,
                          organization_secrets: 'write' as const,
                          organization_actions_variables: 'write' as const,
                          organization_dependabot_secrets: 'write' as const,
                        },
                      },
                    ],
                  },
                ],
              }
            : {}),
          orgs: [{ login: 'acme', id: 1, ...(variant.scope.kind === 'org' ? fill : {}) }],
          repos: [
            {
              owner: 'acme',
              name: 'web',
              id: 4242,
              ...(variant.scope.kind === 'repo' ? fill : {}),
              environments: [{ name: 'production', ...(variant.scope.kind === 'environment' ? fill : {}) }],
            },
            { owner: 'acme', name: 'api', id: 4343 },
          ],
        },
      });
      const target: GitHubTarget = {
        id: 'gh',
        provider: 'github',
        scope: variant.scope,
        store: variant.store,
      };
      const adapters = adaptersFor('github', sandbox, options, {}, app);
      const inspect = sandbox.inspect;
      return {
        adapter: adapters.github,
        adapters,
        target,
        endpoint: sandbox,
        stored: () =>
          secrets
            ? Object.fromEntries(
                inspect
                  .secretNames(variant.ref)
                  .map((n) => [n, inspect.secretPlaintext(variant.ref, n) ?? '']),
              )
            : inspect.variables(variant.ref),
        plant: (key, value) =>
          secrets ? inspect.setSecret(variant.ref, key, value) : inspect.setVariable(variant.ref, key, value),
        adapterWith: (overrides) => adaptersFor('github', sandbox, options, overrides, app).github,
        missingTarget: {
          ...target,
          scope:
            variant.scope.kind === 'org'
              ? { kind: 'org', org: 'nobody' }
              : { kind: 'repo', owner: 'acme', repo: 'missing' },
        },
        close: () => sandbox.close(),
      };
    },
  };
}

export const githubOrgSecrets = gitHubHarness({
  name: 'github org secrets',
  store: 'secrets',
  scope: { kind: 'org', org: 'acme', visibility: 'private' },
  ref: { org: 'acme' },
  pageSize: 100,
});
export const githubEnvironmentSecrets = gitHubHarness({
  name: 'github environment secrets',
  store: 'secrets',
  scope: { kind: 'environment', owner: 'acme', repo: 'web', environment: 'production' },
  ref: { repo: 'acme/web', environment: 'production' },
});
export const githubRepoDependabot = gitHubHarness({
  name: 'github repo dependabot secrets (app auth)',
  store: 'dependabot',
  scope: { kind: 'repo', owner: 'acme', repo: 'web' },
  ref: { repo: 'acme/web', store: 'dependabot' },
  pageSize: 100,
  app: true,
});
export const githubOrgDependabot = gitHubHarness({
  name: 'github org dependabot secrets',
  store: 'dependabot',
  scope: { kind: 'org', org: 'acme', visibility: 'selected', selectedRepositoryIds: [4242] },
  ref: { org: 'acme', store: 'dependabot' },
});
export const githubRepoVariables = gitHubHarness({
  name: 'github repo variables',
  store: 'variables',
  scope: { kind: 'repo', owner: 'acme', repo: 'web' },
  ref: { repo: 'acme/web' },
  pageSize: 30,
});

// ——— Render ———

export const SERVICE_ID = 'srv-d0sandbox000000000001';
export const ENV_GROUP_ID = 'evg-d0sandbox000000000001';

function renderHarness(kind: 'service' | 'env-group'): AdapterHarness<RenderTarget> {
  return {
    name: kind === 'service' ? 'render service' : 'render env group',
    pageSize: kind === 'service' ? 100 : undefined,
    readable: true,
    reportsUpdatedAt: false,
    updateRoute:
      kind === 'service'
        ? { method: 'PUT', route: '/services/{serviceId}/env-vars/{envVarKey}' }
        : { method: 'PUT', route: '/env-groups/{envGroupId}/env-vars/{envVarKey}' },
    async start(seed = {}, options = {}) {
      const envVars = Object.entries(seed).map(([key, value]) => ({ key, value }));
      const sandbox: RenderSandbox = await startRenderSandbox({
        timeScale: options.timeScale ?? TIME_SCALE,
        seed: {
          services: [{ id: SERVICE_ID, name: 'web', ...(kind === 'service' ? { envVars } : {}) }],
          envGroups: [{ id: ENV_GROUP_ID, name: 'shared', ...(kind === 'env-group' ? { envVars } : {}) }],
        },
      });
      const scope: RenderTarget['scope'] =
        kind === 'service'
          ? { kind: 'service', serviceId: SERVICE_ID }
          : { kind: 'env-group', envGroupId: ENV_GROUP_ID };
      const adapters = adaptersFor('render', sandbox, options);
      const inspect = sandbox.inspect;
      return {
        adapter: adapters.render,
        adapters,
        target: { id: 'render', provider: 'render', scope },
        endpoint: sandbox,
        stored: () =>
          kind === 'service' ? inspect.envVars(SERVICE_ID) : (inspect.envGroup(ENV_GROUP_ID)?.envVars ?? {}),
        plant: (key, value) => {
          if (kind !== 'service') throw new Error('the Render sandbox plants service variables only');
          inspect.setEnvVar(SERVICE_ID, key, value);
        },
        adapterWith: (overrides) => adaptersFor('render', sandbox, options, overrides).render,
        missingTarget: {
          id: 'render',
          provider: 'render',
          scope:
            kind === 'service'
              ? { kind: 'service', serviceId: 'srv-d0missing00000000000' }
              : { kind: 'env-group', envGroupId: 'evg-d0missing00000000000' },
        },
        close: () => sandbox.close(),
      };
    },
  };
}

export const renderService = renderHarness('service');
export const renderEnvGroup = renderHarness('env-group');

// ——— Netlify ———

export const ACCOUNT_ID = 'acct-sandbox';
export const SITE_ID = 'site-0000-sandbox';

/** The value a context holds exactly (no `all` fallback): what a write to that context changed. */
export function netlifyValues(sandbox: NetlifySandbox, context: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, envVar] of Object.entries(sandbox.inspect.env(ACCOUNT_ID, SITE_ID))) {
    const value = envVar.values.find((v) => v.context === context);
    if (value) out[key] = value.value;
  }
  return out;
}

export const netlifyProduction: AdapterHarness<NetlifyTarget> = {
  name: 'netlify production context',
  readable: true,
  reportsUpdatedAt: true,
  updateRoute: { method: 'PATCH', route: '/accounts/{account_id}/env/{key}' },
  async start(seed = {}, options = {}) {
    const sandbox = await startNetlifySandbox({
      timeScale: options.timeScale ?? TIME_SCALE,
      seed: {
        accounts: [
          {
            id: ACCOUNT_ID,
            slug: 'acme',
            envVars: Object.entries(seed).map(([key, value]) => ({
              key,
              site_id: SITE_ID,
              values: [{ context: 'production' as const, value }],
            })),
          },
        ],
        sites: [{ id: SITE_ID, name: 'acme-web', account_id: ACCOUNT_ID }],
      },
    });
    const adapters = adaptersFor('netlify', sandbox, options);
    const target: NetlifyTarget = {
      id: 'netlify',
      provider: 'netlify',
      scope: { siteId: SITE_ID, context: 'production' },
    };
    return {
      adapter: adapters.netlify,
      adapters,
      target,
      endpoint: sandbox,
      stored: () => netlifyValues(sandbox, 'production'),
      plant: (key, value) =>
        sandbox.inspect.setEnvVar(ACCOUNT_ID, {
          key,
          site_id: SITE_ID,
          values: [{ context: 'production', value }],
        }),
      adapterWith: (overrides) => adaptersFor('netlify', sandbox, options, overrides).netlify,
      missingTarget: { ...target, scope: { siteId: 'site-missing', context: 'production' } },
      close: () => sandbox.close(),
    };
  },
};

export const ALL_HARNESSES = [
  githubOrgSecrets,
  githubEnvironmentSecrets,
  githubRepoDependabot,
  githubOrgDependabot,
  githubRepoVariables,
  renderService,
  renderEnvGroup,
  netlifyProduction,
] as const;
