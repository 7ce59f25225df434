import type { SandboxReply, SandboxRequest } from './http.ts';
import { minimalRepositoryJson } from './github-repository.ts';
import type { GitHubRouteContext } from './github-request.ts';
import { docsFor, gitHubError, invalid, isReply, resolveScope } from './github-request.ts';
import { paginate } from './github-pagination.ts';
import type {
  GitHubOrg,
  GitHubRepo,
  GitHubStoreKind,
  GitHubVisibility,
  StoredSecret,
  StoredVariable,
} from './github-state.ts';

/** Who may use an org secret or variable: every repo, private ones, or a selected list. */
export interface Sharing {
  visibility: GitHubVisibility;
  selectedRepositoryIds?: number[];
}

export function isSharingError(value: Sharing | SandboxReply): value is SandboxReply {
  return 'status' in value;
}

export function sharingJson(
  item: { visibility?: GitHubVisibility },
  repositoriesUrl: string,
): Record<string, unknown> {
  const visibility = item.visibility ?? 'private';
  return { visibility, ...(visibility === 'selected' ? { selected_repositories_url: repositoriesUrl } : {}) };
}

/** Checks `visibility` / `selected_repository_ids` of an org secret or variable. */
export function sharingFrom(
  ctx: GitHubRouteContext,
  org: GitHubOrg,
  visibility: GitHubVisibility | undefined,
  ids: (number | string)[] | undefined,
  existing: { selectedRepositoryIds?: number[] } | undefined,
  docs: string,
): Sharing | SandboxReply {
  if (visibility === undefined) return invalid(`"visibility" wasn't supplied.`, docs);
  if (visibility !== 'selected') {
    if (ids !== undefined && ids.length > 0) {
      return invalid(
        'selected_repository_ids can only be provided when the visibility is set to selected.',
        docs,
      );
    }
    return { visibility };
  }
  // The description requires only `visibility`: `selected` with no ids keeps the repositories
  // already selected, or selects none (they are added later through …/repositories).
  if (ids === undefined) return { visibility, selectedRepositoryIds: existing?.selectedRepositoryIds ?? [] };
  const resolved = repositoryIdsOf(ctx, org, ids, docs);
  return isSharingIds(resolved) ? { visibility, selectedRepositoryIds: resolved } : resolved;
}

export function isSharingIds(value: number[] | SandboxReply): value is number[] {
  return Array.isArray(value);
}

function repositoryIdsOf(
  ctx: GitHubRouteContext,
  org: GitHubOrg,
  ids: (number | string)[],
  docs: string,
): number[] | SandboxReply {
  const out: number[] = [];
  for (const raw of ids) {
    const id = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
    const repo = Number.isInteger(id) ? ctx.state().repoById(id) : undefined;
    if (!repo || repo.owner.toLowerCase() !== org.login.toLowerCase()) {
      return invalid(`Repository ${String(raw)} is not a repository of the organization ${org.login}.`, docs);
    }
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

export function selectedRepositoryHandlers(
  ctx: GitHubRouteContext,
  what: 'secrets' | 'variables',
  store: GitHubStoreKind = 'actions',
) {
  const itemParam = what === 'secrets' ? 'secret_name' : 'name';
  const find = (
    req: SandboxRequest,
  ): { org: GitHubOrg; item: StoredSecret | StoredVariable } | SandboxReply => {
    const r = resolveScope(ctx, 'org', req, store);
    if (isReply(r) || !r.org) return isReply(r) ? r : gitHubError(404, 'Not Found', docsFor(ctx, req));
    const item = r.scope[what].get((req.params[itemParam] ?? '').toUpperCase());
    return item ? { org: r.org, item } : gitHubError(404, 'Not Found', docsFor(ctx, req));
  };
  // Where the contract declares this 409 it declares it without a body, so none is sent there.
  const notSelected = (req: SandboxRequest): SandboxReply =>
    ctx.contract.operation(req.method, req.route)?.responses['409'] === null
      ? { status: 409 }
      : gitHubError(
          409,
          `The visibility of this ${what === 'secrets' ? 'secret' : 'variable'} is not set to selected.`,
          docsFor(ctx, req),
        );
  return {
    list: (req: SandboxRequest): SandboxReply => {
      const found = find(req);
      if ('status' in found) return found;
      // The contract declares 409 here for variables only; a secret that is not shared with selected repos lists none.
      if (what === 'variables' && found.item.visibility !== 'selected') return notSelected(req);
      const repos = (found.item.selectedRepositoryIds ?? [])
        .map((id) => ctx.state().repoById(id))
        .filter((r): r is GitHubRepo => r !== undefined);
      const page = paginate(repos, req, 30, 100);
      return {
        status: 200,
        body: {
          total_count: repos.length,
          repositories: page.items.map((repo) => minimalRepositoryJson(repo, req.origin)),
        },
        headers: page.headers,
      };
    },
    set: (req: SandboxRequest): SandboxReply => {
      const found = find(req);
      if ('status' in found) return found;
      if (found.item.visibility !== 'selected') return notSelected(req);
      const ids = repositoryIdsOf(
        ctx,
        found.org,
        (req.body as { selected_repository_ids: number[] }).selected_repository_ids,
        docsFor(ctx, req),
      );
      if (!isSharingIds(ids)) return ids;
      found.item.selectedRepositoryIds = ids;
      return { status: 204 };
    },
    add: (req: SandboxRequest): SandboxReply => {
      const found = find(req);
      if ('status' in found) return found;
      if (found.item.visibility !== 'selected') return notSelected(req);
      const ids = repositoryIdsOf(ctx, found.org, [req.params.repository_id ?? ''], docsFor(ctx, req));
      if (!isSharingIds(ids)) return ids;
      found.item.selectedRepositoryIds = [...new Set([...(found.item.selectedRepositoryIds ?? []), ...ids])];
      return { status: 204 };
    },
    remove: (req: SandboxRequest): SandboxReply => {
      const found = find(req);
      if ('status' in found) return found;
      if (found.item.visibility !== 'selected') return notSelected(req);
      const id = Number(req.params.repository_id);
      found.item.selectedRepositoryIds = (found.item.selectedRepositoryIds ?? []).filter((x) => x !== id);
      return { status: 204 };
    },
  };
}
