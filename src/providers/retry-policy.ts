/**
 * The pure half of retrying: how long to back off, what a provider's rate-limit headers ask for,
 * and which network failures may be retried. No I/O, so every rule here is unit-tested directly.
 *
 * Durations returned here are in provider time ("logical" ms); the caller multiplies by its
 * `timeScale` when it sleeps. With a real provider `timeScale` is 1 and nothing changes. Under a
 * time-scaled sandbox, header values stay in provider units: `Retry-After: 60` means a provider
 * minute, and an epoch reset is "now + provider seconds left", so `reset - now` is a provider
 * duration too. Both are therefore read as logical ms and scaled once, when sleeping.
 */

/** How a provider states when its rate-limit window resets. */
export interface ResetHeaderStyle {
  /** Header with the reset time, lower-case. */
  readonly header: string;
  /** `epoch-seconds`: a Unix time (GitHub, Netlify); `delta-seconds`: seconds from now (Render). */
  readonly kind: 'epoch-seconds' | 'delta-seconds';
  /** Header with the requests left in the window; the reset is honoured only when it is `0`. */
  readonly remainingHeader: string;
  /** Header with the window's size, as the provider announces it for this token. */
  readonly limitHeader: string;
}

export const GITHUB_RESET: ResetHeaderStyle = {
  header: 'x-ratelimit-reset',
  kind: 'epoch-seconds',
  remainingHeader: 'x-ratelimit-remaining',
  limitHeader: 'x-ratelimit-limit',
};
export const RENDER_RESET: ResetHeaderStyle = {
  header: 'ratelimit-reset',
  kind: 'delta-seconds',
  remainingHeader: 'ratelimit-remaining',
  limitHeader: 'ratelimit-limit',
};
export const NETLIFY_RESET: ResetHeaderStyle = {
  header: 'x-ratelimit-reset',
  kind: 'epoch-seconds',
  remainingHeader: 'x-ratelimit-remaining',
  limitHeader: 'x-ratelimit-limit',
};

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^attempt)). */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as seconds or an HTTP date, in logical ms; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; `Date.parse('-5')` would read a year.
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Added to waits derived from an epoch second: the header is rounded to whole seconds and our
 * clock may run a little ahead of the provider's, and arriving early only earns another 429.
 */
export const EPOCH_RESET_MARGIN_MS = 1_000;

/** The wait a provider's reset header asks for, in logical ms, when its remaining count is 0. */
export function resetWaitMs(
  headers: Headers,
  style: ResetHeaderStyle,
  nowMs: number,
  { requireExhausted = true }: { requireExhausted?: boolean } = {},
): number | undefined {
  if (requireExhausted && headers.get(style.remainingHeader)?.trim() !== '0') return undefined;
  const raw = headers.get(style.header)?.trim();
  if (!raw || !/^\d+(\.\d+)?$/.test(raw)) return undefined;
  const seconds = Number(raw);
  if (style.kind === 'delta-seconds') return seconds * 1000;
  return Math.max(0, seconds * 1000 - nowMs) + EPOCH_RESET_MARGIN_MS;
}

/** A budget as a response announces it: any part may be missing or unreadable. */
export interface AnnouncedBudget {
  readonly limit?: number;
  readonly remaining?: number;
  /** Logical ms until the window resets. */
  readonly resetMs?: number;
}

/** Reads `limit`, `remaining` and the reset from a response's rate-limit headers. */
export function announcedBudget(headers: Headers, style: ResetHeaderStyle, nowMs: number): AnnouncedBudget {
  const count = (name: string): number | undefined => {
    const raw = headers.get(name)?.trim();
    return raw && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
  };
  const limit = count(style.limitHeader);
  const remaining = count(style.remainingHeader);
  const resetMs = resetWaitMs(headers, style, nowMs, { requireExhausted: false });
  return {
    ...(limit !== undefined && limit >= 1 ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(resetMs !== undefined ? { resetMs } : {}),
  };
}

/** GitHub's advice when a secondary limit gives no header: wait at least a minute. */
export const GITHUB_SECONDARY_MIN_WAIT_MS = 60_000;

/**
 * What a rate-limited response asks for, in logical ms: `Retry-After` first, then the provider's
 * reset header when nothing remains in the window (or the 429 does not say what remains), else
 * undefined. A 429 with requests still remaining is a secondary limit: the primary window's reset
 * says nothing about it.
 */
export function rateLimitWaitMs(
  status: number,
  headers: Headers,
  style: ResetHeaderStyle,
  nowMs: number,
): number | undefined {
  const retryAfter = parseRetryAfterMs(headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const remainingUnknown = status === 429 && !headers.has(style.remainingHeader);
  return resetWaitMs(headers, style, nowMs, { requireExhausted: !remainingUnknown });
}

/** A network failure, by whether the request can have reached the server. */
export interface NetworkFailure {
  /** Short words for the message: `connection refused`, `DNS lookup failed`, `timed out`… */
  readonly reason: string;
  /** The request may have been received: resending a non-idempotent one could apply it twice. */
  readonly ambiguous: boolean;
  /** Retrying cannot help (the host name does not exist). */
  readonly permanent: boolean;
}

const NOT_SENT: Readonly<Record<string, Omit<NetworkFailure, 'ambiguous'>>> = {
  ECONNREFUSED: { reason: 'connection refused', permanent: false },
  ENOTFOUND: { reason: 'DNS lookup failed (host not found)', permanent: true },
  EAI_AGAIN: { reason: 'DNS lookup failed (temporary)', permanent: false },
  EHOSTUNREACH: { reason: 'host unreachable', permanent: false },
  ENETUNREACH: { reason: 'network unreachable', permanent: false },
  UND_ERR_CONNECT_TIMEOUT: { reason: 'connection timed out', permanent: false },
};

const AMBIGUOUS: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for a response',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response',
};

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError of one error per address.
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}

/** Classifies what `fetch` threw; undefined when it is not a network failure (a bug, say). */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return { reason: 'timed out', ambiguous: true, permanent: false };
  }
  if (!(error instanceof Error)) return undefined;
  const code = errorCode(error.cause) ?? errorCode(error);
  if (code !== undefined) {
    const notSent = NOT_SENT[code];
    if (notSent) return { ...notSent, ambiguous: false };
    const ambiguous = AMBIGUOUS[code];
    if (ambiguous) return { reason: ambiguous, ambiguous: true, permanent: false };
  }
  // undici reports every transport failure as `TypeError: fetch failed`.
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    return { reason: code ? `network error (${code})` : 'network error', ambiguous: true, permanent: false };
  }
  return undefined;
}

/** Methods whose repetition has the same effect as sending them once. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);

/**
 * PATCH is not idempotent in general, but every PATCH EnvSync sends sets one key (or one context's
 * value) to a whole value, so sending it twice leaves the same state.
 */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

export function isWriteMethod(method: string): boolean {
  const m = method.toUpperCase();
  return m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS';
}
