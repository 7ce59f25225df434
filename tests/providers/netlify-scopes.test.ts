/** Netlify scopes through the adapter, over real HTTP to the Netlify sandbox: read, kept, changed. */
import { afterEach, describe, expect, it } from 'vitest';
import type { NetlifyContext } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import type { Adapter, WriteOp, WriteOutcome } from '../../src/providers/adapter.ts';
import { startNetlifySandbox } from '../../src/sandbox/index.ts';
import type { NetlifySandbox, NetlifySeed } from '../../src/sandbox/index.ts';
import { ACCOUNT_ID, adaptersFor, SITE_ID } from './harnesses.ts';
import type { NetlifyTarget } from './harnesses.ts';

type Seed = Omit<NonNullable<NonNullable<NetlifySeed['accounts']>[number]['envVars']>[number], 'site_id'>;

const op = (
  key: string,
  value: string,
  action: WriteOp['action'],
  extra: Partial<WriteOp> = {},
): WriteOp => ({
  key,
  action,
  value: new Secret(value),
  secret: false,
  ...extra,
});
const failed = (outcomes: readonly WriteOutcome[]) =>
  outcomes.flatMap((o) => (o.ok ? [] : [`${o.key}: ${o.error.message}`]));

let sandbox: NetlifySandbox | undefined;
afterEach(async () => {
  expect(sandbox?.violations ?? []).toEqual([]);
  await sandbox?.close();
  sandbox = undefined;
});

async function start(envVars: Seed[]): Promise<{ adapter: Adapter<NetlifyTarget>; sandbox: NetlifySandbox }> {
  sandbox = await startNetlifySandbox({
    timeScale: 0.01,
    seed: {
      accounts: [{ id: ACCOUNT_ID, slug: 'acme', envVars: envVars.map((v) => ({ ...v, site_id: SITE_ID })) }],
      sites: [{ id: SITE_ID, name: 'acme-web', account_id: ACCOUNT_ID }],
    },
  });
  return { adapter: adaptersFor('netlify', sandbox, {}).netlify, sandbox };
}

const target = (context: NetlifyContext): NetlifyTarget => ({
  id: 'netlify',
  provider: 'netlify',
  scope: { siteId: SITE_ID, context },
});

const held = (s: NetlifySandbox, key: string) => {
  const v = s.inspect.env(ACCOUNT_ID, SITE_ID)[key];
  return (
    v && {
      scopes: v.scopes,
      is_secret: v.is_secret,
      values: Object.fromEntries(v.values.map((x) => [x.context, x.value])),
    }
  );
};

const SPREAD: Seed = {
  key: 'API_URL',
  scopes: ['builds', 'functions'],
  values: [
    { context: 'production', value: 'https://prod' },
    { context: 'deploy-preview', value: 'https://preview' },
  ],
};

describe('netlify scopes: reading', () => {
  it("reports each key's scopes in one spelling, and whether the target can change them", async () => {
    const { adapter } = await start([
      SPREAD,
      { key: 'PP', scopes: ['post_processing', 'builds'], values: [{ context: 'production', value: 'x' }] },
      {
        key: 'SECRET',
        is_secret: true,
        values: [
          { context: 'production', value: 's1' },
          { context: 'deploy-preview', value: 's2' },
        ],
      },
      { key: 'OWN_SECRET', is_secret: true, values: [{ context: 'production', value: 's3' }] },
    ]);
    const map = await adapter.list(target('production'));
    expect(map.get('API_URL')).toMatchObject({ scopes: ['builds', 'functions'] });
    expect(map.get('API_URL')?.scopesFixed).toBeUndefined();
    expect(map.get('PP')?.scopes).toEqual(['builds', 'post-processing']);
    expect(map.get('SECRET')).toMatchObject({
      kind: 'write-only',
      scopes: ['builds', 'functions', 'runtime'],
    });
    expect(map.get('SECRET')?.scopesFixed).toContain('deploy-preview context cannot be read back');
    // A secret held only in the target's own context: its value is the one the sync writes.
    expect(map.get('OWN_SECRET')?.scopesFixed).toBeUndefined();
  });
});

describe('netlify scopes: writing', () => {
  it('keeps the scopes when only the value changes (PATCH, never PUT)', async () => {
    const { adapter, sandbox } = await start([
      SPREAD,
      { key: 'ELSEWHERE', scopes: ['runtime'], values: [{ context: 'deploy-preview', value: 'p' }] },
    ]);
    const outcomes = await adapter.write(target('production'), [
      op('API_URL', 'https://prod-2', 'update'),
      op('ELSEWHERE', 'prod', 'create'),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'API_URL')).toEqual({
      scopes: ['builds', 'functions'],
      is_secret: false,
      values: { production: 'https://prod-2', 'deploy-preview': 'https://preview' },
    });
    expect(held(sandbox, 'ELSEWHERE')?.scopes).toEqual(['runtime']);
    expect(sandbox.log.count('PUT', '/accounts/{account_id}/env/{key}')).toBe(0);
  });

  it("changes declared scopes with one PUT that sends every other context's value back", async () => {
    const { adapter, sandbox } = await start([SPREAD]);
    const outcomes = await adapter.write(target('production'), [
      op('API_URL', 'https://prod', 'update', { scopes: ['runtime', 'builds', 'functions'] }),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'API_URL')).toEqual({
      scopes: ['builds', 'functions', 'runtime'],
      is_secret: false,
      values: { production: 'https://prod', 'deploy-preview': 'https://preview' },
    });
    // The value was already right: no PATCH, only the PUT.
    expect(sandbox.log.count('PATCH', '/accounts/{account_id}/env/{key}')).toBe(0);
    expect(sandbox.log.count('PUT', '/accounts/{account_id}/env/{key}')).toBe(1);
  });

  it('changes value and scopes together, other contexts untouched', async () => {
    const { adapter, sandbox } = await start([SPREAD]);
    const outcomes = await adapter.write(target('production'), [
      op('API_URL', 'https://prod-3', 'update', { scopes: ['builds'] }),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'API_URL')).toEqual({
      scopes: ['builds'],
      is_secret: false,
      values: { production: 'https://prod-3', 'deploy-preview': 'https://preview' },
    });
  });

  it("leaves an all-context value whole when a context's value already reads from it", async () => {
    const { adapter, sandbox } = await start([
      { key: 'SHARED', scopes: ['builds'], values: [{ context: 'all', value: 'same' }] },
    ]);
    const outcomes = await adapter.write(target('production'), [
      op('SHARED', 'same', 'update', { scopes: ['builds', 'functions'] }),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'SHARED')).toEqual({
      scopes: ['builds', 'functions'],
      is_secret: false,
      values: { all: 'same' },
    });
  });

  it('rescopes a secret the target owns alone, and it stays secret', async () => {
    const { adapter, sandbox } = await start([
      { key: 'TOKEN', is_secret: true, values: [{ context: 'production', value: 'tok' }] },
    ]);
    const outcomes = await adapter.write(target('production'), [
      op('TOKEN', 'tok', 'update', { secret: true, scopes: ['functions'] }),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'TOKEN')).toEqual({
      scopes: ['functions'],
      is_secret: true,
      values: { production: 'tok' },
    });
  });

  it('sets the value but not the scopes of a secret whose other contexts it cannot read, naming the key, no value', async () => {
    const { adapter, sandbox } = await start([
      {
        key: 'TOKEN',
        is_secret: true,
        scopes: ['builds'],
        values: [
          { context: 'production', value: 'tok-prod-canary' },
          { context: 'deploy-preview', value: 'tok-preview-canary' },
        ],
      },
    ]);
    const outcomes = await adapter.write(target('production'), [
      op('TOKEN', 'tok-prod-canary-2', 'update', { secret: true, scopes: ['functions'] }),
    ]);
    const errors = failed(outcomes);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('the scopes of TOKEN were not changed');
    expect(errors[0]).toContain("change its scopes in Netlify's UI (its production value was set)");
    expect(errors[0]).not.toMatch(/canary/);
    expect(held(sandbox, 'TOKEN')).toEqual({
      scopes: ['builds'],
      is_secret: true,
      values: { production: 'tok-prod-canary-2', 'deploy-preview': 'tok-preview-canary' },
    });
    expect(sandbox.log.count('PUT', '/accounts/{account_id}/env/{key}')).toBe(0);
  });

  it('gives a key new to this context its value and the declared scopes, other contexts kept', async () => {
    const { adapter, sandbox } = await start([
      { key: 'PREVIEW_ONLY', scopes: ['builds'], values: [{ context: 'deploy-preview', value: 'p' }] },
    ]);
    const outcomes = await adapter.write(target('production'), [
      op('PREVIEW_ONLY', 'prod', 'create', { scopes: ['builds', 'functions'] }),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'PREVIEW_ONLY')).toEqual({
      scopes: ['builds', 'functions'],
      is_secret: false,
      values: { 'deploy-preview': 'p', production: 'prod' },
    });
  });

  it('creates a new key with its declared scopes, and an undeclared one with all of them', async () => {
    const { adapter, sandbox } = await start([]);
    const outcomes = await adapter.write(target('production'), [
      op('SCOPED', '1', 'create', { scopes: ['builds', 'post-processing'] }),
      op('PLAIN', '2', 'create'),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(held(sandbox, 'SCOPED')?.scopes).toEqual(['builds', 'post_processing']);
    expect(held(sandbox, 'PLAIN')?.scopes).toEqual(['builds', 'functions', 'runtime', 'post_processing']);
  });
});
