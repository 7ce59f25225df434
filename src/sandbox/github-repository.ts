import type { GitHubRepo } from './github-state.ts';

/** A "Simple User" (owner) object as GitHub returns it, with API URLs pointing at the sandbox. */
function ownerJson(repo: GitHubRepo, origin: string): Record<string, unknown> {
  return accountJson({ login: repo.owner, id: repo.ownerId, type: repo.ownerType }, origin);
}

/** The "Simple User" object of a user or an organization (repo owners, app installations). */
export function accountJson(
  account: { login: string; id: number; type: 'User' | 'Organization' },
  origin: string,
): Record<string, unknown> {
  const { login, id, type } = account;
  const api = type === 'Organization' ? `${origin}/orgs/${login}` : `${origin}/users/${login}`;
  return {
    login,
    id,
    node_id: Buffer.from(`04:${type}${id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `https://github.com/${login}`,
    followers_url: `${origin}/users/${login}/followers`,
    following_url: `${origin}/users/${login}/following{/other_user}`,
    gists_url: `${origin}/users/${login}/gists{/gist_id}`,
    starred_url: `${origin}/users/${login}/starred{/owner}{/repo}`,
    subscriptions_url: `${origin}/users/${login}/subscriptions`,
    organizations_url: `${origin}/users/${login}/orgs`,
    repos_url: `${origin}/users/${login}/repos`,
    events_url: `${origin}/users/${login}/events{/privacy}`,
    received_events_url: `${origin}/users/${login}/received_events`,
    type,
    site_admin: false,
  };
}

/** The "Minimal Repository" object of the contract (selected-repository lists). */
export function minimalRepositoryJson(repo: GitHubRepo, origin: string): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const api = `${origin}/repos/${fullName}`;
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: fullName,
    owner: ownerJson(repo, origin),
    private: repo.private,
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    hooks_url: `${api}/hooks`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
  };
}

/** `GET /repos/{owner}/{repo}`: the minimal object plus the fields a client checks for access. */
export function repositoryJson(repo: GitHubRepo, origin: string, canWrite: boolean): Record<string, unknown> {
  return {
    ...minimalRepositoryJson(repo, origin),
    visibility: repo.private ? 'private' : 'public',
    default_branch: 'main',
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    archived: repo.archived,
    disabled: false,
    permissions: { admin: canWrite, maintain: canWrite, push: canWrite, triage: canWrite, pull: true },
  };
}
