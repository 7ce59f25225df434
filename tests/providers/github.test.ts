/** GitHub-only behaviour, against the GitHub sandbox: key rotation, name rules, variables' 409, pacing. */
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.ts';
import type { WriteOp, WriteOutcome } from '../../src/providers/adapter.ts';
import { ProviderError, ProviderValidationError } from '../../src/providers/errors.ts';
import { createGitHubAdapter, nextLink, pageLinks } from '../../src/providers/github.ts';
import { startGitHubSandbox } from '../../src/sandbox/index.ts';
import type { GitHubSandbox } from '../../src/sandbox/index.ts';
import { githubOrgSecrets, githubRepoVariables, TEST_RETRY } from './harnesses.ts';
import type { GitHubTarget, Started } from './harnesses.ts';
import { startScriptedServer } from './scripted-server.ts';
import type { ScriptedServer } from './scripted-server.ts';

const op = (key: string, value: string, action: WriteOp['action'] = 'create'): WriteOp => ({
  key,
  action,
  value: new Secret(value),
  secret: true,
});
const failed = (outcomes: readonly WriteOutcome[]) => outcomes.flatMap((o) => (o.ok ? [] : [o]));

let started: Started<GitHubTarget> | undefined;
let scripted: ScriptedServer | undefined;
let sandbox: GitHubSandbox | undefined;
afterEach(async () => {
  await started?.close();
  await scripted?.close();
  await sandbox?.close();
  started = scripted = sandbox = undefined;
});

describe('github secrets', () => {
  it('refetches a rotated public key once and reseals the secrets it refused', async () => {
    let rotated = false;
    // A pass-through fetch that rotates the key right after the adapter fetched it.
    const rotatingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!rotated && started && url.endsWith('/secrets/public-key')) {
        rotated = true;
        (started.endpoint as GitHubSandbox).inspect.rotateKey({ org: 'acme' });
      }
      return response;
    };
    started = await githubOrgSecrets.start({}, { fetch: rotatingFetch });
    const outcomes = await started.adapter.write(started.target, [
      op('ONE', '1'),
      op('TWO', '2'),
      op('THREE', '3'),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(started.stored()).toEqual({ ONE: '1', TWO: '2', THREE: '3' });
    expect(started.endpoint.log.count('GET', '/orgs/{org}/actions/secrets/public-key')).toBe(2);
    // One PUT meets the rotation; the others wait for the new key rather than send doomed PUTs.
    const refused = started.endpoint.log.entries.filter((e) => e.method === 'PUT' && e.status === 422);
    expect(refused).toHaveLength(1);
    expect(started.endpoint.log.entries.filter((e) => e.method === 'PUT')).toHaveLength(4);
  });

  it('fetches the public key once per write, not once per secret', async () => {
    started = await githubOrgSecrets.start();
    expect(
      failed(await started.adapter.write(started.target, [op('A', '1'), op('B', '2'), op('C', '3')])),
    ).toEqual([]);
    expect(started.endpoint.log.count('GET', '/orgs/{org}/actions/secrets/public-key')).toBe(1);
    expect(failed(await started.adapter.write(started.target, [op('D', '4')]))).toEqual([]);
    expect(started.endpoint.log.count('GET', '/orgs/{org}/actions/secrets/public-key')).toBe(2);
  });

  it("maps the name rules' 422 to ProviderValidationError for that key only", async () => {
    started = await githubOrgSecrets.start();
    const outcomes = await started.adapter.write(started.target, [
      op('bad-name', 'value-one'),
      op('GITHUB_TOKEN', 'value-two'),
      op('GOOD', 'value-three'),
    ]);
    const [bad, reserved, good] = outcomes;
    for (const outcome of [bad, reserved]) {
      expect(outcome?.ok).toBe(false);
      if (outcome && !outcome.ok) {
        expect(outcome.error).toBeInstanceOf(ProviderValidationError);
        expect(outcome.error).toMatchObject({ status: 422, provider: 'github', refusal: 'name' });
        // The provider's own words are withheld for a request that carried a value.
        expect(outcome.error.message).toContain('the provider refused the name');
        expect(outcome.error.message).not.toContain('Secret names can only');
      }
    }
    expect(good).toMatchObject({ key: 'GOOD', ok: true });
    // A name refusal is not a key rotation: no second key fetch.
    expect(started.endpoint.log.count('GET', '/orgs/{org}/actions/secrets/public-key')).toBe(1);
  });

  it('sets the visibility and selected repositories of org secrets', async () => {
    started = await githubOrgSecrets.start();
    const target: GitHubTarget = {
      ...started.target,
      scope: { kind: 'org', org: 'acme', visibility: 'selected', selectedRepositoryIds: [4242] },
    };
    expect(failed(await started.adapter.write(target, [op('SHARED', 'v')]))).toEqual([]);
    expect((started.endpoint as GitHubSandbox).inspect.secret({ org: 'acme' }, 'SHARED')).toMatchObject({
      visibility: 'selected',
    });
  });

  it('reports the updated_at GitHub keeps, so a later outside change shows as drift', async () => {
    started = await githubOrgSecrets.start();
    const [outcome] = await started.adapter.write(started.target, [op('WATCHED', 'v')]);
    const kept = (started.endpoint as GitHubSandbox).inspect.secret({ org: 'acme' }, 'WATCHED');
    expect(outcome).toMatchObject({ ok: true, updatedAt: kept?.updated_at });
    (started.endpoint as GitHubSandbox).inspect.setSecret({ org: 'acme' }, 'WATCHED', 'changed', {
      updated_at: '2999-01-01T00:00:00Z',
    });
    expect((await started.adapter.list(started.target)).get('WATCHED')?.updatedAt).toBe(
      '2999-01-01T00:00:00Z',
    );
  });
});

describe('github variables', () => {
  it('turns a create that meets an existing variable (409) into an update', async () => {
    started = await githubRepoVariables.start({ TAKEN: 'old' });
    expect(failed(await started.adapter.write(started.target, [op('TAKEN', 'new', 'create')]))).toEqual([]);
    expect(started.stored()).toEqual({ TAKEN: 'new' });
    const writes = started.endpoint.log.entries
      .filter((e) => e.method !== 'GET')
      .map((e) => `${e.method} ${e.status}`);
    expect(writes).toEqual(['POST 409', 'PATCH 204']);
  });

  it('creates a variable that vanished before its update', async () => {
    started = await githubRepoVariables.start();
    expect(failed(await started.adapter.write(started.target, [op('VANISHED', 'v', 'update')]))).toEqual([]);
    expect(started.stored()).toEqual({ VANISHED: 'v' });
  });
});

describe('github requests', () => {
  it('sends the API headers and keeps an Enterprise base path', async () => {
    scripted = await startScriptedServer([{ status: 200, body: { total_count: 0, secrets: [] } }]);
    const adapter = createGitHubAdapter({
      token: 'ghp_test',
      baseUrl: `${scripted.url}/api/v3`,
      retry: TEST_RETRY,
    });
    await adapter.list({
      id: 'gh',
      provider: 'github',
      store: 'secrets',
      scope: { kind: 'repo', owner: 'acme', repo: 'web' },
    });
    const [request] = scripted.seen;
    expect(request?.url).toBe('/api/v3/repos/acme/web/actions/secrets?per_page=100');
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer ghp_test',
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': expect.stringMatching(/^envsync\//) as string,
    });
  });

  it('never follows a Link to another host with the token', async () => {
    scripted = await startScriptedServer([
      {
        status: 200,
        headers: { link: '<https://elsewhere.example/repos/acme/web/actions/secrets?page=2>; rel="next"' },
        body: { total_count: 2, secrets: [] },
      },
    ]);
    const adapter = createGitHubAdapter({ token: 'ghp_test', baseUrl: scripted.url, retry: TEST_RETRY });
    const error = await adapter
      .list({
        id: 'gh',
        provider: 'github',
        store: 'secrets',
        scope: { kind: 'repo', owner: 'acme', repo: 'web' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/refusing to send the token/);
    expect(scripted.seen).toHaveLength(1);
  });
});

describe('github pacing', () => {
  it('syncs 500 secrets under 80 writes a minute with no 403 or 429 (time-scaled)', async () => {
    const timeScale = 0.005;
    sandbox = await startGitHubSandbox({ timeScale, seed: { orgs: [{ login: 'acme' }] } });
    const adapter = createGitHubAdapter({
      token: sandbox.token,
      baseUrl: sandbox.url,
      timeScale,
      retry: TEST_RETRY,
    });
    const target: GitHubTarget = {
      id: 'gh',
      provider: 'github',
      store: 'secrets',
      scope: { kind: 'org', org: 'acme' },
    };
    const ops = Array.from({ length: 500 }, (_, i) => op(`SECRET_${i}`, `value-${i}`));

    const outcomes = await adapter.write(target, ops);

    expect(failed(outcomes)).toEqual([]);
    expect(sandbox.inspect.secretNames({ org: 'acme' })).toHaveLength(500);
    const limited = sandbox.log.entries.filter((e) => e.status === 403 || e.status === 429);
    expect(limited).toEqual([]);
    const writes = sandbox.log.entries.filter((e) => e.method === 'PUT').map((e) => e.at);
    const minute = 60_000 * timeScale;
    const busiest = Math.max(
      ...writes.map((start) => writes.filter((t) => t >= start && t < start + minute).length),
    );
    expect(busiest).toBeLessThanOrEqual(80);
  }, 30_000);
});

describe('nextLink', () => {
  it('finds rel="next" among the others, in any order', () => {
    const link =
      '<https://api.github.com/repositories/1/actions/secrets?per_page=100&page=2>; rel="next", ' +
      '<https://api.github.com/repositories/1/actions/secrets?per_page=100&page=5>; rel="last"';
    expect(nextLink(link)).toBe('https://api.github.com/repositories/1/actions/secrets?per_page=100&page=2');
    expect(nextLink('<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next"')).toBe(
      'https://h/x?page=3',
    );
    expect(nextLink('<https://h/x?page=3>; rel="next last"')).toBe('https://h/x?page=3');
  });

  it('is undefined on the last page and for look-alike rels', () => {
    expect(nextLink('<https://h/x?page=1>; rel="first", <https://h/x?page=4>; rel="prev"')).toBeUndefined();
    expect(nextLink('<https://h/x?page=3>; rel="nextish"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});

describe('pageLinks', () => {
  it('lists pages 2…last from the rel="last" link, keeping the other query parameters', () => {
    const link =
      '<https://api.github.com/repos/o/r/actions/variables?per_page=30&page=2>; rel="next", <https://api.github.com/repos/o/r/actions/variables?per_page=30&page=4>; rel="last"';
    expect(pageLinks(link)).toEqual([
      'https://api.github.com/repos/o/r/actions/variables?per_page=30&page=2',
      'https://api.github.com/repos/o/r/actions/variables?per_page=30&page=3',
      'https://api.github.com/repos/o/r/actions/variables?per_page=30&page=4',
    ]);
  });

  it('gives nothing when it cannot tell the page count', () => {
    expect(pageLinks(null)).toEqual([]);
    expect(pageLinks('<https://x/a?page=2>; rel="next"')).toEqual([]);
    expect(pageLinks('<https://x/a?page=2>; rel="next", <https://x/a?page=abc>; rel="last"')).toEqual([]);
  });
});
