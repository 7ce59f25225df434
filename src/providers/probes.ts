/**
 * What `genesisctl doctor` asks a provider without changing anything: is the token accepted (one
 * cheap authenticated read), and may it write to a target, as far as the provider says so without
 * a write. Each answer is a sentence for a person; no value and no token ever goes into one.
 */
import * as v from 'valibot';
import type { Target } from '../core/model.ts';
import { decode, segment } from './api-client.ts';
import type { ApiClient, ApiResponse } from './api-client.ts';
import { providerMessage } from './errors.ts';

/** `ok: undefined`: the provider does not tell without a write. */
export interface ProbeAnswer {
  readonly ok: boolean | undefined;
  readonly detail: string;
  /** What to do when `ok` is false. */
  readonly fix?: string;
}

export interface ProviderProbe<T extends Target = Target> {
  /** One cheap authenticated read: whether the token is accepted. */
  auth(): Promise<ProbeAnswer>;
  /** Whether the token may write the target's variables, learnt by reads only. */
  writeAccess(target: T): Promise<ProbeAnswer>;
}

type GitHubTarget = Extract<Target, { provider: 'github' }>;

const AUTH_STATUSES = [401, 403];

/** A refused token: the status and the provider's own words (they never hold the token). */
function refused(res: ApiResponse, setting: string): ProbeAnswer {
  const said = providerMessage(typeof res.data === 'string' ? res.data : JSON.stringify(res.data ?? {}), []);
  return {
    ok: false,
    detail: `the token was refused (${res.status}${said ? `: ${said}` : ''})`,
    fix:
      res.status === 401
        ? `it is wrong, expired or revoked: create a new one and set ${setting}`
        : `the token may not use this API: give it access, or set ${setting} to one that has it`,
  };
}

const RateLimit = v.looseObject({
  resources: v.looseObject({
    core: v.looseObject({ limit: v.number(), remaining: v.number() }),
  }),
});
const RepoPermissions = v.looseObject({
  permissions: v.optional(v.looseObject({ admin: v.optional(v.boolean()), push: v.optional(v.boolean()) })),
});

export function gitHubProbe(client: ApiClient): ProviderProbe<GitHubTarget> {
  return {
    async auth() {
      const res = await client.request({ method: 'GET', path: '/rate_limit', accept: AUTH_STATUSES });
      if (res.status !== 200) return refused(res, 'GITHUB_TOKEN');
      const core = decode(RateLimit, res.data, { provider: 'github', what: 'GET /rate_limit' }).resources
        .core;
      const scopes = res.headers.get('x-oauth-scopes');
      return {
        ok: true,
        detail: `token accepted; ${core.remaining} of ${core.limit} requests left this hour${
          scopes === null ? '' : `; classic token scopes: ${scopes || '(none)'}`
        }`,
      };
    },
    async writeAccess(target) {
      const s = target.scope;
      if (s.kind === 'org')
        return {
          ok: undefined,
          detail: `GitHub tells whether a token may write organization ${target.store} only by a write (it needs the organization's Secrets or Variables permission, or admin:org)`,
        };
      const path = `/repos/${segment(s.owner)}/${segment(s.repo)}`;
      const res = await client.request({ method: 'GET', path, accept: [...AUTH_STATUSES, 404] });
      if (res.status !== 200)
        return {
          ok: false,
          detail: `cannot read ${s.owner}/${s.repo} (${res.status})`,
          fix: 'check the repository in the manifest (or GITHUB_REPO) and that the token can see it',
        };
      const scopes = res.headers.get('x-oauth-scopes');
      const permissions = decode(RepoPermissions, res.data, {
        provider: 'github',
        what: `GET ${path}`,
      }).permissions;
      const role = Boolean(permissions?.admin || permissions?.push);
      // A classic token needs the `repo` scope on top of its user's role; a fine-grained token's
      // own Secrets/Variables permission shows nowhere but in a write.
      const scoped = scopes === null || scopes.split(/,\s*/).includes('repo');
      const needs = target.store === 'secrets' ? 'Secrets' : 'Variables';
      if (role && scoped)
        return {
          ok: true,
          detail: `may write ${s.owner}/${s.repo} (${permissions?.admin ? 'admin' : 'push'})${
            scopes === null
              ? `; a fine-grained token also needs ${needs}: read and write, which only a write shows`
              : ''
          }`,
        };
      return {
        ok: false,
        detail: `read-only on ${s.owner}/${s.repo}${
          scoped
            ? ' (the repository grants it neither push nor admin)'
            : ' (classic token without the repo scope)'
        }`,
        fix: `give the token ${needs}: read and write (fine-grained) or the repo scope (classic), on a user with write access`,
      };
    },
  };
}

type RenderTarget = Extract<Target, { provider: 'render' }>;

export function renderProbe(client: ApiClient): ProviderProbe<RenderTarget> {
  return {
    async auth() {
      const res = await client.request({
        method: 'GET',
        path: '/services',
        query: { limit: 1 },
        accept: AUTH_STATUSES,
      });
      return res.status === 200 ? { ok: true, detail: 'API key accepted' } : refused(res, 'RENDER_API_KEY');
    },
    async writeAccess(target) {
      const what =
        target.scope.kind === 'service'
          ? `/services/${segment(target.scope.serviceId)}`
          : `/env-groups/${segment(target.scope.envGroupId)}`;
      const res = await client.request({ method: 'GET', path: what, accept: [...AUTH_STATUSES, 404] });
      if (res.status !== 200)
        return {
          ok: false,
          detail: `cannot read ${decodeURIComponent(what)} (${res.status})`,
          fix: "check the id in the manifest (or RENDER_SERVICE_ID) and that the key's workspace holds it",
        };
      // Render has no read-only API keys: a key that reads a service may change it.
      return { ok: true, detail: 'Render API keys have no read-only kind: reading it proves writing' };
    },
  };
}

type NetlifyTarget = Extract<Target, { provider: 'netlify' }>;

export function netlifyProbe(client: ApiClient): ProviderProbe<NetlifyTarget> {
  return {
    async auth() {
      const res = await client.request({ method: 'GET', path: '/accounts', accept: AUTH_STATUSES });
      return res.status === 200 ? { ok: true, detail: 'token accepted' } : refused(res, 'NETLIFY_AUTH_TOKEN');
    },
    async writeAccess(target) {
      const path = `/sites/${segment(target.scope.siteId)}`;
      const res = await client.request({ method: 'GET', path, accept: [...AUTH_STATUSES, 404] });
      if (res.status !== 200)
        return {
          ok: false,
          detail: `cannot read site ${target.scope.siteId} (${res.status})`,
          fix: 'check the site in the manifest (or NETLIFY_SITE_ID) and that the token can see it',
        };
      return {
        ok: undefined,
        detail:
          "a Netlify token acts with its user's team role, which only a write shows (a Reviewer cannot change variables)",
      };
    },
  };
}
