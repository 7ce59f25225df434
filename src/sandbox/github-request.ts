import type { Contract } from './contract.ts';
import type { SandboxReply, SandboxRequest } from './http.ts';
import type { ActionsScope, GitHubOrg, GitHubRepo, GitHubState, GitHubStoreKind } from './github-state.ts';

// What every GitHub handler needs: the token's reach, the limits, the scope a path names, GitHub's errors.

/** An API token and, optionally, what it may reach. A token without lists reaches everything. */
export interface GitHubTokenGrant {
  token: string;
  /** `owner/name` of the repos it can see; others answer 404 as GitHub does. */
  repos?: string[];
  /** Org logins it can see. */
  orgs?: string[];
  /** Writes answer 403 "Resource not accessible by personal access token". */
  readOnly?: boolean;
  /**
   * A GitHub App installation token's permissions (`secrets: 'write'`…): a route whose permission
   * is missing, or only `read` for a write, answers 403 "Resource not accessible by integration".
   */
  permissions?: Record<string, 'read' | 'write'>;
  /** Set for an app's JWT: it opens the `/app` and `…/installation` routes only. */
  appId?: number;
}

export interface GitHubLimits {
  /** Primary budget per token per hour. @default 5000 */
  requestsPerHour: number;
  /** Unauthenticated budget per hour. @default 60 */
  anonymousPerHour: number;
  /** Secondary: content-creating requests (POST/PUT/PATCH/DELETE) per minute. @default 80 */
  writesPerMinute: number;
  /** Secondary: content-creating requests per hour. @default 500 */
  writesPerHour: number;
  /** Secondary: points per minute, GET = 1, writes = 5. @default 900 */
  pointsPerMinute: number;
  /** Secondary: requests in flight per token. @default 100 */
  concurrentRequests: number;
  /** Status used when a budget is spent (GitHub answers 403 or 429). @default 403 */
  exceededStatus: 403 | 429;
  /** Largest secret or variable value in bytes. @default 48 KB */
  valueBytes: number;
  secretsPerRepo: number;
  secretsPerEnvironment: number;
  secretsPerOrg: number;
  variablesPerRepo: number;
  variablesPerEnvironment: number;
  variablesPerOrg: number;
}

export const DEFAULT_GITHUB_LIMITS: GitHubLimits = {
  requestsPerHour: 5000,
  anonymousPerHour: 60,
  writesPerMinute: 80,
  writesPerHour: 500,
  pointsPerMinute: 900,
  concurrentRequests: 100,
  exceededStatus: 403,
  valueBytes: 48 * 1024,
  secretsPerRepo: 100,
  secretsPerEnvironment: 100,
  secretsPerOrg: 1000,
  variablesPerRepo: 500,
  variablesPerEnvironment: 100,
  variablesPerOrg: 1000,
};

export const GITHUB_DOCS = 'https://docs.github.com/rest';
/** Verbatim from the contract README. */
export const NAME_RULES_MESSAGE =
  'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_).';
/** What GitHub answers for a box it cannot open (stale key_id included). */
export const IMPROPERLY_ENCRYPTED_MESSAGE =
  'Bad request - validation failed due to an improperly encrypted secret';

export function gitHubError(status: number, message: string, docs = GITHUB_DOCS): SandboxReply {
  return { status, body: { message, documentation_url: docs, status: String(status) } };
}

export interface GitHubRouteContext {
  state(): GitHubState;
  limits: GitHubLimits;
  /** What a token may reach: a configured grant, an installation token's, or an app JWT's. */
  grant(token: string): GitHubTokenGrant | undefined;
  contract: Contract;
  /** The `/rate_limit` body for a token. */
  rateLimitJson(token: string): unknown;
}

export type ScopeKind = 'repo' | 'environment' | 'org';
export interface Resolved {
  scope: ActionsScope;
  org?: GitHubOrg;
}

export function findRepo(ctx: GitHubRouteContext, req: SandboxRequest): GitHubRepo | undefined {
  const repo = ctx.state().repo(req.params.owner ?? '', req.params.repo ?? '');
  if (!repo) return undefined;
  const grant = ctx.grant(req.token);
  if (
    grant?.repos &&
    !grant.repos.some((r) => r.toLowerCase() === `${repo.owner}/${repo.name}`.toLowerCase())
  )
    return undefined;
  return repo;
}

export function docsFor(ctx: GitHubRouteContext, req: SandboxRequest): string {
  return ctx.contract.operation(req.method, req.route)?.docsUrl ?? GITHUB_DOCS;
}

/** Finds the repo, environment or org the path names, as the token may see it. */
export function resolveScope(
  ctx: GitHubRouteContext,
  kind: ScopeKind,
  req: SandboxRequest,
  store: GitHubStoreKind = 'actions',
): Resolved | SandboxReply {
  const docs = docsFor(ctx, req);
  const grant = ctx.grant(req.token);
  let resolved: Resolved | undefined;
  if (kind === 'org') {
    const org = ctx.state().org(req.params.org ?? '');
    if (org && (!grant?.orgs || grant.orgs.some((o) => o.toLowerCase() === org.login.toLowerCase())))
      resolved = { scope: store === 'dependabot' ? org.dependabot : org.scope, org };
  } else {
    const repo = findRepo(ctx, req);
    if (repo && kind === 'repo') resolved = { scope: store === 'dependabot' ? repo.dependabot : repo.scope };
    const environment =
      repo && kind === 'environment'
        ? repo.environments.get((req.params.environment_name ?? '').toLowerCase())
        : undefined;
    if (environment) resolved = { scope: environment.scope };
  }
  if (!resolved) return gitHubError(404, 'Not Found', docs);
  if (grant?.readOnly && req.method !== 'GET')
    return gitHubError(403, 'Resource not accessible by personal access token', docs);
  if (grant?.permissions) {
    const level = grant.permissions[permissionFor(kind, store, req.route)];
    if (!level || (req.method !== 'GET' && level !== 'write'))
      return gitHubError(403, 'Resource not accessible by integration', docs);
  }
  return resolved;
}

/** The GitHub App permission a secrets/variables route needs (read for GET, write otherwise). */
export function permissionFor(kind: ScopeKind, store: GitHubStoreKind, route: string): string {
  const variables = route.includes('/variables');
  if (store === 'dependabot')
    return kind === 'org' ? 'organization_dependabot_secrets' : 'dependabot_secrets';
  if (kind === 'environment') return 'environments';
  if (kind === 'org') return variables ? 'organization_actions_variables' : 'organization_secrets';
  return variables ? 'actions_variables' : 'secrets';
}

export function isReply(value: Resolved | SandboxReply): value is SandboxReply {
  return 'status' in value;
}

export function invalid(detail: string, docs: string): SandboxReply {
  return gitHubError(422, `Invalid request.\n\n${detail}`, docs);
}
