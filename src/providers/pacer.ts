/**
 * Keeps requests inside a provider's budgets (GitHub: 80 content-creating requests a minute and
 * 500 an hour; Render: 30 writes a minute documented; Netlify: 500 requests a minute) so a large
 * sync never meets a 403/429 in the first place, and caps how many requests are in flight. Budgets
 * a provider announces in its rate-limit headers follow what it announces (`observe`).
 *
 * A sliding-window log per budget: a request occupies its slot from the moment it is admitted
 * until `windowMs` after it COMPLETES. The provider counts a request when it arrives, which is
 * somewhere between the two, so counting from completion keeps us under any window the provider
 * draws, whatever the latency (which matters when tests shrink a minute to milliseconds).
 */

import {
  DeadlineError,
  InterruptedError,
  noteBudgetWaitCut,
  stopRequested,
  stopSignal,
  timeLeftMs,
} from './stop.ts';

export interface Clock {
  /** Wall-clock milliseconds. @default Date.now */
  now(): number;
  /** Resolves after `ms` real milliseconds, or as soon as `signal` aborts. @default setTimeout */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface PaceBudget {
  /** Which requests count: writes (anything but GET/HEAD), reads, or all. */
  readonly applies: 'writes' | 'reads' | 'all';
  /** Requests allowed per window. */
  readonly limit: number;
  /** Window length in provider time (before `timeScale`). */
  readonly windowMs: number;
  /**
   * The provider announces this budget in its rate-limit headers (limit, remaining, reset) on the
   * answers to requests it counts: `limit` is where pacing starts (the documented number), and the
   * announced numbers replace it as they arrive.
   */
  readonly announced?: boolean;
}

export interface PacerOptions {
  readonly budgets: readonly PaceBudget[];
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Writes in flight at once, within `concurrency`. @default concurrency */
  readonly writeConcurrency?: number;
  /** Multiplies every window: `0.001` makes a minute last 60 ms. @default 1 */
  readonly timeScale?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /**
   * Where the budgets GitHub never announces (its secondary limits) are kept for every run using
   * the same token: a fresh invocation picking up a journal, or a CLI run beside the site's.
   */
  readonly share?: PaceShare;
}

/**
 * One run's use of the budgets it shares, in real ms: per budget (`budgetKey`), when each of its
 * requests stops counting (completion + window; in flight or reserved: as late as it could be),
 * and what the provider last announced.
 */
export interface PaceUse {
  readonly expiries: Readonly<Record<string, readonly number[]>>;
  readonly announced: Readonly<Record<string, { readonly remaining: number; readonly resetAt: number }>>;
}

/** Budget state kept outside the process (Blobs, compare-and-set): see `paceShares`. */
export interface PaceShare {
  /** Records `mine` as run `owner`'s use and returns every other run's, in one compare-and-set. */
  exchange(owner: string, mine: PaceUse, nowMs: number): Promise<readonly PaceUse[]>;
  /** Registers what to record when the run ends (its last use, its reservations released). */
  onSettle(publish: () => Promise<void>): void;
}

/** A budget's name in shared state: what it counts, its window and limit. */
export function budgetKey(budget: PaceBudget): string {
  return `${budget.applies}/${budget.windowMs}/${budget.limit}`;
}

/** Requests a run may admit between two exchanges with the shared state. */
const SHARE_CHUNK = 10;

interface Slot {
  /** Completion time (real ms); Infinity while in flight. */
  doneAt: number;
}

interface Window {
  readonly budget: PaceBudget;
  readonly realWindowMs: number;
  /** The budget's limit, or the provider's announced one. */
  limit: number;
  /** What the provider last said is left, and when (real ms) its window resets. */
  announced?: { remaining: number; resetAt: number };
  slots: Slot[];
  /** When each of the other runs' requests stops counting (real ms), from the shared state. */
  foreign: number[];
}

/** What a response says of the budget that counted it (see `announcedBudget`). */
export interface BudgetAnnouncement {
  readonly limit?: number;
  readonly remaining?: number;
  /** Provider ms until the window resets (scaled by `timeScale` here). */
  readonly resetMs?: number;
}

/** Releases the slot taken by `acquire`; call it once the response has been read. */
export type Release = () => void;

export class Pacer {
  readonly #windows: Window[];
  readonly #concurrency: number;
  readonly #writeConcurrency: number;
  readonly #clock: Clock;
  readonly #timeScale: number;
  #inFlight = 0;
  #writesInFlight = 0;
  #pausedUntil = 0;
  #waitingForRelease: (() => void)[] = [];
  /** Admission is FIFO: each caller waits for the one before it to be admitted. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: PacerOptions) {
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0)) throw new RangeError('timeScale must be a positive number');
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#writeConcurrency = Math.max(
      1,
      Math.min(this.#concurrency, options.writeConcurrency ?? this.#concurrency),
    );
    this.#clock = options.clock ?? systemClock;
    this.#timeScale = timeScale;
    this.#windows = options.budgets.map((budget) => {
      if (!(budget.limit >= 1) || !(budget.windowMs > 0))
        throw new RangeError('a pacing budget needs limit ≥ 1 and windowMs > 0');
      return {
        budget,
        realWindowMs: budget.windowMs * timeScale,
        limit: budget.limit,
        slots: [],
        foreign: [],
      };
    });
    this.#share = options.share;
    this.#share?.onSettle(() => this.#publish());
  }

  readonly #share: PaceShare | undefined;
  readonly #owner = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  /**
   * Per class (writes, reads): admissions reserved at the last exchange with the shared state,
   * and until when they hold.
   */
  readonly #allowance = { write: { left: 0, until: 0 }, read: { left: 0, until: 0 } };
  #exchanged = false;
  #shareFailed = false;

  /**
   * Adopts what the provider announced on the answer to a request of this class: its limit for
   * the budgets it announces, and how many requests are left until its window resets (less the
   * ones of the class still in flight, which it has not counted yet, or not answered for).
   */
  observe(isWrite: boolean, announcement: BudgetAnnouncement): void {
    const now = this.#clock.now();
    for (const window of this.#applicable(isWrite)) {
      if (!window.budget.announced) continue;
      if (announcement.limit !== undefined && announcement.limit >= 1) window.limit = announcement.limit;
      if (announcement.remaining !== undefined && announcement.resetMs !== undefined) {
        const inFlight = window.slots.filter((s) => s.doneAt === Infinity).length;
        window.announced = {
          remaining: announcement.remaining - inFlight,
          resetAt: now + announcement.resetMs * this.#timeScale,
        };
      }
    }
  }

  /** Writes a minute the tightest write budget allows now (the announced limit once heard). */
  writesPerMinute(): number {
    const writes = this.#applicable(true);
    return Math.min(Infinity, ...writes.map((w) => (w.limit * 60_000) / w.budget.windowMs));
  }

  /** The limit each budget paces to now (the announced one once a response said so). */
  get limits(): number[] {
    return this.#windows.map((w) => w.limit);
  }

  /** Waits for a slot in every budget that applies and for a free concurrency slot. */
  acquire(isWrite: boolean): Promise<Release> {
    const turn = this.#queue.then(() => this.#admit(isWrite));
    this.#queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** Holds every request until `atMs` (wall clock): the provider said its budget is spent. */
  pauseUntil(atMs: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, atMs);
  }

  /** Requests admitted and not yet released. */
  get inFlight(): number {
    return this.#inFlight;
  }

  async #admit(isWrite: boolean): Promise<Release> {
    for (;;) {
      // A write still waiting when its run is asked to stop is not made (see stop.ts).
      if (isWrite && stopRequested()) throw new InterruptedError();
      const now = this.#clock.now();
      if (now < this.#pausedUntil) {
        await this.#wait(this.#pausedUntil - now, now, isWrite);
        continue;
      }

      if (
        this.#inFlight >= this.#concurrency ||
        (isWrite && this.#writesInFlight >= this.#writeConcurrency)
      ) {
        await new Promise<void>((resolve) => this.#waitingForRelease.push(resolve));
        continue;
      }
      const wait = this.#budgetWait(isWrite, now);
      if (wait === 'release') {
        await new Promise<void>((resolve) => this.#waitingForRelease.push(resolve));
        continue;
      }
      if (wait > 0) {
        await this.#wait(wait, now, isWrite);
        continue;
      }
      // Admitted by this run's view: unless a reservation made just now covers it, the other runs'
      // use is asked (and a few requests reserved) first, and everything is weighed again.
      const allowance = this.#allowance[isWrite ? 'write' : 'read'];
      if (this.#share && (allowance.left <= 0 || now >= allowance.until)) {
        await this.#exchange(now, isWrite);
        continue;
      }
      allowance.left -= 1;
      break;
    }
    const slot: Slot = { doneAt: Infinity };
    for (const window of this.#applicable(isWrite)) {
      window.slots.push(slot);
      if (window.announced) window.announced.remaining -= 1;
    }
    this.#inFlight += 1;
    if (isWrite) this.#writesInFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.doneAt = this.#clock.now();
      this.#inFlight -= 1;
      if (isWrite) this.#writesInFlight -= 1;
      const waiting = this.#waitingForRelease;
      this.#waitingForRelease = [];
      for (const resolve of waiting) resolve();
    };
  }

  /**
   * Waits for the budget. A write's wait ends early when its run is asked to stop (a background
   * run at its deadline hands the rest on rather than sleeping past it); any other wait that would
   * end past the run's deadline is not begun.
   */
  async #wait(ms: number, now: number, isWrite: boolean): Promise<void> {
    const signal = isWrite ? stopSignal() : undefined;
    if (!signal) this.#withinDeadline(ms, now);
    await this.#clock.sleep(ms, signal);
    if (signal?.aborted) noteBudgetWaitCut(signal);
  }

  /** This run's use of each shared budget, with `reserve` more requests counted as if made now. */
  #use(now: number, reserve: number, isWrite?: boolean): PaceUse {
    const expiries: Record<string, number[]> = {};
    const announced: Record<string, { remaining: number; resetAt: number }> = {};
    const reserving = isWrite === undefined ? [] : this.#applicable(isWrite);
    for (const w of this.#windows) {
      const key = budgetKey(w.budget);
      // In flight or reserved: counted until a window after the latest it could complete.
      const late = now + w.realWindowMs + this.#holdMs(w);
      if (w.budget.announced) {
        // The provider counts these itself and says so on every answer: only its last word is kept.
        if (w.announced && w.announced.resetAt > now) announced[key] = { ...w.announced };
        continue;
      }
      const live = w.slots.map((s) => (s.doneAt === Infinity ? late : s.doneAt + w.realWindowMs));
      const reserved = reserving.includes(w) ? reserve : 0;
      expiries[key] = [...live.filter((e) => e > now), ...Array<number>(reserved).fill(late)];
    }
    return { expiries, announced };
  }

  /** Records this run's use as it stands, reserving nothing (the run is ending). */
  async #publish(): Promise<void> {
    if (!this.#share || !this.#exchanged) return; // never exchanged: nothing to say
    const now = this.#clock.now();
    await this.#share.exchange(this.#owner, this.#use(now, 0), now).catch(() => []);
    this.#allowance.write.left = 0;
    this.#allowance.read.left = 0;
  }

  /** How long a reservation holds: a tenth of the window. */
  #holdMs(w: Window): number {
    return w.realWindowMs / 10;
  }

  /**
   * Tells the shared state what this run used and reserves the next few requests, and learns what
   * the others use. Shared state that cannot be reached leaves pacing to this run's own record.
   */
  async #exchange(now: number, isWrite: boolean): Promise<void> {
    const share = this.#share;
    if (!share) return;
    const shared = this.#applicable(isWrite).filter((w) => !w.budget.announced);
    const room = Math.min(
      SHARE_CHUNK,
      ...shared.map((w) => w.limit - w.slots.length - w.foreign.filter((e) => e > now).length),
    );
    const reserve = Math.max(0, room);
    let others: readonly PaceUse[] = [];
    try {
      others = await share.exchange(this.#owner, this.#use(now, reserve, isWrite), now);
      this.#shareFailed = false;
    } catch (error) {
      if (!this.#shareFailed)
        console.error(
          `[envsync] pacing: the shared budget state could not be read (${(error as Error).name}); pacing on this run's own record`,
        );
      this.#shareFailed = true;
    }
    for (const w of this.#windows) {
      const key = budgetKey(w.budget);
      w.foreign = others.flatMap((o) => (o.expiries[key] ?? []).filter((e) => e > now));
      // What another run heard most recently of an announced budget stands until we hear ourselves.
      if (w.budget.announced && !w.announced)
        for (const o of others) {
          const a = o.announced[key];
          if (a && a.resetAt > now && (!w.announced || a.remaining < w.announced.remaining))
            w.announced = { ...a };
        }
    }
    // The reservation was sized before hearing the others; what is granted is sized after. The
    // compare-and-set orders the exchanges, so of two runs the later one sees the earlier's.
    const roomNow = Math.min(
      ...shared.map((w) => w.limit - w.slots.length - w.foreign.filter((e) => e > now).length),
    );
    // Without a budget to share, the exchange only passes on what the provider announced.
    this.#exchanged = true;
    // A reservation of one class replaces the other's in the shared state: that class asks again.
    if (shared.length > 0) this.#allowance[isWrite ? 'read' : 'write'].left = 0;
    // A class whose budgets the provider announces has nothing to reserve: what it hears is passed
    // on once a window, not on every hold (at 12 concurrent runs that was most of their Blobs traffic).
    this.#allowance[isWrite ? 'write' : 'read'] = {
      left: shared.length > 0 ? Math.max(0, Math.min(reserve, roomNow)) : Infinity,
      until:
        now +
        (shared.length > 0
          ? Math.min(...this.#windows.map((w) => this.#holdMs(w)))
          : Math.min(...this.#windows.map((w) => w.realWindowMs))),
    };
  }

  /** A wait that would end past the run's deadline is not begun (see stop.ts). */
  #withinDeadline(waitMs: number, now: number): void {
    const left = timeLeftMs(now);
    if (left !== undefined && waitMs >= left)
      throw new DeadlineError(
        `[envsync] the provider's budget frees up in ${Math.ceil(waitMs / 1000)} s, past the deadline; nothing more was sent`,
      );
  }

  #applicable(isWrite: boolean): Window[] {
    return this.#windows.filter(
      (w) => w.budget.applies === 'all' || (w.budget.applies === 'writes') === isWrite,
    );
  }

  /** 0 when a request may start now; else ms to sleep, or 'release' when only in-flight requests block. */
  #budgetWait(isWrite: boolean, now: number): number | 'release' {
    let longest = 0;
    for (const window of this.#applicable(isWrite)) {
      window.slots = window.slots.filter(
        (s) => s.doneAt === Infinity || s.doneAt + window.realWindowMs > now,
      );
      // The provider's own count wins while its window lasts: nothing left means wait for the reset.
      const announced = window.announced;
      if (announced && announced.resetAt <= now) window.announced = undefined;
      else if (announced && announced.remaining <= 0) longest = Math.max(longest, announced.resetAt - now);
      window.foreign = window.foreign.filter((e) => e > now);
      const excess = window.slots.length + window.foreign.length - window.limit + 1;
      if (excess <= 0) continue;
      // The `excess`-th slot to expire frees the room we need; in-flight slots expire last.
      const expiries = [...window.slots.map((s) => s.doneAt + window.realWindowMs), ...window.foreign].sort(
        (a, b) => a - b,
      );
      const freeAt = expiries[excess - 1] ?? Infinity;
      if (freeAt === Infinity) return 'release';
      longest = Math.max(longest, freeAt - now);
    }
    return longest;
  }
}

/** A budget set per provider, from the contracts. */
export const GITHUB_BUDGETS: readonly PaceBudget[] = [
  // Content-creating requests: secondary limits, never announced in headers.
  { applies: 'writes', limit: 80, windowMs: 60_000 },
  { applies: 'writes', limit: 500, windowMs: 3_600_000 },
  // With 80 writes at 5 points each, 500 reads keep us within 900 points a minute.
  { applies: 'reads', limit: 500, windowMs: 60_000 },
  // The primary budget (5,000 an hour for a token), announced in X-RateLimit-* on every answer.
  { applies: 'all', limit: 5_000, windowMs: 3_600_000, announced: true },
];
/** Render's docs say 30 writes a minute; its answers announce the token's real budget (100 seen). */
export const RENDER_BUDGETS: readonly PaceBudget[] = [
  { applies: 'writes', limit: 30, windowMs: 60_000, announced: true },
  { applies: 'reads', limit: 400, windowMs: 60_000, announced: true },
];
export const NETLIFY_BUDGETS: readonly PaceBudget[] = [
  { applies: 'all', limit: 500, windowMs: 60_000, announced: true },
];
