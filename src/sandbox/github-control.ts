import { isoSeconds } from './clock.ts';
import type { AdminRoute } from './http.ts';
import { resetRoutes, SandboxAdminError } from './http.ts';
import type { GitHubAppSeed, GitHubInstallationSeed } from './github-apps.ts';
import { publicKeyJson } from './github-secrets.ts';
import type { GitHubScopeRef, GitHubSeed, GitHubState, GitHubVisibility } from './github-state.ts';
import { isValidActionsName } from './github-state.ts';

/** Sandbox-only access to GitHub's state, in process. Nothing here is reachable with an API token. */
export interface GitHubInspector {
  /** The plaintext the sandbox opened from the sealed box, or undefined when there is no such secret. */
  secretPlaintext(scope: GitHubScopeRef, name: string): string | undefined;
  /** Metadata as the API would list it. */
  secret(
    scope: GitHubScopeRef,
    name: string,
  ): { name: string; created_at: string; updated_at: string; visibility?: GitHubVisibility } | undefined;
  secretNames(scope: GitHubScopeRef): string[];
  /** Variables by name. */
  variables(scope: GitHubScopeRef): Record<string, string>;
  publicKey(scope: GitHubScopeRef): { key_id: string; key: string };
  /** A new key pair for the scope: boxes sealed for the old key are refused from now on. */
  rotateKey(scope: GitHubScopeRef): { key_id: string; key: string };
  /** Plants a secret as if someone set it outside the tool (`updated_at` to simulate drift). */
  setSecret(
    scope: GitHubScopeRef,
    name: string,
    value: string,
    options?: { updated_at?: string; visibility?: GitHubVisibility },
  ): void;
  deleteSecret(scope: GitHubScopeRef, name: string): boolean;
  setVariable(scope: GitHubScopeRef, name: string, value: string, options?: { updated_at?: string }): void;
  /** Registers a GitHub App (id, RSA public key in PEM) and any installations it lists. */
  registerApp(app: GitHubAppSeed): void;
  /** Installs a registered app on an org or a user's repositories; returns the installation id. */
  installApp(appId: number, installation: GitHubInstallationSeed): number;
  /** Replaces the whole state with a fresh one built from `seed`. */
  reset(seed?: GitHubSeed): void;
  /** Forgets every rate-limit window. */
  resetRateLimits(): void;
}

export function gitHubInspector(
  state: () => GitHubState,
  reset: (seed?: GitHubSeed) => void,
  resetRateLimits: () => void,
): GitHubInspector {
  const checked = (name: string): string => {
    if (!isValidActionsName(name)) throw new SandboxAdminError(422, `invalid name ${name}`);
    return name.toUpperCase();
  };
  return {
    secretPlaintext: (scope, name) => state().resolve(scope).secrets.get(name.toUpperCase())?.plaintext,
    secret(scope, name) {
      const s = state().resolve(scope).secrets.get(name.toUpperCase());
      return (
        s && {
          name: s.name,
          created_at: s.createdAt,
          updated_at: s.updatedAt,
          ...(s.visibility ? { visibility: s.visibility } : {}),
        }
      );
    },
    secretNames: (scope) => [...state().resolve(scope).secrets.keys()].sort(),
    variables: (scope) =>
      Object.fromEntries([...state().resolve(scope).variables.values()].map((v) => [v.name, v.value])),
    publicKey: (scope) => publicKeyJson(state().resolve(scope)),
    rotateKey(scope) {
      const target = state().resolve(scope);
      target.rotateKey();
      return publicKeyJson(target);
    },
    setSecret(scope, name, value, options = {}) {
      const target = state().resolve(scope);
      const key = checked(name);
      const existing = target.secrets.get(key);
      const now = isoSeconds(Date.now());
      const visibility =
        options.visibility ?? existing?.visibility ?? (target.kind === 'org' ? 'private' : undefined);
      target.secrets.set(key, {
        name: key,
        plaintext: value,
        createdAt: existing?.createdAt ?? now,
        updatedAt: options.updated_at ?? now,
        ...(visibility ? { visibility } : {}),
        ...(existing?.selectedRepositoryIds ? { selectedRepositoryIds: existing.selectedRepositoryIds } : {}),
      });
    },
    deleteSecret: (scope, name) => state().resolve(scope).secrets.delete(name.toUpperCase()),
    setVariable(scope, name, value, options = {}) {
      const target = state().resolve(scope);
      const key = checked(name);
      const existing = target.variables.get(key);
      const now = isoSeconds(Date.now());
      target.variables.set(key, {
        ...(target.kind === 'org' ? { visibility: 'private' as const } : {}),
        ...existing,
        name: key,
        value,
        createdAt: existing?.createdAt ?? now,
        updatedAt: options.updated_at ?? now,
      });
    },
    registerApp: (app) => state().apps.register(app, state()),
    installApp: (appId, installation) => state().apps.install(appId, installation, state()),
    reset,
    resetRateLimits,
  };
}

/** `repo=owner/name[&environment=x]` or `org=login`, with `&store=dependabot` for Dependabot secrets. */
function scopeFromQuery(query: URLSearchParams): GitHubScopeRef {
  const store = query.get('store') ?? 'actions';
  if (store !== 'actions' && store !== 'dependabot')
    throw new SandboxAdminError(400, 'store must be actions or dependabot');
  const org = query.get('org');
  if (org) return { org, store };
  const repo = query.get('repo');
  if (!repo)
    throw new SandboxAdminError(400, 'name a scope: ?repo=owner/name[&environment=env] or ?org=login');
  const environment = query.get('environment');
  return environment ? { repo, environment, store } : { repo, store };
}

function stringField(body: unknown, field: string): string {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') throw new SandboxAdminError(400, `body.${field} must be a string`);
  return value;
}

/** The same operations over HTTP under `/__sandbox`, for other processes (CLI, `netlify dev`). */
export function gitHubAdminRoutes(inspect: GitHubInspector): AdminRoute[] {
  return [
    ...resetRoutes(inspect),
    {
      method: 'POST',
      route: '/apps',
      handle: ({ body }) => {
        const app = (body ?? {}) as GitHubAppSeed;
        stringField(body, 'public_key');
        inspect.registerApp(app);
        return { status: 201, body: { id: app.id } };
      },
    },
    {
      method: 'POST',
      route: '/apps/{app_id}/installations',
      handle: ({ params, body }) => {
        stringField(body, 'account');
        const id = inspect.installApp(Number(params.app_id), body as GitHubInstallationSeed);
        return { status: 201, body: { id } };
      },
    },
    {
      method: 'GET',
      route: '/secrets',
      handle: ({ query }) => {
        const scope = scopeFromQuery(query);
        return {
          status: 200,
          body: { secrets: inspect.secretNames(scope).map((name) => inspect.secret(scope, name)) },
        };
      },
    },
    {
      method: 'GET',
      route: '/secrets/{name}',
      handle: ({ query, params }) => {
        const scope = scopeFromQuery(query);
        const name = params.name ?? '';
        const meta = inspect.secret(scope, name);
        if (!meta) throw new SandboxAdminError(404, `no secret ${name}`);
        return { status: 200, body: { ...meta, value: inspect.secretPlaintext(scope, name) } };
      },
    },
    {
      method: 'PUT',
      route: '/secrets/{name}',
      handle: ({ query, params, body }) => {
        const updatedAt =
          typeof body === 'object' && body !== null
            ? (body as { updated_at?: unknown }).updated_at
            : undefined;
        inspect.setSecret(
          scopeFromQuery(query),
          params.name ?? '',
          stringField(body, 'value'),
          typeof updatedAt === 'string' ? { updated_at: updatedAt } : {},
        );
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      route: '/secrets/{name}',
      handle: ({ query, params }) => ({
        status: inspect.deleteSecret(scopeFromQuery(query), params.name ?? '') ? 204 : 404,
      }),
    },
    {
      method: 'GET',
      route: '/public-key',
      handle: ({ query }) => ({ status: 200, body: inspect.publicKey(scopeFromQuery(query)) }),
    },
    {
      method: 'POST',
      route: '/public-key/rotate',
      handle: ({ query }) => ({ status: 200, body: inspect.rotateKey(scopeFromQuery(query)) }),
    },
    {
      method: 'GET',
      route: '/variables',
      handle: ({ query }) => ({ status: 200, body: inspect.variables(scopeFromQuery(query)) }),
    },
    {
      method: 'PUT',
      route: '/variables/{name}',
      handle: ({ query, params, body }) => {
        inspect.setVariable(scopeFromQuery(query), params.name ?? '', stringField(body, 'value'));
        return { status: 204 };
      },
    },
  ];
}
