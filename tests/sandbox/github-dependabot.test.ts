/** The GitHub sandbox's Dependabot secrets: repo and org, their own key pairs, sharing, names and limits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubSandbox } from '../../src/sandbox/index.ts';
import { startGitHubSandbox } from '../../src/sandbox/index.ts';
import type { Client } from './http-client.ts';
import { adminClient, client, expectConforming, seal } from './http-client.ts';

type PublicKey = { key_id: string; key: string };
type SecretList = {
  total_count: number;
  secrets: { name: string; visibility?: string; selected_repositories_url?: string }[];
};
type GitHubErrorBody = { message: string };

const REPO = '/repos/acme/web/dependabot/secrets';
const ORG = '/orgs/acme/dependabot/secrets';

let sandbox: GitHubSandbox;
let api: Client;
beforeEach(async () => {
  sandbox = await startGitHubSandbox({
    seed: {
      orgs: [{ login: 'acme', dependabot_secrets: [{ name: 'NPM_TOKEN', value: 'n', visibility: 'all' }] }],
      repos: [
        {
          owner: 'acme',
          name: 'web',
          id: 501,
          secrets: [{ name: 'ACTIONS_ONLY', value: 'a' }],
          dependabot_secrets: [{ name: 'REGISTRY', value: 'r' }],
          environments: [{ name: 'production' }],
        },
        { owner: 'acme', name: 'api', id: 502 },
      ],
    },
    limits: { secretsPerRepo: 2 },
  });
  api = client(sandbox.url, sandbox.token);
});
afterEach(async () => sandbox.close());

const put = async (path: string, value: string, extra: Record<string, unknown> = {}, keyPath?: string) => {
  const key = (await api.get<PublicKey>(keyPath ?? `${path.replace(/\/[^/]+$/, '')}/public-key`)).body;
  return api.put<GitHubErrorBody>(path, {
    encrypted_value: await seal(key.key, value),
    key_id: key.key_id,
    ...extra,
  });
};

describe('dependabot secrets', () => {
  it('live beside the Actions secrets of a repo, not among them', async () => {
    const listed = await api.get<SecretList>(REPO);
    expectConforming(sandbox, 'GET', '/repos/{owner}/{repo}/dependabot/secrets', listed);
    expect(listed.body.secrets.map((s) => s.name)).toEqual(['REGISTRY']);
    const created = await put(`${REPO}/NEW_ONE`, 'dependabot value');
    expect(created.status).toBe(201);
    expectConforming(sandbox, 'PUT', '/repos/{owner}/{repo}/dependabot/secrets/{secret_name}', created);
    expect(sandbox.inspect.secretPlaintext({ repo: 'acme/web', store: 'dependabot' }, 'NEW_ONE')).toBe(
      'dependabot value',
    );
    expect(sandbox.inspect.secretNames({ repo: 'acme/web' })).toEqual(['ACTIONS_ONLY']);
    expect((await put(`${REPO}/NEW_ONE`, 'again')).status).toBe(204);
    expect((await api.delete(`${REPO}/NEW_ONE`)).status).toBe(204);
    expect((await api.get(`${REPO}/NEW_ONE`)).status).toBe(404);
  });

  it('have their own key pair: a box sealed for the Actions key is refused', async () => {
    const dependabot = (await api.get<PublicKey>(`${REPO}/public-key`)).body;
    const actions = (await api.get<PublicKey>('/repos/acme/web/actions/secrets/public-key')).body;
    expect(dependabot.key).not.toBe(actions.key);
    expect(dependabot.key_id).not.toBe(actions.key_id);
    const orgKey = (await api.get<PublicKey>(`${ORG}/public-key`)).body;
    expect(orgKey.key).not.toBe((await api.get<PublicKey>('/orgs/acme/actions/secrets/public-key')).body.key);
    const refused = await put(`${REPO}/SEALED_WRONG`, 'v', {}, '/repos/acme/web/actions/secrets/public-key');
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'Bad request - validation failed due to an improperly encrypted secret',
    );
  });

  it('check names and the count limit of the scope', async () => {
    expect((await put(`${REPO}/GITHUB_X`, 'v')).status).toBe(422);
    expect((await put(`${REPO}/1ABC`, 'v')).body.message).toMatch(/^Secret names can only contain/);
    expect((await put(`${REPO}/SECOND`, 'v')).status).toBe(201);
    const third = await put(`${REPO}/THIRD`, 'v');
    expect(third.status).toBe(422);
    expect(third.body.message).toBe('Secret limit reached: a repository can have at most 2 secrets.');
  });

  it('share org secrets with all, private or selected repositories', async () => {
    const listed = await api.get<SecretList>(ORG);
    expectConforming(sandbox, 'GET', '/orgs/{org}/dependabot/secrets', listed);
    expect(listed.body.secrets).toMatchObject([{ name: 'NPM_TOKEN', visibility: 'all' }]);
    expect((await put(`${ORG}/SHARED`, 'v', {})).status).toBe(422); // visibility is required
    const created = await put(`${ORG}/SHARED`, 'v', {
      visibility: 'selected',
      selected_repository_ids: ['501'],
    });
    expect(created.status).toBe(201);
    const one = await api.get<{ selected_repositories_url: string }>(`${ORG}/SHARED`);
    expect(one.body.selected_repositories_url).toBe(
      `${sandbox.url}/orgs/acme/dependabot/secrets/SHARED/repositories`,
    );
    const repos = await api.get<{ repositories: { id: number }[] }>(`${ORG}/SHARED/repositories`);
    expectConforming(sandbox, 'GET', '/orgs/{org}/dependabot/secrets/{secret_name}/repositories', repos);
    expect(repos.body.repositories.map((r) => r.id)).toEqual([501]);
    expect((await api.put(`${ORG}/SHARED/repositories/502`)).status).toBe(204);
    expect((await api.put(`${ORG}/SHARED/repositories`, { selected_repository_ids: [502] })).status).toBe(
      204,
    );
    expect(
      (await api.get<{ repositories: { id: number }[] }>(`${ORG}/SHARED/repositories`)).body.repositories,
    ).toMatchObject([{ id: 502 }]);
    // The Actions org secrets never saw it.
    expect(sandbox.inspect.secretNames({ org: 'acme' })).toEqual([]);
    expect(sandbox.violations).toEqual([]);
  });

  it('have no environment scope', async () => {
    const reply = await api.get('/repos/acme/web/environments/production/dependabot/secrets');
    expect(reply.status).toBe(404);
    expect(() =>
      sandbox.inspect.secretNames({ repo: 'acme/web', environment: 'production', store: 'dependabot' }),
    ).toThrow(/no Dependabot secrets/);
  });

  it('are inspected over the control API with store=dependabot', async () => {
    const admin = adminClient(sandbox);
    const one = await admin.get<{ value: string }>('/secrets/REGISTRY?repo=acme/web&store=dependabot');
    expect(one.body.value).toBe('r');
    expect((await admin.get('/secrets/REGISTRY?repo=acme/web')).status).toBe(404);
    expect((await admin.get('/secrets?repo=acme/web&store=codespaces')).status).toBe(400);
  });
});
