import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../../src/config/env.ts';
import { loadProject } from '../../src/config/manifest.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { DEMO } from '../../src/sandbox/demo.ts';
import { executeSync } from '../../src/sync/execute.ts';
import { openRecords } from '../../src/sync/records.ts';
import { planRollback } from '../../src/sync/rollback.ts';
import { planRun } from '../../src/sync/run.ts';
import { fingerprint, KEY, localBlobs, rawFiles } from '../store/helpers.ts';

const CANARY = 'canary-rollback-5eed';
let session: SandboxSession;
let blobs: Awaited<ReturnType<typeof localBlobs>>;

beforeEach(async () => {
  session = await startDemoSandbox();
  blobs = await localBlobs();
});
afterEach(async () => {
  await Promise.all([session.close(), blobs.close()]);
});

async function context(manifest: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'rollback-'));
  await writeFile(path.join(dir, 'm.yaml'), manifest);
  await writeFile(
    path.join(dir, 'seed.env'),
    `REACT_APP_API_URL=https://api.v2.example.com\nDEBUG=true\nNEW_FLAG=on\nAPI_TOKEN=${CANARY}\n`,
  );
  const config = loadEnvConfig(session.env);
  const project = await loadProject(path.join(dir, 'm.yaml'), config);
  const records = openRecords({ blobs, snapshotKey: () => KEY, fingerprint, now: () => new Date() });
  const adapters = createAdapters({
    github: { baseUrl: config.github.apiUrl, token: config.github.token },
    render: { baseUrl: config.render.apiUrl, token: config.render.apiKey },
    netlify: { baseUrl: config.netlify.apiUrl, token: config.netlify.token },
  });
  return { project, ctx: { adapters, ledger: records.ledger, records, fingerprint, now: () => new Date() } };
}

describe('rollback on the providers', () => {
  it('restores a Render service and a Netlify site exactly, key by key', async () => {
    const { project, ctx } = await context(
      'source: manifest\nseed: seed.env\ntargets:\n  render: { provider: render }\n  netlify: { provider: netlify, context: all }\npolicy:\n  exclude: [API_TOKEN]\n  deletions: all\n',
    );
    const { render, netlify } = session.sandbox;
    const renderBefore = render.inspect.envVars(DEMO.renderServiceId);
    const netlifyBefore = netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId);
    const synced = await executeSync(ctx, await planRun(ctx, { project }), {
      dryRun: false,
      actor: 't',
      action: 'sync',
    });
    expect(synced.ok).toBe(true);
    expect(render.inspect.envVars(DEMO.renderServiceId)).not.toEqual(renderBefore);

    for (const target of ['render', 'netlify']) {
      const planned = await planRollback(ctx, project, target, synced.snapshots[target]?.before ?? '');
      expect(planned.unrestorable).toEqual([]);
      const rolled = await executeSync(ctx, planned, { dryRun: false, actor: 't', action: 'rollback' });
      expect(rolled.ok).toBe(true);
    }
    expect(render.inspect.envVars(DEMO.renderServiceId)).toEqual(renderBefore);
    const values = (env: typeof netlifyBefore) =>
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.values.map((x) => [x.context, x.value])]));
    expect(values(netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId))).toEqual(
      values(netlifyBefore),
    );
  });

  it('brings a deleted Netlify key back with its own scopes and as the secret it was', async () => {
    const { netlify } = session.sandbox;
    const site = { account: DEMO.netlifyAccountId, site: DEMO.netlifySiteId };
    netlify.inspect.setEnvVar(site.account, {
      key: 'BUILD_ONLY',
      site_id: site.site,
      scopes: ['builds'],
      values: [{ context: 'production', value: 'b' }],
    });
    netlify.inspect.setEnvVar(site.account, {
      key: 'PROD_SECRET',
      site_id: site.site,
      is_secret: true,
      scopes: ['functions', 'runtime'],
      values: [{ context: 'production', value: CANARY }],
    });
    const { project, ctx } = await context(
      'source: manifest\nseed: seed.env\ntargets:\n  netlify: { provider: netlify, context: production }\npolicy:\n  exclude: [API_TOKEN]\n  deletions: all\n',
    );
    const synced = await executeSync(ctx, await planRun(ctx, { project }), {
      dryRun: false,
      actor: 't',
      action: 'sync',
    });
    const env = () => netlify.inspect.env(site.account, site.site);
    expect(env()).not.toHaveProperty('BUILD_ONLY');
    expect(env()).not.toHaveProperty('PROD_SECRET');
    // The secret's value is known to the snapshot only because EnvSync could not read it: not restorable.
    const planned = await planRollback(ctx, project, 'netlify', synced.snapshots['netlify']?.before ?? '');
    expect(planned.unrestorable).toEqual(['PROD_SECRET']);
    const rolled = await executeSync(ctx, planned, { dryRun: false, actor: 't', action: 'rollback' });
    expect(rolled.targets[0]?.failed).toEqual([]);
    expect(env()['BUILD_ONLY']).toMatchObject({ scopes: ['builds'], is_secret: false });
    const record = await ctx.records.snapshots.get(synced.snapshots['netlify']?.before ?? '');
    expect(record.variables['BUILD_ONLY']).toMatchObject({ scopes: ['builds'], is_secret: false });
    expect(record.variables['PROD_SECRET']).toMatchObject({
      scopes: ['functions', 'runtime'],
      is_secret: true,
    });
  });

  it('restores a Netlify secret EnvSync wrote as a secret, with its scopes', async () => {
    const { netlify } = session.sandbox;
    const { project, ctx } = await context(
      'source: manifest\nseed: seed.env\ntargets:\n  netlify: { provider: netlify, context: production }\nkeys:\n  API_TOKEN: { secret: true }\npolicy:\n  include: [API_TOKEN]\n  deletions: all\n',
    );
    const first = await executeSync(ctx, await planRun(ctx, { project }), {
      dryRun: false,
      actor: 't',
      action: 'sync',
    });
    expect(first.ok).toBe(true);
    const env = () => netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId);
    expect(env()['API_TOKEN']).toMatchObject({ is_secret: true });
    const scopesWritten = env()['API_TOKEN']?.scopes;
    // Deleted by hand; the post-sync snapshot holds the value EnvSync wrote, and that it is a secret.
    netlify.inspect.deleteEnvVar(DEMO.netlifyAccountId, 'API_TOKEN', DEMO.netlifySiteId);
    const planned = await planRollback(ctx, project, 'netlify', first.snapshots['netlify']?.after ?? '');
    expect(planned.plan.targets[0]?.entries.find((e) => e.key === 'API_TOKEN')).toMatchObject({
      action: 'create',
      secret: true,
    });
    const rolled = await executeSync(ctx, planned, { dryRun: false, actor: 't', action: 'rollback' });
    expect(rolled.targets[0]?.failed).toEqual([]);
    expect(env()['API_TOKEN']).toMatchObject({ is_secret: true, scopes: scopesWritten });
    expect(env()['API_TOKEN']?.values.map((v) => v.value)).toEqual([CANARY]);
    for (const { file, text } of await rawFiles(blobs.directory)) expect(text, file).not.toContain(CANARY);
  });

  it('re-writes GitHub secrets only from a snapshot that holds their values, and names the rest', async () => {
    session.sandbox.render.inspect.setEnvVar(DEMO.renderServiceId, 'API_TOKEN', CANARY);
    const { project, ctx } = await context(
      'source: render\ntargets:\n  render: { provider: render }\n  gh: { provider: github, store: secrets }\nkeys:\n  API_TOKEN: { secret: true }\npolicy:\n  include: [API_TOKEN]\n',
    );
    const first = await executeSync(ctx, await planRun(ctx, { project }), {
      dryRun: false,
      actor: 't',
      action: 'sync',
    });
    const snapshot = await ctx.records.snapshots.get(first.snapshots['gh']?.before ?? '');
    expect(snapshot).toMatchObject({ provider: 'github', store: 'secrets' });
    expect(snapshot.variables['DEPLOY_HOOK_TOKEN']).toMatchObject({ write_only: true, is_secret: true });
    // The pre-sync snapshot knows DEPLOY_HOOK_TOKEN (set by hand) only as write-only: unrestorable.
    const toBefore = await planRollback(ctx, project, 'gh', first.snapshots['gh']?.before ?? '');
    expect(toBefore.unrestorable).toEqual(['DEPLOY_HOOK_TOKEN']);
    expect(toBefore.plan.targets[0]?.entries.find((e) => e.key === 'DEPLOY_HOOK_TOKEN')?.action).toBe('skip');
    expect(toBefore.plan.targets[0]?.entries.find((e) => e.key === 'API_TOKEN')?.action).toBe('delete');

    // Someone changes the secret by hand; the post-sync snapshot holds the value EnvSync wrote.
    session.sandbox.github.inspect.setSecret({ repo: DEMO.githubRepo }, 'API_TOKEN', 'tampered', {
      updated_at: '2030-01-01T00:00:00Z',
    });
    const toAfter = await planRollback(ctx, project, 'gh', first.snapshots['gh']?.after ?? '');
    expect(toAfter.plan.targets[0]?.entries.find((e) => e.key === 'API_TOKEN')?.action).toBe('update');
    await executeSync(ctx, toAfter, { dryRun: false, actor: 't', action: 'rollback' });
    expect(session.sandbox.github.inspect.secretPlaintext({ repo: DEMO.githubRepo }, 'API_TOKEN')).toBe(
      CANARY,
    );
    expect(
      session.sandbox.github.inspect.secretPlaintext({ repo: DEMO.githubRepo }, 'DEPLOY_HOOK_TOKEN'),
    ).toBe('set-by-hand-in-the-github-ui');
    for (const { file, text } of await rawFiles(blobs.directory)) expect(text, file).not.toContain(CANARY);
  });
});
