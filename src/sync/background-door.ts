/**
 * What the background function does with a request: check it was signed by one of our own
 * functions, then run the journal it names. Netlify answers the caller 202 at once.
 */
import * as v from 'valibot';
import type { ApiDeps } from '../api/deps.ts';
import { verifyInternal } from '../auth/internal.ts';
import { parseSnapshotKey } from '../store/encryption.ts';
import { isJournalId } from '../store/journals.ts';
import { runJournal } from './background.ts';

const Body = v.strictObject({ journal_id: v.pipe(v.string(), v.check(isJournalId, 'must be a journal id')) });

export async function runBackgroundRequest(request: Request, deps: ApiDeps): Promise<Response> {
  const body = await request.text();
  if (
    body.length > 4096 ||
    !verifyInternal(parseSnapshotKey(deps.config.snapshotKey), body, request.headers)
  ) {
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
  const journal = await runJournal(deps.ctx, await deps.project(), input.output.journal_id);
  return Response.json({ id: journal.id, status: journal.status });
}
