import { SandboxClock } from './clock.ts';
import type { Contract, RequestIssue } from './contract.ts';
import { SandboxEndpoint } from './endpoint.ts';
import type { FaultConfig } from './faults.ts';
import type { Admission, ProviderProtocol, SandboxReply } from './http.ts';
import { bearerToken, HttpSandbox, serverOptions } from './http.ts';
import type { WindowState } from './ratelimit.ts';
import { MINUTE_MS, WindowSet } from './ratelimit.ts';
import type { RenderInspector } from './render-control.ts';
import { renderAdminRoutes, renderInspector } from './render-control.ts';
import { renderError, renderRoutes } from './render-routes.ts';
import { renderContract } from './render-shapes.ts';
import type { RenderSeed } from './render-state.ts';
import { RenderState } from './render-state.ts';
import { describeIssue } from './schema.ts';
import { assertDistinctAdminToken, newAdminToken } from './tokens.ts';

export type { RenderInspector } from './render-control.ts';
export { renderContract } from './render-shapes.ts';
export type { RenderSeed } from './render-state.ts';

export interface RenderLimits {
  /** GET requests per token per minute. @default 400 */
  readsPerMinute: number;
  /**
   * Other requests per token per minute. @default 100: every recorded write carries
   * `Ratelimit-Limit: 100`; the README's "30 a minute" is overruled by the recording.
   */
  writesPerMinute: number;
  /** `POST /services/{id}/deploys` per service per minute. @default 10 */
  deploysPerMinute: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  readsPerMinute: 400,
  writesPerMinute: 100,
  deploysPerMinute: 10,
};

export interface RenderSandboxOptions {
  /** @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Accepted API keys (`Authorization: Bearer <key>`). @default ['rnd_sandbox'] */
  tokens?: string[];
  /** @default a random one */
  adminToken?: string;
  seed?: RenderSeed;
  /** See clock.ts. @default 1 */
  timeScale?: number;
  latencyMs?: number;
  faults?: FaultConfig;
  limits?: Partial<RenderLimits>;
  /** @default true */
  strictResponses?: boolean;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** @default 1 */
  randomSeed?: number;
}

/** The Render sandbox: `url` ends in `/v1` like `https://api.render.com/v1`. */
export class RenderSandbox extends SandboxEndpoint {
  constructor(
    server: HttpSandbox,
    tokens: string[],
    adminToken: string,
    contract: Contract,
    readonly inspect: RenderInspector,
  ) {
    super(server, '/v1', tokens, adminToken, contract);
  }
}

const DEPLOY_ROUTE = '/services/{serviceId}/deploys';

/** Render's budgets: reads and writes per token per minute, deploys per service per minute. */
class RenderRateLimits {
  private readonly reads: WindowSet;
  private readonly writes: WindowSet;
  private readonly deploys: WindowSet;

  constructor(
    private readonly clock: SandboxClock,
    limits: RenderLimits,
  ) {
    this.reads = new WindowSet(clock, limits.readsPerMinute, MINUTE_MS);
    this.writes = new WindowSet(clock, limits.writesPerMinute, MINUTE_MS);
    this.deploys = new WindowSet(clock, limits.deploysPerMinute, MINUTE_MS);
  }

  admit(method: string, route: string, token: string, params: Record<string, string>): Admission {
    const general = (method === 'GET' ? this.reads : this.writes).get(token);
    const windows = route === DEPLOY_ROUTE ? [general, this.deploys.get(params.serviceId ?? '')] : [general];
    const full = windows.find((w) => w.peek().remaining < 1);
    if (full) {
      const state = full.peek();
      return {
        headers: this.headers(state),
        reject: {
          ...renderError(429, 'rate limit exceeded'),
          headers: { 'Retry-After': String(Math.max(1, this.clock.sandboxSecondsUntil(state.resetAt))) },
        },
      };
    }
    const states = windows.map((w) => w.take().state);
    // The tightest budget is the one a client needs to see.
    const shown = states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    return { headers: this.headers(shown) };
  }

  clear(): void {
    for (const set of [this.reads, this.writes, this.deploys]) set.clear();
  }

  private headers(state: WindowState): Record<string, string> {
    return {
      'Ratelimit-Limit': String(state.limit),
      'Ratelimit-Remaining': String(state.remaining),
      'Ratelimit-Reset': String(this.clock.sandboxSecondsUntil(state.resetAt)),
    };
  }
}

function renderIssueText({ in: where, name, issue }: RequestIssue): string {
  return where === 'body'
    ? `invalid request body: ${describeIssue(issue)}`
    : `invalid ${where} parameter ${name}: ${describeIssue({ ...issue, path: [] })}`;
}

export async function startRenderSandbox(options: RenderSandboxOptions = {}): Promise<RenderSandbox> {
  const clock = new SandboxClock(options.timeScale ?? 1);
  const tokens = options.tokens ?? ['rnd_sandbox'];
  const adminToken = options.adminToken ?? newAdminToken();
  assertDistinctAdminToken(adminToken, tokens);
  const rate = new RenderRateLimits(clock, { ...DEFAULT_RENDER_LIMITS, ...options.limits });
  const contract = renderContract();
  let state = new RenderState(options.seed, options.randomSeed);

  const protocol: ProviderProtocol = {
    name: 'render',
    basePath: '/v1',
    contract,
    headers: (hasBody): Record<string, string> =>
      hasBody ? { 'Content-Type': 'application/json; charset=utf-8' } : {},
    authenticate(authorization) {
      const token = bearerToken(authorization);
      return token && tokens.includes(token) ? { token } : { reply: renderError(401, 'unauthorized') };
    },
    admit: ({ method, route, token, params }) => rate.admit(method, route, token, params),
    errors: {
      notFound: () => renderError(404, 'not found'),
      methodNotAllowed: () => renderError(405, 'method not allowed'),
      malformedJson: () => renderError(400, 'invalid JSON body'),
      bodyTooLarge: () => renderError(413, 'request body too large'),
      invalidRequest: (issues) => renderError(400, issues.map(renderIssueText).join('; ')),
      fault: (status): SandboxReply =>
        renderError(
          status,
          status === 429
            ? 'rate limit exceeded'
            : status === 503
              ? 'service unavailable'
              : status === 502
                ? 'bad gateway'
                : 'internal server error',
        ),
      internal: () => renderError(500, 'internal server error'),
    },
  };

  const inspect = renderInspector(
    () => state,
    (seed) => {
      state = new RenderState(seed, options.randomSeed);
    },
    () => rate.clear(),
  );
  const server = new HttpSandbox(
    protocol,
    renderRoutes(() => state),
    renderAdminRoutes(inspect),
    serverOptions(clock, adminToken, options),
  );
  await server.listen();
  return new RenderSandbox(server, tokens, adminToken, contract, inspect);
}
