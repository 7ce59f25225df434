import { SandboxClock } from './clock.ts';
import type { Contract, RequestIssue } from './contract.ts';
import { readContractFile, swagger2Contract } from './contract.ts';
import { SandboxEndpoint } from './endpoint.ts';
import type { FaultConfig } from './faults.ts';
import type { Admission, ProviderProtocol } from './http.ts';
import { bearerToken, HttpSandbox, serverOptions } from './http.ts';
import type { NetlifyInspector } from './netlify-control.ts';
import { netlifyAdminRoutes, netlifyInspector } from './netlify-control.ts';
import { netlifyError, netlifyRoutes } from './netlify-routes.ts';
import type { NetlifySeed } from './netlify-state.ts';
import { NetlifyState, POST_PROCESSING_SPELLINGS } from './netlify-state.ts';
import { MINUTE_MS, WindowSet } from './ratelimit.ts';
import { jsonTypeOf } from './schema.ts';
import { assertDistinctAdminToken, newAdminToken } from './tokens.ts';

export type { InspectedNetlifyEnvVar, NetlifyInspector } from './netlify-control.ts';
export type { NetlifySeed } from './netlify-state.ts';

export interface NetlifyLimits {
  /** Requests per token per minute. @default 500 */
  requestsPerMinute: number;
}

export interface NetlifySandboxOptions {
  /** @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Accepted personal access tokens. @default ['nfp_sandbox'] */
  tokens?: string[];
  /** @default a random one */
  adminToken?: string;
  seed?: NetlifySeed;
  /** See clock.ts. @default 1 */
  timeScale?: number;
  latencyMs?: number;
  faults?: FaultConfig;
  limits?: Partial<NetlifyLimits>;
  /** @default true */
  strictResponses?: boolean;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** @default 1 */
  randomSeed?: number;
}

/** The Netlify sandbox: `url` ends in `/api/v1` like `https://api.netlify.com/api/v1`. */
export class NetlifySandbox extends SandboxEndpoint {
  constructor(
    server: HttpSandbox,
    tokens: string[],
    adminToken: string,
    contract: Contract,
    readonly inspect: NetlifyInspector,
  ) {
    super(server, '/api/v1', tokens, adminToken, contract);
  }
}

let contractCache: Contract | undefined;

/**
 * The env-var paths of Netlify's Swagger 2.0 description; its `default` response covers errors.
 * One erratum: every scope enum takes both spellings of post-processing (see NETLIFY_SCOPES).
 */
export function netlifyContract(): Contract {
  contractCache ??= swagger2Contract(
    'Netlify env',
    withBothScopeSpellings(readContractFile('netlify-env.swagger.json')),
  );
  return contractCache;
}

function withBothScopeSpellings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withBothScopeSpellings);
  if (typeof value !== 'object' || value === null) return value;
  const out = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, withBothScopeSpellings(v)]),
  ) as Record<string, unknown>;
  const values: unknown = out.enum;
  const spellings: readonly unknown[] = POST_PROCESSING_SPELLINGS;
  if (Array.isArray(values) && (values as unknown[]).some((v) => spellings.includes(v)))
    out.enum = [...(values as unknown[]).filter((v) => !spellings.includes(v)), ...spellings];
  return out;
}

/** go-openapi's wording, which Netlify's generated API answers with: `context in body should be one of [...]`. */
export function netlifyIssueText({ in: where, name, issue }: RequestIssue): string {
  const field =
    where === 'body'
      ? [name, ...issue.path, ...(issue.keyword === 'required' ? [issue.property ?? ''] : [])].join('.')
      : name;
  switch (issue.keyword) {
    case 'required':
      return `${where === 'body' ? field : name} in ${where} is required`;
    case 'type':
      return `${field} in ${where} must be of type ${String(issue.expected)}: "${jsonTypeOf(issue.actual)}"`;
    case 'enum':
      return `${field} in ${where} should be one of [${(issue.expected as unknown[]).map(String).join(' ')}]`;
    case 'additionalProperties':
      return `${field}.${issue.property ?? ''} in ${where} is a forbidden property`;
    default:
      return `${field} in ${where} fails ${issue.keyword}`;
  }
}

export async function startNetlifySandbox(options: NetlifySandboxOptions = {}): Promise<NetlifySandbox> {
  const clock = new SandboxClock(options.timeScale ?? 1);
  const tokens = options.tokens ?? ['nfp_sandbox'];
  const adminToken = options.adminToken ?? newAdminToken();
  assertDistinctAdminToken(adminToken, tokens);
  const windows = new WindowSet(clock, options.limits?.requestsPerMinute ?? 500, MINUTE_MS);
  const contract = netlifyContract();
  let state = new NetlifyState(options.seed, options.randomSeed);

  const admit = (token: string): Admission => {
    const { allowed, state: s } = windows.get(token).take();
    const headers = {
      'X-RateLimit-Limit': String(s.limit),
      'X-RateLimit-Remaining': String(s.remaining),
      'X-RateLimit-Reset': String(clock.resetEpochSeconds(s.resetAt)),
    };
    return allowed ? { headers } : { headers, reject: netlifyError(429, 'API rate limit exceeded') };
  };

  const protocol: ProviderProtocol = {
    name: 'netlify',
    basePath: '/api/v1',
    contract,
    headers: (hasBody): Record<string, string> => (hasBody ? { 'Content-Type': 'application/json' } : {}),
    authenticate(authorization) {
      const token = bearerToken(authorization);
      return token && tokens.includes(token) ? { token } : { reply: netlifyError(401, 'Access Denied') };
    },
    admit: ({ token }) => admit(token),
    errors: {
      notFound: () => netlifyError(404, 'Not Found'),
      methodNotAllowed: (allowed) => netlifyError(405, `method not allowed, but [${allowed.join(',')}] are`),
      malformedJson: (op) =>
        netlifyError(400, `parsing ${op?.body?.name ?? 'body'} body failed, because it is not valid JSON`),
      bodyTooLarge: () => netlifyError(413, 'Request Entity Too Large'),
      invalidRequest: (issues) => netlifyError(422, issues.map(netlifyIssueText).join('\n')),
      fault: (status) =>
        netlifyError(
          status,
          status === 429
            ? 'Too Many Requests'
            : status === 503
              ? 'Service Unavailable'
              : status === 502
                ? 'Bad Gateway'
                : 'Internal Server Error',
        ),
      internal: () => netlifyError(500, 'Internal Server Error'),
    },
  };

  const inspect = netlifyInspector(
    () => state,
    (seed) => {
      state = new NetlifyState(seed, options.randomSeed);
    },
    () => windows.clear(),
  );
  const server = new HttpSandbox(
    protocol,
    netlifyRoutes(() => state),
    netlifyAdminRoutes(inspect),
    serverOptions(clock, adminToken, options),
  );
  await server.listen();
  return new NetlifySandbox(server, tokens, adminToken, contract, inspect);
}
