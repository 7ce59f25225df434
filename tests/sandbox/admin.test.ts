import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { adminClient, client, seal } from './http-client.ts';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({
    fixture: {
      github: { repos: [{ owner: 'acme', name: 'web', secrets: [{ name: 'TOKEN', value: 'seeded' }] }] },
      render: {
        services: [{ id: 'srv-a0000000000000000001', name: 'web', envVars: [{ key: 'A', value: '1' }] }],
      },
      netlify: {
        accounts: [
          {
            id: 'acc1',
            slug: 'acme',
            envVars: [{ key: 'K', site_id: 'site1', values: [{ context: 'production', value: 'v' }] }],
          },
        ],
        sites: [{ id: 'site1', name: 'web', account_id: 'acc1' }],
      },
    },
  });
});
afterEach(async () => {
  for (const s of [sandbox.github, sandbox.render, sandbox.netlify]) expect(s.violations).toEqual([]);
  await sandbox.close();
});

describe('startSandbox', () => {
  it('starts all three on loopback with their base paths', () => {
    expect(sandbox.github.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.render.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(sandbox.netlify.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(new Set([sandbox.github.port, sandbox.render.port, sandbox.netlify.port]).size).toBe(3);
    expect(sandbox.github.token).toBe('ghp_sandbox');
  });

  it('starts only the providers asked for', async () => {
    const one = await startSandbox({ providers: ['render'] });
    try {
      expect(one.render.url).toMatch(/\/v1$/);
      expect((one as Record<string, unknown>).github).toBeUndefined();
    } finally {
      await one.close();
    }
  });
});

describe('the control API', () => {
  it('is out of reach with an API token, and the API is out of reach with the admin token', async () => {
    for (const s of [sandbox.github, sandbox.render, sandbox.netlify]) {
      expect((await client(`${s.origin}/__sandbox`, s.token).get('/log')).status).toBe(401);
      expect((await client(`${s.origin}/__sandbox`).get('/log')).status).toBe(401);
      expect((await adminClient(s).get('/log')).status).toBe(200);
      expect((await client(s.url, s.adminToken).get('/')).status).toBe(401);
    }
    expect(
      (await client(sandbox.github.url, sandbox.github.adminToken).get('/repos/acme/web/actions/secrets'))
        .status,
    ).toBe(401);
    await expect(
      startSandbox({ providers: ['render'], render: { tokens: ['same'], adminToken: 'same' } }),
    ).rejects.toThrow(/differ/);
  });

  it('GitHub: reads plaintext, plants secrets, rotates keys, reseeds', async () => {
    const gh = sandbox.github;
    const admin = adminClient(gh);
    const api = client(gh.url, gh.token);
    expect((await admin.get<{ value: string }>('/secrets/TOKEN?repo=acme/web')).body.value).toBe('seeded');
    expect(
      (await admin.put('/secrets/PLANTED?repo=acme/web', { value: 'p', updated_at: '2030-01-01T00:00:00Z' }))
        .status,
    ).toBe(204);
    const planted = await api.get<{ updated_at: string }>('/repos/acme/web/actions/secrets/PLANTED');
    expect(planted.body.updated_at).toBe('2030-01-01T00:00:00Z');
    const before = (
      await api.get<{ key_id: string; key: string }>('/repos/acme/web/actions/secrets/public-key')
    ).body;
    const rotated = (await admin.post<{ key_id: string }>('/public-key/rotate?repo=acme/web')).body;
    expect(rotated.key_id).not.toBe(before.key_id);
    expect(
      (
        await api.put('/repos/acme/web/actions/secrets/X', {
          encrypted_value: await seal(before.key, 'x'),
          key_id: before.key_id,
        })
      ).status,
    ).toBe(422);
    expect((await admin.get('/secrets/NOPE?repo=acme/web')).status).toBe(404);
    expect((await admin.get('/secrets')).status).toBe(400);
    expect((await admin.post('/seed', { repos: [{ owner: 'new', name: 'repo' }] })).status).toBe(204);
    expect((await api.get('/repos/acme/web/actions/secrets')).status).toBe(404);
    expect((await api.get('/repos/new/repo/actions/secrets')).status).toBe(200);
  });

  it('Render and Netlify: inspect and plant state', async () => {
    const render = adminClient(sandbox.render);
    expect((await render.get('/services/srv-a0000000000000000001/env-vars')).body).toEqual({ A: '1' });
    expect((await render.put('/services/srv-a0000000000000000001/env-vars/B', { value: '2' })).status).toBe(
      204,
    );
    const listed = await client(sandbox.render.url, sandbox.render.token).get<{ envVar: { key: string } }[]>(
      '/services/srv-a0000000000000000001/env-vars',
    );
    expect(listed.body.map((i) => i.envVar.key)).toEqual(['B', 'A']);
    const netlify = adminClient(sandbox.netlify);
    expect(
      (await netlify.get<Record<string, { values: { value: string }[] }>>('/accounts/acc1/env?site_id=site1'))
        .body.K?.values[0]?.value,
    ).toBe('v');
    expect(
      (
        await netlify.put('/accounts/acc1/env/SECRET?site_id=site1', {
          is_secret: true,
          values: [{ context: 'production', value: 's' }],
        })
      ).status,
    ).toBe(204);
    expect(sandbox.netlify.inspect.env('acme', 'site1').SECRET?.values[0]?.value).toBe('s');
  });

  it('serves the request log with counts, and resets it', async () => {
    const api = client(sandbox.render.url, sandbox.render.token);
    await api.get('/services/srv-a0000000000000000001/env-vars');
    await api.get('/services/srv-a0000000000000000001/env-vars');
    await api.get('/nowhere');
    const admin = adminClient(sandbox.render);
    const log = await admin.get<{ counts: Record<string, number>; entries: unknown[] }>('/log');
    expect(log.body.counts).toEqual({ 'GET /services/{serviceId}/env-vars': 2, 'GET (unmatched)': 1 });
    expect((await admin.post('/log/reset')).status).toBe(204);
    expect(sandbox.render.log.entries).toHaveLength(0);
  });
});
