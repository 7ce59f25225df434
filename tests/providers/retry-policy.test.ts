import { describe, expect, it } from 'vitest';
import {
  EPOCH_RESET_MARGIN_MS,
  GITHUB_RESET,
  NETLIFY_RESET,
  RENDER_RESET,
  announcedBudget,
  backoffDelayMs,
  classifyNetworkError,
  isIdempotentMethod,
  isWriteMethod,
  parseRetryAfterMs,
  rateLimitWaitMs,
  resetWaitMs,
} from '../../src/providers/retry-policy.ts';

const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('backoffDelayMs (exponential, full jitter)', () => {
  it('is a random share of base·2^attempt', () => {
    expect(backoffDelayMs(0, 500, 30_000, () => 0)).toBe(0);
    expect(backoffDelayMs(0, 500, 30_000, () => 0.5)).toBe(250);
    expect(backoffDelayMs(3, 500, 30_000, () => 0.5)).toBe(2_000);
  });

  it('never exceeds the cap', () => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      expect(backoffDelayMs(attempt, 500, 30_000, () => 0.999_999)).toBeLessThan(30_000);
    }
  });
});

describe('parseRetryAfterMs', () => {
  it('reads seconds', () => {
    expect(parseRetryAfterMs('120', NOW)).toBe(120_000);
    expect(parseRetryAfterMs(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfterMs('1.5', NOW)).toBe(1_500);
  });

  it('reads an HTTP date', () => {
    expect(parseRetryAfterMs(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfterMs(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfterMs(null, NOW)).toBeUndefined();
    expect(parseRetryAfterMs('', NOW)).toBeUndefined();
    expect(parseRetryAfterMs('soon', NOW)).toBeUndefined();
    expect(parseRetryAfterMs('-5', NOW)).toBeUndefined();
  });
});

describe('resetWaitMs', () => {
  const epoch = (msFromNow: number) => String(Math.floor((NOW + msFromNow) / 1000));

  it('waits until GitHub and Netlify epoch resets when nothing remains', () => {
    const headers = new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': epoch(42_000) });
    expect(resetWaitMs(headers, GITHUB_RESET, NOW)).toBe(42_000 + EPOCH_RESET_MARGIN_MS);
    expect(resetWaitMs(headers, NETLIFY_RESET, NOW)).toBe(42_000 + EPOCH_RESET_MARGIN_MS);
  });

  it('reads Render reset as seconds from now', () => {
    const headers = new Headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': '42' });
    expect(resetWaitMs(headers, RENDER_RESET, NOW)).toBe(42_000);
  });

  it('does not wait while requests remain', () => {
    const headers = new Headers({ 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': epoch(42_000) });
    expect(resetWaitMs(headers, GITHUB_RESET, NOW)).toBeUndefined();
  });

  it('never waits a negative time', () => {
    const headers = new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': epoch(-60_000) });
    expect(resetWaitMs(headers, GITHUB_RESET, NOW)).toBe(EPOCH_RESET_MARGIN_MS);
  });
});

describe('rateLimitWaitMs', () => {
  it('prefers Retry-After over the reset header', () => {
    const headers = new Headers({ 'retry-after': '7', 'ratelimit-remaining': '0', 'ratelimit-reset': '42' });
    expect(rateLimitWaitMs(429, headers, RENDER_RESET, NOW)).toBe(7_000);
  });

  it('on a 429 takes the reset header when it does not say what remains', () => {
    expect(rateLimitWaitMs(429, new Headers({ 'ratelimit-reset': '9' }), RENDER_RESET, NOW)).toBe(9_000);
  });

  it('ignores the reset of a window that still has room (a secondary limit)', () => {
    const headers = new Headers({
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(NOW / 1000) + 3600),
    });
    expect(rateLimitWaitMs(429, headers, GITHUB_RESET, NOW)).toBeUndefined();
  });

  it('says nothing when the provider said nothing', () => {
    expect(rateLimitWaitMs(429, new Headers(), GITHUB_RESET, NOW)).toBeUndefined();
  });
});

describe('classifyNetworkError', () => {
  const fetchFailed = (code: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

  it('knows a refused connection never reached the server', () => {
    expect(classifyNetworkError(fetchFailed('ECONNREFUSED'))).toEqual({
      reason: 'connection refused',
      ambiguous: false,
      permanent: false,
    });
  });

  it('does not retry a host that does not exist', () => {
    expect(classifyNetworkError(fetchFailed('ENOTFOUND'))).toMatchObject({
      ambiguous: false,
      permanent: true,
    });
  });

  it('treats resets and timeouts as ambiguous', () => {
    expect(classifyNetworkError(fetchFailed('ECONNRESET'))).toMatchObject({
      ambiguous: true,
      permanent: false,
    });
    expect(classifyNetworkError(fetchFailed('UND_ERR_SOCKET'))).toMatchObject({ ambiguous: true });
    expect(classifyNetworkError(new DOMException('The operation timed out.', 'TimeoutError'))).toMatchObject({
      reason: 'timed out',
      ambiguous: true,
    });
  });

  it('reads the code of the first error of an AggregateError', () => {
    const cause = Object.assign(
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
      {},
    );
    expect(classifyNetworkError(new TypeError('fetch failed', { cause }))).toMatchObject({
      reason: 'connection refused',
    });
  });

  it('leaves programming errors alone', () => {
    expect(classifyNetworkError(new RangeError('bad'))).toBeUndefined();
    expect(classifyNetworkError('string')).toBeUndefined();
  });
});

describe('methods', () => {
  it('treats one-key PUT, PATCH and DELETE as idempotent and POST as not', () => {
    expect(['GET', 'PUT', 'PATCH', 'DELETE'].every(isIdempotentMethod)).toBe(true);
    expect(isIdempotentMethod('POST')).toBe(false);
  });

  it('counts everything but reads as a write', () => {
    expect(isWriteMethod('GET')).toBe(false);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].every(isWriteMethod)).toBe(true);
  });
});

describe('announcedBudget', () => {
  it("reads Render's delta reset and GitHub's epoch reset, and ignores what it cannot read", () => {
    const render = new Headers({
      'Ratelimit-Limit': '100',
      'Ratelimit-Remaining': '97',
      'Ratelimit-Reset': '42',
    });
    expect(announcedBudget(render, RENDER_RESET, 0)).toEqual({ limit: 100, remaining: 97, resetMs: 42_000 });
    const github = new Headers({
      'X-RateLimit-Limit': '5000',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '100',
    });
    expect(announcedBudget(github, GITHUB_RESET, 40_000)).toEqual({
      limit: 5000,
      remaining: 0,
      resetMs: 60_000 + EPOCH_RESET_MARGIN_MS,
    });
    const junk = new Headers({
      'Ratelimit-Limit': '0',
      'Ratelimit-Remaining': '-1',
      'Ratelimit-Reset': 'soon',
    });
    expect(announcedBudget(junk, RENDER_RESET, 0)).toEqual({});
  });
});
