import sodium from 'libsodium-wrappers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubSandbox, GitHubSeed } from '../../src/sandbox/index.ts';
import { startGitHubSandbox } from '../../src/sandbox/index.ts';
import type { Client } from './http-client.ts';
import { client, expectConforming, seal } from './http-client.ts';

const NAME_RULES =
  'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_).';
const IMPROPER = 'Bad request - validation failed due to an improperly encrypted secret';

type SecretList = {
  total_count: number;
  secrets: {
    name: string;
    created_at: string;
    updated_at: string;
    visibility?: string;
    selected_repositories_url?: string;
  }[];
};
type VariableList = { total_count: number; variables: { name: string; value: string }[] };
type GitHubErrorBody = { message: string; documentation_url: string; status?: string };
type PublicKey = { key_id: string; key: string };

const many = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}_${String(i).padStart(3, '0')}`, value: `v${i}` }));

const SEED: GitHubSeed = {
  orgs: [
    {
      login: 'acme',
      secrets: [{ name: 'ORG_TOKEN', value: 'o', visibility: 'private' }],
      variables: [{ name: 'ORG_VAR', value: 'ov', visibility: 'all' }],
    },
  ],
  repos: [
    {
      owner: 'acme',
      name: 'web',
      id: 501,
      environments: [{ name: 'production', secrets: [{ name: 'DB', value: 'prod-db' }] }],
      secrets: many(75, 'S'),
      variables: many(25, 'V'),
    },
    { owner: 'acme', name: 'api', id: 502 },
    { owner: 'octo', name: 'full', secrets: many(100, 'F'), variables: many(500, 'W') },
  ],
};

let gh: GitHubSandbox;
let api: Client;

beforeEach(async () => {
  gh = await startGitHubSandbox({ seed: SEED });
  api = client(gh.url, gh.token);
});
afterEach(async () => {
  expect(gh.violations).toEqual([]);
  await gh.close();
});

async function putSecret(path: string, value: string, keyPath: string): Promise<number> {
  const key = (await api.get<PublicKey>(keyPath)).body;
  return (await api.put(path, { encrypted_value: await seal(key.key, value), key_id: key.key_id })).status;
}

describe('GitHub sandbox: auth', () => {
  it('answers 401 Requires authentication without a token and Bad credentials for a wrong one', async () => {
    const none = await client(gh.url).get<GitHubErrorBody>('/repos/acme/web/actions/secrets');
    expect(none.status).toBe(401);
    expect(none.body.message).toBe('Requires authentication');
    const wrong = await client(gh.url, 'ghp_wrong').get<GitHubErrorBody>('/repos/acme/web/actions/secrets');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({
      message: 'Bad credentials',
      documentation_url: expect.stringContaining('docs.github.com') as unknown,
    });
    expect(wrong.headers.get('x-ratelimit-limit')).toBe('60');
  });

  it('accepts the older `token <t>` scheme', async () => {
    const reply = await client(gh.url).get('/repos/acme/web/actions/secrets', {
      Authorization: `token ${gh.token}`,
    });
    expect(reply.status).toBe(200);
  });

  it('answers 404 Not Found for an unknown repo, environment or org', async () => {
    for (const path of [
      '/repos/acme/nope/actions/secrets',
      '/repos/acme/web/environments/nope/secrets',
      '/orgs/nope/actions/secrets',
    ]) {
      const reply = await api.get<GitHubErrorBody>(path);
      expect(reply.status).toBe(404);
      expect(reply.body.message).toBe('Not Found');
    }
  });

  it('hides repos outside a token grant and refuses writes from a read-only token', async () => {
    const limited = await startGitHubSandbox({
      seed: SEED,
      tokens: [{ token: 'ghp_limited', repos: ['acme/web'], readOnly: true }],
    });
    try {
      const c = client(limited.url, 'ghp_limited');
      expect((await c.get('/repos/acme/web/actions/variables')).status).toBe(200);
      expect((await c.get('/repos/acme/api/actions/variables')).status).toBe(404);
      const write = await c.post<GitHubErrorBody>('/repos/acme/web/actions/variables', {
        name: 'X',
        value: 'y',
      });
      expect(write.status).toBe(403);
      expect(write.body.message).toBe('Resource not accessible by personal access token');
    } finally {
      await limited.close();
    }
  });
});

describe('GitHub sandbox: organisation repositories', () => {
  type Repo = { name: string; full_name: string; archived?: boolean; private: boolean };

  it("lists an org's repositories by page, as the token may see them, in the order asked", async () => {
    const repos = Array.from({ length: 130 }, (_, i) => ({
      owner: 'big',
      name: `svc-${String(i).padStart(3, '0')}`,
      private: i % 2 === 0,
      archived: i === 7,
    }));
    const sb = await startGitHubSandbox({
      seed: { orgs: [{ login: 'big' }], repos: [...repos, { owner: 'other', name: 'x' }] },
      tokens: [{ token: 'ghp_all' }, { token: 'ghp_two', repos: ['big/svc-001', 'big/svc-002'] }],
    });
    try {
      const c = client(sb.url, 'ghp_all');
      const names: string[] = [];
      let next: string | undefined = '/orgs/big/repos?per_page=100&sort=full_name';
      let pages = 0;
      while (next) {
        const url: string = next.replace(sb.url, '');
        const reply = await c.get<Repo[]>(url);
        expect(reply.status).toBe(200);
        expectConforming(sb, 'GET', '/orgs/{org}/repos', reply);
        names.push(...reply.body.map((r) => r.full_name));
        const link: string = reply.headers.get('link') ?? '';
        next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
        pages += 1;
      }
      expect(pages).toBe(2);
      expect(names).toEqual(repos.map((r) => `big/${r.name}`));
      const first = await c.get<Repo[]>('/orgs/big/repos?sort=full_name');
      expect(first.body).toHaveLength(30);
      expect(first.body[7]).toMatchObject({ name: 'svc-007', archived: true });
      const publicOnly = await c.get<Repo[]>('/orgs/big/repos?type=public&per_page=100');
      expect(publicOnly.body.every((r) => !r.private)).toBe(true);
      expect(publicOnly.body).toHaveLength(65);
      const granted = await client(sb.url, 'ghp_two').get<Repo[]>('/orgs/big/repos');
      expect(granted.body.map((r) => r.name).sort()).toEqual(['svc-001', 'svc-002']);
      const missing = await c.get<GitHubErrorBody>('/orgs/nobody/repos');
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('Not Found');
    } finally {
      await sb.close();
    }
  });
});

describe('GitHub sandbox: secrets', () => {
  it('paginates with per_page and a Link header until there is no rel="next"', async () => {
    const names: string[] = [];
    let next: string | undefined = `${gh.url}/repos/acme/web/actions/secrets?per_page=30`;
    let pages = 0;
    while (next) {
      const res: Response = await fetch(next, { headers: { Authorization: `Bearer ${gh.token}` } });
      const body = (await res.json()) as SecretList;
      expect(body.total_count).toBe(75);
      names.push(...body.secrets.map((s) => s.name));
      const link: string = res.headers.get('link') ?? '';
      if (pages === 0) expect(link).toMatch(/page=3>; rel="last"/);
      if (pages === 1) expect(link).toMatch(/rel="prev".*rel="next".*rel="last".*rel="first"/);
      next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(new Set(names).size).toBe(75);
    expect(names).toEqual([...names].sort());
  });

  it('caps per_page at 100 and defaults to 30', async () => {
    expect(
      (await api.get<SecretList>('/repos/octo/full/actions/secrets?per_page=500')).body.secrets,
    ).toHaveLength(100);
    const first = await api.get<SecretList>('/repos/octo/full/actions/secrets');
    expect(first.body.secrets).toHaveLength(30);
    expectConforming(gh, 'GET', '/repos/{owner}/{repo}/actions/secrets', first);
  });

  it('opens a sealed box, keeps the plaintext for inspection only, and answers 201 then 204', async () => {
    const keyReply = await api.get<PublicKey>('/repos/acme/web/actions/secrets/public-key');
    expectConforming(gh, 'GET', '/repos/{owner}/{repo}/actions/secrets/public-key', keyReply);
    const key = keyReply.body;
    expect(sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL)).toHaveLength(32);
    const created = await api.put('/repos/acme/web/actions/secrets/api_key', {
      encrypted_value: await seal(key.key, 'höllo wörld'),
      key_id: key.key_id,
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({});
    expectConforming(gh, 'PUT', '/repos/{owner}/{repo}/actions/secrets/{secret_name}', created);
    expect(gh.inspect.secretPlaintext({ repo: 'acme/web' }, 'API_KEY')).toBe('höllo wörld');
    const updated = await api.put('/repos/acme/web/actions/secrets/API_KEY', {
      encrypted_value: await seal(key.key, 'second'),
      key_id: key.key_id,
    });
    expect(updated.status).toBe(204);
    expect(updated.text).toBe('');
    expect(gh.inspect.secretPlaintext({ repo: 'acme/web' }, 'api_key')).toBe('second');
    const read = await api.get<{ name: string }>('/repos/acme/web/actions/secrets/api_key');
    expect(read.body.name).toBe('API_KEY');
    expect(read.text).not.toContain('second');
    expectConforming(gh, 'GET', '/repos/{owner}/{repo}/actions/secrets/{secret_name}', read);
  });

  it('refuses a box sealed for a key that has since rotated', async () => {
    const old = (await api.get<PublicKey>('/repos/acme/web/actions/secrets/public-key')).body;
    const rotated = gh.inspect.rotateKey({ repo: 'acme/web' });
    expect(rotated.key_id).not.toBe(old.key_id);
    const stale = await api.put<GitHubErrorBody>('/repos/acme/web/actions/secrets/NEW_ONE', {
      encrypted_value: await seal(old.key, 'x'),
      key_id: old.key_id,
    });
    expect(stale.status).toBe(422);
    expect(stale.body).toMatchObject({ message: IMPROPER, status: '422' });
    expect(gh.inspect.secretPlaintext({ repo: 'acme/web' }, 'NEW_ONE')).toBeUndefined();
    // A box for the current key still needs the current key_id.
    const wrongId = await api.put('/repos/acme/web/actions/secrets/NEW_ONE', {
      encrypted_value: await seal(rotated.key, 'x'),
      key_id: old.key_id,
    });
    expect(wrongId.status).toBe(422);
    expect((await api.get<PublicKey>('/repos/acme/web/actions/secrets/public-key')).body.key_id).toBe(
      rotated.key_id,
    );
  });

  it('refuses a box that does not open with the current key', async () => {
    await sodium.ready;
    const key = (await api.get<PublicKey>('/repos/acme/web/actions/secrets/public-key')).body;
    const stranger = sodium.to_base64(sodium.crypto_box_keypair().publicKey, sodium.base64_variants.ORIGINAL);
    for (const encrypted_value of [await seal(stranger, 'x'), 'c2VjcmV0']) {
      const reply = await api.put<GitHubErrorBody>('/repos/acme/web/actions/secrets/BAD_BOX', {
        encrypted_value,
        key_id: key.key_id,
      });
      expect(reply.status).toBe(422);
      expect(reply.body.message).toBe(IMPROPER);
    }
    expect(gh.inspect.secretNames({ repo: 'acme/web' })).not.toContain('BAD_BOX');
  });

  it('validates the body against the contract: key_id required, encrypted_value base64', async () => {
    const missing = await api.put<GitHubErrorBody>('/repos/acme/web/actions/secrets/X', {
      encrypted_value: 'c2VjcmV0',
    });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe('Invalid request.\n\n"key_id" wasn\'t supplied.');
    expect(missing.body.documentation_url).toBe(
      'https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret',
    );
    const pattern = await api.put<GitHubErrorBody>('/repos/acme/web/actions/secrets/X', {
      encrypted_value: 'not base64!',
      key_id: '1',
    });
    expect(pattern.status).toBe(422);
    expect(pattern.body.message).toContain('not base64! does not match /^(?:[A-Za-z0-9+\\/]{4})*');
    const wrongType = await api.put<GitHubErrorBody>('/repos/acme/web/actions/secrets/X', {
      encrypted_value: 5,
      key_id: '1',
    });
    expect(wrongType.body.message).toBe(
      "Invalid request.\n\nFor 'properties/encrypted_value', 5 is not a string.",
    );
    expect(
      (await api.put<GitHubErrorBody>('/repos/acme/web/actions/secrets/X', '{"broken')).body.message,
    ).toBe('Problems parsing JSON');
  });

  it('applies the name rules with the exact 422 message and stores names upper-case', async () => {
    for (const bad of ['1ABC', 'GITHUB_TOKEN', 'github_x', 'has-dash', 'with space']) {
      const reply = await api.put<GitHubErrorBody>(
        `/repos/acme/web/actions/secrets/${encodeURIComponent(bad)}`,
        { encrypted_value: 'c2VjcmV0', key_id: '1' },
      );
      expect(reply.status, bad).toBe(422);
      expect(reply.body.message).toBe(NAME_RULES);
    }
    expect(
      await putSecret(
        '/repos/acme/web/actions/secrets/_lower_ok',
        'v',
        '/repos/acme/web/actions/secrets/public-key',
      ),
    ).toBe(201);
    expect(gh.inspect.secretNames({ repo: 'acme/web' })).toContain('_LOWER_OK');
  });

  it('stops at 100 secrets a repo but still updates existing ones', async () => {
    const keyPath = '/repos/octo/full/actions/secrets/public-key';
    expect(await putSecret('/repos/octo/full/actions/secrets/ONE_TOO_MANY', 'v', keyPath)).toBe(422);
    expect(await putSecret('/repos/octo/full/actions/secrets/F_000', 'v2', keyPath)).toBe(204);
    expect(gh.inspect.secretNames({ repo: 'octo/full' })).toHaveLength(100);
  });

  it('refuses values over 48 KB', async () => {
    const keyPath = '/repos/acme/web/actions/secrets/public-key';
    expect(await putSecret('/repos/acme/web/actions/secrets/BIG', 'x'.repeat(48 * 1024 + 1), keyPath)).toBe(
      422,
    );
    expect(await putSecret('/repos/acme/web/actions/secrets/BIG', 'x'.repeat(48 * 1024), keyPath)).toBe(201);
  });

  it('deletes with 204 and then answers 404', async () => {
    const deleted = await api.delete('/repos/acme/web/actions/secrets/S_000');
    expect(deleted.status).toBe(204);
    expectConforming(gh, 'DELETE', '/repos/{owner}/{repo}/actions/secrets/{secret_name}', deleted);
    expect((await api.delete('/repos/acme/web/actions/secrets/S_000')).status).toBe(404);
    expect((await api.get('/repos/acme/web/actions/secrets/S_000')).status).toBe(404);
  });

  it('keeps environment secrets apart with their own key', async () => {
    const envPath = '/repos/acme/web/environments/production/secrets';
    const list = await api.get<SecretList>(envPath);
    expect(list.body.secrets.map((s) => s.name)).toEqual(['DB']);
    expectConforming(gh, 'GET', '/repos/{owner}/{repo}/environments/{environment_name}/secrets', list);
    const repoKey = (await api.get<PublicKey>('/repos/acme/web/actions/secrets/public-key')).body;
    const envKey = (await api.get<PublicKey>(`${envPath}/public-key`)).body;
    expect(envKey.key_id).not.toBe(repoKey.key_id);
    expect(
      (
        await api.put(`${envPath}/DB`, {
          encrypted_value: await seal(repoKey.key, 'x'),
          key_id: repoKey.key_id,
        })
      ).status,
    ).toBe(422);
    expect(await putSecret(`${envPath}/DB`, 'new-db', `${envPath}/public-key`)).toBe(204);
    expect(gh.inspect.secretPlaintext({ repo: 'acme/web', environment: 'Production' }, 'DB')).toBe('new-db');
  });

  it('needs visibility on org secrets; repository ids only with selected, which may come without them', async () => {
    const key = (await api.get<PublicKey>('/orgs/acme/actions/secrets/public-key')).body;
    const sealed = { encrypted_value: await seal(key.key, 'org-value'), key_id: key.key_id };
    const noVisibility = await api.put<GitHubErrorBody>('/orgs/acme/actions/secrets/SHARED', sealed);
    expect(noVisibility.status).toBe(422);
    expect(noVisibility.body.message).toBe('Invalid request.\n\n"visibility" wasn\'t supplied.');
    // The description requires only `visibility`: selected with no ids selects no repository.
    expect(
      (await api.put('/orgs/acme/actions/secrets/NONE_YET', { ...sealed, visibility: 'selected' })).status,
    ).toBe(201);
    const noneYet = await api.get<{ total_count: number }>(
      '/orgs/acme/actions/secrets/NONE_YET/repositories',
    );
    expect([noneYet.status, noneYet.body.total_count]).toEqual([200, 0]);
    expect(
      (
        await api.put('/orgs/acme/actions/secrets/SHARED', {
          ...sealed,
          visibility: 'all',
          selected_repository_ids: [501],
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await api.put('/orgs/acme/actions/secrets/SHARED', {
          ...sealed,
          visibility: 'selected',
          selected_repository_ids: [999],
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await api.put('/orgs/acme/actions/secrets/SHARED', {
          ...sealed,
          visibility: 'selected',
          selected_repository_ids: [501, '502'],
        })
      ).status,
    ).toBe(201);
    const list = await api.get<SecretList>('/orgs/acme/actions/secrets');
    expectConforming(gh, 'GET', '/orgs/{org}/actions/secrets', list);
    const shared = list.body.secrets.find((s) => s.name === 'SHARED');
    expect(shared).toMatchObject({
      visibility: 'selected',
      selected_repositories_url: `${gh.url}/orgs/acme/actions/secrets/SHARED/repositories`,
    });
    const repos = await api.get<{ total_count: number; repositories: { full_name: string }[] }>(
      '/orgs/acme/actions/secrets/SHARED/repositories',
    );
    expectConforming(gh, 'GET', '/orgs/{org}/actions/secrets/{secret_name}/repositories', repos);
    expect(repos.body.repositories.map((r) => r.full_name)).toEqual(['acme/web', 'acme/api']);
    expect((await api.delete('/orgs/acme/actions/secrets/SHARED/repositories/502')).status).toBe(204);
    expect((await api.put('/orgs/acme/actions/secrets/ORG_TOKEN/repositories/502', undefined)).status).toBe(
      409,
    );
    expect(gh.inspect.secretPlaintext({ org: 'acme' }, 'SHARED')).toBe('org-value');
  });
});

describe('GitHub sandbox: variables', () => {
  it('lists 10 by default and at most 30 a page', async () => {
    const first = await api.get<VariableList>('/repos/acme/web/actions/variables');
    expect(first.body).toMatchObject({ total_count: 25 });
    expect(first.body.variables).toHaveLength(10);
    expectConforming(gh, 'GET', '/repos/{owner}/{repo}/actions/variables', first);
    expect(
      (await api.get<VariableList>('/repos/acme/web/actions/variables?per_page=50')).body.variables,
    ).toHaveLength(25);
    expect(
      (await api.get<VariableList>('/repos/octo/full/actions/variables?per_page=50')).body.variables,
    ).toHaveLength(30);
  });

  it('creates with 201, refuses a duplicate with 409, updates, renames and deletes', async () => {
    const created = await api.post('/repos/acme/web/actions/variables', { name: 'region', value: 'eu' });
    expect(created.status).toBe(201);
    expectConforming(gh, 'POST', '/repos/{owner}/{repo}/actions/variables', created);
    const duplicate = await api.post<GitHubErrorBody>('/repos/acme/web/actions/variables', {
      name: 'REGION',
      value: 'us',
    });
    expect(duplicate.status).toBe(409);
    const read = await api.get<{ name: string; value: string }>('/repos/acme/web/actions/variables/Region');
    expect(read.body).toMatchObject({ name: 'REGION', value: 'eu' });
    expectConforming(gh, 'GET', '/repos/{owner}/{repo}/actions/variables/{name}', read);
    const patched = await api.patch('/repos/acme/web/actions/variables/REGION', { value: 'us' });
    expect(patched.status).toBe(204);
    expect((await api.patch('/repos/acme/web/actions/variables/REGION', { name: 'AREA' })).status).toBe(204);
    expect(gh.inspect.variables({ repo: 'acme/web' })).toMatchObject({ AREA: 'us' });
    expect((await api.patch('/repos/acme/web/actions/variables/AREA', { name: 'V_001' })).status).toBe(409);
    expect((await api.delete('/repos/acme/web/actions/variables/AREA')).status).toBe(204);
    expect((await api.get('/repos/acme/web/actions/variables/AREA')).status).toBe(404);
    expect(
      (await api.post<GitHubErrorBody>('/repos/acme/web/actions/variables', { name: 'GITHUB_X', value: 'v' }))
        .body.message,
    ).toBe(NAME_RULES);
    expect((await api.post('/repos/acme/web/actions/variables', { name: 'NO_VALUE' })).status).toBe(422);
  });

  it('stops at 500 variables a repo', async () => {
    const reply = await api.post<GitHubErrorBody>('/repos/octo/full/actions/variables', {
      name: 'ONE_MORE',
      value: 'v',
    });
    expect(reply.status).toBe(422);
    expect(reply.body.message).toContain('500');
  });

  it('supports environment and org variables', async () => {
    expect(
      (await api.post('/repos/acme/web/environments/production/variables', { name: 'TIER', value: 'gold' }))
        .status,
    ).toBe(201);
    expect(gh.inspect.variables({ repo: 'acme/web', environment: 'production' })).toEqual({ TIER: 'gold' });
    expect((await api.post('/orgs/acme/actions/variables', { name: 'ORG_NEW', value: 'v' })).status).toBe(
      422,
    );
    expect(
      (await api.post('/orgs/acme/actions/variables', { name: 'ORG_NEW', value: 'v', visibility: 'private' }))
        .status,
    ).toBe(201);
    const org = await api.get<VariableList>('/orgs/acme/actions/variables');
    expectConforming(gh, 'GET', '/orgs/{org}/actions/variables', org);
    expect((await api.get('/orgs/acme/actions/variables/ORG_VAR/repositories')).status).toBe(409);
  });
});

describe('GitHub sandbox: other routes and headers', () => {
  it('serves the repo, its environments and the rate limit', async () => {
    const repo = await api.get<{ full_name: string; permissions: { push: boolean } }>('/repos/ACME/Web');
    expect(repo.body).toMatchObject({ full_name: 'acme/web', permissions: { push: true } });
    const envs = await api.get<{ total_count: number; environments: { name: string }[] }>(
      '/repos/acme/web/environments',
    );
    expect(envs.body.environments.map((e) => e.name)).toEqual(['production']);
    const rate = await api.get<{ resources: { core: { limit: number; used: number } } }>('/rate_limit');
    expect(rate.body.resources.core.limit).toBe(5000);
    expect(rate.body.resources.core.used).toBe(2);
  });

  it('puts x-ratelimit-* and the API version on every response', async () => {
    for (const reply of [
      await api.get('/repos/acme/web/actions/secrets'),
      await api.get('/repos/acme/nope/actions/secrets'),
      await api.get('/nowhere'),
    ]) {
      for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-used', 'x-ratelimit-reset'])
        expect(reply.headers.get(h), h).toMatch(/^\d+$/);
      expect(Number(reply.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('refuses a body over the size limit with 413', async () => {
    const small = await startGitHubSandbox({ seed: SEED, maxBodyBytes: 1024 });
    try {
      const reply = await client(small.url, small.token).put('/repos/acme/web/actions/secrets/X', {
        encrypted_value: 'A'.repeat(2048),
        key_id: '1',
      });
      expect(reply.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('logs method and templated route, never values', async () => {
    gh.log.reset();
    await putSecret(
      '/repos/acme/web/actions/secrets/LOGGED',
      'super-secret-value',
      '/repos/acme/web/actions/secrets/public-key',
    );
    expect(gh.log.counts()).toEqual({
      'GET /repos/{owner}/{repo}/actions/secrets/public-key': 1,
      'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}': 1,
    });
    expect(JSON.stringify(gh.log.entries)).not.toContain('super-secret-value');
    expect(gh.log.entries[1]).toMatchObject({ method: 'PUT', status: 201 });
  });
});
