/**
 * Time scale. `timeScale` shrinks every rate-limit window: with 0.001 a one-minute window lasts
 * 60 real milliseconds. Header values stay in real-world units so a client parses them exactly as
 * it would against the provider:
 *  - durations (`Retry-After`, Render's `Ratelimit-Reset`) are sandbox seconds (60, not 0.06);
 *  - epoch resets (GitHub `x-ratelimit-reset`, Netlify `X-RateLimit-Reset`) are the real current
 *    epoch second plus the sandbox seconds left, so `reset - now` is again a sandbox duration.
 * Every response carries `x-sandbox-time-scale`; a client under test multiplies any wait it derives
 * from headers by that factor. Body timestamps and fault delays are real time, never scaled.
 *
 * `advance(ms)` moves the sandbox's "now" forward without waiting, so a test can let a GitHub App
 * installation token (1 h) or a JWT (10 min) expire; windows and timestamps follow it.
 */
export class SandboxClock {
  private offsetMs = 0;

  constructor(readonly timeScale = 1) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
      throw new Error(`[sandbox] timeScale must be a positive number, got ${String(timeScale)}`);
    }
  }

  /** Epoch milliseconds: real time plus what `advance` added. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves "now" forward by `ms` (never back: expired tokens stay expired). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new Error(`[sandbox] the clock moves forward only, got ${String(ms)} ms`);
    this.offsetMs += ms;
  }

  /** Real milliseconds that a sandbox duration of `sandboxMs` lasts. */
  realMs(sandboxMs: number): number {
    return sandboxMs * this.timeScale;
  }

  /** Whole sandbox seconds from now until the real instant `realAt`, rounded up, never negative. */
  sandboxSecondsUntil(realAt: number): number {
    return Math.max(0, Math.ceil((realAt - this.now()) / this.timeScale / 1000));
  }

  /** Epoch seconds for a reset header: the real current second plus the sandbox seconds left. */
  resetEpochSeconds(realAt: number): number {
    return Math.floor(this.now() / 1000) + this.sandboxSecondsUntil(realAt);
  }
}

/** `2020-01-10T14:59:22Z`: GitHub's timestamps carry whole seconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2024-09-03T23:38:57.548501Z`: Render's recorded timestamps carry microseconds. */
export function isoMicros(ms: number, micros = 0): string {
  return new Date(ms).toISOString().replace(/Z$/, `${String(micros % 1000).padStart(3, '0')}Z`);
}
