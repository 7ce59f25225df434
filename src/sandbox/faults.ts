import { SeededRandom } from './random.ts';

/**
 * Fault kinds. All but `reset-after-apply` are decided and acted on before the handler runs, so a
 * faulted write never changes state. `reset-after-apply` is the opt-in exception: the write is
 * applied, then the connection is dropped without an answer, as a real API can do; clients must
 * tolerate not knowing whether their write landed.
 *  - `429`: the provider's 429 with `Retry-After` (`retryAfterSeconds`, sandbox seconds);
 *    `429-no-retry-after`: the same without the header.
 *  - `500` | `502` | `503`: the provider's error body with that status.
 *  - `reset`: the socket is destroyed, nothing is answered or applied.
 *  - `stall`: the request is held `stallMs` before it is handled; if the client gives up first,
 *    nothing is applied.
 *  - `slow-body`: handled normally, then the body trickles out over `slowBodyMs`.
 */
export const FAULT_KINDS = [
  '429',
  '429-no-retry-after',
  '500',
  '502',
  '503',
  'reset',
  'stall',
  'slow-body',
  'reset-after-apply',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultConfig {
  /** Seed of the PRNG that decides probabilistic faults. @default 1 */
  seed?: number;
  /** Real milliseconds added to every request (on top of the server's `latencyMs`). @default 0 */
  latencyMs?: number;
  /** Probability per request of each kind; their sum must not exceed 1. */
  rates?: Partial<Record<FaultKind, number>>;
  /** Consumed first, one entry per matching request (`null` = no fault); then `rates` apply. */
  sequence?: (FaultKind | null)[];
  /** Only requests matching these are faulted; both lists are optional. */
  match?: { methods?: string[]; routes?: string[] };
  /** Real milliseconds a `stall` holds the request. @default 5000 */
  stallMs?: number;
  /** Real milliseconds over which a `slow-body` response trickles out. @default 1000 */
  slowBodyMs?: number;
  /** `Retry-After` of a `429` fault, in sandbox seconds. @default 1 */
  retryAfterSeconds?: number;
}

export interface FaultTimings {
  latencyMs: number;
  stallMs: number;
  slowBodyMs: number;
  retryAfterSeconds: number;
}

/** Decides, per request and reproducibly, which fault (if any) to inject. */
export class FaultInjector {
  private current: FaultConfig = {};
  private random = new SeededRandom(1);
  private sequenceAt = 0;

  constructor(config: FaultConfig = {}) {
    this.configure(config);
  }

  get config(): FaultConfig {
    return structuredClone(this.current);
  }

  /** Replaces the configuration and restarts the PRNG and the sequence. */
  configure(config: FaultConfig): void {
    assertFaultConfig(config);
    this.current = structuredClone(config);
    this.random = new SeededRandom(config.seed ?? 1);
    this.sequenceAt = 0;
  }

  get timings(): FaultTimings {
    return {
      latencyMs: this.current.latencyMs ?? 0,
      stallMs: this.current.stallMs ?? 5000,
      slowBodyMs: this.current.slowBodyMs ?? 1000,
      retryAfterSeconds: this.current.retryAfterSeconds ?? 1,
    };
  }

  decide(method: string, route: string): FaultKind | undefined {
    const { match, sequence, rates } = this.current;
    if (match?.methods && !match.methods.includes(method)) return undefined;
    if (match?.routes && !match.routes.includes(route)) return undefined;
    if (sequence && this.sequenceAt < sequence.length) {
      return sequence[this.sequenceAt++] ?? undefined;
    }
    if (!rates) return undefined;
    // One draw per matching request whatever the outcome, so runs replay for a given seed.
    const draw = this.random.next();
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += rates[kind] ?? 0;
      if (draw < cumulative) return kind;
    }
    return undefined;
  }
}

function assertFaultConfig(config: FaultConfig): void {
  const fail = (why: string): never => {
    throw new Error(`[sandbox] invalid fault config: ${why}`);
  };
  let sum = 0;
  for (const [kind, rate] of Object.entries(config.rates ?? {})) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) fail(`unknown fault kind "${kind}"`);
    if (typeof rate !== 'number' || rate < 0 || rate > 1) fail(`rate of "${kind}" must be within [0, 1]`);
    sum += rate;
  }
  if (sum > 1 + 1e-9) fail('the rates add up to more than 1');
  for (const kind of config.sequence ?? []) {
    if (kind !== null && !(FAULT_KINDS as readonly string[]).includes(kind))
      fail(`unknown fault kind "${String(kind)}"`);
  }
  for (const key of ['latencyMs', 'stallMs', 'slowBodyMs', 'retryAfterSeconds'] as const) {
    const v = config[key];
    if (v !== undefined && (typeof v !== 'number' || v < 0 || !Number.isFinite(v)))
      fail(`${key} must be a non-negative number`);
  }
}
