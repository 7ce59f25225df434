/**
 * JSON in and out for the HTTP API: every answer is JSON, every error names what is wrong, and no
 * answer ever carries a stack trace or a value.
 */
import { dict } from '../core/names.ts';
import * as v from 'valibot';

export interface ApiIssue {
  readonly path: string;
  readonly message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly ApiIssue[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const SECURITY_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

export function errorResponse(error: ApiError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.issues.length > 0 ? { issues: error.issues } : {}),
    },
  };
  return json(error.status, body, error.headers);
}

/** Validates `input` or throws a 400 listing every issue with its path under `where` (`body`, `query`). */
export function validate<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  where: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issues = result.issues.map((issue) => {
    const dot = v.getDotPath(issue);
    return { path: dot ? `${where}.${dot}` : where, message: issue.message };
  });
  throw new ApiError(
    400,
    'invalid_request',
    `The request's ${where} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

/** The most a request body may hold; plans and syncs are small. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body as text, read as a stream and abandoned at `max` bytes (413): an unauthenticated caller
 * cannot make a door hold more than that in memory, whatever it sends or declares.
 */
export async function readBodyText(request: Request, max = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > max) {
    await request.body?.cancel();
    throw tooLarge(max);
  }
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) break;
    size += next.value.byteLength;
    if (size > max) {
      await reader?.cancel();
      throw tooLarge(max);
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON object body, refusing oversized, non-JSON and non-object bodies with a 4xx. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'Send the body as JSON with content-type: application/json.',
    );
  }
  const text = await readBodyText(request);
  if (text.trim() === '')
    throw new ApiError(400, 'invalid_request', 'The request body is empty; send a JSON object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  // Schemas of objects accept arrays too (they are objects): refuse anything but `{…}` here.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError(400, 'invalid_request', 'The request body must be a JSON object ({…}).', [
      { path: 'body', message: 'must be a JSON object' },
    ]);
  }
  return parsed;
}

function tooLarge(max = MAX_BODY_BYTES): ApiError {
  const size = max >= 1024 ? `${max / 1024} KB` : `${max} bytes`;
  return new ApiError(413, 'payload_too_large', `The request body is over ${size}.`);
}

/** Query parameters as a plain object; a repeated parameter is an error rather than silently merged. */
export function queryOf(url: URL): Record<string, string> {
  const query = dict<string>();
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(query, key))
      throw new ApiError(
        400,
        'invalid_request',
        `Query parameter "${key.slice(0, 40)}" is given more than once.`,
        [{ path: `query.${key.slice(0, 40)}`, message: 'given more than once' }],
      );
    query[key] = value;
  }
  return query;
}
