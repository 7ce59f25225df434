/**
 * The scheduled function's one-line summary (netlify-cli shows a scheduled function's log, not its
 * body): target ids and counts, never a key name or a value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScheduledCheck, scheduledSummary } from '../../src/api/scheduled.ts';
import { apiHarness, CANARY } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness();
});
afterAll(() => api.close());

describe('scheduledSummary', () => {
  it('says how many targets were checked, which drifted and the check id; no key, no value', async () => {
    const outcome = await runScheduledCheck(api.deps);
    const line = scheduledSummary(outcome);
    const id = 'checkId' in outcome ? outcome.checkId : '?';
    expect(line).toBe(`envsync drift-check: 2 targets checked, drift on 2 (web, api); check ${id}`);
    for (const leak of [CANARY, 'API_URL', 'TOKEN', 'https://']) expect(line).not.toContain(leak);
  });

  it('a sweep, a timeout and parity each read as one line', () => {
    expect(scheduledSummary({ sweepId: 'swp_1', targets: 300, batches: 12, fits: false })).toBe(
      "envsync drift-check: sweep swp_1 of 300 targets in 12 background batches (more reads than the providers' hourly budgets allow)",
    );
    expect(scheduledSummary({ timeout: true, auditSeq: 7 })).toContain(
      'did not answer in time; recorded as audit entry 7',
    );
    expect(
      scheduledSummary({ checkId: 'chk_1', hasDrift: false, targets: 1, drifted: [], heal: undefined }),
    ).toBe('envsync drift-check: 1 target checked, all in parity; check chk_1');
  });

  it('a target id with control characters is shown escaped', () => {
    const line = scheduledSummary({ checkId: 'c', hasDrift: true, targets: 1, drifted: ['a\u001b[2Jb'] });
    expect(line).not.toContain('\u001b');
  });
});
