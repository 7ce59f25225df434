import type { Contract } from './contract.ts';
import type { FaultConfig } from './faults.ts';
import type { ContractViolation, HttpSandbox } from './http.ts';
import type { RequestLog } from './requestlog.ts';

/** What every provider sandbox hands back: where it listens, its tokens, log, faults and contract. */
export class SandboxEndpoint {
  constructor(
    protected readonly server: HttpSandbox,
    private readonly basePath: string,
    /** API tokens the sandbox accepts; the first is `token`. */
    readonly tokens: readonly string[],
    /** Opens `/__sandbox/...` only; never accepted by the provider API. */
    readonly adminToken: string,
    readonly contract: Contract,
  ) {}

  /** Base URL a client is configured with, e.g. `http://127.0.0.1:PORT/v1`. */
  get url(): string {
    return `${this.server.baseOrigin}${this.basePath}`;
  }

  /** `http://127.0.0.1:PORT`; the control API lives at `${origin}/__sandbox`. */
  get origin(): string {
    return this.server.baseOrigin;
  }

  get port(): number {
    return this.server.port;
  }

  get token(): string {
    return this.tokens[0] ?? '';
  }

  get log(): RequestLog {
    return this.server.log;
  }

  /** The current fault configuration; assigning one replaces it and restarts its PRNG. */
  get faults(): FaultConfig {
    return this.server.faults.config;
  }

  set faults(config: FaultConfig) {
    this.server.faults.configure(config);
  }

  /** Responses that broke the contract (in strict mode each was replaced by a 500). */
  get violations(): readonly ContractViolation[] {
    return this.server.violations;
  }

  /** Moves the sandbox's clock forward (token and JWT expiry, rate-limit windows); see clock.ts. */
  advanceClock(ms: number): void {
    this.server.clock.advance(ms);
  }

  /** The sandbox's "now", in epoch milliseconds (real time plus every `advanceClock`). */
  now(): number {
    return this.server.clock.now();
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
