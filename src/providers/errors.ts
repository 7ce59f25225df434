/**
 * One named error class per way a provider call fails, so callers branch on `instanceof` and users
 * read a sentence that says what to do. Messages are built from the provider's error `message`,
 * the status and the request id: never from a request body, and never with a value in them.
 */
export type RemoteProviderId = 'github' | 'render' | 'netlify';

export interface ProviderErrorDetails {
  readonly provider: RemoteProviderId;
  readonly status?: number;
  /** The provider's id for the request (`x-github-request-id`, `rndr-id`, `x-nf-request-id`…). */
  readonly requestId?: string;
  /** The variable the request was about, when it was about one. */
  readonly key?: string;
  /** What the provider's text blamed, when its text is withheld (see `refusalOf`). */
  readonly refusal?: Refusal;
  readonly cause?: unknown;
}

/**
 * What a refusal was about, read from the provider's text by pattern. When the request carried a
 * value the text itself is never kept (a provider may quote the value trimmed, cut, escaped or
 * encoded, past any scrubber); this word is all that survives of it.
 */
export type Refusal = 'name' | 'public-key' | 'exists' | 'value';

export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly provider: RemoteProviderId;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly key: string | undefined;
  readonly refusal: Refusal | undefined;

  constructor(message: string, details: ProviderErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.provider = details.provider;
    this.status = details.status;
    this.requestId = details.requestId;
    this.key = details.key;
    this.refusal = details.refusal;
  }
}

/** 401, or 403 that is not a rate limit: the token is wrong, expired or lacks a permission. */
export class ProviderAuthError extends ProviderError {
  override name = 'ProviderAuthError';
}

/** 404: the repository, environment, service, group, site or key does not exist (or is hidden). */
export class ProviderNotFoundError extends ProviderError {
  override name = 'ProviderNotFoundError';
}

/** 429, or GitHub's 403 rate limits, still there after the retries and waits allowed. */
export class RateLimitError extends ProviderError {
  override name = 'RateLimitError';
  /** How long the provider asked to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: ProviderErrorDetails & { readonly retryAfterMs?: number }) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** 400 or 422: the provider refused the name or value; the message is the provider's, scrubbed. */
export class ProviderValidationError extends ProviderError {
  override name = 'ProviderValidationError';
}

/** 409: the thing already exists or changed under us. */
export class ProviderConflictError extends ProviderError {
  override name = 'ProviderConflictError';
}

/** DNS failure, connection refused or reset, timeout: the request got no answer. */
export class ProviderUnreachableError extends ProviderError {
  override name = 'ProviderUnreachableError';
  readonly host: string;
  /** The request may have reached the provider: whether it took effect is unknown. */
  readonly ambiguous: boolean;

  constructor(
    message: string,
    details: ProviderErrorDetails & { readonly host: string; readonly ambiguous: boolean },
  ) {
    super(message, details);
    this.host = details.host;
    this.ambiguous = details.ambiguous;
  }
}

/** 5xx still failing after the retries allowed. */
export class ProviderServerError extends ProviderError {
  override name = 'ProviderServerError';
}

const REQUEST_ID_HEADERS = [
  'x-github-request-id',
  'x-request-id',
  'x-nf-request-id',
  'rndr-id',
  'x-render-request-id',
];

export function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

const SCRUBBED = '«redacted»';

/**
 * Removes every occurrence of the values being written from provider text. Providers do not echo
 * values in error messages, but if one ever did the value must not reach a log or an audit entry.
 */
export function scrubValues(text: string, values: readonly string[]): string {
  let out = text;
  // Longest first, so a value that contains another is removed whole.
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value.length > 0) out = out.split(value).join(SCRUBBED);
  }
  return out;
}

const MAX_MESSAGE = 300;

/** The provider's own words from an error body (`{message}` on all three), scrubbed and capped. */
export function providerMessage(bodyText: string, values: readonly string[]): string | undefined {
  let message: unknown;
  try {
    message = (JSON.parse(bodyText) as { message?: unknown } | null)?.message;
  } catch {
    return undefined;
  }
  if (typeof message !== 'string' || message.length === 0) return undefined;
  const scrubbed = scrubValues(message, values);
  return scrubbed.length > MAX_MESSAGE ? `${scrubbed.slice(0, MAX_MESSAGE)}…` : scrubbed;
}

/** GitHub answers some rate limits with 403; these tell them apart from a permission problem. */
export function isRateLimitResponse(status: number, headers: Headers, message: string | undefined): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  return (
    headers.get('x-ratelimit-remaining') === '0' ||
    headers.has('retry-after') ||
    /rate limit/i.test(message ?? '')
  );
}

export interface ResponseErrorContext {
  readonly provider: RemoteProviderId;
  readonly method: string;
  /** The request path without host or query: it holds ids and key names, never values. */
  readonly path: string;
  readonly key?: string;
  /** Values the request carried, removed from any text the provider sends back. */
  readonly values?: readonly string[];
  readonly retryAfterMs?: number;
}

const STATUS_HINTS: Readonly<Record<number, string>> = {
  401: 'check the token (it may be wrong or expired)',
  403: 'check that the token has permission for this resource',
  404: 'check the ids in the manifest and that the token can see them',
};

/** What a provider's refusal text blames, by pattern; never the text itself. */
export function refusalOf(text: string | undefined): Refusal | undefined {
  if (!text) return undefined;
  if (/names? (can|may) only|invalid (key|name)|name is (invalid|reserved)/i.test(text)) return 'name';
  if (/\bkey_id\b|public key|encrypt/i.test(text)) return 'public-key';
  if (/already exists/i.test(text)) return 'exists';
  if (/\bvalue\b/i.test(text)) return 'value';
  return undefined;
}

const REFUSAL_WORDS: Readonly<Record<Refusal, string>> = {
  name: 'the provider refused the name',
  'public-key': 'the provider refused the encryption key id (it may have rotated)',
  exists: 'the key already exists',
  value: 'the provider refused the value',
};

/**
 * Turns a non-2xx response into the named error for its status. For a request that carried a
 * value only the status, the provider's request id, the key name and `refusalOf` its text are
 * kept: the provider's words may quote the value in forms no scrubber recognises.
 */
export function errorForResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  ctx: ResponseErrorContext,
): ProviderError {
  const carriedValue = (ctx.values ?? []).some((v) => v.length > 0);
  const said = providerMessage(bodyText, ctx.values ?? []);
  const refusal = refusalOf(said);
  const message = carriedValue
    ? refusal
      ? `${REFUSAL_WORDS[refusal]} (its message is withheld: it may quote the value)`
      : undefined
    : said;
  const requestId = requestIdOf(headers);
  const details: ProviderErrorDetails = {
    provider: ctx.provider,
    status,
    requestId,
    key: ctx.key,
    ...(refusal ? { refusal } : {}),
  };
  const parts = [`[envsync] [${ctx.provider}] ${ctx.method} ${ctx.path} failed with ${status}`];
  if (message) parts.push(`: ${message}`);
  const hint = STATUS_HINTS[status];
  if (hint && !isRateLimitResponse(status, headers, message)) parts.push(`; ${hint}`);
  if (requestId) parts.push(` (request id ${requestId})`);
  const text = parts.join('');

  if (isRateLimitResponse(status, headers, message)) {
    return new RateLimitError(text, { ...details, retryAfterMs: ctx.retryAfterMs });
  }
  if (status === 401 || status === 403) return new ProviderAuthError(text, details);
  if (status === 404) return new ProviderNotFoundError(text, details);
  if (status === 409) return new ProviderConflictError(text, details);
  if (status === 400 || status === 422) return new ProviderValidationError(text, details);
  if (status >= 500) return new ProviderServerError(text, details);
  return new ProviderError(text, details);
}
