/**
 * What the background function does with a request: check it was signed by one of our own
 * functions, then run the journal, or the sweep's batch, it names. Netlify answers the caller 202
 * at once.
 */
import * as v from 'valibot';
import { verifyInternal } from '../auth/internal.ts';
import { parseSnapshotKey } from '../store/encryption.ts';
import { isJournalId } from '../store/journals.ts';
import type { Journal } from '../store/journals.ts';
import { isSweepId } from '../store/sweeps.ts';
import { runJournalWith } from '../sync/background.ts';
import { failureOf, publishSyncFailed } from '../sync/notify.ts';
import { runSweepBatch } from '../sync/sweep.ts';
import type { BatchOutcome } from '../sync/sweep.ts';
import type { ApiDeps } from './deps.ts';
import { withDeadline } from '../providers/stop.ts';
import { BACKGROUND_DEADLINE_MS, BACKGROUND_GRACE_MS, OUTBOX_PASS_MS } from './limits.ts';
import { ApiError, readBodyText } from './http.ts';

/** A hand-off is one journal id (or sweep id and batch), signed: anything longer is refused unread. */
const MAX_HANDOFF_BYTES = 4096;

/** Hand-offs that made no progress, in a row, before a journal is left for `env resume`. */
export const MAX_STALLED = 3;

/** Runs a journal until its deadline, then hands what is left to a fresh invocation. */
export async function continueJournal(
  deps: ApiDeps,
  journalId: string,
  deadlineMs = BACKGROUND_DEADLINE_MS,
): Promise<Journal> {
  // Writes stop being admitted at the deadline; reads (the re-plan of a resumed journal) and the
  // writes in flight get the grace after it, and no request outlives that.
  const ran = await withDeadline(Date.now() + deadlineMs + BACKGROUND_GRACE_MS, async () =>
    // A deadline is a hand-off, not a failure: only giving up is announced (below).
    runJournalWith(deps.ctx, await deps.project(), journalId, {
      stop: AbortSignal.timeout(deadlineMs),
      announceInterruption: false,
    }),
  );
  if (ran.result?.interrupted) {
    // An invocation that could write nothing before its deadline hands on; three in a row stop,
    // so that a provider too slow for the deadline never turns into endless invocations.
    if ((ran.journal.stalled ?? 0) < MAX_STALLED) await deps.startBackground(journalId);
    else {
      await publishSyncFailed(
        deps.records.events,
        failureOf(
          ran.result,
          ran.journal,
          'interrupted',
          `${MAX_STALLED} invocations in a row wrote nothing before their deadline`,
        ),
      ).catch(() => undefined); // the journal stays resumable whether or not this is announced
      console.error(
        `[envsync] sync-background: journal ${journalId} stopped: ${MAX_STALLED} invocations in a row ` +
          'wrote nothing before their deadline (a provider too slow?); resume it with ' +
          `\`genesisctl env resume ${journalId}\` when the provider answers again`,
      );
    }
  }
  // The outbox: events a subscriber has not acknowledged yet get another round.
  await deps.records.events.retryPending(OUTBOX_PASS_MS).catch(() => 0);
  return ran.journal;
}

const HandoffId = v.optional(v.pipe(v.string(), v.uuid()));
const Body = v.union([
  v.strictObject({
    journal_id: v.pipe(v.string(), v.check(isJournalId, 'must be a journal id')),
    handoff_id: HandoffId,
  }),
  v.strictObject({
    sweep_id: v.pipe(v.string(), v.check(isSweepId, 'must be a sweep id')),
    batch: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)),
    handoff_id: HandoffId,
  }),
]);

/**
 * One batch of a sweep within the background deadline: what it could not check is handed to a
 * fresh invocation, until done; three invocations in a row that checked nothing stop.
 */
export async function continueSweepBatch(
  deps: ApiDeps,
  sweepId: string,
  batch: number,
  deadlineMs = BACKGROUND_DEADLINE_MS,
): Promise<BatchOutcome> {
  const ran = await withDeadline(Date.now() + deadlineMs + BACKGROUND_GRACE_MS, async () =>
    runSweepBatch(deps.ctx, await deps.manifestProject(), sweepId, batch, {
      stop: AbortSignal.timeout(deadlineMs),
    }),
  );
  if (ran.claimed && ran.remaining > 0) {
    if (ran.stalled < MAX_STALLED) await deps.startSweepBatch(sweepId, batch);
    else
      console.error(
        `[envsync] sync-background: sweep ${sweepId} batch ${batch} stopped: ${MAX_STALLED} invocations in a row ` +
          'checked nothing before their deadline (a provider too slow?); its targets stay unchecked in the sweep record',
      );
  }
  return ran;
}

export async function runBackgroundRequest(request: Request, deps: ApiDeps): Promise<Response> {
  let body: string;
  try {
    // Streamed and abandoned at the limit, before the signature is checked.
    body = await readBodyText(request, MAX_HANDOFF_BYTES);
  } catch (error) {
    if (error instanceof ApiError) return new Response(null, { status: error.status });
    throw error;
  }
  if (!verifyInternal(parseSnapshotKey(deps.config.snapshotKey), body, request.headers)) {
    console.error('[envsync] sync-background: refused a request that was not signed by EnvSync');
    return new Response(null, { status: 401 });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return new Response(null, { status: 400 });
  }
  const input = v.safeParse(Body, parsed);
  if (!input.success) return new Response(null, { status: 400 });
  // A signed hand-off delivered again (a replay, a duplicated invocation) is recognised by its id.
  if (input.output.handoff_id) {
    const first = await deps.blobs
      .store('journals')
      .setJSON(`handoffs/${input.output.handoff_id}`, { at: deps.now().toISOString() }, { onlyIfNew: true });
    if (!first.modified) return new Response(null, { status: 409 });
  }
  if ('sweep_id' in input.output) {
    const ran = await continueSweepBatch(deps, input.output.sweep_id, input.output.batch);
    return Response.json({ sweep_id: input.output.sweep_id, batch: input.output.batch, ...ran });
  }
  const journal = await continueJournal(deps, input.output.journal_id);
  return Response.json({ id: journal.id, status: journal.status });
}
