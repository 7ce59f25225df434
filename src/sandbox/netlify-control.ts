import type { AdminRoute } from './http.ts';
import { resetRoutes, SandboxAdminError } from './http.ts';
import type {
  NetlifyContext,
  NetlifyEnvVarSeed,
  NetlifyScope,
  NetlifySeed,
  NetlifyState,
} from './netlify-state.ts';
import { defaultScopes, normalizeScope } from './netlify-state.ts';

/** An env var as the sandbox holds it, secret values included. */
export interface InspectedNetlifyEnvVar {
  is_secret: boolean;
  scopes: NetlifyScope[];
  values: { id: string; context: NetlifyContext; context_parameter?: string; value: string }[];
}

/** Sandbox-only access to Netlify's state, in process. */
export interface NetlifyInspector {
  /** Every env var of the account (or of one of its sites), by key, with plaintext values. */
  env(accountId: string, siteId?: string): Record<string, InspectedNetlifyEnvVar>;
  /** Plants (or replaces) a variable as if someone set it in the Netlify UI. */
  setEnvVar(accountId: string, envVar: NetlifyEnvVarSeed): void;
  deleteEnvVar(accountId: string, key: string, siteId?: string): boolean;
  reset(seed?: NetlifySeed): void;
  resetRateLimits(): void;
}

export function netlifyInspector(
  state: () => NetlifyState,
  reset: (seed?: NetlifySeed) => void,
  resetRateLimits: () => void,
): NetlifyInspector {
  const bucket = (accountId: string, siteId: string | undefined) => {
    const account = state().account(accountId);
    if (!account) throw new SandboxAdminError(404, `no account ${accountId}`);
    if (siteId !== undefined && state().sites.get(siteId)?.accountId !== account.id)
      throw new SandboxAdminError(404, `no site ${siteId} in ${accountId}`);
    return state().bucket(account.id, siteId);
  };
  return {
    env(accountId, siteId) {
      return Object.fromEntries(
        [...bucket(accountId, siteId).values()].map((v) => [
          v.key,
          {
            is_secret: v.isSecret,
            scopes: [...v.scopes],
            values: v.values.map((x) => ({
              id: x.id,
              context: x.context,
              ...(x.contextParameter ? { context_parameter: x.contextParameter } : {}),
              value: x.value,
            })),
          },
        ]),
      );
    },
    setEnvVar(accountId, envVar) {
      const isSecret = envVar.is_secret ?? false;
      bucket(accountId, envVar.site_id).set(envVar.key, {
        key: envVar.key,
        scopes: envVar.scopes ? envVar.scopes.map(normalizeScope) : defaultScopes(isSecret),
        isSecret,
        values: envVar.values.map((v) => state().value(v)),
        updatedAt: new Date().toISOString(),
        updatedBy: state().user,
      });
    },
    deleteEnvVar: (accountId, key, siteId) => bucket(accountId, siteId).delete(key),
    reset,
    resetRateLimits,
  };
}

export function netlifyAdminRoutes(inspect: NetlifyInspector): AdminRoute[] {
  const site = (query: URLSearchParams): string | undefined => query.get('site_id') ?? undefined;
  return [
    ...resetRoutes(inspect),
    {
      method: 'GET',
      route: '/accounts/{account_id}/env',
      handle: ({ params, query }) => ({
        status: 200,
        body: inspect.env(params.account_id ?? '', site(query)),
      }),
    },
    {
      method: 'PUT',
      route: '/accounts/{account_id}/env/{key}',
      handle: ({ params, query, body }) => {
        const input = (body ?? {}) as Partial<NetlifyEnvVarSeed>;
        if (!Array.isArray(input.values)) throw new SandboxAdminError(400, 'body.values must be an array');
        const siteId = site(query);
        inspect.setEnvVar(params.account_id ?? '', {
          ...input,
          values: input.values,
          key: params.key ?? '',
          ...(siteId ? { site_id: siteId } : {}),
        });
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      route: '/accounts/{account_id}/env/{key}',
      handle: ({ params, query }) => ({
        status: inspect.deleteEnvVar(params.account_id ?? '', params.key ?? '', site(query)) ? 204 : 404,
      }),
    },
  ];
}
