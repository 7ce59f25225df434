/** The Netlify sandbox's scopes, per the contract: PATCH keeps them, PUT replaces them, secrets never post-processing. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetlifySandbox, NetlifySeed } from '../../src/sandbox/index.ts';
import { startNetlifySandbox } from '../../src/sandbox/index.ts';
import type { Client } from './http-client.ts';
import { client, expectConforming } from './http-client.ts';

type EnvVar = { key: string; scopes: string[]; is_secret: boolean };
type NetlifyErrorBody = { code: number; message: string };

const ACCOUNT = '64a000000000000000000001';
const SITE = '1b2c3d4e-0000-4000-8000-000000000001';
const SEED: NetlifySeed = {
  accounts: [
    {
      id: ACCOUNT,
      slug: 'acme',
      envVars: [
        {
          key: 'API_URL',
          site_id: SITE,
          scopes: ['builds', 'functions'],
          values: [
            { context: 'production', value: 'https://api' },
            { context: 'deploy-preview', value: 'https://preview' },
          ],
        },
        {
          key: 'TOKEN',
          site_id: SITE,
          is_secret: true,
          scopes: ['runtime'],
          values: [{ context: 'production', value: 'prod-secret' }],
        },
      ],
    },
  ],
  sites: [{ id: SITE, name: 'acme-web', account_id: ACCOUNT }],
};

let netlify: NetlifySandbox;
let api: Client;
const env = `/accounts/${ACCOUNT}/env`;
const held = (key: string) => netlify.inspect.env(ACCOUNT, SITE)[key];

beforeEach(async () => {
  netlify = await startNetlifySandbox({ seed: SEED });
  api = client(netlify.url, netlify.token);
});
afterEach(async () => {
  expect(netlify.violations).toEqual([]);
  await netlify.close();
});

describe('Netlify sandbox: scopes', () => {
  it("PATCH sets one context's value and keeps the key's scopes, secret or not", async () => {
    const plain = await api.patch<EnvVar>(`${env}/API_URL?site_id=${SITE}`, {
      context: 'production',
      value: 'https://api-2',
    });
    expect(plain.status).toBe(201);
    expectConforming(netlify, 'PATCH', '/accounts/{account_id}/env/{key}', plain);
    expect(plain.body.scopes).toEqual(['builds', 'functions']);
    await api.patch(`${env}/TOKEN?site_id=${SITE}`, { context: 'production', value: 'prod-secret-2' });
    expect(held('TOKEN')).toMatchObject({ scopes: ['runtime'], is_secret: true });
  });

  it('PUT replaces the scopes with the ones sent, in either spelling, and keeps a secret secret', async () => {
    const put = await api.put<EnvVar>(`${env}/API_URL?site_id=${SITE}`, {
      key: 'API_URL',
      scopes: ['post-processing', 'runtime'],
      values: [{ context: 'production', value: 'https://api' }],
    });
    expect(put.status).toBe(200);
    expectConforming(netlify, 'PUT', '/accounts/{account_id}/env/{key}', put);
    expect(put.body.scopes).toEqual(['runtime', 'post_processing']);
    const secret = await api.put<EnvVar>(`${env}/TOKEN?site_id=${SITE}`, {
      key: 'TOKEN',
      scopes: ['builds', 'functions'],
      values: [{ context: 'production', value: 'prod-secret' }],
    });
    expect(secret.status).toBe(200);
    expect(held('TOKEN')).toMatchObject({ scopes: ['builds', 'functions'], is_secret: true });
  });

  it('refuses post-processing for a secret on PUT (either spelling, or made secret with it), changing nothing', async () => {
    for (const body of [
      { key: 'TOKEN', scopes: ['post-processing'], values: [{ context: 'production', value: 'x' }] },
      {
        key: 'TOKEN',
        scopes: ['builds', 'post_processing'],
        values: [{ context: 'production', value: 'x' }],
      },
    ]) {
      const reply = await api.put<NetlifyErrorBody>(`${env}/TOKEN?site_id=${SITE}`, body);
      expect(reply.status).toBe(422);
      expect(reply.body.message).toContain('post-processing');
    }
    expect(held('TOKEN')).toMatchObject({
      scopes: ['runtime'],
      values: [{ context: 'production', value: 'prod-secret' }],
    });
    const madeSecret = await api.put<NetlifyErrorBody>(`${env}/API_URL?site_id=${SITE}`, {
      key: 'API_URL',
      is_secret: true,
      scopes: ['builds', 'post-processing'],
      values: [{ context: 'production', value: 'https://api' }],
    });
    expect(madeSecret.status).toBe(422);
    expect(held('API_URL')).toMatchObject({ scopes: ['builds', 'functions'], is_secret: false });
  });

  it('refuses a scope outside the contract in the provider error format', async () => {
    const reply = await api.put<NetlifyErrorBody>(`${env}/API_URL?site_id=${SITE}`, {
      key: 'API_URL',
      scopes: ['edge'],
      values: [{ context: 'production', value: 'https://api' }],
    });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(typeof reply.body.message).toBe('string');
    expect(held('API_URL')?.scopes).toEqual(['builds', 'functions']);
  });
});
