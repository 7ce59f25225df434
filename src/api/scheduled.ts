/**
 * The scheduled drift check: audit every configured target, record it, publish `envsync.drift`
 * on drift and, with ENVSYNC_AUTOHEAL, queue a heal for the background sync rather than healing
 * inline — the scheduled function only reads, well inside its 30 s.
 */
import { randomUUID } from 'node:crypto';
import { newJournal } from '../sync/background.ts';
import { checkDrift } from '../sync/drift.ts';
import { deliverAfterResponse } from '../store/events.ts';
import type { ApiDeps } from './deps.ts';

export async function scheduledDriftCheck(
  deps: ApiDeps,
): Promise<{ checkId: string; hasDrift: boolean; heal?: string }> {
  const project = await deps.project();
  const check = await checkDrift(deps.ctx, { project }, { trigger: 'schedule', actor: 'scheduler' });
  const hasDrift = check.planned.report.has_drift;
  if (!hasDrift || !deps.renderWebhook.autoheal) return { checkId: check.record.id, hasDrift };
  const journal = newJournal(randomUUID(), check.planned.plan, {
    action: 'heal',
    actor: 'scheduler',
    spec: {},
    now: deps.now(),
  });
  await deps.records.journals.create(journal);
  await deps.startBackground(journal.id);
  return { checkId: check.record.id, hasDrift, heal: journal.id };
}

/** The scheduled door's work: the check, with its drift event delivered after the answer. */
export async function runScheduledCheck(
  deps: ApiDeps,
  context?: { readonly waitUntil?: (work: Promise<unknown>) => void },
): Promise<Awaited<ReturnType<typeof scheduledDriftCheck>>> {
  return deliverAfterResponse(context?.waitUntil?.bind(context), () => scheduledDriftCheck(deps));
}
