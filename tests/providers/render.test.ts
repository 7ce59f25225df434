/** Render-only behaviour, against the Render sandbox: per-key writes only, deploys, write pacing. */
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.ts';
import type { WriteOp } from '../../src/providers/adapter.ts';
import { ProviderServerError } from '../../src/providers/errors.ts';
import type { RenderSandbox } from '../../src/sandbox/index.ts';
import { renderEnvGroup, renderService, SERVICE_ID, TIME_SCALE } from './harnesses.ts';
import type { RenderTarget, Started } from './harnesses.ts';

const op = (key: string, value: string, action: WriteOp['action'] = 'create'): WriteOp => ({
  key,
  action,
  value: new Secret(value),
  secret: false,
});

let started: Started<RenderTarget> | undefined;
afterEach(async () => {
  await started?.close();
  started = undefined;
});

describe('render', () => {
  it('never sends the replace-all PUT, whatever it writes or removes', async () => {
    started = await renderService.start({ KEEP: 'k', CHANGE: 'old', GONE: 'g' });
    const { adapter, target, endpoint } = started;
    await adapter.write(target, [op('NEW', 'n'), op('CHANGE', 'new', 'update')]);
    await adapter.remove(target, ['GONE']);
    expect(started.stored()).toEqual({ KEEP: 'k', CHANGE: 'new', NEW: 'n' });
    expect(endpoint.log.count('PUT', '/services/{serviceId}/env-vars')).toBe(0);
    expect(endpoint.log.count('PUT', '/services/{serviceId}/env-vars/{envVarKey}')).toBe(2);
  });

  it('pages service variables with the largest page and stops at the empty page', async () => {
    started = await renderService.start(
      Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`K${i}`, `v${i}`])),
    );
    expect((await started.adapter.list(started.target)).size).toBe(150);
    // 100 + 50, then the empty page that marks the end.
    expect(started.endpoint.log.count('GET', '/services/{serviceId}/env-vars')).toBe(3);
  });

  it('writes env group variables one key at a time', async () => {
    started = await renderEnvGroup.start({ KEEP: 'k' });
    await started.adapter.write(started.target, [op('ADDED', 'a')]);
    expect(started.stored()).toEqual({ KEEP: 'k', ADDED: 'a' });
    expect(started.endpoint.log.count('PUT', '/env-groups/{envGroupId}/env-vars/{envVarKey}')).toBe(1);
  });

  it('starts a deploy on request', async () => {
    started = await renderService.start();
    const { deployId } = await started.adapters.render.redeploy(SERVICE_ID);
    expect(deployId).toEqual(expect.any(String));
    expect((started.endpoint as RenderSandbox).inspect.deploys(SERVICE_ID)).toHaveLength(1);
  });

  it('does not resend a deploy whose answer was a 503', async () => {
    started = await renderService.start();
    started.endpoint.faults = { sequence: ['503'], match: { methods: ['POST'] } };
    const error = await started.adapters.render.redeploy(SERVICE_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderServerError);
    expect(started.endpoint.log.count('POST', '/services/{serviceId}/deploys')).toBe(1);
  });

  it('paces writes to the budget Render announces (100 a minute, not the documented 30), never a 429', async () => {
    started = await renderService.start();
    const ops = Array.from({ length: 150 }, (_, i) => op(`K${i}`, `v${i}`));
    const outcomes = await started.adapter.write(started.target, ops);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const writes = started.endpoint.log.entries.filter((e) => e.method === 'PUT').map((e) => e.at);
    const minute = 60_000 * TIME_SCALE;
    const busiest = Math.max(...writes.map((s) => writes.filter((t) => t >= s && t < s + minute).length));
    expect(busiest).toBeLessThanOrEqual(100);
    // More than the documented 30 went in one minute: the announced budget was adopted.
    expect(busiest).toBeGreaterThan(30);
    expect(started.endpoint.log.entries.filter((e) => e.status === 429)).toEqual([]);
  });
});
