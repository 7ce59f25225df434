/**
 * Stopping a run between writes (Ctrl-C, SIGTERM, a lost lease, a deadline). The stop signal of
 * the run that started a batch travels with its async context, so every adapter honours it at one
 * place, the pacer, without each one passing it along: a write still waiting for admission is not
 * made; one already admitted finishes and is reported.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** A write not made because the run was asked to stop before it started. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor() {
    super('not written: the run was stopped before this write started');
  }
}

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` so that writes it starts stop being admitted once `signal` aborts. */
export function withStop<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  return signal ? scope.run(signal, work) : work();
}

/** Whether the run this code belongs to was asked to stop. */
export function stopRequested(): boolean {
  return scope.getStore()?.aborted === true;
}

/** Stop signals that aborted while a write waited for a provider budget's window to reset. */
const budgetWaits = new WeakSet<AbortSignal>();

/**
 * Notes that `signal` stopped a write that was waiting for a budget (not for a slow provider): the
 * run made no progress because the provider's window had not reset yet, which is not a stall.
 */
export function noteBudgetWaitCut(signal: AbortSignal): void {
  budgetWaits.add(signal);
}

/** Whether `signal` stopped a write that was waiting for a provider budget to reset. */
export function budgetWaitCut(signal: AbortSignal): boolean {
  return budgetWaits.has(signal);
}

/** The stop signal of the run this code belongs to, if it has one. */
export function stopSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** A provider did not answer before the run's deadline (a door's platform limit, less a margin). */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

const deadlineScope = new AsyncLocalStorage<number>();

/**
 * Runs `work` so that every provider request it makes ends by `atMs` (wall clock): attempts are
 * cut to the time left and no retry waits past it, so a door answers before its platform kills it.
 */
export function withDeadline<T>(atMs: number | undefined, work: () => Promise<T>): Promise<T> {
  return atMs === undefined ? work() : deadlineScope.run(atMs, work);
}

/** Real milliseconds left before the deadline of the run this code belongs to; undefined without one. */
export function timeLeftMs(nowMs: number): number | undefined {
  const at = deadlineScope.getStore();
  return at === undefined ? undefined : at - nowMs;
}
