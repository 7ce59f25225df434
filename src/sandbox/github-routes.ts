import { isoSeconds } from './clock.ts';
import type { ApiRoute, SandboxReply, SandboxRequest } from './http.ts';
import { appRoutes, INTEGRATION_ONLY_MESSAGE } from './github-apps.ts';
import type { GitHubAppRouteContext } from './github-apps.ts';
import type { Sharing } from './github-org-sharing.ts';
import {
  isSharingError,
  selectedRepositoryHandlers,
  sharingFrom,
  sharingJson,
} from './github-org-sharing.ts';
import { paginate } from './github-pagination.ts';
import { repositoryJson } from './github-repository.ts';
import type { GitHubRouteContext, ScopeKind } from './github-request.ts';
import {
  docsFor,
  findRepo,
  gitHubError,
  isReply,
  NAME_RULES_MESSAGE,
  resolveScope,
} from './github-request.ts';
import { countLimit, SCOPE_NOUN, secretHandlers } from './github-secrets.ts';
import type { GitHubVisibility, StoredVariable } from './github-state.ts';
import { isValidActionsName } from './github-state.ts';

// Repo, environment and org serve the same secrets/variables routes under their own prefix (environments have no /actions).
const PREFIX: Record<ScopeKind, string> = {
  repo: '/repos/{owner}/{repo}/actions',
  environment: '/repos/{owner}/{repo}/environments/{environment_name}',
  org: '/orgs/{org}/actions',
};

export function gitHubRoutes(ctx: GitHubAppRouteContext): ApiRoute[] {
  const routes: ApiRoute[] = [];
  const add = (
    method: string,
    route: string,
    handle: (req: SandboxRequest) => SandboxReply,
    contractRoute?: null,
  ): void => {
    // An app's JWT opens only the app's own routes; everything else needs an installation token.
    const guarded = (req: SandboxRequest): SandboxReply =>
      ctx.grant(req.token)?.appId !== undefined
        ? gitHubError(403, INTEGRATION_ONLY_MESSAGE, docsFor(ctx, req))
        : handle(req);
    routes.push({ method, route, handle: guarded, ...(contractRoute === null ? { contractRoute } : {}) });
  };
  for (const kind of ['repo', 'environment', 'org'] as const) {
    const secrets = secretHandlers(ctx, kind);
    const variables = variableHandlers(ctx, kind);
    const p = PREFIX[kind];
    add('GET', `${p}/secrets`, secrets.list);
    add('GET', `${p}/secrets/public-key`, secrets.publicKey);
    add('GET', `${p}/secrets/{secret_name}`, secrets.get);
    add('PUT', `${p}/secrets/{secret_name}`, secrets.put);
    add('DELETE', `${p}/secrets/{secret_name}`, secrets.remove);
    add('GET', `${p}/variables`, variables.list);
    add('POST', `${p}/variables`, variables.create);
    add('GET', `${p}/variables/{name}`, variables.get);
    add('PATCH', `${p}/variables/{name}`, variables.update);
    add('DELETE', `${p}/variables/{name}`, variables.remove);
  }
  // Dependabot keeps secrets only, at repo and org scope, beside (not inside) Actions.
  for (const kind of ['repo', 'org'] as const) {
    const secrets = secretHandlers(ctx, kind, 'dependabot');
    const p = kind === 'repo' ? '/repos/{owner}/{repo}/dependabot' : '/orgs/{org}/dependabot';
    add('GET', `${p}/secrets`, secrets.list);
    add('GET', `${p}/secrets/public-key`, secrets.publicKey);
    add('GET', `${p}/secrets/{secret_name}`, secrets.get);
    add('PUT', `${p}/secrets/{secret_name}`, secrets.put);
    add('DELETE', `${p}/secrets/{secret_name}`, secrets.remove);
  }
  for (const [store, what] of [
    ['actions', 'secrets'],
    ['actions', 'variables'],
    ['dependabot', 'secrets'],
  ] as const) {
    const selected = selectedRepositoryHandlers(ctx, what, store);
    const item = what === 'secrets' ? '{secret_name}' : '{name}';
    add('GET', `/orgs/{org}/${store}/${what}/${item}/repositories`, selected.list);
    add('PUT', `/orgs/{org}/${store}/${what}/${item}/repositories`, selected.set);
    add('PUT', `/orgs/{org}/${store}/${what}/${item}/repositories/{repository_id}`, selected.add);
    add('DELETE', `/orgs/{org}/${store}/${what}/${item}/repositories/{repository_id}`, selected.remove);
  }
  add('GET', '/orgs/{org}/repos', (req) => listOrgRepos(ctx, req));
  // Outside the Actions contract but needed by a client: access checks, environments, budget.
  add(
    'GET',
    '/repos/{owner}/{repo}',
    (req) => {
      const repo = findRepo(ctx, req);
      if (!repo)
        return gitHubError(404, 'Not Found', 'https://docs.github.com/rest/repos/repos#get-a-repository');
      return { status: 200, body: repositoryJson(repo, req.origin, !ctx.grant(req.token)?.readOnly) };
    },
    null,
  );
  add(
    'GET',
    '/repos/{owner}/{repo}/environments',
    (req) => {
      const repo = findRepo(ctx, req);
      if (!repo)
        return gitHubError(
          404,
          'Not Found',
          'https://docs.github.com/rest/deployments/environments#list-environments',
        );
      const all = [...repo.environments.values()].sort((a, b) => a.name.localeCompare(b.name));
      const page = paginate(all, req, 30, 100);
      const environments = page.items.map((e) => ({
        id: e.id,
        node_id: Buffer.from(`011:Environment${e.id}`).toString('base64'),
        name: e.name,
        url: `${req.origin}/repos/${repo.owner}/${repo.name}/environments/${encodeURIComponent(e.name)}`,
        html_url: `https://github.com/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
        created_at: e.createdAt,
        updated_at: e.updatedAt,
        protection_rules: [],
        deployment_branch_policy: null,
      }));
      return { status: 200, body: { total_count: all.length, environments }, headers: page.headers };
    },
    null,
  );
  add('GET', '/rate_limit', (req) => ({ status: 200, body: ctx.rateLimitJson(req.token) }), null);
  // Pushed as they are: they take the app's JWT, not an installation token.
  routes.push(...appRoutes(ctx));
  return routes;
}

/**
 * An organisation's repositories, as the token may see them: a fine-grained token granted some
 * repositories lists only those. Sorted and filtered as the description says (`type`, `sort`,
 * `direction`; full_name sorts ascending by default, the others descending).
 */
function listOrgRepos(ctx: GitHubRouteContext, req: SandboxRequest): SandboxReply {
  const state = ctx.state();
  const org = state.org(req.params.org ?? '');
  if (!org) return gitHubError(404, 'Not Found', docsFor(ctx, req));
  const grant = ctx.grant(req.token);
  // An installation token (or a grant) reaches only its own organisations.
  if (grant?.orgs && !grant.orgs.some((o) => o.toLowerCase() === org.login.toLowerCase()))
    return gitHubError(404, 'Not Found', docsFor(ctx, req));
  const type = req.query.get('type') ?? 'all';
  const sort = req.query.get('sort') ?? 'created';
  const direction = req.query.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
  const visible = state
    .reposOfOrg(org)
    .filter(
      (r) =>
        !grant?.repos || grant.repos.some((g) => g.toLowerCase() === `${r.owner}/${r.name}`.toLowerCase()),
    )
    .filter((r) => (type === 'public' ? !r.private : type === 'private' ? r.private : type !== 'forks'));
  const key = (r: (typeof visible)[number]): string | number =>
    sort === 'full_name' ? `${r.owner}/${r.name}`.toLowerCase() : r.id;
  visible.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const order = x < y ? -1 : x > y ? 1 : 0;
    return direction === 'asc' ? order : -order;
  });
  const page = paginate(visible, req, 30, 100);
  const canWrite = !grant?.readOnly;
  return {
    status: 200,
    body: page.items.map((r) => repositoryJson(r, req.origin, canWrite)),
    headers: page.headers,
  };
}

function variableHandlers(ctx: GitHubRouteContext, kind: ScopeKind) {
  const variableJson = (v: StoredVariable, req: SandboxRequest): Record<string, unknown> => ({
    name: v.name,
    value: v.value,
    created_at: v.createdAt,
    updated_at: v.updatedAt,
    ...(kind === 'org'
      ? sharingJson(v, `${req.origin}/orgs/${req.params.org ?? ''}/actions/variables/${v.name}/repositories`)
      : {}),
  });
  const tooLarge = (value: string | undefined): boolean =>
    value !== undefined && Buffer.byteLength(value) > ctx.limits.valueBytes;
  const tooLargeReply = (docs: string): SandboxReply =>
    gitHubError(422, `Variable value is too large: the limit is ${ctx.limits.valueBytes / 1024} KB.`, docs);
  return {
    list: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req);
      if (isReply(r)) return r;
      const all = [...r.scope.variables.values()].sort((a, b) => a.name.localeCompare(b.name));
      const page = paginate(all, req, 10, 30);
      return {
        status: 200,
        body: { total_count: all.length, variables: page.items.map((v) => variableJson(v, req)) },
        headers: page.headers,
      };
    },
    get: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req);
      if (isReply(r)) return r;
      const variable = r.scope.variables.get((req.params.name ?? '').toUpperCase());
      return variable
        ? { status: 200, body: variableJson(variable, req) }
        : gitHubError(404, 'Not Found', docsFor(ctx, req));
    },
    create: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req);
      if (isReply(r)) return r;
      const docs = docsFor(ctx, req);
      const body = req.body as {
        name: string;
        value: string;
        visibility?: GitHubVisibility;
        selected_repository_ids?: (number | string)[];
      };
      if (!isValidActionsName(body.name)) return gitHubError(422, NAME_RULES_MESSAGE, docs);
      const key = body.name.toUpperCase();
      if (r.scope.variables.has(key))
        return gitHubError(409, 'Already exists - Variable already exists', docs);
      if (tooLarge(body.value)) return tooLargeReply(docs);
      const limit = countLimit(ctx.limits, kind, 'variables');
      if (r.scope.variables.size >= limit) {
        return gitHubError(
          422,
          `Variable limit reached: a ${SCOPE_NOUN[kind]} can have at most ${limit} variables.`,
          docs,
        );
      }
      let sharing: Sharing | undefined;
      if (r.org) {
        const s = sharingFrom(ctx, r.org, body.visibility, body.selected_repository_ids, undefined, docs);
        if (isSharingError(s)) return s;
        sharing = s;
      }
      const now = isoSeconds(Date.now());
      r.scope.variables.set(key, {
        name: key,
        value: body.value,
        createdAt: now,
        updatedAt: now,
        ...sharing,
      });
      return { status: 201, body: {} };
    },
    update: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req);
      if (isReply(r)) return r;
      const docs = docsFor(ctx, req);
      const oldKey = (req.params.name ?? '').toUpperCase();
      const existing = r.scope.variables.get(oldKey);
      if (!existing) return gitHubError(404, 'Not Found', docs);
      const body = req.body as {
        name?: string;
        value?: string;
        visibility?: GitHubVisibility;
        selected_repository_ids?: (number | string)[];
      };
      const newName = body.name ?? existing.name;
      if (!isValidActionsName(newName)) return gitHubError(422, NAME_RULES_MESSAGE, docs);
      const newKey = newName.toUpperCase();
      if (newKey !== oldKey && r.scope.variables.has(newKey))
        return gitHubError(409, 'Already exists - Variable already exists', docs);
      if (tooLarge(body.value)) return tooLargeReply(docs);
      let sharing: Sharing | undefined;
      if (r.org && (body.visibility !== undefined || body.selected_repository_ids !== undefined)) {
        const s = sharingFrom(
          ctx,
          r.org,
          body.visibility ?? existing.visibility,
          body.selected_repository_ids,
          existing,
          docs,
        );
        if (isSharingError(s)) return s;
        sharing = s;
      }
      r.scope.variables.delete(oldKey);
      r.scope.variables.set(newKey, {
        ...existing,
        ...sharing,
        name: newKey,
        value: body.value ?? existing.value,
        updatedAt: isoSeconds(Date.now()),
      });
      return { status: 204 };
    },
    remove: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req);
      if (isReply(r)) return r;
      return r.scope.variables.delete((req.params.name ?? '').toUpperCase())
        ? { status: 204 }
        : gitHubError(404, 'Not Found', docsFor(ctx, req));
    },
  };
}
