/**
 * A provider's JSON API as the adapters see it: base URL, auth headers, `fetchWithRetry`, and
 * non-2xx answers turned into the named errors. One per adapter, created by its factory.
 */
import * as v from 'valibot';
import { ProviderError, errorForResponse } from './errors.ts';
import type { RemoteProviderId } from './errors.ts';
import { fetchWithRetry } from './http.ts';
import type { RetryOptions } from './http.ts';
import type { Clock, PaceBudget, PaceShare, Pacer } from './pacer.ts';
import type { ResetHeaderStyle } from './retry-policy.ts';

/** What every remote adapter accepts besides its credentials. */
export interface TransportOptions {
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * Multiplies every sleep and pacing window: `0.001` runs a provider minute in 60 ms. Tests pass
   * the same value to the sandbox. @default 1
   */
  readonly timeScale?: number;
  readonly retry?: RetryOptions;
  /**
   * Replaces the provider's pacing budgets.
   * @default GITHUB_BUDGETS (80 writes a minute, 500 an hour, 500 reads a minute), RENDER_BUDGETS
   * (30 writes, 400 reads a minute), NETLIFY_BUDGETS (500 requests a minute)
   */
  readonly budgets?: readonly PaceBudget[];
  /** Requests in flight at once to this provider. @default GitHub 1 (its guidance), Render 2, Netlify 4 */
  readonly concurrency?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Random in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** @default 'envsync/0.1' */
  readonly userAgent?: string;
  /**
   * Where a token's budgets are shared with other runs (Blobs: see store/pacing.ts), found by
   * provider, API root and token. @default none: this run's own record only
   */
  readonly paceShare?: (provider: string, baseUrl: string, token: string) => PaceShare;
}

export const DEFAULT_USER_AGENT = 'envsync/0.1';

/**
 * A credential that changes during a run (GitHub App installation tokens): asked for the
 * `Authorization` header of each request, and told when the provider answered 401 to it.
 */
export interface ClientAuth {
  /** The header for a request to `path` (the URL's path below the API root). */
  header(path: string): Promise<string>;
  /** After a 401 to `used`: forgets it and says whether one retry with a fresh header is worth it. */
  rejected(used: string): boolean;
}

export interface ApiClientConfig {
  readonly provider: RemoteProviderId;
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly resetHeader: ResetHeaderStyle;
  readonly pacer: Pacer;
  /** The setting that holds the base URL (`GITHUB_API_URL`…), named when the host is unreachable. */
  readonly apiUrlSetting: string;
  readonly transport: TransportOptions;
  /** Replaces a fixed `Authorization` header in `headers`. */
  readonly auth?: ClientAuth;
}

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, segments already encoded (use `segment()`), or an absolute URL on the same origin. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** JSON-encoded as the request body. The only place a value may travel. */
  readonly body?: unknown;
  /** The variable the request is about, named in errors. */
  readonly key?: string;
  /** Plaintext values carried by the body: removed from any error text. */
  readonly values?: readonly string[];
  /** See `RetryableRequest.retrySafe`. */
  readonly retrySafe?: boolean;
  /** Statuses returned to the caller instead of thrown (404 for "absent", 409 for "exists"). */
  readonly accept?: readonly number[];
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; undefined when empty. */
  readonly data: unknown;
}

export interface ApiClient {
  readonly baseUrl: string;
  request(req: ApiRequest): Promise<ApiResponse>;
  /** Writes a minute the provider's budget allows now (see `Pacer.writesPerMinute`). */
  writesPerMinute(): number;
}

/** Encodes one path segment (a key, an owner, an id). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

export function createApiClient(config: ApiClientConfig): ApiClient {
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');

  function urlFor(req: ApiRequest): URL {
    const url = /^https?:\/\//i.test(req.path) ? new URL(req.path) : new URL(baseUrl + req.path);
    // A `Link` or cursor URL pointing elsewhere must never receive the token.
    if (url.origin !== origin) {
      throw new ProviderError(
        `[envsync] [${config.provider}] refusing to send the token to ${url.origin} (not ${origin})`,
        {
          provider: config.provider,
          key: req.key,
        },
      );
    }
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  return {
    baseUrl,
    writesPerMinute: () => config.pacer.writesPerMinute(),
    async request(req) {
      const url = urlFor(req);
      const headers: Record<string, string> = { ...config.headers };
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      const { auth } = config;
      const path = url.pathname.slice(basePath.length);
      if (auth) headers.Authorization = await auth.header(path);
      let answer = await send(req, url, headers);
      // An installation token that expired on the provider's clock before ours: one fresh try.
      if (answer.status === 401 && auth && headers.Authorization && auth.rejected(headers.Authorization)) {
        headers.Authorization = await auth.header(path);
        answer = await send(req, url, headers);
      }
      const ok = answer.status >= 200 && answer.status < 300;
      if (!ok && !(req.accept ?? []).includes(answer.status)) {
        throw errorForResponse(answer.status, answer.headers, answer.bodyText, {
          provider: config.provider,
          method: req.method,
          path: url.pathname,
          key: req.key,
          values: req.values,
          retryAfterMs: answer.retryAfterMs,
        });
      }
      return { status: answer.status, headers: answer.headers, data: parseJson(answer.bodyText) };
    },
  };

  function send(req: ApiRequest, url: URL, headers: Record<string, string>) {
    return fetchWithRetry(
      {
        url: url.toString(),
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        retrySafe: req.retrySafe,
        key: req.key,
      },
      {
        ...config.transport.retry,
        provider: config.provider,
        fetch: config.transport.fetch,
        resetHeader: config.resetHeader,
        pacer: config.pacer,
        timeScale: config.transport.timeScale,
        clock: config.transport.clock,
        random: config.transport.random,
        apiUrlSetting: config.apiUrlSetting,
      },
    );
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Checks a response body against the shape the adapter relies on. The error names the path of the
 * first mismatch but never the received data: provider responses can hold values.
 */
export function decode<const S extends v.GenericSchema>(
  schema: S,
  data: unknown,
  where: { readonly provider: RemoteProviderId; readonly what: string },
): v.InferOutput<S> {
  const result = v.safeParse(schema, data);
  if (result.success) return result.output;
  const path = result.issues[0] ? (v.getDotPath(result.issues[0]) ?? '(root)') : '(root)';
  throw new ProviderError(
    `[envsync] [${where.provider}] unexpected response to ${where.what}: ${path} is not what the API documents`,
    { provider: where.provider },
  );
}
