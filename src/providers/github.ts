/**
 * GitHub Actions secrets and variables, for a repository, an environment or an organization, and
 * Dependabot secrets for a repository or an organization. Secrets are write-only: they are sealed
 * with the store's own public key (libsodium sealed box) and read back only as a name and
 * `updated_at`. Variables are plain text.
 */
import { Buffer } from 'node:buffer';
import type * as Sodium from 'libsodium-wrappers';
import { lateImport } from '../runtime/late-import.ts';
import * as v from 'valibot';
import type { EnvMap, EnvValue, GitHubScope, Target } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import type { Adapter, Progress, WriteOp, WriteOutcome } from './adapter.ts';
import { decode, segment } from './api-client.ts';
import type { ApiClient } from './api-client.ts';
import { ProviderError, ProviderValidationError } from './errors.ts';
import { gitHubAppAuth } from './github-app.ts';
import type { GitHubAppCredentials } from './github-app.ts';
import { githubRules } from './github-rules.ts';
import { outcomesFor } from './outcomes.ts';
import { GITHUB_BUDGETS } from './pacer.ts';
import { GITHUB_RESET } from './retry-policy.ts';
import { clientFor } from './transport.ts';
import { gitHubProbe } from './probes.ts';
import type { RemoteAdapterOptions } from './transport.ts';

type GitHubTarget = Extract<Target, { provider: 'github' }>;

export interface GitHubAdapterOptions extends RemoteAdapterOptions {
  /** GitHub App credentials: when set, installation tokens are used and `token` is ignored. */
  readonly app?: GitHubAppCredentials;
}

export const GITHUB_API_URL = 'https://api.github.com';

/** The largest pages each list allows (contract: secrets ≤ 100, variables ≤ 30). */
const PAGE_SIZE = { secrets: 100, variables: 30, dependabot: 100 } as const;
/** Stops a misbehaving `Link` chain; 1,000 org secrets fit in 10 pages. */
const MAX_PAGES = 1_000;

const SecretsPage = v.looseObject({
  secrets: v.array(v.looseObject({ name: v.string(), updated_at: v.optional(v.string()) })),
});
const VariablesPage = v.looseObject({
  variables: v.array(
    v.looseObject({
      name: v.string(),
      // The org example returns `true` for a value: take any scalar and read it as text.
      value: v.union([v.string(), v.number(), v.boolean()]),
      updated_at: v.optional(v.string()),
    }),
  ),
});
const ReposPage = v.array(v.looseObject({ full_name: v.string(), archived: v.optional(v.boolean(), false) }));
const OneSecret = v.looseObject({ name: v.string(), updated_at: v.optional(v.string()) });
const OneVariable = v.looseObject({
  name: v.string(),
  value: v.union([v.string(), v.number(), v.boolean()]),
  updated_at: v.optional(v.string()),
});
/** What a GET of one secret or variable has in common. */
const PublicKey = v.looseObject({ key_id: v.string(), key: v.string() });
type PublicKey = v.InferOutput<typeof PublicKey>;

/** Both secret stores are write-only and sealed; only variables are plain. */
function holdsSecrets(target: GitHubTarget): boolean {
  return target.store !== 'variables';
}

/** `/repos/o/r/actions/secrets`, `/repos/o/r/environments/e/variables`, `/orgs/o/dependabot/secrets`… */
function storePath(target: GitHubTarget): string {
  const s = target.scope;
  if (target.store === 'dependabot') {
    if (s.kind === 'environment')
      throw new ProviderError(
        `[envsync] [github] target "${target.id}": Dependabot secrets belong to a repository or an organization, not an environment`,
        { provider: 'github' },
      );
    return s.kind === 'org'
      ? `/orgs/${segment(s.org)}/dependabot/secrets`
      : `/repos/${segment(s.owner)}/${segment(s.repo)}/dependabot/secrets`;
  }
  if (s.kind === 'org') return `/orgs/${segment(s.org)}/actions/${target.store}`;
  const repo = `/repos/${segment(s.owner)}/${segment(s.repo)}`;
  if (s.kind === 'environment') return `${repo}/environments/${segment(s.environment)}/${target.store}`;
  return `${repo}/actions/${target.store}`;
}

/** The `rel="next"` URL of a `Link` header. */
function relLink(link: string | null, wanted: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]+)>(.*)$/.exec(part);
    const rel = /;\s*rel="?([^";]*)"?/i.exec(match?.[2] ?? '')?.[1] ?? '';
    if (match?.[1] && rel.trim().split(/\s+/).includes(wanted)) return match[1];
  }
  return undefined;
}

export function nextLink(link: string | null): string | undefined {
  return relLink(link, 'next');
}

/** Org-wide secrets and variables say who may use them; repository ones do not. */
function orgAccess(scope: GitHubScope): Record<string, unknown> {
  if (scope.kind !== 'org') return {};
  const visibility = scope.visibility ?? 'private';
  return visibility === 'selected'
    ? { visibility, selected_repository_ids: [...(scope.selectedRepositoryIds ?? [])] }
    : { visibility };
}

function listPages<T>(
  client: ApiClient,
  target: GitHubTarget,
  pick: (data: unknown) => readonly T[],
): Promise<T[]> {
  return listAllPages(client, storePath(target), { per_page: PAGE_SIZE[target.store] }, pick);
}

async function listAllPages<T>(
  client: ApiClient,
  firstPath: string,
  query: Readonly<Record<string, string | number>>,
  pick: (data: unknown) => readonly T[],
): Promise<T[]> {
  const first = await client.request({ method: 'GET', path: firstPath, query });
  const items: T[] = [...pick(first.data)];
  // `rel="last"` names the page count: the remaining pages are fetched side by side, in one round
  // trip instead of one each. Without it, `rel="next"` is followed page by page.
  const pages = pageLinks(first.headers.get('link'));
  if (pages.length > 0) {
    const rest = await Promise.all(pages.map((path) => client.request({ method: 'GET', path })));
    for (const res of rest) items.push(...pick(res.data));
    return items;
  }
  const seen = new Set<string>();
  let path = nextLink(first.headers.get('link'));
  for (let page = 1; path !== undefined && !seen.has(path) && page < MAX_PAGES; page += 1) {
    seen.add(path);
    const res = await client.request({ method: 'GET', path });
    items.push(...pick(res.data));
    path = nextLink(res.headers.get('link'));
  }
  return items;
}

/** The URLs of pages 2…last, built from the `rel="last"` link of page 1; empty when it cannot tell. */
export function pageLinks(link: string | null): string[] {
  const last = relLink(link, 'last');
  const next = relLink(link, 'next');
  if (!last || !next) return [];
  const lastUrl = new URL(last, 'http://x');
  const count = Number(lastUrl.searchParams.get('page'));
  if (!Number.isInteger(count) || count < 2 || count > MAX_PAGES) return [];
  return Array.from({ length: count - 1 }, (_, i) => {
    lastUrl.searchParams.set('page', String(i + 2));
    return last.startsWith('http') ? lastUrl.toString() : `${lastUrl.pathname}${lastUrl.search}`;
  });
}

async function listStore(client: ApiClient, target: GitHubTarget): Promise<Map<string, EnvValue>> {
  const map = new Map<string, EnvValue>();
  const what = { provider: 'github', what: `GET ${storePath(target)}` } as const;
  if (holdsSecrets(target)) {
    const secrets = await listPages(client, target, (data) => decode(SecretsPage, data, what).secrets);
    for (const s of secrets) map.set(s.name, { kind: 'write-only', updatedAt: s.updated_at });
  } else {
    const variables = await listPages(client, target, (data) => decode(VariablesPage, data, what).variables);
    for (const variable of variables) {
      map.set(variable.name, {
        kind: 'value',
        value: new Secret(String(variable.value)),
        updatedAt: variable.updated_at,
      });
    }
  }
  return map;
}

/**
 * libsodium is loaded on the first write of a secret, not when EnvSync starts: most runs (plans,
 * drift checks, other providers) never seal anything.
 */
async function loadSealer(): Promise<(plaintext: string, key: PublicKey) => string> {
  // Out of the bundlers' sight (≈ 0.9 MB): netlify.toml ships it with the one function that seals.
  const { default: sodium } = await lateImport<typeof Sodium>('libsodium-wrappers');
  await sodium.ready;
  return (plaintext, key) =>
    Buffer.from(
      sodium.crypto_box_seal(Buffer.from(plaintext, 'utf8'), Buffer.from(key.key, 'base64')),
    ).toString('base64');
}

/** A 422 that blames the key: the public key rotated between our fetch and the PUT. */
function blamesPublicKey(error: unknown): boolean {
  return error instanceof ProviderValidationError && error.refusal === 'public-key';
}

async function writeSecrets(
  client: ApiClient,
  target: GitHubTarget,
  ops: readonly WriteOp[],
  progress: Progress | undefined,
): Promise<WriteOutcome[]> {
  const base = storePath(target);
  const fetchKey = async (): Promise<PublicKey> => {
    const res = await client.request({ method: 'GET', path: `${base}/public-key` });
    return decode(PublicKey, res.data, { provider: 'github', what: `GET ${base}/public-key` });
  };
  // One key per call (= per sync run of this target), fetched before libsodium loads.
  let current = await fetchKey();
  const seal = await loadSealer();
  let refetch: Promise<PublicKey> | undefined;

  const put = async (op: WriteOp, key: PublicKey): Promise<void> => {
    const plaintext = op.value.reveal();
    const encrypted = seal(plaintext, key);
    await client.request({
      method: 'PUT',
      path: `${base}/${segment(op.key)}`,
      body: { encrypted_value: encrypted, key_id: key.key_id, ...orgAccess(target.scope) },
      key: op.key,
      values: [plaintext, encrypted],
    });
  };

  const outcomes = await outcomesFor(
    ops,
    (op) => op.key,
    async (op) => {
      // Read at dispatch, so secrets after a rotation are sealed with the new key straight away.
      const key = current;
      try {
        await put(op, key);
      } catch (error) {
        if (!blamesPublicKey(error)) throw error;
        // The key is refetched once per call, however many secrets meet the rotation.
        refetch ??= fetchKey();
        current = await refetch;
        if (current.key_id === key.key_id && current.key === key.key) throw error;
        await put(op, current);
      }
    },
    // One secret at a time: GitHub takes writes serially anyway (writeConcurrency 1), and a secret
    // sealed only when its turn comes uses the key a rotation just brought, instead of queueing
    // PUTs sealed with the old key that are all refused.
    { progress, parallel: 1 },
  );
  return withUpdatedAt(client, target, outcomes);
}

/**
 * The `updated_at` GitHub now holds for each secret just written, so a later change made outside
 * EnvSync shows as drift. One listing after the writes (a page per 100 secrets) rather than a GET
 * per secret: the API-call count stays at the minimum plus a page.
 */
async function withUpdatedAt(
  client: ApiClient,
  target: GitHubTarget,
  outcomes: WriteOutcome[],
): Promise<WriteOutcome[]> {
  if (!outcomes.some((o) => o.ok)) return outcomes;
  let listed: EnvMap;
  try {
    listed = await listStore(client, target);
  } catch {
    return outcomes; // the writes happened; only timestamps are missing, and the next list has them
  }
  return outcomes.map((o) => {
    const updatedAt = o.ok ? listed.get(o.key.toUpperCase())?.updatedAt : undefined;
    return o.ok && updatedAt ? { ...o, updatedAt } : o;
  });
}

async function writeVariables(
  client: ApiClient,
  target: GitHubTarget,
  ops: readonly WriteOp[],
  progress: Progress | undefined,
): Promise<WriteOutcome[]> {
  const base = storePath(target);
  const access = orgAccess(target.scope);
  const create = (op: WriteOp, value: string) =>
    client.request({
      method: 'POST',
      path: base,
      body: { name: op.key, value, ...access },
      key: op.key,
      values: [value],
      // A resent create that finds the variable answers 409, which becomes a PATCH below.
      retrySafe: true,
      accept: [409],
    });
  const update = (op: WriteOp, value: string) =>
    client.request({
      method: 'PATCH',
      path: `${base}/${segment(op.key)}`,
      // No `name`: on PATCH it renames, and the key is already in the path.
      body: { value, ...access },
      key: op.key,
      values: [value],
      accept: [404],
    });

  return outcomesFor(
    ops,
    (op) => op.key,
    async (op) => {
      const value = op.value.reveal();
      if (op.action === 'create') {
        if ((await create(op, value)).status === 409) await update(op, value);
      } else if ((await update(op, value)).status === 404) {
        // Updated a variable someone deleted meanwhile: create it again.
        await create(op, value);
      }
      // Variables are readable: drift shows in their values, no timestamp needed.
    },
    { progress },
  );
}

export function createGitHubAdapter(options: GitHubAdapterOptions): Adapter<GitHubTarget> {
  const { app } = options;
  const client = clientFor(
    {
      provider: 'github',
      baseUrl: GITHUB_API_URL,
      budgets: GITHUB_BUDGETS,
      // GitHub asks integrators to make writes serially to stay clear of secondary limits; a few
      // reads at once (well under its 100 concurrent requests) fetch list pages in parallel.
      concurrency: 4,
      writeConcurrency: 1,
      resetHeader: GITHUB_RESET,
      apiUrlSetting: 'GITHUB_API_URL',
      headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
    },
    // The app's budget is shared by its runs as a token's is: keyed by the app, not a token.
    app ? { ...options, token: `github-app:${app.appId}` } : options,
    app ? (clientWith) => gitHubAppAuth(app, clientWith, options.clock) : undefined,
  );

  return {
    provider: 'github',
    probe: gitHubProbe(client),
    capabilities: (target) => ({
      readableValues: !holdsSecrets(target),
      batchCreate: false,
      perContextValues: false,
    }),
    rules: (target) => githubRules(target),
    list: (target): Promise<EnvMap> => listStore(client, target),
    async read(target, key) {
      const path = `${storePath(target)}/${segment(key)}`;
      const res = await client.request({ method: 'GET', path, key, accept: [404] });
      if (res.status === 404) return undefined;
      const what = { provider: 'github', what: `GET ${path}` } as const;
      if (holdsSecrets(target)) {
        return { kind: 'write-only', updatedAt: decode(OneSecret, res.data, what).updated_at };
      }
      const variable = decode(OneVariable, res.data, what);
      return { kind: 'value', value: new Secret(String(variable.value)), updatedAt: variable.updated_at };
    },
    write(target, ops, progress) {
      if (ops.length === 0) return Promise.resolve([]);
      return holdsSecrets(target)
        ? writeSecrets(client, target, ops, progress)
        : writeVariables(client, target, ops, progress);
    },
    async discover(org) {
      const path = `/orgs/${segment(org)}/repos`;
      const what = { provider: 'github', what: `GET ${path}` } as const;
      // Sorted by name, so what a pattern found reads the same from one run to the next.
      const repos = await listAllPages(client, path, { per_page: 100, sort: 'full_name' }, (data) =>
        decode(ReposPage, data, what),
      );
      return repos.map((r) => ({ name: r.full_name, archived: r.archived }));
    },
    remove(target, keys, progress) {
      const base = storePath(target);
      return outcomesFor(
        keys,
        (key) => key,
        async (key) => {
          // Already gone is what we wanted.
          await client.request({ method: 'DELETE', path: `${base}/${segment(key)}`, key, accept: [404] });
        },
        { progress },
      );
    },
  };
}
