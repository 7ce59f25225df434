import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RenderSandbox, RenderSeed } from '../../src/sandbox/index.ts';
import { startRenderSandbox } from '../../src/sandbox/index.ts';
import type { Client } from './http-client.ts';
import { client, expectConforming } from './http-client.ts';

type EnvVarItem = { envVar: { key: string; value: string }; cursor: string };
type EnvGroup = {
  id: string;
  name: string;
  envVars: { key: string; value: string }[];
  serviceLinks: { id: string; name: string; type: string }[];
};
type RenderErrorBody = { id?: string; message: string };

const SERVICE = 'srv-d0000000000000000001';
const OTHER = 'srv-d0000000000000000002';
const SEED: RenderSeed = {
  owners: [{ id: 'tea-d0000000000000000001', name: 'Team' }],
  services: [
    {
      id: SERVICE,
      name: 'web',
      envVars: Array.from({ length: 45 }, (_, i) => ({
        key: `K${String(i).padStart(2, '0')}`,
        value: `v${i}`,
      })),
    },
    {
      id: OTHER,
      name: 'worker',
      type: 'background_worker',
      envVars: [
        { key: 'A', value: '1' },
        { key: 'B', value: '2' },
        { key: 'C', value: '3' },
      ],
    },
  ],
};

let render: RenderSandbox;
let api: Client;

beforeEach(async () => {
  render = await startRenderSandbox({ seed: SEED });
  api = client(render.url, render.token);
});
afterEach(async () => {
  expect(render.violations).toEqual([]);
  await render.close();
});

describe('Render sandbox: auth and errors', () => {
  it('answers 401 without a valid API key', async () => {
    const none = await client(render.url).get<RenderErrorBody>(`/services/${SERVICE}/env-vars`);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ message: 'unauthorized' });
    expect((await client(render.url, 'rnd_wrong').get(`/services/${SERVICE}/env-vars`)).status).toBe(401);
  });

  it('answers 404 {"message":"not found: srv-…"} for an unknown service', async () => {
    const reply = await api.get<RenderErrorBody>('/services/srv-nope/env-vars');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ message: 'not found: srv-nope' });
  });

  it('answers 400 for malformed JSON or a body that breaks the recorded shapes', async () => {
    expect((await api.put<RenderErrorBody>(`/services/${OTHER}/env-vars`, '[{"key"')).status).toBe(400);
    const wrong = await api.put<RenderErrorBody>(`/services/${OTHER}/env-vars`, [{ key: 'A', value: 5 }]);
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain('/0/value');
    expect(
      (await api.put(`/services/${OTHER}/env-vars`, [{ key: 'A', value: 'x', extra: true }])).status,
    ).toBe(400);
    expect((await api.put(`/services/${OTHER}/env-vars`, { key: 'A', value: 'x' })).status).toBe(400);
    expect(render.inspect.envVars(OTHER)).toEqual({ A: '1', B: '2', C: '3' });
  });
});

describe('Render sandbox: service env vars', () => {
  it('pages 20 at a time by default, newest first, following the last cursor until []', async () => {
    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const reply = await api.get<EnvVarItem[]>(
        `/services/${SERVICE}/env-vars${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(reply.status).toBe(200);
      expectConforming(render, 'GET', '/services/{serviceId}/env-vars', reply);
      pages += 1;
      if (reply.body.length === 0) break;
      keys.push(...reply.body.map((i) => i.envVar.key));
      cursor = reply.body.at(-1)?.cursor;
    }
    expect(pages).toBe(4);
    expect(keys).toHaveLength(45);
    expect(keys[0]).toBe('K44');
    expect(new Set(keys).size).toBe(45);
  });

  it('honours limit up to 100 and refuses more, or a cursor it never issued', async () => {
    expect((await api.get<EnvVarItem[]>(`/services/${SERVICE}/env-vars?limit=100`)).body).toHaveLength(45);
    expect((await api.get<EnvVarItem[]>(`/services/${SERVICE}/env-vars?limit=5`)).body).toHaveLength(5);
    expect((await api.get(`/services/${SERVICE}/env-vars?limit=101`)).status).toBe(400);
    expect((await api.get(`/services/${SERVICE}/env-vars?limit=0`)).status).toBe(400);
    expect((await api.get(`/services/${SERVICE}/env-vars?cursor=bogus`)).status).toBe(400);
  });

  it('PUT replaces every variable: keys left out are deleted', async () => {
    const reply = await api.put<EnvVarItem[]>(`/services/${OTHER}/env-vars`, [
      { key: 'B', value: 'two' },
      { key: 'D', value: '4' },
    ]);
    expect(reply.status).toBe(200);
    expectConforming(render, 'PUT', '/services/{serviceId}/env-vars', reply);
    expect(reply.body.map((i) => i.envVar)).toEqual([
      { key: 'B', value: 'two' },
      { key: 'D', value: '4' },
    ]);
    expect(render.inspect.envVars(OTHER)).toEqual({ B: 'two', D: '4' });
    const listed = await api.get<EnvVarItem[]>(`/services/${OTHER}/env-vars`);
    expect(listed.body.map((i) => i.envVar.key)).toEqual(['D', 'B']);
  });

  it('generates a value for generateValue: true', async () => {
    const reply = await api.put<EnvVarItem[]>(`/services/${OTHER}/env-vars`, [
      { key: 'SECRET', generateValue: true },
    ]);
    expect(reply.body[0]?.envVar.value).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('rejects empty values, duplicates, and value with generateValue, changing nothing', async () => {
    for (const body of [
      [{ key: 'A', value: '' }],
      [{ key: 'A' }],
      [
        { key: 'A', value: 'x' },
        { key: 'A', value: 'y' },
      ],
      [{ key: 'A', value: 'x', generateValue: true }],
    ]) {
      const reply = await api.put<RenderErrorBody>(`/services/${OTHER}/env-vars`, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.put(`/services/${OTHER}/env-vars/A`, { value: '' })).status).toBe(400);
    expect(render.inspect.envVars(OTHER)).toEqual({ A: '1', B: '2', C: '3' });
  });

  it('accepts the JSON null body Render was recorded accepting, as "no variables"', async () => {
    expect((await api.put<EnvVarItem[]>(`/services/${OTHER}/env-vars`, 'null')).body).toEqual([]);
    expect(render.inspect.envVars(OTHER)).toEqual({});
  });

  it('reads, upserts and deletes one variable', async () => {
    const read = await api.get(`/services/${OTHER}/env-vars/A`);
    expect(read.body).toEqual({ key: 'A', value: '1' });
    expectConforming(render, 'GET', '/services/{serviceId}/env-vars/{envVarKey}', read);
    const put = await api.put(`/services/${OTHER}/env-vars/NEW`, { value: 'n' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ key: 'NEW', value: 'n' });
    expect((await api.put(`/services/${OTHER}/env-vars/A`, { value: 'one' })).status).toBe(200);
    const deleted = await api.delete(`/services/${OTHER}/env-vars/B`);
    expect(deleted.status).toBe(204);
    expect((await api.delete(`/services/${OTHER}/env-vars/B`)).status).toBe(404);
    expect((await api.get<RenderErrorBody>(`/services/${OTHER}/env-vars/B`)).body).toEqual({
      message: 'not found: B',
    });
    expect(render.inspect.envVars(OTHER)).toEqual({ NEW: 'n', A: 'one', C: '3' });
  });

  it('lists and replaces secret files', async () => {
    const put = await api.put<{ secretFile: { name: string } }[]>(`/services/${OTHER}/secret-files`, [
      { name: 'a.pem', content: 'x' },
    ]);
    expect(put.status).toBe(200);
    const list = await api.get(`/services/${OTHER}/secret-files`);
    expectConforming(render, 'GET', '/services/{serviceId}/secret-files', list);
    expect(render.inspect.secretFiles(OTHER)).toEqual({ 'a.pem': 'x' });
  });

  it('serves services wrapped with cursors, and one service', async () => {
    const list = await api.get<{ service: { id: string }; cursor: string }[]>('/services?limit=1');
    expect(list.body).toHaveLength(1);
    expectConforming(render, 'GET', '/services', list);
    const next = await api.get<{ service: { id: string } }[]>(
      `/services?cursor=${encodeURIComponent(list.body[0]?.cursor ?? '')}`,
    );
    expect(next.body.map((s) => s.service.id)).toEqual([SERVICE]);
    const one = await api.get<{ id: string; type: string }>(`/services/${OTHER}`);
    expect(one.body).toMatchObject({ id: OTHER, type: 'background_worker' });
  });

  it('triggers deploys', async () => {
    const reply = await api.post<{ id: string; status: string }>(`/services/${SERVICE}/deploys`, {
      clearCache: 'do_not_clear',
    });
    expect(reply.status).toBe(201);
    expect(reply.body.id).toMatch(/^dep-/);
    expectConforming(render, 'POST', '/services/{serviceId}/deploys', reply);
    expect((await api.post(`/services/${SERVICE}/deploys`)).status).toBe(201);
    expect(render.inspect.deploys(SERVICE)).toHaveLength(2);
    // Listed newest first as {deploy, cursor}, paged by cursor.
    const first = await api.get<{ deploy: { id: string }; cursor: string }[]>(
      `/services/${SERVICE}/deploys?limit=1`,
    );
    expect(first.status).toBe(200);
    expectConforming(render, 'GET', '/services/{serviceId}/deploys', first);
    expect(first.body).toHaveLength(1);
    const rest = await api.get<{ deploy: { id: string }; cursor: string }[]>(
      `/services/${SERVICE}/deploys?cursor=${encodeURIComponent(first.body[0]?.cursor ?? '')}`,
    );
    expect(rest.body.map((d) => d.deploy.id)).toEqual([reply.body.id]);
  });
});

describe('Render sandbox: env groups', () => {
  it('creates, reads, renames, edits variables, links services and deletes', async () => {
    const created = await api.post<EnvGroup>('/env-groups', {
      name: 'shared',
      ownerId: 'tea-d0000000000000000001',
      envVars: [
        { key: 'ONE', value: '1' },
        { key: 'GEN', generateValue: true },
      ],
    });
    expect(created.status).toBe(201);
    expectConforming(render, 'POST', '/env-groups', created);
    expect(created.body.envVars.map((v) => v.key)).toEqual(['GEN', 'ONE']);
    const id = created.body.id;
    expect(id).toMatch(/^evg-[0-9a-v]{20}$/);
    const put = await api.put<EnvGroup>(`/env-groups/${id}/env-vars/TWO`, { value: '2' });
    expect(put.status).toBe(200);
    expectConforming(render, 'PUT', '/env-groups/{envGroupId}/env-vars/{envVarKey}', put);
    expect(put.body.envVars.map((v) => v.key)).toEqual(['TWO', 'GEN', 'ONE']);
    expect((await api.delete(`/env-groups/${id}/env-vars/ONE`)).status).toBe(204);
    const renamed = await api.patch<EnvGroup>(`/env-groups/${id}`, { name: 'renamed' });
    expect(renamed.body.name).toBe('renamed');
    const linked = await api.post<EnvGroup>(`/env-groups/${id}/services/${SERVICE}`);
    expect(linked.body.serviceLinks).toEqual([{ id: SERVICE, name: 'web', type: 'web_service' }]);
    // Bare items, as Render's own generated client reads them (no {envGroup, cursor} wrapper).
    const list = await api.get<{ id: string; name: string; serviceLinks: unknown[] }[]>('/env-groups');
    expectConforming(render, 'GET', '/env-groups', list);
    expect(list.body.map((g) => [g.id, g.name])).toEqual([[id, 'renamed']]);
    expect(list.body[0]).not.toHaveProperty('envVars');
    expect((await api.delete(`/env-groups/${id}/services/${SERVICE}`)).status).toBe(204);
    expect((await api.delete(`/env-groups/${id}`)).status).toBe(204);
    expect((await api.get(`/env-groups/${id}`)).status).toBe(404);
  });

  it('refuses an unknown owner, empty values and a missing name', async () => {
    expect((await api.post('/env-groups', { name: 'x', ownerId: 'tea-nope', envVars: [] })).status).toBe(400);
    expect(
      (
        await api.post('/env-groups', {
          name: 'x',
          ownerId: 'tea-d0000000000000000001',
          envVars: [{ key: 'A', value: '' }],
        })
      ).status,
    ).toBe(400);
    expect((await api.post('/env-groups', { ownerId: 'tea-d0000000000000000001', envVars: [] })).status).toBe(
      400,
    );
    expect(render.inspect.envGroupIds()).toEqual([]);
  });
});
