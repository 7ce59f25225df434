import { describe, expect, it } from 'vitest';
import {
  ProviderAuthError,
  ProviderConflictError,
  ProviderNotFoundError,
  ProviderServerError,
  ProviderValidationError,
  RateLimitError,
  errorForResponse,
  providerMessage,
  scrubValues,
} from '../../src/providers/errors.ts';
import type { ProviderError } from '../../src/providers/errors.ts';
import { Secret } from '../../src/core/secret.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { startScriptedServer } from './scripted-server.ts';

const ctx = {
  provider: 'github',
  method: 'PUT',
  path: '/repos/o/r/actions/secrets/TOKEN',
  key: 'TOKEN',
} as const;
const body = (message: string) => JSON.stringify({ message, documentation_url: 'https://docs.github.com' });

describe('scrubValues', () => {
  it('removes every occurrence of every value, longest first', () => {
    expect(scrubValues('a hunter2 b hunter2hunter2', ['hunter2', 'hunter2hunter2'])).toBe(
      'a «redacted» b «redacted»',
    );
  });

  it('ignores empty values', () => {
    expect(scrubValues('text', [''])).toBe('text');
  });
});

describe('providerMessage', () => {
  it('takes the message, scrubbed and capped', () => {
    expect(providerMessage(body('value s3cret is invalid'), ['s3cret'])).toBe('value «redacted» is invalid');
    expect(providerMessage(body('x'.repeat(1000)), [])?.length).toBeLessThanOrEqual(301);
  });

  it('is undefined for bodies without one', () => {
    expect(providerMessage('<html>', [])).toBeUndefined();
    expect(providerMessage('{}', [])).toBeUndefined();
    expect(providerMessage('null', [])).toBeUndefined();
  });
});

describe('errorForResponse', () => {
  const cases: [number, Record<string, string>, string, new (...args: never[]) => ProviderError][] = [
    [400, {}, 'bad', ProviderValidationError],
    [422, {}, 'Validation Failed', ProviderValidationError],
    [401, {}, 'Bad credentials', ProviderAuthError],
    [403, {}, 'Resource not accessible by integration', ProviderAuthError],
    [403, { 'x-ratelimit-remaining': '0' }, 'API rate limit exceeded', RateLimitError],
    [403, {}, 'You have exceeded a secondary rate limit', RateLimitError],
    [404, {}, 'Not Found', ProviderNotFoundError],
    [409, {}, 'Already exists', ProviderConflictError],
    [429, { 'retry-after': '1' }, 'rate limit exceeded', RateLimitError],
    [500, {}, 'oops', ProviderServerError],
    [503, {}, 'unavailable', ProviderServerError],
  ];

  it.each(cases)('maps %i %j to its named error', (status, headers, message, type) => {
    const error = errorForResponse(status, new Headers(headers), body(message), ctx);
    expect(error).toBeInstanceOf(type);
    expect(error.name).toBe(type.name);
    expect(error).toMatchObject({ provider: 'github', status, key: 'TOKEN' });
    expect(error.message).toContain(message);
  });

  it('names the request id from any provider header', () => {
    for (const header of ['x-github-request-id', 'x-request-id', 'x-nf-request-id', 'rndr-id']) {
      const error = errorForResponse(404, new Headers({ [header]: 'req-1' }), '{}', ctx);
      expect(error.requestId).toBe('req-1');
      expect(error.message).toContain('req-1');
    }
  });

  it('never carries a value the provider echoed', () => {
    const error = errorForResponse(422, new Headers(), body('value p@ss-w0rd is too long'), {
      ...ctx,
      values: ['p@ss-w0rd'],
    });
    expect(error.message).not.toContain('p@ss-w0rd');
    expect(JSON.stringify(error)).not.toContain('p@ss-w0rd');
  });

  it('says what to check on auth and not-found errors', () => {
    expect(errorForResponse(401, new Headers(), '{}', ctx).message).toMatch(/check the token/);
    expect(errorForResponse(404, new Headers(), '{}', ctx).message).toMatch(/check the ids/);
  });

  it('keeps the wait a rate limit asked for', () => {
    const error = errorForResponse(429, new Headers(), '{}', { ...ctx, retryAfterMs: 3_600_000 });
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
  });
});

describe('a provider that echoes the value it refused', () => {
  const value = '  Tr1cky "pa$$" \\ wörd\n  ';
  const forms = [
    value.trim(),
    value.slice(0, 9),
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value).toString('base64'),
    encodeURIComponent(value),
  ];

  it.each(forms.map((form, i) => [i, form]))('keeps no form of it (%i) in the outcome', async (_i, form) => {
    const server = await startScriptedServer([
      {
        status: 422,
        headers: { 'rndr-id': 'req-echo' },
        body: { message: `invalid value "${form}" for key` },
      },
    ]);
    try {
      const adapters = createAdapters({
        render: { baseUrl: server.url, token: 'rnd_x' },
        github: { token: 'x' },
        netlify: { token: 'x' },
      });
      const target = {
        id: 'render',
        provider: 'render',
        scope: { kind: 'service', serviceId: 'srv-1' },
      } as const;
      const [outcome] = await adapters.render.write(target, [
        { key: 'API_TOKEN', action: 'update', value: new Secret(value), secret: true },
      ]);
      expect(outcome?.ok).toBe(false);
      const text = outcome && !outcome.ok ? `${outcome.error.message} ${JSON.stringify(outcome.error)}` : '';
      expect(text).toContain('422');
      expect(text).toContain('req-echo');
      expect(text).toContain('API_TOKEN');
      for (const f of forms) expect(text).not.toContain(f);
      expect(outcome && !outcome.ok && outcome.error).toMatchObject({ refusal: 'value' });
    } finally {
      await server.close();
    }
  });
});
