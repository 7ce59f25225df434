/** A signed hand-off replayed (or delivered twice) runs once: the door records each hand-off id. */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBackgroundRequest } from '../../src/api/background-door.ts';
import { signInternal } from '../../src/auth/internal.ts';
import { parseSnapshotKey } from '../../src/store/encryption.ts';
import { newJournal, specRequest } from '../../src/sync/background.ts';
import { planRun } from '../../src/sync/run.ts';
import { planSweep } from '../../src/sync/sweep.ts';
import { apiHarness } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

let api: ApiHarness;
beforeEach(async () => {
  api = await apiHarness();
});
afterEach(() => api.close());

describe('background hand-offs', () => {
  it('the same signed hand-off delivered twice is refused the second time (409)', async () => {
    const project = await api.deps.project();
    const planned = await planRun(api.deps.ctx, specRequest(project, {}));
    const journal = newJournal(randomUUID(), planned.plan, {
      action: 'sync',
      actor: 't',
      spec: {},
      now: new Date(),
    });
    await api.deps.records.journals.create(journal);
    const body = JSON.stringify({ journal_id: journal.id, handoff_id: randomUUID() });
    const send = () =>
      runBackgroundRequest(
        new Request('http://localhost/.netlify/functions/sync-background', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...signInternal(parseSnapshotKey(api.env['ENVSYNC_SNAPSHOT_KEY']), body, new Date()),
          },
          body,
        }),
        api.deps,
      );
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(409);
    expect((await api.deps.records.audit.list({ correlationId: journal.id })).items).toHaveLength(1);
  });

  it("a sweep's batch handed off: signed, it runs once; unsigned or malformed, it is refused", async () => {
    const sweep = await planSweep(api.deps.ctx, await api.deps.project(), { batchSize: 1 });
    const post = (body: string, signed = true) =>
      runBackgroundRequest(
        new Request('http://localhost/.netlify/functions/sync-background', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(signed
              ? signInternal(parseSnapshotKey(api.env['ENVSYNC_SNAPSHOT_KEY']), body, new Date())
              : {}),
          },
          body,
        }),
        api.deps,
      );
    const body = JSON.stringify({ sweep_id: sweep.id, batch: 0, handoff_id: randomUUID() });
    expect((await post(body, false)).status).toBe(401);
    const ran = await post(body);
    expect(ran.status).toBe(200);
    expect(await ran.json()).toMatchObject({ sweep_id: sweep.id, batch: 0, claimed: true, remaining: 0 });
    expect((await post(body)).status).toBe(409); // the same hand-off again
    // Another hand-off of the done batch claims nothing.
    const again = await post(JSON.stringify({ sweep_id: sweep.id, batch: 0, handoff_id: randomUUID() }));
    expect(await again.json()).toMatchObject({ claimed: false });
    for (const bad of [
      { sweep_id: '../x', batch: 0 },
      { sweep_id: sweep.id, batch: -1 },
      { sweep_id: sweep.id, batch: 0, journal_id: 'x' },
    ])
      expect((await post(JSON.stringify(bad))).status).toBe(400);
    expect((await api.deps.records.sweeps.get(sweep.id))?.counts.checked).toBe(1);
  });
});
