import sodium from 'libsodium-wrappers';
import { SandboxClock } from './clock.ts';
import type { Contract, RequestIssue } from './contract.ts';
import { openApi3Contract, readContractFile } from './contract.ts';
import { SandboxEndpoint } from './endpoint.ts';
import type { FaultConfig } from './faults.ts';
import type { Admission, ProviderProtocol, SandboxReply } from './http.ts';
import { bearerToken, HttpSandbox, serverOptions } from './http.ts';
import type { GitHubInspector } from './github-control.ts';
import { gitHubAdminRoutes, gitHubInspector } from './github-control.ts';
import type { GitHubLimits, GitHubTokenGrant } from './github-request.ts';
import { DEFAULT_GITHUB_LIMITS, GITHUB_DOCS, gitHubError } from './github-request.ts';
import { looksLikeJwt } from './github-apps.ts';
import { gitHubRoutes } from './github-routes.ts';
import type { GitHubSeed } from './github-state.ts';
import { GitHubState } from './github-state.ts';
import type { WindowState } from './ratelimit.ts';
import { ConcurrencyGate, HOUR_MS, MINUTE_MS, WindowSet } from './ratelimit.ts';
import { assertDistinctAdminToken, newAdminToken } from './tokens.ts';

export type { GitHubInspector } from './github-control.ts';
export type { GitHubLimits, GitHubTokenGrant } from './github-request.ts';
export type { GitHubScopeRef, GitHubSeed, GitHubStoreKind } from './github-state.ts';
export type { AppPermissionLevel, GitHubAppSeed, GitHubInstallationSeed } from './github-apps.ts';

export interface GitHubSandboxOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Accepted API tokens (`Authorization: Bearer <t>` or `token <t>`). @default ['ghp_sandbox'] */
  tokens?: (string | GitHubTokenGrant)[];
  /** Token of the `/__sandbox` control API. @default a random one */
  adminToken?: string;
  seed?: GitHubSeed;
  /** Rate-limit windows last `timeScale` times as long; see clock.ts. @default 1 */
  timeScale?: number;
  /** Real milliseconds added to every API request. @default 0 */
  latencyMs?: number;
  faults?: FaultConfig;
  limits?: Partial<GitHubLimits>;
  /** See HttpSandboxOptions.strictResponses. @default true */
  strictResponses?: boolean;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** Seed of generated ids and key ids. @default 1 */
  randomSeed?: number;
}

/** The GitHub sandbox: `url` is the API root (like `https://api.github.com`). */
export class GitHubSandbox extends SandboxEndpoint {
  constructor(
    server: HttpSandbox,
    tokens: string[],
    adminToken: string,
    contract: Contract,
    readonly inspect: GitHubInspector,
  ) {
    super(server, '', tokens, adminToken, contract);
  }
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['message', 'documentation_url'],
  properties: {
    message: { type: 'string' },
    documentation_url: { type: 'string' },
    status: { type: 'string' },
    url: { type: 'string' },
  },
  additionalProperties: false,
};

let contractCache: Contract | undefined;

/** The Actions secrets/variables contract, with GitHub's error body for undeclared error statuses. */
export function gitHubContract(): Contract {
  contractCache ??= openApi3Contract(
    'GitHub Actions',
    readContractFile('github-actions.openapi.json'),
    ERROR_SCHEMA,
  );
  return contractCache;
}

const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** GitHub's budgets: primary per hour, and the secondary ones on writes, points and concurrency. */
class GitHubRateLimits {
  private readonly primary: WindowSet;
  private readonly anonymous: WindowSet;
  private readonly writesPerMinute: WindowSet;
  private readonly writesPerHour: WindowSet;
  private readonly points: WindowSet;
  private readonly concurrency: ConcurrencyGate;
  private requestCounter = 0;

  constructor(
    private readonly clock: SandboxClock,
    private readonly limits: GitHubLimits,
    private readonly userIds: Map<string, number>,
  ) {
    this.primary = new WindowSet(clock, limits.requestsPerHour, HOUR_MS);
    this.anonymous = new WindowSet(clock, limits.anonymousPerHour, HOUR_MS);
    this.writesPerMinute = new WindowSet(clock, limits.writesPerMinute, MINUTE_MS);
    this.writesPerHour = new WindowSet(clock, limits.writesPerHour, HOUR_MS);
    this.points = new WindowSet(clock, limits.pointsPerMinute, MINUTE_MS);
    this.concurrency = new ConcurrencyGate(limits.concurrentRequests);
  }

  headers(state: WindowState): Record<string, string> {
    return {
      'x-ratelimit-limit': String(state.limit),
      'x-ratelimit-remaining': String(state.remaining),
      'x-ratelimit-used': String(state.used),
      'x-ratelimit-reset': String(this.clock.resetEpochSeconds(state.resetAt)),
      'x-ratelimit-resource': 'core',
    };
  }

  /** Unauthenticated requests spend the anonymous budget, as GitHub counts them per IP. */
  anonymousHeaders(): Record<string, string> {
    return this.headers(this.anonymous.get('anonymous').take().state);
  }

  admit(method: string, route: string, token: string): Admission {
    if (route === '/rate_limit') return { headers: this.headers(this.primary.get(token).peek()) };
    const primary = this.primary.get(token).take();
    const headers = this.headers(primary.state);
    if (!primary.allowed) {
      return {
        headers,
        reject: gitHubError(
          this.limits.exceededStatus,
          `API rate limit exceeded for user ID ${this.userIds.get(token) ?? 1}.`,
          RATE_DOCS,
        ),
      };
    }
    const release = this.concurrency.acquire(token);
    if (!release) return { headers, reject: this.secondary(60) };
    const write = WRITE_METHODS.has(method);
    const windows = [
      { window: this.points.get(token), cost: write ? 5 : 1 },
      ...(write
        ? [
            { window: this.writesPerMinute.get(token), cost: 1 },
            { window: this.writesPerHour.get(token), cost: 1 },
          ]
        : []),
    ];
    // All secondary budgets must have room before any is charged.
    const full = windows.find(({ window, cost }) => window.peek().remaining < cost);
    if (full) {
      release();
      return {
        headers,
        reject: this.secondary(Math.max(1, this.clock.sandboxSecondsUntil(full.window.peek().resetAt))),
      };
    }
    for (const { window, cost } of windows) window.take(cost);
    return { headers, release };
  }

  rateLimitJson(token: string): unknown {
    const s = this.primary.get(token).peek();
    const core = {
      limit: s.limit,
      remaining: s.remaining,
      reset: this.clock.resetEpochSeconds(s.resetAt),
      used: s.used,
      resource: 'core',
    };
    return { resources: { core }, rate: core };
  }

  nextRequestId(): string {
    this.requestCounter += 1;
    return `SBX0:${this.requestCounter.toString(16).toUpperCase().padStart(6, '0')}`;
  }

  clear(): void {
    for (const set of [this.primary, this.anonymous, this.writesPerMinute, this.writesPerHour, this.points])
      set.clear();
  }

  private secondary(retryAfterSeconds: number): SandboxReply {
    const reply = gitHubError(
      this.limits.exceededStatus,
      `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${this.nextRequestId()}.`,
      `${RATE_DOCS}#about-secondary-rate-limits`,
    );
    return { ...reply, headers: { 'retry-after': String(retryAfterSeconds) } };
  }
}

/** GitHub's wording for schema failures: `Invalid request.\n\n"key_id" wasn't supplied.` and the like. */
export function gitHubIssueText({ in: where, name, issue }: RequestIssue): string {
  const pointer =
    where === 'body'
      ? issue.path.map((p) => (/^\d+$/.test(p) ? 'items' : `properties/${p}`)).join('/')
      : name;
  const prefix = pointer ? `For '${pointer}', ` : '';
  const shown = rubyInspect(issue.actual);
  switch (issue.keyword) {
    case 'required':
      return `"${issue.property ?? name}" wasn't supplied.`;
    case 'additionalProperties':
      return `"${issue.property ?? ''}" is not a permitted key.`;
    case 'type': {
      const type = String(issue.expected);
      return `${prefix}${shown} is not ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}.`;
    }
    case 'pattern':
      return `${String(issue.actual)} does not match /${String(issue.expected).replaceAll('/', '\\/')}/.`;
    case 'enum':
      return `${prefix}${shown} is not a member of ${JSON.stringify(issue.expected)}.`;
    default:
      return `${prefix}${shown} is invalid (${issue.keyword}).`;
  }
}

/** How GitHub's (Ruby) validator shows a value: JSON, with `nil` for null. */
function rubyInspect(value: unknown): string {
  return value === null || value === undefined ? 'nil' : JSON.stringify(value);
}

export async function startGitHubSandbox(options: GitHubSandboxOptions = {}): Promise<GitHubSandbox> {
  await sodium.ready;
  const clock = new SandboxClock(options.timeScale ?? 1);
  const limits = { ...DEFAULT_GITHUB_LIMITS, ...options.limits };
  const grants = new Map<string, GitHubTokenGrant>(
    (options.tokens ?? ['ghp_sandbox']).map((t) =>
      typeof t === 'string' ? [t, { token: t }] : [t.token, t],
    ),
  );
  const tokens = [...grants.keys()];
  const adminToken = options.adminToken ?? newAdminToken();
  assertDistinctAdminToken(adminToken, tokens);
  const contract = gitHubContract();
  const rate = new GitHubRateLimits(clock, limits, new Map(tokens.map((t, i) => [t, i + 1])));
  let state = new GitHubState(options.seed, options.randomSeed);

  const protocol: ProviderProtocol = {
    name: 'github',
    basePath: '',
    contract,
    headers: (hasBody) => ({
      ...(hasBody ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': rate.nextRequestId(),
    }),
    authenticate(authorization) {
      if (!authorization)
        return {
          reply: { ...gitHubError(401, 'Requires authentication'), headers: rate.anonymousHeaders() },
        };
      const token = bearerToken(authorization, ['bearer', 'token']);
      if (token && grants.has(token)) return { token };
      // An app's JWT is judged here, whatever the route: GitHub refuses a bad one before routing.
      if (token && looksLikeJwt(token)) {
        const verdict = state.apps.verifyJwt(token, clock.now());
        return 'reply' in verdict
          ? { reply: { ...verdict.reply, headers: rate.anonymousHeaders() } }
          : { token };
      }
      // An installation token works until it expires on the sandbox clock, then is Bad credentials.
      if (token && state.apps.grantFor(token, clock.now(), state)) return { token };
      return { reply: { ...gitHubError(401, 'Bad credentials'), headers: rate.anonymousHeaders() } };
    },
    admit: ({ method, route, token }) => rate.admit(method, route, state.apps.budgetKey(token) ?? token),
    errors: {
      notFound: () => gitHubError(404, 'Not Found'),
      methodNotAllowed: () => gitHubError(404, 'Not Found'),
      malformedJson: (op) => gitHubError(400, 'Problems parsing JSON', op?.docsUrl),
      bodyTooLarge: () => gitHubError(413, 'Payload Too Large'),
      invalidRequest: (issues, op) =>
        gitHubError(
          422,
          `Invalid request.\n\n${issues.map(gitHubIssueText).join('\n')}`,
          op.docsUrl ?? GITHUB_DOCS,
        ),
      fault: (status) =>
        status === 429
          ? gitHubError(
              429,
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
              `${RATE_DOCS}#about-secondary-rate-limits`,
            )
          : gitHubError(
              status,
              status === 503
                ? 'Service Unavailable'
                : status === 502
                  ? 'Server Error'
                  : 'Internal Server Error',
            ),
      internal: () => gitHubError(500, 'Internal Server Error'),
    },
  };

  const inspect = gitHubInspector(
    () => state,
    (seed) => {
      state = new GitHubState(seed, options.randomSeed);
    },
    () => rate.clear(),
  );
  const routes = gitHubRoutes({
    state: () => state,
    limits,
    grant: (token) => grants.get(token) ?? state.apps.grantFor(token, clock.now(), state),
    clock,
    contract,
    rateLimitJson: (token) => rate.rateLimitJson(token),
  });
  const server = new HttpSandbox(
    protocol,
    routes,
    gitHubAdminRoutes(inspect),
    serverOptions(clock, adminToken, options),
  );
  await server.listen();
  return new GitHubSandbox(server, tokens, adminToken, contract, inspect);
}
