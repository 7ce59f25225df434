import type { SandboxClock } from './clock.ts';

/** What a window looks like after a request was counted (or refused). */
export interface WindowState {
  limit: number;
  used: number;
  remaining: number;
  /** Real epoch milliseconds at which the window resets. */
  resetAt: number;
}

/**
 * A fixed window that opens at its first request and resets `windowMs` (sandbox time) later,
 * which is how GitHub's hourly budget and the countdown in Render's recorded headers behave.
 */
export class FixedWindow {
  private start = -1;
  private used = 0;

  constructor(
    private readonly clock: SandboxClock,
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts `cost` if it fits in what is left; a refused request is not counted. */
  take(cost = 1): { allowed: boolean; state: WindowState } {
    this.roll();
    const allowed = this.used + cost <= this.limit;
    if (allowed) this.used += cost;
    return { allowed, state: this.state() };
  }

  peek(): WindowState {
    this.roll();
    return this.state();
  }

  private roll(): void {
    const now = this.clock.now();
    if (this.start < 0 || now >= this.start + this.clock.realMs(this.windowMs)) {
      this.start = now;
      this.used = 0;
    }
  }

  private state(): WindowState {
    return {
      limit: this.limit,
      used: this.used,
      remaining: Math.max(0, this.limit - this.used),
      resetAt: this.start + this.clock.realMs(this.windowMs),
    };
  }
}

/** Windows created on first use, one per key (a token, a token and a service, ...). */
export class WindowSet {
  private readonly windows = new Map<string, FixedWindow>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  get(key: string): FixedWindow {
    let window = this.windows.get(key);
    if (!window) {
      window = new FixedWindow(this.clock, this.limit, this.windowMs);
      this.windows.set(key, window);
    }
    return window;
  }

  clear(): void {
    this.windows.clear();
  }
}

/** Counts requests in flight per key, for limits on concurrency. */
export class ConcurrencyGate {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Returns a release function, or undefined when the key already has `limit` requests in flight. */
  acquire(key: string): (() => void) | undefined {
    const current = this.inFlight.get(key) ?? 0;
    if (current >= this.limit) return undefined;
    this.inFlight.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.inFlight.get(key) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, n);
    };
  }
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
