/** Per-key results for batches where one key's failure must not hide the others. */
import { InterruptedError } from './stop.ts';
import type { Progress, WriteOutcome } from './adapter.ts';

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export interface OutcomesOptions {
  /** Keys worked on at once; the pacer still decides the real pace. @default 8 */
  readonly parallel?: number;
  /** Told of each key as soon as it is done; a failure to record stops the batch. */
  readonly progress?: Progress;
}

/**
 * Runs `work` for every item, a few at a time, and keeps input order. A small pool rather than
 * all at once: values are revealed (and sealed) only when their request is about to go, and the
 * pacer, not a pile of waiting promises, decides the real pace.
 */
export async function outcomesFor<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  work: (item: T) => Promise<{ readonly updatedAt?: string } | void>,
  options: OutcomesOptions = {},
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = new Array<WriteOutcome>(items.length);
  let next = 0;
  // A failure to record (the run lost its journal, or was asked to stop) hands out no more items;
  // the ones in flight finish and are recorded.
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped) {
      const index = next;
      next += 1;
      const item = items[index] as T;
      const key = keyOf(item);
      let outcome: WriteOutcome;
      // Asked to stop: no further request starts; the keys left are reported as not written.
      if (options.progress?.signal?.aborted) {
        outcomes[index] = { key, ok: false, error: new InterruptedError() };
        continue;
      }
      try {
        const done = await work(item);
        outcome =
          done?.updatedAt === undefined ? { key, ok: true } : { key, ok: true, updatedAt: done.updatedAt };
      } catch (error) {
        outcome = { key, ok: false, error: asError(error) };
      }
      outcomes[index] = outcome;
      // Outside the try: the key's write happened even if recording it fails.
      try {
        await options.progress?.(outcome);
      } catch (error) {
        stopped = true;
        throw error;
      }
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? 8, items.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  return outcomes;
}

/** Tells `progress` of outcomes that finished together (one bulk request), in order. */
export async function reportAll(
  outcomes: readonly WriteOutcome[],
  progress: Progress | undefined,
): Promise<void> {
  for (const outcome of outcomes) await progress?.(outcome);
}
