/**
 * Render merged writes: more changes on one service than a minute of the write budget allows go
 * in one replace-all PUT carrying every key the service holds, guarded by a listing before (it
 * falls back to per-key writes if anything moved since the plan) and one after.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Project } from '../../src/config/manifest.ts';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import type { EnvValue, Target } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { memoryLedgerStore } from '../../src/store/ledger.ts';
import { applyPlan, planRun } from '../../src/sync/run.ts';
import type { SyncContext } from '../../src/sync/run.ts';

const SERVICE = 'srv-merged00000000000000000';
const TOKEN = 'rnd_merged';
const BY_HAND = { DATABASE_URL: 'postgres://by-hand', REDIS_URL: 'redis://by-hand' };
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const target: Target = { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: SERVICE } };

function project(n: number): Project {
  const values = new Map<string, EnvValue>(
    Array.from({ length: n }, (_, i) => [`MERGED_${i}`, { kind: 'value', value: new Secret(`v${i}`) }]),
  );
  return {
    root: '.',
    manifestPath: undefined,
    sourceId: 'manifest',
    targets: new Map([[target.id, target]]),
    // Keys set by hand stay: nothing is deleted.
    policy: { ...DEFAULT_POLICY, deletions: 'never' },
    manifestValues: values,
    route: (ks) => Object.fromEntries([...ks].map((k) => [k, {}])),
    declared: new Map(),
  };
}

async function setup() {
  const sandbox = await startSandbox({
    providers: ['render'],
    fixture: {
      render: {
        services: [
          {
            id: SERVICE,
            name: 'merged',
            envVars: Object.entries(BY_HAND).map(([key, value]) => ({ key, value })),
          },
        ],
      },
    },
    render: { tokens: [TOKEN], limits: { writesPerMinute: 30 } },
    // A minute lasts 60 ms: the per-key fallback below paces 200 writes at 30 a minute.
    timeScale: 0.001,
  });
  open.push(sandbox);
  const ctx: SyncContext = {
    adapters: createAdapters({
      timeScale: 0.001,
      render: { baseUrl: sandbox.render?.url ?? '', token: TOKEN },
      github: { token: '' },
      netlify: { token: '' },
    }),
    ledger: memoryLedgerStore(),
    fingerprint: fingerprinter('merged'),
    now: () => new Date(),
  };
  const render = sandbox.render;
  if (!render) throw new Error('no render sandbox');
  return { render, ctx };
}

const writes = (entries: readonly { method: string; path: string }[]) =>
  entries.filter((e) => e.method !== 'GET').map((e) => `${e.method} ${e.path}`);

describe('Render merged writes', () => {
  it('200 changes in one replace-all PUT: every change applied, the keys set by hand kept', async () => {
    const { render, ctx } = await setup();
    const planned = await planRun(ctx, { project: project(200) });
    const result = await applyPlan(ctx, planned, { dryRun: false });
    expect(result.ok).toBe(true);
    expect(result.targets[0]?.applied).toHaveLength(200);
    expect(writes(render.log.entries)).toEqual(['PUT /services/{serviceId}/env-vars']);
    const held = render.inspect.envVars(SERVICE);
    expect(Object.keys(held)).toHaveLength(202);
    expect(held).toMatchObject({ ...BY_HAND, MERGED_0: 'v0', MERGED_199: 'v199' });
  });

  it('a key added by someone else between the plan and the write survives: per-key writes instead', async () => {
    const { render, ctx } = await setup();
    const planned = await planRun(ctx, { project: project(200) });
    render.inspect.setEnvVar(SERVICE, 'ADDED_BY_HAND', 'keep-me');
    const result = await applyPlan(ctx, planned, { dryRun: false });
    expect(result.ok).toBe(true);
    expect(writes(render.log.entries)).not.toContain('PUT /services/{serviceId}/env-vars');
    expect(writes(render.log.entries)).toHaveLength(200);
    expect(render.inspect.envVars(SERVICE)).toMatchObject({ ADDED_BY_HAND: 'keep-me', ...BY_HAND });
  });

  it('a handful of changes are written key by key', async () => {
    const { render, ctx } = await setup();
    const result = await applyPlan(ctx, await planRun(ctx, { project: project(5) }), { dryRun: false });
    expect(result.ok).toBe(true);
    expect(writes(render.log.entries)).toEqual(
      Array<string>(5).fill('PUT /services/{serviceId}/env-vars/{envVarKey}'),
    );
  });
});
