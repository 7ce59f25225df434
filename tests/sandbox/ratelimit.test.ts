import { describe, expect, it } from 'vitest';
import { startGitHubSandbox, startNetlifySandbox, startRenderSandbox } from '../../src/sandbox/index.ts';
import { adminClient, client, sleep } from './http-client.ts';

// With timeScale 0.01 a minute lasts 600 ms (room for a slow machine); headers keep real-world seconds.
const SCALE = 0.01;
// For hourly budgets: an hour lasts 720 ms.
const HOUR_SCALE = 0.0002;

/** How long to wait for `seconds` of sandbox time, as a client honouring x-sandbox-time-scale would. */
const scaledWait = (seconds: number, scale: number) => sleep(seconds * 1000 * scale + 15);

describe('GitHub budgets', () => {
  it('spends the primary budget, answers 403 with remaining 0, and refills after the scaled hour', async () => {
    const gh = await startGitHubSandbox({
      seed: { repos: [{ owner: 'o', name: 'r' }] },
      timeScale: HOUR_SCALE,
      limits: { requestsPerHour: 3 },
    });
    try {
      const api = client(gh.url, gh.token);
      for (let i = 0; i < 3; i++) expect((await api.get('/repos/o/r/actions/secrets')).status).toBe(200);
      const over = await api.get<{ message: string }>('/repos/o/r/actions/secrets');
      expect(over.status).toBe(403);
      expect(over.body.message).toBe('API rate limit exceeded for user ID 1.');
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(over.headers.get('x-ratelimit-used')).toBe('3');
      expect(over.headers.get('x-sandbox-time-scale')).toBe(String(HOUR_SCALE));
      const waitSeconds = Number(over.headers.get('x-ratelimit-reset')) - Math.floor(Date.now() / 1000);
      expect(waitSeconds).toBeGreaterThan(2000); // a few real ms of requests are many sandbox seconds at this scale
      expect(waitSeconds).toBeLessThanOrEqual(3601);
      expect((await api.get<{ rate: { remaining: number } }>('/rate_limit')).body.rate.remaining).toBe(0);
      await scaledWait(waitSeconds, HOUR_SCALE);
      expect((await api.get('/repos/o/r/actions/secrets')).status).toBe(200);
    } finally {
      await gh.close();
    }
  });

  it('applies the secondary limit on content-creating requests with retry-after, and 429 when configured', async () => {
    const gh = await startGitHubSandbox({
      seed: { repos: [{ owner: 'o', name: 'r' }] },
      timeScale: SCALE,
      limits: { writesPerMinute: 2, exceededStatus: 429 },
    });
    try {
      const api = client(gh.url, gh.token);
      expect((await api.post('/repos/o/r/actions/variables', { name: 'A', value: '1' })).status).toBe(201);
      expect((await api.post('/repos/o/r/actions/variables', { name: 'B', value: '1' })).status).toBe(201);
      const over = await api.post<{ message: string }>('/repos/o/r/actions/variables', {
        name: 'C',
        value: '1',
      });
      expect(over.status).toBe(429);
      expect(over.body.message).toMatch(/^You have exceeded a secondary rate limit/);
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(gh.inspect.variables({ repo: 'o/r' })).not.toHaveProperty('C');
      expect((await api.get('/repos/o/r/actions/variables')).status).toBe(200);
      await scaledWait(retryAfter, SCALE);
      expect((await api.post('/repos/o/r/actions/variables', { name: 'C', value: '1' })).status).toBe(201);
    } finally {
      await gh.close();
    }
  });

  it('limits requests in flight per token', async () => {
    const gh = await startGitHubSandbox({
      seed: { repos: [{ owner: 'o', name: 'r' }] },
      latencyMs: 100,
      limits: { concurrentRequests: 2 },
    });
    try {
      const api = client(gh.url, gh.token);
      const statuses = await Promise.all(
        [1, 2, 3].map(() => api.get('/repos/o/r/actions/secrets').then((r) => r.status)),
      );
      expect(statuses.sort()).toEqual([200, 200, 403]);
    } finally {
      await gh.close();
    }
  });
});

describe('Render budgets', () => {
  it('counts GETs and writes apart, and answers 429 {"message":"rate limit exceeded"} with Retry-After', async () => {
    const service = 'srv-r0000000000000000001';
    const render = await startRenderSandbox({
      seed: { services: [{ id: service, name: 'web' }] },
      timeScale: SCALE,
      limits: { writesPerMinute: 2 },
    });
    try {
      const api = client(render.url, render.token);
      const first = await api.put(`/services/${service}/env-vars/A`, { value: '1' });
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(50);
      await api.put(`/services/${service}/env-vars/A`, { value: '2' });
      const over = await api.put<{ message: string }>(`/services/${service}/env-vars/A`, { value: '3' });
      expect(over.status).toBe(429);
      expect(over.body).toEqual({ message: 'rate limit exceeded' });
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(render.inspect.envVars(service)).toEqual({ A: '2' });
      const read = await api.get(`/services/${service}/env-vars`);
      expect(read.status).toBe(200);
      expect(read.headers.get('ratelimit-limit')).toBe('400');
      await scaledWait(retryAfter, SCALE);
      expect((await api.put(`/services/${service}/env-vars/A`, { value: '3' })).status).toBe(200);
    } finally {
      await render.close();
    }
  });

  it('allows 10 deploys a minute per service', async () => {
    const services = ['srv-r0000000000000000001', 'srv-r0000000000000000002'];
    const render = await startRenderSandbox({ seed: { services: services.map((id) => ({ id, name: id })) } });
    try {
      const api = client(render.url, render.token);
      for (let i = 0; i < 10; i++)
        expect((await api.post(`/services/${services[0] ?? ''}/deploys`)).status).toBe(201);
      const over = await api.post(`/services/${services[0] ?? ''}/deploys`);
      expect(over.status).toBe(429);
      expect(over.headers.get('ratelimit-limit')).toBe('10');
      expect((await api.post(`/services/${services[1] ?? ''}/deploys`)).status).toBe(201);
      expect(render.inspect.deploys(services[0] ?? '')).toHaveLength(10);
    } finally {
      await render.close();
    }
  });

  it('defaults to the recorded buckets: 400 reads, 100 writes', async () => {
    const render = await startRenderSandbox({
      seed: { services: [{ id: 'srv-r0000000000000000001', name: 'web' }] },
    });
    try {
      const api = client(render.url, render.token);
      expect(
        (await api.get('/services/srv-r0000000000000000001/env-vars')).headers.get('ratelimit-limit'),
      ).toBe('400');
      expect(
        (await api.put('/services/srv-r0000000000000000001/env-vars', [])).headers.get('ratelimit-limit'),
      ).toBe('100');
    } finally {
      await render.close();
    }
  });
});

describe('Netlify budget', () => {
  it('answers 429 once the minute is spent, with an epoch reset, then recovers', async () => {
    const netlify = await startNetlifySandbox({
      seed: { accounts: [{ id: 'a1', slug: 'a' }] },
      timeScale: SCALE,
      limits: { requestsPerMinute: 3 },
    });
    try {
      const api = client(netlify.url, netlify.token);
      for (let i = 0; i < 3; i++) expect((await api.get('/accounts/a1/env')).status).toBe(200);
      const over = await api.get<{ code: number }>('/accounts/a1/env');
      expect(over.status).toBe(429);
      expect(over.body.code).toBe(429);
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      const waitSeconds = Number(over.headers.get('x-ratelimit-reset')) - Math.floor(Date.now() / 1000);
      expect(waitSeconds).toBeGreaterThan(0);
      expect(waitSeconds).toBeLessThanOrEqual(61);
      await scaledWait(waitSeconds, SCALE);
      expect((await api.get('/accounts/a1/env')).status).toBe(200);
      expect((await adminClient(netlify).post('/rate-limits/reset')).status).toBe(204);
    } finally {
      await netlify.close();
    }
  });
});
