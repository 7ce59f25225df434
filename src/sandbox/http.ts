import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxClock } from './clock.ts';
import type { Contract, ContractOperation, RequestIssue } from './contract.ts';
import type { FaultConfig, FaultKind } from './faults.ts';
import { FaultInjector } from './faults.ts';
import { RequestLog, UNMATCHED_ROUTE } from './requestlog.ts';
import { RouteTable } from './router.ts';

/** A request as a provider route handler sees it: already authenticated, admitted and validated. */
export interface SandboxRequest {
  method: string;
  /** Templated route relative to the base path. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; undefined when no body was sent. */
  body: unknown;
  token: string;
  /** `http://127.0.0.1:PORT`, for URLs the provider puts in bodies and headers. */
  origin: string;
  url: URL;
}

export interface SandboxReply {
  status: number;
  /** Serialised as JSON; undefined sends no body. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Handlers are synchronous on purpose: a request's state change happens in one turn of the event
 * loop, so concurrent requests never see half-applied writes.
 */
export interface ApiRoute {
  method: string;
  /** Template relative to the base path. */
  route: string;
  /** The contract's template when it differs from `route`; `null` when the contract does not cover the route. */
  contractRoute?: string | null;
  handle(request: SandboxRequest): SandboxReply;
}

export interface Admission {
  /** Rate-limit headers for the response. */
  headers: Record<string, string>;
  /** Set when the request is over a budget: this is sent instead. */
  reject?: SandboxReply;
  /** Called once the response is finished (concurrency limits). */
  release?: () => void;
}

/** What differs between providers: base path, auth, budgets and the shape of their errors. */
export interface ProviderProtocol {
  name: string;
  /** `''` for GitHub, `/v1` for Render, `/api/v1` for Netlify. */
  basePath: string;
  contract: Contract;
  /** Headers every response carries (content type, API version...). */
  headers(hasBody: boolean): Record<string, string>;
  authenticate(authorization: string | undefined): { token: string } | { reply: SandboxReply };
  admit(request: { method: string; route: string; token: string; params: Record<string, string> }): Admission;
  errors: {
    notFound(): SandboxReply;
    methodNotAllowed(allowed: string[]): SandboxReply;
    malformedJson(op: ContractOperation | undefined): SandboxReply;
    bodyTooLarge(limitBytes: number): SandboxReply;
    invalidRequest(issues: RequestIssue[], op: ContractOperation): SandboxReply;
    fault(status: 429 | 500 | 502 | 503): SandboxReply;
    internal(): SandboxReply;
  };
}

/** A control-plane request under `/__sandbox/`, authorised by the admin token only. */
export interface AdminRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

export interface AdminRoute {
  method: string;
  /** Template relative to `/__sandbox`. */
  route: string;
  handle(request: AdminRequest): { status: number; body?: unknown };
}

/** Thrown by admin handlers and inspection methods for a bad control request. */
export class SandboxAdminError extends Error {
  override name = 'SandboxAdminError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ContractViolation {
  method: string;
  route: string;
  status: number;
  problems: string[];
}

export interface HttpSandboxOptions {
  clock: SandboxClock;
  adminToken: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Real milliseconds added to every API request. @default 0 */
  latencyMs?: number;
  faults?: FaultConfig;
  /** Answer 500 (and record the violation) instead of sending a response that breaks the contract. @default true */
  strictResponses?: boolean;
  /** Bodies above this are refused with the provider's 413. @default 1 MiB */
  maxBodyBytes?: number;
}

/** The server settings every provider's sandbox takes from its options as they are. */
export type ServerSettings = Pick<
  HttpSandboxOptions,
  'host' | 'port' | 'latencyMs' | 'faults' | 'strictResponses' | 'maxBodyBytes'
>;

export function serverOptions(
  clock: SandboxClock,
  adminToken: string,
  options: ServerSettings,
): HttpSandboxOptions {
  const { host, port, latencyMs, faults, strictResponses, maxBodyBytes } = options;
  return { clock, adminToken, host, port, latencyMs, faults, strictResponses, maxBodyBytes };
}

/** `POST /__sandbox/seed` and `POST /__sandbox/rate-limits/reset`, the same on every provider. */
export function resetRoutes<Seed>(inspect: {
  reset(seed?: Seed): void;
  resetRateLimits(): void;
}): AdminRoute[] {
  return [
    {
      method: 'POST',
      route: '/seed',
      handle: ({ body }) => {
        inspect.reset((body ?? {}) as Seed);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      route: '/rate-limits/reset',
      handle: () => {
        inspect.resetRateLimits();
        return { status: 204 };
      },
    },
  ];
}

export const ADMIN_PREFIX = '/__sandbox';
const FAULT_STATUS: Partial<Record<FaultKind, 429 | 500 | 502 | 503>> = {
  '429': 429,
  '429-no-retry-after': 429,
  '500': 500,
  '502': 502,
  '503': 503,
};

type Outcome =
  | { kind: 'reply'; route: string; reply: SandboxReply; op?: ContractOperation; fault?: FaultKind }
  | { kind: 'drop'; route: string; fault: FaultKind };

/**
 * The HTTP machinery shared by the three sandboxes: routing under a base path, auth, rate limits,
 * faults, contract checks both ways, the request log, and the admin API.
 */
export class HttpSandbox {
  readonly log = new RequestLog();
  readonly faults: FaultInjector;
  readonly violations: ContractViolation[] = [];
  private readonly routes = new RouteTable<ApiRoute>();
  private readonly adminRoutes = new RouteTable<AdminRoute>();
  private readonly server: http.Server;
  private readonly aborter = new AbortController();
  private readonly strictResponses: boolean;
  private readonly maxBodyBytes: number;
  private origin = '';

  constructor(
    private readonly protocol: ProviderProtocol,
    apiRoutes: ApiRoute[],
    adminRoutes: AdminRoute[],
    private readonly options: HttpSandboxOptions,
  ) {
    this.faults = new FaultInjector(options.faults);
    this.strictResponses = options.strictResponses ?? true;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    for (const route of apiRoutes) this.routes.add(route.method, route.route, route);
    for (const route of [...this.controlRoutes(), ...adminRoutes])
      this.adminRoutes.add(route.method, route.route, route);
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        console.error(
          `[sandbox] [${protocol.name}] request failed:`,
          error instanceof Error ? error.message : error,
        );
        res.destroy();
      });
    });
  }

  /** `http://127.0.0.1:PORT` once listening. */
  get baseOrigin(): string {
    return this.origin;
  }

  get port(): number {
    return Number(new URL(this.origin).port);
  }

  get clock(): SandboxClock {
    return this.options.clock;
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  async close(): Promise<void> {
    this.aborter.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.options.clock.now();
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req, this.maxBodyBytes);
    if (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(`${ADMIN_PREFIX}/`)) {
      const { status, body } = this.admin(method, url, req.headers, raw);
      writeJson(res, status, body, { 'Content-Type': 'application/json; charset=utf-8' });
      return;
    }
    let release: (() => void) | undefined;
    let outcome: Outcome;
    try {
      outcome = await this.api(method, url, req, raw, (fn) => (release = fn));
      if (outcome.kind === 'reply') outcome = this.checkResponse(method, outcome);
      await this.send(res, outcome);
    } finally {
      release?.();
    }
    const status =
      outcome.kind === 'drop' || outcome.fault === 'reset-after-apply' ? 0 : outcome.reply.status;
    this.log.record({
      method,
      path: outcome.route,
      status,
      at,
      durationMs: this.options.clock.now() - at,
      ...(outcome.fault ? { fault: outcome.fault } : {}),
    });
  }

  private async api(
    method: string,
    url: URL,
    req: IncomingMessage,
    raw: RawBody,
    onRelease: (release: () => void) => void,
  ): Promise<Outcome> {
    const { protocol } = this;
    const relative = stripBasePath(url.pathname, protocol.basePath);
    const match =
      relative === undefined ? ({ kind: 'not-found' } as const) : this.routes.match(method, relative);
    const routeName =
      match.kind === 'found'
        ? match.value.route
        : match.kind === 'method-not-allowed'
          ? match.template
          : UNMATCHED_ROUTE;
    const route = match.kind === 'found' ? match.value : undefined;
    const op =
      route && route.contractRoute !== null
        ? protocol.contract.operation(method, route.contractRoute ?? route.route)
        : undefined;
    const answer = (reply: SandboxReply, fault?: FaultKind): Outcome => ({
      kind: 'reply',
      route: routeName,
      reply,
      op,
      fault,
    });

    // Even a path that leads nowhere is authenticated and counted, as the providers do.
    const auth = protocol.authenticate(firstHeader(req.headers.authorization));
    if ('reply' in auth) return answer(auth.reply);
    const admission = protocol.admit({
      method,
      route: routeName,
      token: auth.token,
      params: match.kind === 'found' ? match.params : {},
    });
    if (admission.release) onRelease(admission.release);
    const withRate = (reply: SandboxReply): SandboxReply => ({
      ...reply,
      headers: { ...admission.headers, ...reply.headers },
    });
    if (admission.reject) return answer(withRate(admission.reject));
    if (match.kind === 'not-found' || !route) return answer(withRate(protocol.errors.notFound()));
    if (match.kind === 'method-not-allowed')
      return answer(withRate(protocol.errors.methodNotAllowed(match.allowed)));

    // Faults are decided before anything is parsed or applied, so a faulted write changes nothing.
    const fault = this.faults.decide(method, route.route);
    const timings = this.faults.timings;
    const delay =
      (this.options.latencyMs ?? 0) + timings.latencyMs + (fault === 'stall' ? timings.stallMs : 0);
    if (delay > 0) await this.pause(delay);
    if (this.aborter.signal.aborted || (fault === 'stall' && (req.socket.destroyed || raw.clientGone))) {
      return { kind: 'drop', route: routeName, fault: fault ?? 'stall' };
    }
    if (fault === 'reset') return { kind: 'drop', route: routeName, fault };
    const faultStatus = fault ? FAULT_STATUS[fault] : undefined;
    if (fault && faultStatus) {
      const reply = withRate(protocol.errors.fault(faultStatus));
      if (fault === '429')
        reply.headers = { ...reply.headers, 'Retry-After': String(timings.retryAfterSeconds) };
      return answer(reply, fault);
    }

    if (raw.tooLarge) return answer(withRate(protocol.errors.bodyTooLarge(this.maxBodyBytes)), fault);
    let body: unknown;
    if (raw.text.trim() !== '') {
      try {
        body = JSON.parse(raw.text) as unknown;
      } catch {
        // JSON.parse quotes the input in its message; a body may hold a secret, so it is not echoed.
        return answer(withRate(protocol.errors.malformedJson(op)), fault);
      }
    }
    if (op) {
      const issues = protocol.contract.validateRequest(op, {
        params: match.params,
        query: url.searchParams,
        body,
      });
      if (issues.length > 0) return answer(withRate(protocol.errors.invalidRequest(issues, op)), fault);
    }
    let reply: SandboxReply;
    try {
      reply = route.handle({
        method,
        route: route.route,
        params: match.params,
        query: url.searchParams,
        headers: req.headers,
        body,
        token: auth.token,
        origin: this.origin,
        url,
      });
    } catch (error) {
      console.error(
        `[sandbox] [${protocol.name}] handler for ${method} ${route.route} threw:`,
        error instanceof Error ? error.message : error,
      );
      reply = protocol.errors.internal();
    }
    return answer(withRate(reply), fault);
  }

  /** Holds a response that would break the contract; in strict mode it becomes a loud 500. */
  private checkResponse(method: string, outcome: Extract<Outcome, { kind: 'reply' }>): Outcome {
    if (!outcome.op) return outcome;
    const problems = this.protocol.contract.validateResponse(
      outcome.op,
      outcome.reply.status,
      outcome.reply.body,
    );
    if (problems.length === 0) return outcome;
    this.violations.push({ method, route: outcome.route, status: outcome.reply.status, problems });
    if (!this.strictResponses) return outcome;
    console.error(`[sandbox] [${this.protocol.name}] response breaks the contract:`, problems.join('; '));
    return {
      ...outcome,
      reply: {
        status: 500,
        body: { message: `sandbox response breaks the ${this.protocol.contract.name} contract`, problems },
        headers: { ...outcome.reply.headers, 'x-sandbox-contract-violation': 'true' },
      },
    };
  }

  private async send(res: ServerResponse, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'drop' || outcome.fault === 'reset-after-apply') {
      // The write (if any) was applied for reset-after-apply; the client just never hears back.
      res.socket?.destroy();
      return;
    }
    const { reply } = outcome;
    const hasBody = reply.body !== undefined;
    const headers = {
      ...this.protocol.headers(hasBody),
      'x-sandbox-time-scale': String(this.options.clock.timeScale),
      ...reply.headers,
    };
    if (outcome.fault !== 'slow-body') {
      writeJson(res, reply.status, reply.body, headers);
      return;
    }
    const text = hasBody ? JSON.stringify(reply.body) : '';
    res.writeHead(reply.status, { ...headers, 'Content-Length': String(Buffer.byteLength(text)) });
    res.flushHeaders();
    const pieces = 10;
    const step = Math.max(1, Math.ceil(text.length / pieces));
    for (let i = 0; i < pieces; i++) {
      await this.pause(this.faults.timings.slowBodyMs / pieces);
      if (res.destroyed) return;
      const piece = text.slice(i * step, (i + 1) * step);
      if (piece) res.write(piece);
    }
    res.end();
  }

  private admin(
    method: string,
    url: URL,
    headers: IncomingHttpHeaders,
    raw: RawBody,
  ): { status: number; body?: unknown } {
    if (!sameSecret(firstHeader(headers.authorization), `Bearer ${this.options.adminToken}`)) {
      return { status: 401, body: { error: 'the sandbox control API needs the admin token' } };
    }
    const match = this.adminRoutes.match(method, url.pathname.slice(ADMIN_PREFIX.length) || '/');
    if (match.kind !== 'found')
      return {
        status: match.kind === 'not-found' ? 404 : 405,
        body: { error: 'no such sandbox control route' },
      };
    let body: unknown;
    try {
      body = raw.text.trim() === '' ? undefined : (JSON.parse(raw.text) as unknown);
    } catch {
      return { status: 400, body: { error: 'malformed JSON' } };
    }
    try {
      return match.value.handle({ params: match.params, query: url.searchParams, body });
    } catch (error) {
      if (error instanceof SandboxAdminError) return { status: error.status, body: { error: error.message } };
      return { status: 400, body: { error: error instanceof Error ? error.message : 'bad control request' } };
    }
  }

  private controlRoutes(): AdminRoute[] {
    return [
      {
        method: 'GET',
        route: '/log',
        handle: () => ({ status: 200, body: { entries: this.log.entries, counts: this.log.counts() } }),
      },
      {
        method: 'POST',
        route: '/log/reset',
        handle: () => {
          this.log.reset();
          return { status: 204 };
        },
      },
      { method: 'GET', route: '/faults', handle: () => ({ status: 200, body: this.faults.config }) },
      {
        method: 'PUT',
        route: '/faults',
        handle: ({ body }) => {
          this.faults.configure(body ?? {});
          return { status: 200, body: this.faults.config };
        },
      },
      { method: 'GET', route: '/violations', handle: () => ({ status: 200, body: this.violations }) },
      {
        method: 'POST',
        route: '/clock/advance',
        handle: ({ body }) => {
          const seconds = (body as { seconds?: unknown } | undefined)?.seconds;
          if (typeof seconds !== 'number' || !(seconds >= 0))
            throw new SandboxAdminError(400, 'body.seconds must be a number of seconds ≥ 0');
          this.options.clock.advance(seconds * 1000);
          return { status: 200, body: { now: new Date(this.options.clock.now()).toISOString() } };
        },
      },
    ];
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.aborter.signal });
    } catch {
      // Aborted by close(): the caller checks the signal.
    }
  }
}

interface RawBody {
  text: string;
  tooLarge: boolean;
  clientGone: boolean;
}

/** Reads the whole body; past `limit` it keeps draining but stores nothing. */
function readBody(req: IncomingMessage, limit: number): Promise<RawBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) {
        chunks.push(chunk);
      }
    });
    req.on('end', () =>
      resolve({ text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge, clientGone: false }),
    );
    req.on('close', () => resolve({ text: '', tooLarge, clientGone: true }));
    req.on('error', () => resolve({ text: '', tooLarge, clientGone: true }));
  });
}

function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  if (body === undefined) {
    res.writeHead(status, withoutContentType(headers));
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-type'));
}

function stripBasePath(pathname: string, basePath: string): string | undefined {
  if (basePath === '') return pathname;
  if (pathname === basePath) return '/';
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : undefined;
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads `Authorization: Bearer <token>` (and GitHub's older `token <token>` when allowed). */
export function bearerToken(
  authorization: string | undefined,
  schemes: string[] = ['bearer'],
): string | undefined {
  if (!authorization) return undefined;
  const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!match?.[1] || !match[2]) return undefined;
  return schemes.includes(match[1].toLowerCase()) ? match[2] : undefined;
}
