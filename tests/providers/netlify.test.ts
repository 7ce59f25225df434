/** Netlify-only behaviour, against the Netlify sandbox: one context at a time, bulk creates, secrets. */
import { afterEach, describe, expect, it } from 'vitest';
import type { NetlifyContext } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import type { Adapter, WriteOp, WriteOutcome } from '../../src/providers/adapter.ts';
import { startNetlifySandbox } from '../../src/sandbox/index.ts';
import type { NetlifySandbox, NetlifySeed } from '../../src/sandbox/index.ts';
import { ACCOUNT_ID, adaptersFor, SITE_ID } from './harnesses.ts';
import type { NetlifyTarget, StartOptions } from './harnesses.ts';

type Values = { context: NetlifyContext; context_parameter?: string; value: string }[];
type EnvVarSeed = { key: string; values: Values; is_secret?: boolean };

const op = (key: string, value: string, action: WriteOp['action'] = 'create', secret = false): WriteOp => ({
  key,
  action,
  value: new Secret(value),
  secret,
});
const failed = (outcomes: readonly WriteOutcome[]) =>
  outcomes.flatMap((o) => (o.ok ? [] : [`${o.key}: ${o.error.message}`]));

let sandbox: NetlifySandbox | undefined;
afterEach(async () => {
  expect(sandbox?.violations ?? []).toEqual([]);
  await sandbox?.close();
  sandbox = undefined;
});

async function start(
  envVars: EnvVarSeed[],
  options: StartOptions = {},
): Promise<{ adapter: Adapter<NetlifyTarget>; sandbox: NetlifySandbox }> {
  const seed: NetlifySeed = {
    accounts: [{ id: ACCOUNT_ID, slug: 'acme', envVars: envVars.map((v) => ({ ...v, site_id: SITE_ID })) }],
    sites: [{ id: SITE_ID, name: 'acme-web', account_id: ACCOUNT_ID }],
  };
  sandbox = await startNetlifySandbox({ timeScale: 0.01, seed });
  return { adapter: adaptersFor('netlify', sandbox, options).netlify, sandbox };
}

const target = (context: NetlifyContext, extra: Partial<NetlifyTarget['scope']> = {}): NetlifyTarget => ({
  id: 'netlify',
  provider: 'netlify',
  scope: { siteId: SITE_ID, context, ...extra },
});

/** Context (with branch) → value of a key, as Netlify holds it. */
function contexts(s: NetlifySandbox, key: string): Record<string, string> | undefined {
  const envVar = s.inspect.env(ACCOUNT_ID, SITE_ID)[key];
  return (
    envVar &&
    Object.fromEntries(
      envVar.values.map((v) => [
        v.context_parameter ? `${v.context}:${v.context_parameter}` : v.context,
        v.value,
      ]),
    )
  );
}

const SPREAD: EnvVarSeed = {
  key: 'API_URL',
  values: [
    { context: 'branch-deploy', value: 'https://branch' },
    { context: 'production', value: 'https://prod' },
    { context: 'deploy-preview', value: 'https://preview' },
  ],
};

describe('netlify contexts', () => {
  it('updates one context and leaves the others as they were, never with PUT', async () => {
    const { adapter, sandbox } = await start([SPREAD]);
    expect(
      failed(await adapter.write(target('production'), [op('API_URL', 'https://prod-2', 'update')])),
    ).toEqual([]);
    expect(contexts(sandbox, 'API_URL')).toEqual({
      'branch-deploy': 'https://branch',
      production: 'https://prod-2',
      'deploy-preview': 'https://preview',
    });
    expect(sandbox.log.count('PUT', '/accounts/{account_id}/env/{key}')).toBe(0);
    expect(sandbox.log.count('PATCH', '/accounts/{account_id}/env/{key}')).toBe(1);
  });

  it('adds a value for a new context to an existing key with PATCH', async () => {
    const { adapter, sandbox } = await start([
      { key: 'ONLY_PREVIEW', values: [{ context: 'deploy-preview', value: 'p' }] },
    ]);
    expect(failed(await adapter.write(target('production'), [op('ONLY_PREVIEW', 'prod', 'create')]))).toEqual(
      [],
    );
    expect(contexts(sandbox, 'ONLY_PREVIEW')).toEqual({ 'deploy-preview': 'p', production: 'prod' });
    expect(sandbox.log.count('POST', '/accounts/{account_id}/env')).toBe(0);
  });

  it('creates every new key in one bulk POST', async () => {
    const { adapter, sandbox } = await start([]);
    const outcomes = await adapter.write(target('production'), [
      op('ONE', '1'),
      op('TWO', '2'),
      op('THREE', '3'),
    ]);
    expect(failed(outcomes)).toEqual([]);
    expect(outcomes.every((o) => o.ok && typeof o.updatedAt === 'string')).toBe(true);
    expect(sandbox.log.count('POST', '/accounts/{account_id}/env')).toBe(1);
    expect(contexts(sandbox, 'TWO')).toEqual({ production: '2' });
    expect(sandbox.inspect.env(ACCOUNT_ID, SITE_ID).TWO?.scopes).toEqual([
      'builds',
      'functions',
      'runtime',
      'post_processing', // sent as post-processing; Netlify answers in its own spelling
    ]);
  });

  it('falls back to one key at a time when the bulk create meets a key created meanwhile', async () => {
    let planted = false;
    // Plants RACED between the adapter's list and its bulk POST, as another user might.
    const racingFetch: typeof fetch = async (input, init) => {
      if (!planted && sandbox && init?.method === 'POST') {
        planted = true;
        sandbox.inspect.setEnvVar(ACCOUNT_ID, {
          key: 'RACED',
          site_id: SITE_ID,
          values: [{ context: 'deploy-preview', value: 'theirs' }],
        });
      }
      return fetch(input, init);
    };
    const { adapter, sandbox: s } = await start([], { fetch: racingFetch });
    expect(failed(await adapter.write(target('production'), [op('RACED', 'ours'), op('CALM', 'c')]))).toEqual(
      [],
    );
    expect(contexts(s, 'RACED')).toEqual({ 'deploy-preview': 'theirs', production: 'ours' });
    expect(contexts(s, 'CALM')).toEqual({ production: 'c' });
    const writes = s.log.entries.filter((e) => e.method !== 'GET').map((e) => `${e.method} ${e.status}`);
    // The refused batch, then one create per key: RACED's meets the key and becomes a PATCH.
    expect(writes.sort()).toEqual(['PATCH 201', 'POST 201', 'POST 409', 'POST 409'].sort());
  });

  it('reads the `all` value for a context that has none of its own, and skips keys of other contexts', async () => {
    const { adapter } = await start([
      { key: 'SHARED', values: [{ context: 'all', value: 'everywhere' }] },
      { key: 'PREVIEW_ONLY', values: [{ context: 'deploy-preview', value: 'p' }] },
    ]);
    const listed = await adapter.list(target('production'));
    expect([...listed.keys()]).toEqual(['SHARED']);
    const shared = listed.get('SHARED');
    expect(shared?.kind === 'value' && shared.value.reveal()).toBe('everywhere');
  });

  it('writes and reads a branch context by its branch name', async () => {
    const { adapter, sandbox } = await start([
      { key: 'FLAG', values: [{ context: 'branch', context_parameter: 'other', value: 'o' }] },
    ]);
    const feature = target('branch', { branch: 'feature-x' });
    expect(failed(await adapter.write(feature, [op('FLAG', 'on')]))).toEqual([]);
    expect(contexts(sandbox, 'FLAG')).toEqual({ 'branch:other': 'o', 'branch:feature-x': 'on' });
    const read = await adapter.read(feature, 'FLAG');
    expect(read?.kind === 'value' && read.value.reveal()).toBe('on');
  });

  it("removes only the target context's value while other contexts hold one", async () => {
    const { adapter, sandbox } = await start([SPREAD]);
    expect(failed(await adapter.remove(target('production'), ['API_URL']))).toEqual([]);
    expect(contexts(sandbox, 'API_URL')).toEqual({
      'branch-deploy': 'https://branch',
      'deploy-preview': 'https://preview',
    });
    expect(sandbox.log.count('DELETE', '/accounts/{account_id}/env/{key}')).toBe(0);
  });

  it('removes the whole key when it held only our value, or when the target is `all`', async () => {
    const { adapter, sandbox } = await start([
      { key: 'EVERYWHERE', values: [{ context: 'all', value: 'e' }] },
      { key: 'MINE', values: [{ context: 'production', value: 'm' }] },
    ]);
    expect(failed(await adapter.remove(target('production'), ['MINE']))).toEqual([]);
    expect(contexts(sandbox, 'MINE')).toBeUndefined();
    expect(failed(await adapter.remove(target('all'), ['EVERYWHERE']))).toEqual([]);
    expect(contexts(sandbox, 'EVERYWHERE')).toBeUndefined();
  });

  it('refuses, sending nothing, to delete for one context a key whose value it reads from `all`', async () => {
    const { adapter, sandbox } = await start([{ key: 'SHARED', values: [{ context: 'all', value: 'x' }] }]);
    expect(failed(await adapter.remove(target('production'), ['SHARED']))).toEqual([
      "SHARED: [envsync] [netlify] SHARED has no production value of its own (it reads the all context's); nothing was deleted",
    ]);
    expect(contexts(sandbox, 'SHARED')).toEqual({ all: 'x' });
    expect(sandbox.log.count('DELETE', '/accounts/{account_id}/env/{key}')).toBe(0);
  });

  it('lists a value read from `all` as inherited, so a plan never deletes it for one context', async () => {
    const { adapter } = await start([
      { key: 'SHARED', values: [{ context: 'all', value: 'x' }] },
      { key: 'OWN', values: [{ context: 'production', value: 'y' }] },
    ]);
    const listed = await adapter.list(target('production'));
    expect(listed.get('SHARED')?.inheritedFrom).toBe("Netlify's all context");
    expect(listed.get('OWN')?.inheritedFrom).toBeUndefined();
    expect((await adapter.list(target('all'))).get('SHARED')?.inheritedFrom).toBeUndefined();
  });

  it('setting one context of an `all` key splits it: production reads the new value, the others the old', async () => {
    const { adapter, sandbox } = await start([{ key: 'SHARED', values: [{ context: 'all', value: 'old' }] }]);
    expect(failed(await adapter.write(target('production'), [op('SHARED', 'new', 'update')]))).toEqual([]);
    expect(contexts(sandbox, 'SHARED')).toEqual({
      production: 'new',
      'deploy-preview': 'old',
      'branch-deploy': 'old',
      dev: 'old',
      'dev-server': 'old',
    });
    const read = await adapter.read(target('production'), 'SHARED');
    expect(read?.kind === 'value' && read.value.reveal()).toBe('new');
    const preview = await adapter.read(target('deploy-preview'), 'SHARED');
    expect(preview?.kind === 'value' && preview.value.reveal()).toBe('old');
  });
});

describe('netlify secrets and accounts', () => {
  it('lists secret values as write-only', async () => {
    const { adapter } = await start([
      { key: 'TOKEN', is_secret: true, values: [{ context: 'production', value: 'hidden' }] },
    ]);
    expect((await adapter.list(target('production'))).get('TOKEN')).toEqual({
      kind: 'write-only',
      updatedAt: expect.any(String) as string,
      scopes: ['builds', 'functions', 'runtime'],
    });
  });

  it('creates secrets as is_secret, outside the post-processing scope', async () => {
    const { adapter, sandbox } = await start([]);
    expect(
      failed(await adapter.write(target('production'), [op('TOKEN', 's3cret-value', 'create', true)])),
    ).toEqual([]);
    const stored = sandbox.inspect.env(ACCOUNT_ID, SITE_ID).TOKEN;
    expect(stored).toMatchObject({ is_secret: true, scopes: ['builds', 'functions', 'runtime'] });
    expect(stored?.values).toMatchObject([{ context: 'production', value: 's3cret-value' }]);
  });

  it('resolves the account from the site once per call, and not at all when configured', async () => {
    const { adapter, sandbox } = await start([]);
    await adapter.write(target('production'), [op('A', '1'), op('B', '2')]);
    expect(sandbox.log.count('GET', '/sites/{site_id}')).toBe(1);
    await adapter.list(target('production', { accountId: ACCOUNT_ID }));
    expect(sandbox.log.count('GET', '/sites/{site_id}')).toBe(1);
  });
});
