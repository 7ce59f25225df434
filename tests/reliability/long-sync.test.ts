/**
 * Syncs longer than one invocation (issue #14, point 6), time-scaled with smaller budgets of the
 * same shape so the test stays short; `npm run bench` runs the full sizes (docs/BENCHMARKS.md).
 * Each invocation is fresh: what the previous ones used of GitHub's unannounced secondary limits
 * reaches it only through the shared pacing state in Blobs.
 */
import { describe, expect, it } from 'vitest';
import { runLongSync } from './long-sync-harness.ts';

describe('syncs longer than one invocation, across fresh invocations', () => {
  const github = { perMinute: 4, perHour: 20 };

  it('GitHub: more keys than an hour allows finish over several invocations, nothing refused or repeated', async () => {
    const r = await runLongSync('github-org-secrets', { keys: 24, timeScale: 0.002, githubWrites: github });
    expect(r.status).toBe('done');
    expect(r.invocations).toBeGreaterThan(1);
    expect(r.writes).toBe(24);
    expect(r.repeated).toBe(0);
    expect(r.refused).toBe(0);
  }, 60_000);

  it("GitHub: invocations that only wait for the hour's budget to reset are not a stall", async () => {
    // 4 of the 24 writes wait about 47 minutes for the hour to reset: 9 invocations of 5 minutes
    // make no progress in a row, which a slow provider's stalls (3 in a row) would have stopped.
    const r = await runLongSync('github-org-secrets', {
      keys: 24,
      timeScale: 0.002,
      githubWrites: github,
      deadlineMs: 5 * 60_000,
    });
    expect(r.status).toBe('done');
    expect(r.invocations).toBeGreaterThan(3 + 2);
    expect(r.writes).toBe(24);
    expect(r.repeated).toBe(0);
    expect(r.refused).toBe(0);
  }, 60_000);

  it('GitHub: without the shared state a fresh invocation runs into the secondary limit', async () => {
    const r = await runLongSync('github-org-secrets', {
      keys: 24,
      timeScale: 0.002,
      githubWrites: github,
      share: false,
    });
    expect(r.refused).toBeGreaterThan(0);
    expect(r.repeated).toBe(0);
  }, 60_000);

  it("Render: more writes than one invocation's deadline allows, handed on, nothing refused or repeated", async () => {
    const r = await runLongSync('render', {
      keys: 40,
      timeScale: 0.01,
      renderWritesPerMinute: 6,
      deadlineMs: 150_000,
    });
    expect(r.status).toBe('done');
    expect(r.invocations).toBeGreaterThan(1);
    expect(r.writes).toBe(40);
    expect(r.repeated).toBe(0);
    expect(r.refused).toBe(0);
  }, 60_000);
});
