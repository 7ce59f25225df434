/**
 * A background run that cannot finish before its deadline stops admitting writes, records where
 * it stands and hands the rest of its journal to a fresh invocation, until done: no write made
 * twice, one init event, one commit per target.
 */
import { mkdtemp } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_STALLED, continueJournal } from '../../src/api/background-door.ts';
import { createApiDeps } from '../../src/api/deps.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import type { RunSpec } from '../../src/store/journals.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { newJournal, specRequest } from '../../src/sync/background.ts';
import { planRun } from '../../src/sync/run.ts';

const WRITE = ['PUT', 'POST', 'PATCH', 'DELETE'];
const open: SandboxSession[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/**
 * The demo sandbox with GitHub answering in `latencyMs`, and deps whose background function runs
 * `continueJournal` with `deadlineMs`, in process; `invocations()` counts them.
 */
async function handoffDeps(latencyMs: number, deadlineMs: number) {
  const session = await startDemoSandbox();
  open.push(session);
  session.sandbox.github.faults = { latencyMs };
  const dir = await mkdtemp(path.join(tmpdir(), 'handoff-'));
  let invocations = 0;
  const deps = await createApiDeps({
    env: {
      ...(session.env as Record<string, string>),
      ENVSYNC_MANIFEST: path.resolve('docs/examples/sandbox.manifest.yaml'),
      ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
      ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 6).toString('base64'),
    },
    background: async (journalId, d) => {
      invocations += 1;
      if (invocations > 20) throw new Error('handed on without end');
      await continueJournal(d, journalId, deadlineMs);
    },
  });
  return { session, deps, invocations: () => invocations };
}

/** Plans a sync now and hands its journal to the background function, as `POST /api/sync` does. */
async function syncInBackground(deps: ApiDeps, spec: RunSpec) {
  const planned = await planRun(deps.ctx, specRequest(await deps.project(), spec));
  const journal = newJournal(randomUUID(), planned.plan, {
    action: 'sync',
    actor: 't',
    spec: {},
    now: new Date(),
  });
  await deps.records.journals.create(journal);
  await deps.startBackground(journal.id);
  return journal;
}

describe('syncs longer than one invocation', () => {
  it('hand the rest of the journal to fresh invocations until done, writing nothing twice', async () => {
    // Three serial GitHub writes of 250 ms each against a 700 ms deadline: several invocations.
    const { session, deps, invocations: count } = await handoffDeps(250, 700);
    const journal = await syncInBackground(deps, {});

    expect(count()).toBeGreaterThan(1);
    expect((await deps.records.journals.get(journal.id))?.status).toBe('done');
    const writes = (['render', 'netlify', 'github'] as const).flatMap((p) =>
      session.sandbox[p].log.entries
        .filter((e) => WRITE.includes(e.method) && e.status < 300)
        .map((e) => e.path),
    );
    expect(writes).toHaveLength(4); // as many as planned: none made twice
    const events = (await deps.records.events.list({ correlationId: journal.id })).items.map((e) => e.type);
    expect(events.filter((t) => t === 'envsync.init')).toHaveLength(1);
    // A hand-off at a deadline is not a failure: nothing announces one.
    expect(events).not.toContain('envsync.sync_failed');
    const audit = (await deps.records.audit.list({ correlationId: journal.id })).items.map((e) => e.outcome);
    expect(audit).toContain('ok');
    expect(audit.filter((o) => o === 'interrupted').length).toBe(count() - 1);
  }, 60_000);

  it('stop handing on after invocations in a row that could write nothing: resumable, not endless', async () => {
    // Every GitHub answer takes longer than an invocation may admit writes for.
    const { session, deps, invocations: count } = await handoffDeps(400, 200);
    const journal = await syncInBackground(deps, { targets: ['github-vars'] });

    const left = await deps.records.journals.get(journal.id);
    expect(left?.status).toBe('interrupted'); // still resumable with `env resume`
    expect(left?.stalled).toBe(MAX_STALLED);
    // The first invocation took the snapshot (progress); then MAX_STALLED without any.
    expect(count()).toBeLessThanOrEqual(MAX_STALLED + 1);
    const writes = session.sandbox.github.log.entries.filter(
      (e) => WRITE.includes(e.method) && e.status < 300,
    );
    expect(writes).toHaveLength(0);
    // Giving up is announced once (and so notified), naming the target, never a value.
    const failed = (
      await deps.records.events.list({ correlationId: journal.id, type: 'envsync.sync_failed' })
    ).items;
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data).toMatchObject({
      outcome: 'interrupted',
      targets: ['github-vars'],
      reason: `${MAX_STALLED} invocations in a row wrote nothing before their deadline`,
    });
  }, 60_000);
});
