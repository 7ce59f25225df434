import { afterEach, describe, expect, it } from 'vitest';
import { ProviderUnreachableError } from '../../src/providers/errors.ts';
import { fetchWithRetry } from '../../src/providers/http.ts';
import type { FetchWithRetryOptions, RetryableRequest } from '../../src/providers/http.ts';
import { Pacer } from '../../src/providers/pacer.ts';
import { withDeadline } from '../../src/providers/stop.ts';
import type { Clock } from '../../src/providers/pacer.ts';
import { EPOCH_RESET_MARGIN_MS, GITHUB_RESET, RENDER_RESET } from '../../src/providers/retry-policy.ts';
import { startScriptedServer } from './scripted-server.ts';
import type { ScriptedServer, Step } from './scripted-server.ts';

/** Real time plus whatever was slept, and sleeps return at once: the waits asked for are what we check. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  let skipped = 0;
  return {
    sleeps,
    now: () => Date.now() + skipped,
    sleep: (ms) => {
      sleeps.push(ms);
      skipped += ms;
      return Promise.resolve();
    },
  };
}

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(
  steps: Step[],
  request: Partial<RetryableRequest> = {},
  options: Partial<FetchWithRetryOptions> = {},
) {
  server = await startScriptedServer(steps);
  const clock = recordingClock();
  const result = fetchWithRetry(
    { url: `${server.url}/thing`, method: 'GET', headers: {}, ...request },
    { provider: 'render', resetHeader: RENDER_RESET, clock, random: () => 0.5, ...options },
  );
  return { result, clock, server };
}

describe('fetchWithRetry', () => {
  it('returns the first answer when it is fine', async () => {
    const { result, server } = await run([{ status: 200, body: { ok: 1 } }]);
    const answer = await result;
    expect(answer).toMatchObject({ status: 200, attempts: 1, bodyText: '{"ok":1}' });
    expect(server.seen).toHaveLength(1);
  });

  it('honours Retry-After on a 429, then succeeds', async () => {
    const { result, clock } = await run([{ status: 429, headers: { 'retry-after': '3' } }, { status: 200 }]);
    expect(await result).toMatchObject({ status: 200, attempts: 2 });
    expect(clock.sleeps).toEqual([3_000]);
  });

  it('backs off with jitter on a 429 without Retry-After', async () => {
    const { result, clock } = await run([{ status: 429 }, { status: 429 }, { status: 200 }]);
    expect(await result).toMatchObject({ status: 200, attempts: 3 });
    // random() = 0.5 of 500·2^attempt.
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('waits for Render Ratelimit-Reset when it is the only hint', async () => {
    const { result, clock } = await run([
      { status: 429, headers: { 'ratelimit-reset': '12' } },
      { status: 200 },
    ]);
    await result;
    expect(clock.sleeps).toEqual([12_000]);
  });

  it('waits for GitHub x-ratelimit-reset on a 403 with nothing remaining', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    const { result, clock } = await run(
      [
        {
          status: 403,
          headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
          body: { message: 'API rate limit exceeded' },
        },
        { status: 200 },
      ],
      {},
      { provider: 'github', resetHeader: GITHUB_RESET },
    );
    expect(await result).toMatchObject({ status: 200 });
    expect(clock.sleeps[0]).toBeGreaterThan(28_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(30_000 + EPOCH_RESET_MARGIN_MS);
  });

  it('waits at least a minute on a GitHub secondary limit that names no time', async () => {
    const { result, clock } = await run(
      [{ status: 403, body: { message: 'You have exceeded a secondary rate limit.' } }, { status: 201 }],
      { method: 'PUT' },
      { provider: 'github', resetHeader: GITHUB_RESET },
    );
    expect(await result).toMatchObject({ status: 201 });
    expect(clock.sleeps).toEqual([60_000]);
  });

  it('treats a GitHub 429 that names no time as a secondary limit, not as the hourly reset', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 3_000);
    const { result, clock } = await run(
      [
        { status: 429, headers: { 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': reset } },
        { status: 204 },
      ],
      { method: 'DELETE' },
      { provider: 'github', resetHeader: GITHUB_RESET },
    );
    expect(await result).toMatchObject({ status: 204 });
    expect(clock.sleeps).toEqual([60_000]);
  });

  it('does not retry a 403 that is about permissions', async () => {
    const { result, server } = await run(
      [{ status: 403, body: { message: 'Resource not accessible' } }],
      {},
      { provider: 'github', resetHeader: GITHUB_RESET },
    );
    expect(await result).toMatchObject({ status: 403, attempts: 1 });
    expect(server.seen).toHaveLength(1);
  });

  it.each([500, 502, 503])('retries a %i on an idempotent request', async (status) => {
    const { result } = await run([{ status }, { status }, { status: 200 }], { method: 'PUT', body: '{}' });
    expect(await result).toMatchObject({ status: 200, attempts: 3 });
  });

  it('does not resend a POST after a 5xx unless marked safe', async () => {
    const unsafe = await run([{ status: 502 }, { status: 201 }], { method: 'POST', body: '[]' });
    expect(await unsafe.result).toMatchObject({ status: 502, attempts: 1 });
    await unsafe.server.close();
    const safe = await run([{ status: 502 }, { status: 201 }], {
      method: 'POST',
      body: '[]',
      retrySafe: true,
    });
    expect(await safe.result).toMatchObject({ status: 201, attempts: 2 });
  });

  it('resends a POST refused with 429: it was not applied', async () => {
    const { result } = await run([{ status: 429, headers: { 'retry-after': '0' } }, { status: 201 }], {
      method: 'POST',
      body: '[]',
    });
    expect(await result).toMatchObject({ status: 201, attempts: 2 });
  });

  it('converges through connection resets on an idempotent request', async () => {
    const { result, server } = await run([{ reset: true }, { reset: true }, { status: 200 }], {
      method: 'DELETE',
    });
    expect(await result).toMatchObject({ status: 200, attempts: 3 });
    expect(server.seen).toHaveLength(3);
  });

  it('never resends a POST whose connection reset: its fate is unknown', async () => {
    const { result, server } = await run([{ reset: true }, { status: 201 }], { method: 'POST', body: '[]' });
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect(error).toMatchObject({ ambiguous: true, provider: 'render' });
    expect((error as Error).message).toMatch(/may or may not have been applied/);
    expect(server.seen).toHaveLength(1);
  });

  it('times out a stalled attempt and tries again', async () => {
    const { result } = await run(
      [
        { stallMs: 500, then: { status: 200 } },
        { status: 200, body: { second: true } },
      ],
      {},
      { attemptTimeoutMs: 100 },
    );
    expect(await result).toMatchObject({ status: 200, bodyText: '{"second":true}', attempts: 2 });
  });

  it('gives up with ProviderUnreachableError naming the host and the setting', async () => {
    server = await startScriptedServer();
    const { url } = server;
    await server.close();
    server = undefined;
    const error = await fetchWithRetry(
      { url: `${url}/x`, method: 'GET', headers: {} },
      {
        provider: 'netlify',
        resetHeader: RENDER_RESET,
        clock: recordingClock(),
        maxAttempts: 3,
        apiUrlSetting: 'NETLIFY_API_URL',
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect(error).toMatchObject({
      name: 'ProviderUnreachableError',
      host: new URL(url).host,
      ambiguous: false,
    });
    expect((error as Error).message).toMatch(/connection refused/);
    expect((error as Error).message).toMatch(/firewall/);
    expect((error as Error).message).toContain('NETLIFY_API_URL');
  });

  it('stops waiting when the wait would pass maxTotalWaitMs, returning the 429', async () => {
    const { result, clock } = await run(
      [{ status: 429, headers: { 'retry-after': '3600' } }],
      {},
      { maxTotalWaitMs: 300_000 },
    );
    expect(await result).toMatchObject({ status: 429, retryAfterMs: 3_600_000, attempts: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it('stops after maxAttempts', async () => {
    const { result, server } = await run(
      [{ status: 503 }, { status: 503 }, { status: 503 }],
      {},
      { maxAttempts: 2 },
    );
    expect(await result).toMatchObject({ status: 503, attempts: 2 });
    expect(server.seen).toHaveLength(2);
  });

  it('scales every wait by timeScale', async () => {
    const { result, clock } = await run(
      [{ status: 429, headers: { 'retry-after': '60' } }, { status: 200 }],
      {},
      { timeScale: 0.001 },
    );
    await result;
    expect(clock.sleeps).toEqual([60]);
  });

  it('holds later requests when a response says the budget is spent', async () => {
    const clock = recordingClock();
    const pacer = new Pacer({ budgets: [], clock });
    const { result } = await run(
      [{ status: 200, headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': '5' } }],
      {},
      { pacer, clock },
    );
    await result;
    await pacer.acquire(false);
    expect(clock.sleeps[0]).toBeGreaterThan(4_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(5_000);
  });

  it('a request that waited for a slot past the deadline is not sent: the run ends at its deadline', async () => {
    // Twelve reads, two at a time, each answered in 300 ms: 1.8 s of work against a 700 ms deadline.
    server = await startScriptedServer(
      Array.from({ length: 12 }, () => ({ stallMs: 300, then: { status: 200 } })),
    );
    const clock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const pacer = new Pacer({ budgets: [], clock, concurrency: 2 });
    const started = Date.now();
    const results = await withDeadline(started + 700, () =>
      Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          fetchWithRetry(
            { url: `${server?.url ?? ''}/thing/${i}`, method: 'GET', headers: {} },
            { provider: 'render', resetHeader: RENDER_RESET, clock, pacer },
          ),
        ),
      ),
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(700 + 250);
    const late = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as Error).name);
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late)).toEqual(new Set(['DeadlineError']));
    // What was sent began before the deadline.
    expect(server.seen.length).toBeLessThanOrEqual(6);
  });

  it('sends the method, headers and body it was given', async () => {
    const { result, server } = await run([{ status: 204 }], {
      method: 'PATCH',
      headers: { 'x-a': 'b' },
      body: '{"v":1}',
    });
    expect(await result).toMatchObject({ status: 204, bodyText: '' });
    expect(server.seen[0]).toMatchObject({ method: 'PATCH', body: '{"v":1}' });
    expect(server.seen[0]?.headers['x-a']).toBe('b');
  });
});
