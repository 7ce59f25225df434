/**
 * The HTTP API: one table of routes, each with the permission it needs. Unknown paths answer 404
 * and known paths with another method 405, both as JSON; anything unexpected is a 500 that says
 * only that, with a request id to find it in the logs.
 */
import { randomUUID } from 'node:crypto';
import type { Caller, Permission } from '../auth/tokens.ts';
import { authenticate, may } from '../auth/tokens.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError, errorResponse, json } from './http.ts';

export interface RouteContext {
  readonly request: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly caller: Caller;
  readonly deps: ApiDeps;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  /** `/api/history/:id` — a `:name` segment matches one path segment. */
  readonly path: string;
  /** `none`: the handler authenticates itself (signed webhooks). */
  readonly permission: Permission | 'none';
  handle(ctx: RouteContext): Promise<Response>;
}

function match(pattern: string, pathname: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = pathname.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const seg = got[i] ?? '';
    if (part.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        return undefined;
      }
      if (!decoded || decoded.includes('/')) return undefined;
      params[part.slice(1)] = decoded;
    } else if (part !== seg) return undefined;
  }
  return params;
}

/**
 * Errors of ours whose messages are written for users (names and hints, never values), with the
 * status they answer with. Provider errors are 502: the provider, not the caller, failed.
 */
const KNOWN_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  ConfigError: [400, 'invalid_request'],
  SnapshotNotFoundError: [404, 'not_found'],
  LockHeldError: [409, 'sync_in_progress'],
  ApprovalRequiredError: [403, 'approval_required'],
  ApprovalError: [409, 'approval_refused'],
  SnapshotKeyError: [503, 'not_configured'],
  TokenConfigError: [503, 'not_configured'],
  ProviderAuthError: [502, 'provider_auth'],
  ProviderNotFoundError: [502, 'provider_not_found'],
  ProviderValidationError: [502, 'provider_validation'],
  ProviderUnreachableError: [502, 'provider_unreachable'],
  RateLimitError: [503, 'provider_rate_limited'],
  ProviderServerError: [502, 'provider_error'],
  DeadlineError: [504, 'provider_timeout'],
};

const ANONYMOUS: Caller = { name: 'anonymous', role: 'none' };

/**
 * `netlify dev` retries a 403 or 404 at `/path.html`, `/path.htm`, `/path/index.html` and
 * `/path/index.htm` (as the CDN looks for pages) and returns the last answer. No API path ends so:
 * they are answered as `/path`, so the caller gets the first answer again.
 */
function canonicalPath(pathname: string): string {
  return pathname.replace(/(\/index)?\.html?$/, '');
}

export async function dispatch(routes: readonly Route[], request: Request, deps: ApiDeps): Promise<Response> {
  const url = new URL(request.url);
  url.pathname = canonicalPath(url.pathname);
  const requestId = randomUUID();
  try {
    const candidates = routes
      .map((route) => ({ route, params: match(route.path, url.pathname) }))
      .filter((c) => c.params);
    if (candidates.length === 0)
      throw new ApiError(404, 'not_found', 'No such API route; see the README for the routes.');
    const hit = candidates.find((c) => c.route.method === request.method);
    if (!hit?.params) {
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
      throw new ApiError(
        405,
        'method_not_allowed',
        `${request.method} is not allowed here; use ${allow}.`,
        [],
        { allow },
      );
    }
    const { route, params } = hit;
    let caller = ANONYMOUS;
    if (route.permission !== 'none') {
      const found = authenticate(deps.tokens, request.headers.get('authorization'));
      if (!found) {
        throw new ApiError(
          401,
          'unauthorized',
          'Missing or invalid token: send Authorization: Bearer <token>.',
          [],
          { 'www-authenticate': 'Bearer' },
        );
      }
      if (!may(found, route.permission)) {
        throw new ApiError(
          403,
          'forbidden',
          `The ${found.role} role may not do this (it needs ${route.permission} permission).`,
        );
      }
      caller = found;
    }
    return await route.handle({ request, url, params, caller, deps });
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    const name = (error as Error).name;
    const known = Object.hasOwn(KNOWN_ERRORS, name) ? KNOWN_ERRORS[name] : undefined;
    if (known) return errorResponse(new ApiError(known[0], known[1], (error as Error).message));
    // The message may come from a provider or a library: log the class, answer without details.
    console.error(
      `[envsync] ${request.method} ${url.pathname} failed (${requestId}): ${(error as Error).name}`,
    );
    return json(500, {
      error: { code: 'internal', message: `Something went wrong on our side; request id ${requestId}.` },
    });
  }
}
