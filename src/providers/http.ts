/**
 * The one way adapters send a request: paced to the provider's budget, retried on 429, 5xx and
 * network failures with exponential backoff and full jitter, honouring `Retry-After` and the
 * provider's reset header, and never resending a non-idempotent request whose fate is unknown.
 *
 * It returns the final answer whatever its status (the caller maps statuses to named errors) and
 * throws only `ProviderUnreachableError`, when no answer came back.
 */
import { ProviderUnreachableError, isRateLimitResponse, providerMessage } from './errors.ts';
import type { RemoteProviderId } from './errors.ts';
import type { Clock, Pacer } from './pacer.ts';
import { systemClock } from './pacer.ts';
import { DeadlineError, timeLeftMs } from './stop.ts';
import {
  GITHUB_SECONDARY_MIN_WAIT_MS,
  announcedBudget,
  backoffDelayMs,
  classifyNetworkError,
  isIdempotentMethod,
  isWriteMethod,
  rateLimitWaitMs,
  resetWaitMs,
} from './retry-policy.ts';
import type { NetworkFailure, ResetHeaderStyle } from './retry-policy.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubles each attempt. @default 500 */
  readonly baseDelayMs?: number;
  /** Ceiling of one backoff sleep. @default 30_000 */
  readonly maxDelayMs?: number;
  /**
   * Most time one request may spend waiting between attempts, in provider time. A provider asking
   * for longer (an hour-long primary limit) ends the request with a `RateLimitError` instead.
   * @default 300_000
   */
  readonly maxTotalWaitMs?: number;
  /** Per-attempt timeout, in real ms (not scaled). @default 30_000 */
  readonly attemptTimeoutMs?: number;
}

export interface FetchWithRetryOptions extends RetryOptions {
  readonly provider: RemoteProviderId;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** How the provider states its reset time. */
  readonly resetHeader: ResetHeaderStyle;
  /** Paces requests to the provider's budgets; none when left out. */
  readonly pacer?: Pacer;
  /** Multiplies every sleep: `0.001` makes a minute last 60 ms. @default 1 */
  readonly timeScale?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Random in [0, 1) for jitter. @default Math.random */
  readonly random?: () => number;
  /** The setting that holds the base URL, named in unreachable errors. @default 'the API URL setting' */
  readonly apiUrlSetting?: string;
}

export interface RetryableRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * May be sent again after an ambiguous failure (reset, timeout, 5xx), when it may already have
   * been applied. Defaults to true for GET/HEAD/PUT/PATCH/DELETE. A POST that creates is safe only
   * when the caller treats "already exists" on the resend as success-or-check; it says so here.
   */
  readonly retrySafe?: boolean;
  /** The variable the request is about, for errors. */
  readonly key?: string;
}

/** The final answer, body already read, and what the retry loop learned on the way. */
export interface RetriedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly bodyText: string;
  /** The wait the provider last asked for, when it answered with a rate limit. */
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;
}

const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);

export async function fetchWithRetry(
  request: RetryableRequest,
  options: FetchWithRetryOptions,
): Promise<RetriedResponse> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const timeScale = options.timeScale ?? 1;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const maxTotalWait = options.maxTotalWaitMs ?? 300_000;
  const attemptTimeout = options.attemptTimeoutMs ?? 30_000;
  const retrySafe = request.retrySafe ?? isIdempotentMethod(request.method);
  const isWrite = isWriteMethod(request.method);

  let waited = 0;
  let retryAfterMs: number | undefined;

  for (let attempt = 0; ; attempt += 1) {
    const last = attempt + 1 >= maxAttempts;
    const backoff = backoffDelayMs(attempt, baseDelay, maxDelay, random);
    if ((timeLeftMs(clock.now()) ?? 1) <= 0) throw pastDeadline(request, options);
    const release = options.pacer ? await options.pacer.acquire(isWrite) : undefined;
    // The wait for a slot can outlast the deadline: the time left is read after it.
    const left = timeLeftMs(clock.now());
    if (left !== undefined && left <= 0) {
      release?.();
      throw pastDeadline(request, options);
    }
    let status: number;
    let headers: Headers;
    let bodyText: string;
    try {
      const response = await doFetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        // Cut to the run's deadline, when it has one (see stop.ts).
        signal: AbortSignal.timeout(
          left === undefined ? attemptTimeout : Math.max(1, Math.min(attemptTimeout, left)),
        ),
      });
      status = response.status;
      headers = response.headers;
      // Read the body inside the attempt: a reset or timeout while reading is a network failure.
      bodyText = await response.text();
    } catch (error) {
      const failure = classifyNetworkError(error);
      if (!failure) throw error;
      const remaining = timeLeftMs(clock.now());
      if (remaining !== undefined && remaining <= backoff * timeScale) throw pastDeadline(request, options);
      const mayRetry = !failure.permanent && (!failure.ambiguous || retrySafe) && !last;
      if (!mayRetry || waited + backoff > maxTotalWait) throw unreachable(request, options, failure, error);
      waited += backoff;
      await clock.sleep(backoff * timeScale);
      continue;
    } finally {
      // The slot is held until the answer is read: only then is the provider done with it.
      release?.();
    }
    noteExhaustedBudget(headers, options, clock, timeScale);
    options.pacer?.observe(isWrite, announcedBudget(headers, options.resetHeader, clock.now()));

    let delay: number | undefined;
    if (isRateLimitResponse(status, headers, rateLimitMessage(status, bodyText))) {
      // A rate-limited request was refused, not applied: resending is safe for any method.
      const asked = rateLimitWaitMs(status, headers, options.resetHeader, clock.now());
      retryAfterMs = asked;
      // GitHub: a limit that names no time is a secondary one; wait at least a minute.
      const secondary = options.provider === 'github' && asked === undefined;
      delay = asked ?? (secondary ? Math.max(GITHUB_SECONDARY_MIN_WAIT_MS, backoff) : backoff);
    } else if (RETRYABLE_STATUSES.has(status) && retrySafe) {
      delay = rateLimitWaitMs(status, headers, options.resetHeader, clock.now()) ?? backoff;
    }
    const remaining = timeLeftMs(clock.now());
    const pastIt = remaining !== undefined && delay !== undefined && delay * timeScale >= remaining;
    if (delay === undefined || last || waited + delay > maxTotalWait || pastIt) {
      return { status, headers, bodyText, retryAfterMs, attempts: attempt + 1 };
    }
    waited += delay;
    await clock.sleep(delay * timeScale);
  }
}

/** Only a 403's body is needed to tell GitHub's secondary limit from a permission error. */
function rateLimitMessage(status: number, bodyText: string): string | undefined {
  return status === 403 ? providerMessage(bodyText, []) : undefined;
}

/** A response saying the budget is spent holds every later request until the reset. */
function noteExhaustedBudget(
  headers: Headers,
  options: FetchWithRetryOptions,
  clock: Clock,
  timeScale: number,
): void {
  if (!options.pacer) return;
  const wait = resetWaitMs(headers, options.resetHeader, clock.now());
  if (wait !== undefined && wait > 0) options.pacer.pauseUntil(clock.now() + wait * timeScale);
}

function pastDeadline(request: RetryableRequest, options: FetchWithRetryOptions): DeadlineError {
  return new DeadlineError(
    `[envsync] [${options.provider}] ${request.method} ${hostOf(request.url)} did not answer before the deadline; nothing more was tried`,
  );
}

function unreachable(
  request: RetryableRequest,
  options: FetchWithRetryOptions,
  failure: NetworkFailure,
  cause: unknown,
): ProviderUnreachableError {
  const host = hostOf(request.url);
  const setting = options.apiUrlSetting ?? 'the API URL setting';
  const unknownOutcome =
    failure.ambiguous && !(request.retrySafe ?? isIdempotentMethod(request.method))
      ? ' The request may or may not have been applied; list the target before trying again.'
      : '';
  const message =
    `[envsync] [${options.provider}] cannot reach ${host}: ${failure.reason}. ` +
    `Check network access, firewall rules and ${setting}.${unknownOutcome}`;
  return new ProviderUnreachableError(message, {
    provider: options.provider,
    key: request.key,
    host,
    ambiguous: failure.ambiguous,
    cause,
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
