/** A signed hand-off replayed (or delivered twice) runs once: the door records each hand-off id. */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBackgroundRequest } from '../../src/api/background-door.ts';
import { signInternal } from '../../src/auth/internal.ts';
import { parseSnapshotKey } from '../../src/store/encryption.ts';
import { newJournal, specRequest } from '../../src/sync/background.ts';
import { planRun } from '../../src/sync/run.ts';
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
});
