import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetlifySandbox, NetlifySeed } from '../../src/sandbox/index.ts';
import { startNetlifySandbox } from '../../src/sandbox/index.ts';
import type { Client } from './http-client.ts';
import { client, expectConforming } from './http-client.ts';

type Value = { id: string; context: string; context_parameter?: string; value?: string };
type EnvVar = { key: string; scopes: string[]; values: Value[]; is_secret: boolean; updated_at: string };
type NetlifyErrorBody = { code: number; message: string };

const ACCOUNT = '64a000000000000000000001';
const SITE = '1b2c3d4e-0000-4000-8000-000000000001';
const OTHER_SITE = '1b2c3d4e-0000-4000-8000-000000000002';
const SEED: NetlifySeed = {
  accounts: [
    {
      id: ACCOUNT,
      slug: 'acme',
      name: 'Acme',
      envVars: [
        { key: 'SHARED', values: [{ context: 'all', value: 'account-level' }] },
        {
          key: 'API_URL',
          site_id: SITE,
          values: [
            { context: 'production', value: 'https://api' },
            { context: 'deploy-preview', value: 'https://preview' },
            { context: 'branch', context_parameter: 'staging', value: 'https://staging' },
          ],
        },
        {
          key: 'TOKEN',
          site_id: SITE,
          is_secret: true,
          scopes: ['builds', 'functions'],
          values: [
            { context: 'production', value: 'prod-secret' },
            { context: 'dev', value: 'dev-readable' },
          ],
        },
      ],
    },
    { id: '64a000000000000000000002', slug: 'other' },
  ],
  sites: [
    { id: SITE, name: 'acme-web', account_id: ACCOUNT },
    { id: OTHER_SITE, name: 'stranger', account_id: '64a000000000000000000002' },
  ],
};

let netlify: NetlifySandbox;
let api: Client;
const env = `/accounts/${ACCOUNT}/env`;

beforeEach(async () => {
  netlify = await startNetlifySandbox({ seed: SEED });
  api = client(netlify.url, netlify.token);
});
afterEach(async () => {
  expect(netlify.violations).toEqual([]);
  await netlify.close();
});

describe('Netlify sandbox: auth and lookups', () => {
  it('answers 401 {code, message} without a valid token', async () => {
    const reply = await client(netlify.url, 'nfp_wrong').get<NetlifyErrorBody>(`${env}?site_id=${SITE}`);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ code: 401, message: 'Access Denied' });
  });

  it('serves the site with its account, and the accounts', async () => {
    const site = await api.get<Record<string, unknown>>(`/sites/${SITE}`);
    expect(site.body).toMatchObject({
      id: SITE,
      name: 'acme-web',
      account_id: ACCOUNT,
      account_slug: 'acme',
      url: 'https://acme-web.netlify.app',
    });
    const accounts = await api.get<{ slug: string }[]>('/accounts');
    expect(accounts.body.map((a) => a.slug)).toEqual(['acme', 'other']);
    expect((await api.get<NetlifyErrorBody>('/sites/nope')).body).toEqual({
      code: 404,
      message: 'Not Found',
    });
  });

  it('accepts the account slug and refuses a site of another account', async () => {
    expect((await api.get<EnvVar[]>(`/accounts/acme/env?site_id=${SITE}`)).body.map((v) => v.key)).toEqual([
      'API_URL',
      'TOKEN',
    ]);
    expect((await api.get(`${env}?site_id=${OTHER_SITE}`)).status).toBe(404);
    expect((await api.get('/accounts/nope/env')).status).toBe(404);
  });
});

describe('Netlify sandbox: reading', () => {
  it('lists site-level and account-level variables apart, unpaginated', async () => {
    const site = await api.get<EnvVar[]>(`${env}?site_id=${SITE}`);
    expectConforming(netlify, 'GET', '/accounts/{account_id}/env', site);
    expect(site.headers.get('link')).toBeNull();
    const account = await api.get<EnvVar[]>(env);
    expect(account.body.map((v) => v.key)).toEqual(['SHARED']);
    const viaSite = await api.get<EnvVar[]>(`/sites/${SITE}/env`);
    expect(viaSite.body.map((v) => v.key)).toEqual(['API_URL', 'TOKEN']);
    expectConforming(netlify, 'GET', '/api/v1/sites/{site_id}/env', viaSite);
  });

  it('never returns secret values except the dev context', async () => {
    const one = await api.get<EnvVar>(`${env}/TOKEN?site_id=${SITE}`);
    expectConforming(netlify, 'GET', '/accounts/{account_id}/env/{key}', one);
    expect(one.body.is_secret).toBe(true);
    const byContext = Object.fromEntries(one.body.values.map((v) => [v.context, v]));
    expect(byContext.production).not.toHaveProperty('value');
    expect(byContext.dev?.value).toBe('dev-readable');
    expect(one.text).not.toContain('prod-secret');
    expect((await api.get(`${env}?site_id=${SITE}`)).text).not.toContain('prod-secret');
    expect(
      netlify.inspect.env(ACCOUNT, SITE).TOKEN?.values.find((v) => v.context === 'production')?.value,
    ).toBe('prod-secret');
  });

  it('filters by context_name and scope, and validates them against the enum', async () => {
    const production = await api.get<EnvVar[]>(`${env}?site_id=${SITE}&context_name=production`);
    expect(production.body.map((v) => [v.key, v.values.map((x) => x.context)])).toEqual([
      ['API_URL', ['production']],
      ['TOKEN', ['production']],
    ]);
    expect((await api.get<EnvVar[]>(`${env}?site_id=${SITE}&scope=runtime`)).body.map((v) => v.key)).toEqual([
      'API_URL',
    ]);
    const bad = await api.get<NetlifyErrorBody>(`${env}?site_id=${SITE}&context_name=staging`);
    expect(bad.status).toBe(422);
    expect(bad.body.message).toBe(
      'context_name in query should be one of [all dev dev-server branch-deploy deploy-preview production]',
    );
  });

  it('treats keys as case-sensitive', async () => {
    expect((await api.get(`${env}/api_url?site_id=${SITE}`)).status).toBe(404);
    const created = await api.post(`${env}?site_id=${SITE}`, [
      { key: 'api_url', values: [{ context: 'all', value: 'lower' }] },
    ]);
    expect(created.status).toBe(201);
    expect(Object.keys(netlify.inspect.env(ACCOUNT, SITE)).sort()).toEqual(['API_URL', 'TOKEN', 'api_url']);
  });
});

describe('Netlify sandbox: the post-processing scope', () => {
  it('takes both spellings in bodies and filters, and answers post_processing as netlify-cli reads it', async () => {
    const created = await api.post<EnvVar[]>(`${env}?site_id=${SITE}`, [
      { key: 'CLI', scopes: ['builds', 'post_processing'], values: [{ context: 'all', value: '1' }] },
      { key: 'DESC', scopes: ['post-processing'], values: [{ context: 'all', value: '2' }] },
    ]);
    expect(created.status).toBe(201);
    expectConforming(netlify, 'POST', '/accounts/{account_id}/env', created);
    expect(created.body.map((v) => [v.key, v.scopes])).toEqual([
      ['CLI', ['builds', 'post_processing']],
      ['DESC', ['post_processing']],
    ]);
    for (const spelling of ['post_processing', 'post-processing']) {
      const listed = await api.get<EnvVar[]>(`${env}?site_id=${SITE}&scope=${spelling}`);
      expect(listed.status).toBe(200);
      expect(listed.body.map((v) => v.key).filter((k) => k === 'CLI' || k === 'DESC')).toEqual([
        'CLI',
        'DESC',
      ]);
      const site = await api.get<EnvVar[]>(`/sites/${SITE}/env?scope=${spelling}`);
      expect(site.status).toBe(200);
    }
    const secret = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      {
        key: 'S',
        is_secret: true,
        scopes: ['post_processing'],
        values: [{ context: 'production', value: 'x' }],
      },
    ]);
    expect(secret.status).toBe(422);
  });
});

describe('Netlify sandbox: sites', () => {
  it('lists sites with the name filter and serves one site, as netlify-cli reads them', async () => {
    const all = await api.get<{ id: string; name: string }[]>('/sites');
    expect(all.status).toBe(200);
    expectConforming(netlify, 'GET', '/sites', all);
    expect(all.body.map((s) => s.id)).toContain(SITE);
    const name = all.body.find((s) => s.id === SITE)?.name ?? '';
    const filtered = await api.get<{ id: string }[]>(`/sites?name=${encodeURIComponent(name)}&filter=all`);
    expect(filtered.body.map((s) => s.id)).toContain(SITE);
    expect((await api.get<unknown[]>('/sites?name=no-such-site-anywhere')).body).toEqual([]);
    const one = await api.get<{ id: string; account_slug: string }>(`/sites/${SITE}`);
    expect(one.status).toBe(200);
    expectConforming(netlify, 'GET', '/sites/{site_id}', one);
    expect(one.body.id).toBe(SITE);
    expect((await api.get(`/sites/nope`)).status).toBe(404);
  });
});

describe('Netlify sandbox: writing', () => {
  it('creates many keys from an array with 201, and refuses an existing key creating nothing', async () => {
    const created = await api.post<EnvVar[]>(`${env}?site_id=${SITE}`, [
      { key: 'A', values: [{ context: 'all', value: '1' }] },
      { key: 'B', scopes: ['builds'], values: [{ context: 'production', value: '2' }] },
    ]);
    expect(created.status).toBe(201);
    expectConforming(netlify, 'POST', '/accounts/{account_id}/env', created);
    expect(created.body.map((v) => [v.key, v.scopes])).toEqual([
      ['A', ['builds', 'functions', 'runtime', 'post_processing']],
      ['B', ['builds']],
    ]);
    const clash = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      { key: 'C', values: [{ context: 'all', value: '3' }] },
      { key: 'A', values: [{ context: 'all', value: 'again' }] },
    ]);
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe(409);
    expect(netlify.inspect.env(ACCOUNT, SITE)).not.toHaveProperty('C');
  });

  it('keeps `all` exclusive: one context set on an `all` key splits it; `all` set replaces every context', async () => {
    const created = await api.post(`${env}?site_id=${SITE}`, [
      { key: 'FLAG', values: [{ context: 'all', value: 'old' }] },
    ]);
    expect(created.status).toBe(201);
    const patched = await api.patch<EnvVar>(`${env}/FLAG?site_id=${SITE}`, {
      context: 'production',
      value: 'new',
    });
    expect(patched.status).toBe(201);
    expectConforming(netlify, 'PATCH', '/accounts/{account_id}/env/{key}', patched);
    const byContext = () =>
      Object.fromEntries(
        (netlify.inspect.env(ACCOUNT, SITE).FLAG?.values ?? []).map((v) => [v.context, v.value]),
      );
    expect(byContext()).toEqual({
      production: 'new',
      'deploy-preview': 'old',
      'branch-deploy': 'old',
      dev: 'old',
      'dev-server': 'old',
    });
    // What a production build reads (@netlify/config asks with context_name and takes the first match).
    const forProduction = await api.get<EnvVar[]>(`${env}?site_id=${SITE}&context_name=production`);
    expect(forProduction.body.find((v) => v.key === 'FLAG')?.values.map((v) => v.value)).toEqual(['new']);
    await api.patch(`${env}/FLAG?site_id=${SITE}`, { context: 'all', value: 'one' });
    expect(byContext()).toEqual({ all: 'one' });
    const mixed = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      {
        key: 'MIXED',
        values: [
          { context: 'all', value: 'a' },
          { context: 'production', value: 'p' },
        ],
      },
    ]);
    expect(mixed.status).toBe(422);
    expect(mixed.body.message).toContain('cannot be combined');
  });

  it('PATCH sets one context and leaves the others untouched', async () => {
    const before = netlify.inspect.env(ACCOUNT, SITE).API_URL?.values ?? [];
    const patched = await api.patch<EnvVar>(`${env}/API_URL?site_id=${SITE}`, {
      context: 'production',
      value: 'https://api-v2',
    });
    expect(patched.status).toBe(201);
    expectConforming(netlify, 'PATCH', '/accounts/{account_id}/env/{key}', patched);
    const after = netlify.inspect.env(ACCOUNT, SITE).API_URL?.values ?? [];
    expect(after.find((v) => v.context === 'production')).toMatchObject({
      value: 'https://api-v2',
      id: before.find((v) => v.context === 'production')?.id,
    });
    expect(after.filter((v) => v.context !== 'production')).toEqual(
      before.filter((v) => v.context !== 'production'),
    );
    expect(
      (
        await api.patch(`${env}/API_URL?site_id=${SITE}`, {
          context: 'branch',
          context_parameter: 'qa',
          value: 'q',
        })
      ).status,
    ).toBe(201);
    expect(netlify.inspect.env(ACCOUNT, SITE).API_URL?.values).toHaveLength(4);
    expect(
      (await api.patch(`${env}/MISSING?site_id=${SITE}`, { context: 'production', value: 'x' })).status,
    ).toBe(404);
  });

  it('PUT replaces every context: the ones left out are gone', async () => {
    const put = await api.put<EnvVar>(`${env}/API_URL?site_id=${SITE}`, {
      key: 'API_URL',
      scopes: ['builds', 'runtime'],
      values: [{ context: 'production', value: 'only-prod' }],
    });
    expect(put.status).toBe(200);
    expectConforming(netlify, 'PUT', '/accounts/{account_id}/env/{key}', put);
    expect(netlify.inspect.env(ACCOUNT, SITE).API_URL).toMatchObject({
      scopes: ['builds', 'runtime'],
      values: [{ context: 'production', value: 'only-prod' }],
    });
  });

  it('deletes one value by id, then the whole key', async () => {
    const preview = netlify.inspect
      .env(ACCOUNT, SITE)
      .API_URL?.values.find((v) => v.context === 'deploy-preview');
    const deleted = await api.delete(`${env}/API_URL/value/${preview?.id ?? ''}?site_id=${SITE}`);
    expect(deleted.status).toBe(204);
    expectConforming(netlify, 'DELETE', '/accounts/{account_id}/env/{key}/value/{id}', deleted);
    expect(netlify.inspect.env(ACCOUNT, SITE).API_URL?.values.map((v) => v.context)).toEqual([
      'production',
      'branch',
    ]);
    expect((await api.delete(`${env}/API_URL/value/${preview?.id ?? ''}?site_id=${SITE}`)).status).toBe(404);
    expect((await api.delete(`${env}/API_URL?site_id=${SITE}`)).status).toBe(204);
    expect((await api.get(`${env}/API_URL?site_id=${SITE}`)).status).toBe(404);
  });

  it('refuses secret values in the all context and secrets in post-processing', async () => {
    const post = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      { key: 'S', is_secret: true, scopes: ['builds'], values: [{ context: 'all', value: 'x' }] },
    ]);
    expect(post.status).toBe(422);
    expect(post.body.message).toContain('all context');
    expect((await api.patch(`${env}/TOKEN?site_id=${SITE}`, { context: 'all', value: 'x' })).status).toBe(
      422,
    );
    expect(
      (await api.put(`${env}/TOKEN?site_id=${SITE}`, { values: [{ context: 'all', value: 'x' }] })).status,
    ).toBe(422);
    const scoped = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      {
        key: 'S',
        is_secret: true,
        scopes: ['post-processing'],
        values: [{ context: 'production', value: 'x' }],
      },
    ]);
    expect(scoped.status).toBe(422);
    expect((await api.put(`${env}/TOKEN?site_id=${SITE}`, { is_secret: false, values: [] })).status).toBe(
      422,
    );
    expect(netlify.inspect.env(ACCOUNT, SITE).TOKEN?.values).toHaveLength(2);
  });

  it('creates secrets per context without post-processing by default, hiding their values', async () => {
    const created = await api.post<EnvVar[]>(`${env}?site_id=${SITE}`, [
      {
        key: 'NEW_SECRET',
        is_secret: true,
        values: [
          { context: 'production', value: 'p' },
          { context: 'deploy-preview', value: 'd' },
        ],
      },
    ]);
    expect(created.status).toBe(201);
    expect(created.body[0]?.scopes).toEqual(['builds', 'functions', 'runtime']);
    expect(created.body[0]?.values.map((v) => v.value)).toEqual([undefined, undefined]);
    expect(created.text).not.toMatch(/"value":"[pd]"/);
  });

  it.each(['all', 'dev'])('refuses a secret value in the %s context (contracts README)', async (context) => {
    const refused = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      { key: 'BAD_SECRET', is_secret: true, values: [{ context, value: 'x' }] },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain(`cannot be set for the ${context} context`);
    expect(netlify.inspect.env(ACCOUNT, SITE)).not.toHaveProperty('BAD_SECRET');
  });

  it('validates contexts: branch needs context_parameter, one value per context, enum from the contract', async () => {
    expect(
      (await api.patch(`${env}/API_URL?site_id=${SITE}`, { context: 'branch', value: 'x' })).status,
    ).toBe(422);
    const dup = await api.put(`${env}/API_URL?site_id=${SITE}`, {
      values: [
        { context: 'production', value: 'a' },
        { context: 'production', value: 'b' },
      ],
    });
    expect(dup.status).toBe(422);
    const bad = await api.patch<NetlifyErrorBody>(`${env}/API_URL?site_id=${SITE}`, {
      context: 'staging',
      value: 'x',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toBe(
      'env_var.context in body should be one of [all dev dev-server branch-deploy deploy-preview production branch]',
    );
    const badType = await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, [
      { key: 'X', values: [{ context: 'all', value: 1 }] },
    ]);
    expect(badType.body.message).toBe('env_vars.0.values.0.value in body must be of type string: "integer"');
    const notArray = await api.post(`${env}?site_id=${SITE}`, { key: 'X' });
    expect(notArray.status).toBe(422);
    expect((await api.post<NetlifyErrorBody>(`${env}?site_id=${SITE}`, '[{')).status).toBe(400);
  });

  it('carries X-RateLimit-* with an epoch reset on every response', async () => {
    for (const reply of [await api.get(`${env}?site_id=${SITE}`), await api.get('/nowhere')]) {
      expect(reply.headers.get('x-ratelimit-limit')).toBe('500');
      expect(Number(reply.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(
        Math.floor(Date.now() / 1000) + 59,
      );
    }
  });
});
