import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/providers/pacer.ts';
import { InterruptedError, withDeadline, withStop } from '../../src/providers/stop.ts';
import type { Clock, PaceBudget } from '../../src/providers/pacer.ts';

/** Time moves only when someone sleeps: pacing math without real waiting. */
function fakeClock(start = 0): Clock & { t: number; sleeps: number[] } {
  const clock = {
    t: start,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

/** The most admissions found in any window of `windowMs` starting at an admission. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  return Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));
}

async function admitAll(
  pacer: Pacer,
  clock: Clock,
  n: number,
  isWrite = true,
  holdMs = 0,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const release = await pacer.acquire(isWrite);
    times.push(clock.now());
    if (holdMs > 0) await clock.sleep(holdMs);
    release();
  }
  return times;
}

describe('Pacer', () => {
  const perSecond = (limit: number, applies: PaceBudget['applies'] = 'writes'): PaceBudget => ({
    applies,
    limit,
    windowMs: 1_000,
  });

  it('admits at most `limit` requests in any window', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ budgets: [perSecond(3)], clock });
    const times = await admitAll(pacer, clock, 10);
    expect(times.slice(0, 3)).toEqual([0, 0, 0]);
    expect(times[3]).toBe(1_000);
    expect(busiestWindow(times, 1_000)).toBe(3);
  });

  it('counts a request until a window after it completed, whatever its latency', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ budgets: [perSecond(2)], clock });
    const times = await admitAll(pacer, clock, 6, true, 300);
    // The first slot frees 1,000 ms after the first request finished at 300.
    expect(times[2]).toBeGreaterThanOrEqual(1_300);
    expect(busiestWindow(times, 1_300)).toBeLessThanOrEqual(2);
  });

  it('honours every budget at once (a minute and an hour)', async () => {
    const clock = fakeClock();
    const budgets: PaceBudget[] = [
      { applies: 'writes', limit: 80, windowMs: 60_000 },
      { applies: 'writes', limit: 500, windowMs: 3_600_000 },
    ];
    const pacer = new Pacer({ budgets, clock });
    const times = await admitAll(pacer, clock, 501);
    expect(busiestWindow(times, 60_000)).toBe(80);
    expect(times[500]).toBeGreaterThanOrEqual(3_600_000);
  });

  it('paces reads and writes against their own budgets', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ budgets: [perSecond(1, 'writes'), perSecond(5, 'reads')], clock });
    await admitAll(pacer, clock, 1, true);
    const reads = await admitAll(pacer, clock, 5, false);
    expect(reads).toEqual([0, 0, 0, 0, 0]);
    const [write] = await admitAll(pacer, clock, 1, true);
    expect(write).toBe(1_000);
  });

  it('scales windows by timeScale', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({
      budgets: [{ applies: 'all', limit: 1, windowMs: 60_000 }],
      timeScale: 0.001,
      clock,
    });
    const times = await admitAll(pacer, clock, 3);
    expect(times).toEqual([0, 60, 120]);
  });

  it('limits requests in flight', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ budgets: [], concurrency: 2, clock });
    const first = await pacer.acquire(false);
    await pacer.acquire(false);
    let thirdIn = false;
    const third = pacer.acquire(false).then((release) => {
      thirdIn = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(thirdIn).toBe(false);
    expect(pacer.inFlight).toBe(2);
    first();
    (await third)();
    expect(thirdIn).toBe(true);
  });

  it('holds everything while the provider says the budget is spent', async () => {
    const clock = fakeClock(1_000);
    const pacer = new Pacer({ budgets: [], clock });
    pacer.pauseUntil(5_000);
    const [t] = await admitAll(pacer, clock, 1, false);
    expect(t).toBe(5_000);
  });

  it('refuses budgets that could never admit anything', () => {
    expect(() => new Pacer({ budgets: [{ applies: 'all', limit: 0, windowMs: 1 }] })).toThrow(RangeError);
    expect(() => new Pacer({ budgets: [], timeScale: 0 })).toThrow(RangeError);
  });
});

describe('Pacer: announced budgets', () => {
  const announced: PaceBudget = { applies: 'writes', limit: 30, windowMs: 60_000, announced: true };

  it('starts from the documented limit and adopts the one the provider announces', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ budgets: [announced], clock, concurrency: 1 });
    expect(pacer.limits).toEqual([30]);
    pacer.observe(true, { limit: 100 });
    expect(pacer.limits).toEqual([100]);
    const times = await admitAll(pacer, clock, 150);
    expect(busiestWindow(times, 60_000)).toBe(100);
    // A budget the provider does not announce keeps its number.
    const fixed = new Pacer({ budgets: [{ ...announced, announced: false }], clock });
    fixed.observe(true, { limit: 100 });
    expect(fixed.limits).toEqual([30]);
  });

  it('waits for the reset when the provider says nothing is left, whatever its own count says', async () => {
    const clock = fakeClock(1_000);
    const pacer = new Pacer({ budgets: [announced], clock, concurrency: 1 });
    pacer.observe(true, { limit: 100, remaining: 2, resetMs: 10_000 });
    const times = await admitAll(pacer, clock, 3);
    expect(times).toEqual([1_000, 1_000, 11_000]);
    // Reads are another class: not held by the writes' window.
    expect(await admitAll(pacer, clock, 1, false)).toEqual([11_000]);
  });

  it('counts requests still in flight against what the provider says is left', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ budgets: [announced], clock, concurrency: 4 });
    const held = [await pacer.acquire(true), await pacer.acquire(true)];
    pacer.observe(true, { remaining: 2, resetMs: 5_000 });
    const release = await pacer.acquire(true);
    expect(clock.now()).toBe(5_000);
    for (const r of [...held, release]) r();
  });
});

describe('Pacer: deadlines', () => {
  it('does not begin a wait that would end past the run deadline', async () => {
    const clock = fakeClock(0);
    const pacer = new Pacer({ budgets: [{ applies: 'writes', limit: 1, windowMs: 60_000 }], clock });
    const first = await pacer.acquire(true);
    first();
    await expect(withDeadline(10_000, () => pacer.acquire(true))).rejects.toThrow(/past the deadline/);
    // Without a deadline the same request waits for the window.
    const release = await pacer.acquire(true);
    expect(clock.now()).toBeGreaterThanOrEqual(60_000);
    release();
  });

  it("ends a write's wait for budget when its run is asked to stop, instead of sleeping on", async () => {
    const pacer = new Pacer({ budgets: [{ applies: 'writes', limit: 1, windowMs: 60_000 }] });
    (await pacer.acquire(true))();
    const stop = AbortSignal.timeout(50);
    const started = Date.now();
    // The next slot is a minute away; the run stops after 50 ms and the write is not made.
    await expect(withStop(stop, () => pacer.acquire(true))).rejects.toThrow(InterruptedError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
