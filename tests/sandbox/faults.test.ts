import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/sandbox/faults.ts';
import type { FaultKind, RenderSandbox } from '../../src/sandbox/index.ts';
import { startGitHubSandbox, startNetlifySandbox, startRenderSandbox } from '../../src/sandbox/index.ts';
import type { Client } from './http-client.ts';
import { adminClient, client, sleep } from './http-client.ts';

const SERVICE = 'srv-f0000000000000000001';
const PUT_PATH = `/services/${SERVICE}/env-vars`;
const ROUTE = '/services/{serviceId}/env-vars';

let render: RenderSandbox;
let api: Client;

beforeEach(async () => {
  render = await startRenderSandbox({
    seed: { services: [{ id: SERVICE, name: 'web', envVars: [{ key: 'A', value: 'before' }] }] },
  });
  api = client(render.url, render.token);
});
afterEach(async () => {
  expect(render.violations).toEqual([]);
  await render.close();
});

describe('fault injection', () => {
  it.each([
    ['500', 500, 'internal server error'],
    ['502', 502, 'bad gateway'],
    ['503', 503, 'service unavailable'],
    ['429', 429, 'rate limit exceeded'],
  ] as const)('%s answers the provider error and applies nothing', async (kind, status, message) => {
    render.faults = { sequence: [kind], retryAfterSeconds: 7 };
    const faulted = await api.put<{ message: string }>(PUT_PATH, [{ key: 'A', value: 'after' }]);
    expect(faulted.status).toBe(status);
    expect(faulted.body).toEqual({ message });
    expect(faulted.headers.get('retry-after')).toBe(kind === '429' ? '7' : null);
    expect(faulted.headers.get('ratelimit-limit')).toBe('100');
    expect(render.inspect.envVars(SERVICE)).toEqual({ A: 'before' });
    expect((await api.put(PUT_PATH, [{ key: 'A', value: 'after' }])).status).toBe(200);
    expect(render.log.entries[0]).toMatchObject({ status, fault: kind, path: ROUTE });
  });

  it('429-no-retry-after leaves the header out', async () => {
    render.faults = { sequence: ['429-no-retry-after'] };
    const reply = await api.get(PUT_PATH);
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBeNull();
  });

  it('reset drops the connection and applies nothing', async () => {
    render.faults = { sequence: ['reset'] };
    await expect(api.put(PUT_PATH, [{ key: 'A', value: 'after' }])).rejects.toThrow();
    expect(render.inspect.envVars(SERVICE)).toEqual({ A: 'before' });
    expect(render.log.entries[0]).toMatchObject({ status: 0, fault: 'reset' });
  });

  it('reset-after-apply applies the write, then drops the connection', async () => {
    render.faults = { sequence: ['reset-after-apply'] };
    await expect(api.put(PUT_PATH, [{ key: 'A', value: 'after' }])).rejects.toThrow();
    expect(render.inspect.envVars(SERVICE)).toEqual({ A: 'after' });
  });

  it('stall holds the request, then applies it', async () => {
    render.faults = { sequence: ['stall'], stallMs: 150 };
    const started = Date.now();
    expect((await api.put(PUT_PATH, [{ key: 'A', value: 'after' }])).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(render.inspect.envVars(SERVICE)).toEqual({ A: 'after' });
  });

  it('stall applies nothing when the client gives up first', async () => {
    render.faults = { sequence: ['stall'], stallMs: 300 };
    const request = fetch(`${render.url}${PUT_PATH}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${render.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([{ key: 'A', value: 'after' }]),
      signal: AbortSignal.timeout(50),
    });
    await expect(request).rejects.toThrow();
    await sleep(400);
    expect(render.inspect.envVars(SERVICE)).toEqual({ A: 'before' });
    expect(render.log.entries[0]).toMatchObject({ status: 0, fault: 'stall' });
  });

  it('slow-body trickles a complete body out over slowBodyMs', async () => {
    render.faults = { sequence: ['slow-body'], slowBodyMs: 200 };
    const started = Date.now();
    const reply = await api.get<{ envVar: { key: string } }[]>(PUT_PATH);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(reply.body[0]?.envVar.key).toBe('A');
  });

  it('adds fixed latency to every request', async () => {
    render.faults = { latencyMs: 60 };
    const started = Date.now();
    await api.get(PUT_PATH);
    await api.get(PUT_PATH);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('faults only the matching methods and routes', async () => {
    render.faults = { rates: { '503': 1 }, match: { methods: ['PUT'], routes: [ROUTE] } };
    expect((await api.get(PUT_PATH)).status).toBe(200);
    expect((await api.put(`${PUT_PATH}/A`, { value: 'x' })).status).toBe(200);
    expect((await api.put(PUT_PATH, [])).status).toBe(503);
  });

  it('replays the same fault sequence for the same seed', async () => {
    const statuses = async (seed: number): Promise<number[]> => {
      render.faults = { seed, rates: { '500': 0.3, '503': 0.2 } };
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await api.get(PUT_PATH)).status);
      return out;
    };
    const first = await statuses(42);
    expect(await statuses(42)).toEqual(first);
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(3);
    expect(await statuses(7)).not.toEqual(first);
  });

  it('can be changed over the control API', async () => {
    const admin = adminClient(render);
    expect((await admin.put('/faults', { sequence: ['502'] })).status).toBe(200);
    expect((await api.get(PUT_PATH)).status).toBe(502);
    expect((await admin.put('/faults', { rates: { nope: 1 } })).status).toBe(400);
  });

  it('rejects a configuration whose rates exceed 1', () => {
    expect(() => new FaultInjector({ rates: { '500': 0.7, '503': 0.7 } })).toThrow(/more than 1/);
  });
});

describe('fault injection on GitHub and Netlify', () => {
  it('answers in each provider error format, within the contract', async () => {
    const gh = await startGitHubSandbox({
      seed: { repos: [{ owner: 'o', name: 'r' }] },
      faults: { sequence: ['503', '429'] },
    });
    const netlify = await startNetlifySandbox({
      seed: { accounts: [{ id: 'a1', slug: 'a' }] },
      faults: { sequence: ['500'] },
    });
    try {
      const ghApi = client(gh.url, gh.token);
      const unavailable = await ghApi.get<{ message: string; documentation_url: string }>(
        '/repos/o/r/actions/secrets',
      );
      expect(unavailable.status).toBe(503);
      expect(unavailable.body.documentation_url).toBeTruthy();
      const limited = await ghApi.get('/repos/o/r/actions/secrets');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      const failed = await client(netlify.url, netlify.token).get<{ code: number }>('/accounts/a1/env');
      expect(failed.body).toEqual({ code: 500, message: 'Internal Server Error' });
      expect(gh.violations).toEqual([]);
      expect(netlify.violations).toEqual([]);
    } finally {
      await gh.close();
      await netlify.close();
    }
  });

  it('records every fault kind in the log', async () => {
    const kinds: FaultKind[] = ['500', '502', '503', '429', '429-no-retry-after', 'slow-body'];
    render.faults = { sequence: kinds, slowBodyMs: 10 };
    for (let i = 0; i < kinds.length; i++) await api.get(PUT_PATH);
    expect(render.log.entries.map((e) => e.fault)).toEqual(kinds);
  });
});
