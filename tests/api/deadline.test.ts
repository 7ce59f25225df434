/**
 * A door answers before its platform limit whatever a provider does: provider calls end at the
 * deadline, a scheduled check records a `timeout`, a request gets a 504. Before, a provider that
 * never answered held the function past Netlify's 30 s, and nothing was recorded.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handleApi } from '../../src/api/index.ts';
import { runScheduledCheck } from '../../src/api/scheduled.ts';
import { apiHarness, TOKENS } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((c) => c()));
});

/** A "Render API" that takes every request and never answers. */
async function silentProvider(): Promise<string> {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => held.push(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

async function harness(): Promise<ApiHarness> {
  const api = await apiHarness(
    'source: manifest\nseed: seed.env\ntargets:\n  api: { provider: render, service: srv-silent }\n',
    { RENDER_API_URL: await silentProvider(), RENDER_API_KEY: 'rnd_silent' },
  );
  cleanup.push(() => api.close());
  return api;
}

describe('deadlines', () => {
  it('the scheduled check records a timeout instead of running past its limit', async () => {
    const api = await harness();
    const started = Date.now();
    const outcome = await runScheduledCheck(api.deps, undefined, 600);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome).toMatchObject({ timeout: true });
    const [entry] = (await api.deps.records.audit.list({ limit: 1 })).items;
    expect(entry).toMatchObject({ action: 'drift-check', outcome: 'timeout', error: 'DeadlineError' });
  });

  it('a request that needs a silent provider gets a 504 before the door is cut off', async () => {
    const api = await harness();
    const started = Date.now();
    const res = await handleApi(
      new Request('http://localhost/api/plan', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.admiral}`, 'content-type': 'application/json' },
        body: '{}',
      }),
      { env: api.env, deadlineMs: 600 },
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: 'provider_timeout' } });
  });
});
