/**
 * GitHub Apps: registered apps (id + RSA public key), their installations on an org or a user's
 * repos, the app's JWT (RS256, `iss` = app id, ≤ 10 min) and the installation tokens it buys
 * (`ghs_…`, 1 h on the sandbox clock). An installation token reaches the installation's repos and
 * org, within its permissions (checked by `resolveScope`), until it expires.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { SandboxClock } from './clock.ts';
import { isoSeconds } from './clock.ts';
import type { ApiRoute, SandboxReply, SandboxRequest } from './http.ts';
import { SandboxAdminError } from './http.ts';
import { accountJson } from './github-repository.ts';
import type { GitHubRouteContext, GitHubTokenGrant } from './github-request.ts';
import { docsFor, gitHubError } from './github-request.ts';
import type { GitHubRepo, GitHubState } from './github-state.ts';

export type AppPermissionLevel = 'read' | 'write';

export interface GitHubInstallationSeed {
  /** @default a fresh id */
  id?: number;
  /** Login of the org (or user) the app is installed on. */
  account: string;
  /** Names of the account's repositories it may reach; every one (`all`) when left out. */
  repositories?: string[];
  /** e.g. `{ secrets: 'write', dependabot_secrets: 'write' }`; `metadata: 'read'` is always added. */
  permissions: Record<string, AppPermissionLevel>;
}

export interface GitHubAppSeed {
  id: number;
  /** @default `app-<id>` */
  slug?: string;
  /** The app's RSA public key, PEM (what GitHub keeps of a private key it generated). */
  public_key: string;
  installations?: GitHubInstallationSeed[];
}

interface RegisteredApp {
  id: number;
  slug: string;
  publicKey: KeyObject;
}

interface Installation {
  id: number;
  appId: number;
  account: { login: string; id: number; type: 'User' | 'Organization' };
  selection: 'all' | 'selected';
  /** The repos chosen when `selection` is `selected`. */
  repositoryIds: number[];
  permissions: Record<string, AppPermissionLevel>;
  createdAt: string;
}

interface IssuedToken {
  installationId: number;
  /** Sandbox-clock epoch ms. */
  expiresAt: number;
  permissions: Record<string, AppPermissionLevel>;
  /** Narrowed at creation; the installation's whole reach when undefined. */
  repositoryIds?: number[];
}

/** GitHub's answers to a JWT it refuses (what octokit's auth-app recognises). */
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  iat: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  exp: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooLong: "'Expiration time' claim ('exp') is too far in the future",
} as const;
/** A JWT on a route that needs an installation token. */
export const INTEGRATION_ONLY_MESSAGE = 'Resource not accessible by integration';

const APP_DOCS = 'https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app';
const JWT_MAX_SECONDS = 600;
const DRIFT_SECONDS = 60;
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Three base64url parts, the first a JSON header: worth checking as a JWT rather than a token. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token);
}

function jsonPart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function refusal(status: number, message: string): { reply: SandboxReply } {
  return { reply: gitHubError(status, message, APP_DOCS) };
}

/** Every app, installation and issued token of one sandbox state. */
export class GitHubApps {
  private readonly apps = new Map<number, RegisteredApp>();
  private readonly installations = new Map<number, Installation>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** JWTs already verified, so each request of a burst does not redo the RSA check. */
  private readonly verified = new Map<string, { appId: number; exp: number }>();
  private nextInstallationId = 10_000_000;

  register(seed: GitHubAppSeed, state: GitHubState): void {
    if (!Number.isInteger(seed.id) || seed.id <= 0)
      throw new SandboxAdminError(400, 'app id must be a positive integer');
    if (this.apps.has(seed.id)) throw new SandboxAdminError(409, `app ${seed.id} is already registered`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(seed.public_key);
    } catch {
      throw new SandboxAdminError(400, 'public_key must be an RSA public key in PEM');
    }
    if (publicKey.asymmetricKeyType !== 'rsa') throw new SandboxAdminError(400, 'public_key must be RSA');
    this.apps.set(seed.id, { id: seed.id, slug: seed.slug ?? `app-${seed.id}`, publicKey });
    for (const installation of seed.installations ?? []) this.install(seed.id, installation, state);
  }

  install(appId: number, seed: GitHubInstallationSeed, state: GitHubState): number {
    if (!this.apps.has(appId)) throw new SandboxAdminError(404, `no app ${appId}`);
    const org = state.org(seed.account);
    const ownRepos = [...state.repos.values()].filter(
      (r) => r.owner.toLowerCase() === seed.account.toLowerCase(),
    );
    const firstRepo = ownRepos[0];
    const account = org
      ? { login: org.login, id: org.id, type: 'Organization' as const }
      : firstRepo
        ? { login: firstRepo.owner, id: firstRepo.ownerId, type: 'User' as const }
        : undefined;
    if (!account) throw new SandboxAdminError(404, `no org or repository owner ${seed.account}`);
    const repositoryIds = (seed.repositories ?? []).map((name) => {
      const repo = state.repo(account.login, name);
      if (!repo) throw new SandboxAdminError(404, `no repository ${account.login}/${name}`);
      return repo.id;
    });
    const id = seed.id ?? this.nextInstallationId++;
    if (this.installations.has(id)) throw new SandboxAdminError(409, `installation ${id} exists`);
    if (typeof seed.permissions !== 'object' || seed.permissions === null)
      throw new SandboxAdminError(400, 'permissions must be an object such as { "secrets": "write" }');
    for (const [name, level] of Object.entries(seed.permissions))
      if (level !== 'read' && level !== 'write')
        throw new SandboxAdminError(400, `permission ${name} must be read or write`);
    this.installations.set(id, {
      id,
      appId,
      account,
      selection: seed.repositories ? 'selected' : 'all',
      repositoryIds,
      permissions: { ...seed.permissions, metadata: 'read' },
      createdAt: isoSeconds(Date.now()),
    });
    return id;
  }

  /** Checks an app's JWT as GitHub does: signature, then `iat`, `exp` and the 10-minute lifetime. */
  verifyJwt(jwt: string, nowMs: number): { appId: number } | { reply: SandboxReply } {
    const nowSeconds = Math.floor(nowMs / 1000);
    const known = this.verified.get(jwt);
    if (known && known.exp > nowSeconds) return { appId: known.appId };
    const [headerPart, payloadPart, signature] = jwt.split('.');
    const header = jsonPart(headerPart);
    const claims = jsonPart(payloadPart);
    if (!header || !claims || header.alg !== 'RS256' || !signature)
      return refusal(401, JWT_MESSAGES.undecodable);
    const iss = typeof claims.iss === 'string' && /^\d+$/.test(claims.iss) ? Number(claims.iss) : claims.iss;
    const app = typeof iss === 'number' ? this.apps.get(iss) : undefined;
    if (!app) return refusal(401, JWT_MESSAGES.undecodable);
    const signed = Buffer.from(`${headerPart ?? ''}.${payloadPart ?? ''}`);
    if (!verify('sha256', signed, app.publicKey, Buffer.from(signature, 'base64url')))
      return refusal(401, JWT_MESSAGES.undecodable);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds + DRIFT_SECONDS)
      return refusal(401, JWT_MESSAGES.iat);
    if (typeof exp !== 'number' || exp <= nowSeconds) return refusal(401, JWT_MESSAGES.exp);
    if (exp - iat > JWT_MAX_SECONDS || exp > nowSeconds + JWT_MAX_SECONDS + DRIFT_SECONDS)
      return refusal(401, JWT_MESSAGES.tooLong);
    this.verified.set(jwt, { appId: app.id, exp });
    return { appId: app.id };
  }

  /** What a token reaches: an app JWT (the app routes), a live installation token, or nothing. */
  grantFor(token: string, nowMs: number, state: GitHubState): GitHubTokenGrant | undefined {
    const jwt = this.verified.get(token);
    if (jwt) return jwt.exp > Math.floor(nowMs / 1000) ? { token, appId: jwt.appId } : undefined;
    const issued = this.tokens.get(token);
    if (!issued || issued.expiresAt <= nowMs) return undefined;
    const installation = this.installations.get(issued.installationId);
    if (!installation) return undefined;
    const reach = this.reach(installation, state).filter(
      (r) => !issued.repositoryIds || issued.repositoryIds.includes(r.id),
    );
    return {
      token,
      repos: reach.map((r) => `${r.owner}/${r.name}`),
      orgs: installation.account.type === 'Organization' ? [installation.account.login] : [],
      permissions: issued.permissions,
    };
  }

  /** Who spends a rate budget: the app or the installation, not each JWT or token. */
  budgetKey(token: string): string | undefined {
    const jwt = this.verified.get(token);
    if (jwt) return `app:${jwt.appId}`;
    const issued = this.tokens.get(token);
    return issued ? `installation:${issued.installationId}` : undefined;
  }

  installationFor(appId: number, where: { repo: GitHubRepo } | { org: string }): Installation | undefined {
    return [...this.installations.values()].find((i) => {
      if (i.appId !== appId) return false;
      if ('org' in where)
        return i.account.type === 'Organization' && i.account.login.toLowerCase() === where.org.toLowerCase();
      const repo = where.repo;
      return (
        i.account.login.toLowerCase() === repo.owner.toLowerCase() &&
        (i.selection === 'all' || i.repositoryIds.includes(repo.id))
      );
    });
  }

  installation(id: number): Installation | undefined {
    return this.installations.get(id);
  }

  slug(appId: number): string {
    return this.apps.get(appId)?.slug ?? `app-${appId}`;
  }

  /** A new `ghs_` token, narrowed to the repositories and permissions asked for. */
  issue(
    installation: Installation,
    nowMs: number,
    state: GitHubState,
    ask: { repositories?: string[]; repository_ids?: number[]; permissions?: Record<string, string> },
  ): { token: string; issued: IssuedToken } | { refused: string } {
    let permissions = installation.permissions;
    if (ask.permissions) {
      for (const [name, level] of Object.entries(ask.permissions)) {
        const has = installation.permissions[name];
        if (!has || (level === 'write' && has !== 'write'))
          return { refused: 'The permissions requested are not granted to this installation.' };
      }
      permissions = { ...(ask.permissions as Record<string, AppPermissionLevel>), metadata: 'read' };
    }
    let repositoryIds: number[] | undefined;
    if (ask.repositories || ask.repository_ids) {
      const reach = this.reach(installation, state);
      const byName = (ask.repositories ?? []).map(
        (name) => reach.find((r) => r.name.toLowerCase() === name.toLowerCase())?.id,
      );
      const byId = (ask.repository_ids ?? []).map((id) => reach.find((r) => r.id === id)?.id);
      const ids = [...byName, ...byId];
      if (ids.some((id) => id === undefined))
        return {
          refused:
            'There is at least one repository that does not exist or is not accessible to the parent installation.',
        };
      repositoryIds = [...new Set(ids as number[])];
    }
    const token = `ghs_${[...randomBytes(36)].map((b) => BASE62[b % 62] ?? 'A').join('')}`;
    const issued: IssuedToken = {
      installationId: installation.id,
      expiresAt: nowMs + TOKEN_LIFETIME_MS,
      permissions,
      ...(repositoryIds ? { repositoryIds } : {}),
    };
    this.tokens.set(token, issued);
    return { token, issued };
  }

  private reach(installation: Installation, state: GitHubState): GitHubRepo[] {
    return [...state.repos.values()].filter(
      (r) =>
        r.owner.toLowerCase() === installation.account.login.toLowerCase() &&
        (installation.selection === 'all' || installation.repositoryIds.includes(r.id)),
    );
  }
}

export interface GitHubAppRouteContext extends GitHubRouteContext {
  clock: SandboxClock;
}

function installationJson(installation: Installation, slug: string, origin: string): Record<string, unknown> {
  const { id, account } = installation;
  return {
    id,
    client_id: `Iv1.${installation.appId.toString(16).padStart(16, '0')}`,
    account: accountJson(account, origin),
    repository_selection: installation.selection,
    access_tokens_url: `${origin}/app/installations/${id}/access_tokens`,
    repositories_url: `${origin}/installation/repositories`,
    html_url:
      account.type === 'Organization'
        ? `https://github.com/organizations/${account.login}/settings/installations/${id}`
        : `https://github.com/settings/installations/${id}`,
    app_id: installation.appId,
    app_slug: slug,
    target_id: account.id,
    target_type: account.type,
    permissions: installation.permissions,
    events: [],
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
    contact_email: null,
  };
}

/** `GET …/installation` (repo, org) and `POST /app/installations/{id}/access_tokens`, with the app's JWT. */
export function appRoutes(ctx: GitHubAppRouteContext): ApiRoute[] {
  const withApp = (
    handle: (req: SandboxRequest, appId: number, apps: GitHubApps) => SandboxReply,
  ): ((req: SandboxRequest) => SandboxReply) => {
    return (req) => {
      const appId = ctx.grant(req.token)?.appId;
      // A token that is no JWT, as GitHub answers a personal access token here.
      if (appId === undefined) return gitHubError(401, JWT_MESSAGES.undecodable, docsFor(ctx, req));
      return handle(req, appId, ctx.state().apps);
    };
  };
  const found = (req: SandboxRequest, installation: Installation | undefined, apps: GitHubApps) =>
    installation
      ? {
          status: 200,
          body: installationJson(installation, apps.slug(installation.appId), req.origin),
        }
      : gitHubError(404, 'Not Found', docsFor(ctx, req));
  return [
    {
      method: 'GET',
      route: '/repos/{owner}/{repo}/installation',
      handle: withApp((req, appId, apps) => {
        const repo = ctx.state().repo(req.params.owner ?? '', req.params.repo ?? '');
        return found(req, repo && apps.installationFor(appId, { repo }), apps);
      }),
    },
    {
      method: 'GET',
      route: '/orgs/{org}/installation',
      handle: withApp((req, appId, apps) =>
        found(req, apps.installationFor(appId, { org: req.params.org ?? '' }), apps),
      ),
    },
    {
      method: 'POST',
      route: '/app/installations/{installation_id}/access_tokens',
      handle: withApp((req, appId, apps) => {
        const docs = docsFor(ctx, req);
        const installation = apps.installation(Number(req.params.installation_id));
        if (!installation || installation.appId !== appId) return gitHubError(404, 'Not Found', docs);
        const ask = (req.body ?? {}) as Parameters<GitHubApps['issue']>[3];
        const result = apps.issue(installation, ctx.clock.now(), ctx.state(), ask);
        if ('refused' in result) return gitHubError(422, result.refused, docs);
        return {
          status: 201,
          body: {
            token: result.token,
            expires_at: isoSeconds(result.issued.expiresAt),
            permissions: result.issued.permissions,
            repository_selection: result.issued.repositoryIds ? 'selected' : installation.selection,
          },
        };
      }),
    },
  ];
}
