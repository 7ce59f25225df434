/**
 * Sweeps on dotenv targets (no network): the plan says when the reads cannot fit the hour, a
 * batch is claimed by one invocation only, one stopped at its deadline is finished by the next
 * without checking a target twice, and a batch state someone else edited is checked afresh.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../../src/config/env.ts';
import { loadProject } from '../../src/config/manifest.ts';
import type { Project } from '../../src/config/manifest.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { openRecords } from '../../src/sync/records.ts';
import { planSweep, runSweepBatch } from '../../src/sync/sweep.ts';
import { fingerprint, KEY, localBlobs } from '../store/helpers.ts';

let dir: string;
let blobs: Awaited<ReturnType<typeof localBlobs>>;
let project: Project;
const TARGETS = 12;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sweep-'));
  const targets = Array.from({ length: TARGETS }, (_, i) => `  t${i}: { provider: dotenv, path: t${i}.env }`);
  await writeFile(
    path.join(dir, 'm.yaml'),
    `source: manifest\nseed: seed.env\ntargets:\n${targets.join('\n')}\n`,
  );
  await writeFile(path.join(dir, 'seed.env'), 'API_URL=https://api\n');
  for (let i = 0; i < TARGETS; i++)
    await writeFile(
      path.join(dir, `t${i}.env`),
      i % 4 === 0 ? 'API_URL=https://old\n' : 'API_URL=https://api\n',
    );
  blobs = await localBlobs();
  project = await loadProject(path.join(dir, 'm.yaml'), loadEnvConfig({}));
});
afterEach(() => blobs.close());

function context() {
  const records = openRecords({ blobs, snapshotKey: () => KEY, fingerprint, now: () => new Date() });
  const adapters = createAdapters({
    github: { token: '' },
    render: { token: '' },
    netlify: { token: '' },
  });
  return { adapters, ledger: records.ledger, records, fingerprint, now: () => new Date() };
}

describe('sweeps', () => {
  it('plans batches and says so, in the record and an event, when the reads cannot fit the hour', async () => {
    const ctx = context();
    const fits = await planSweep(ctx, project, { batchSize: 5 });
    expect(fits.batches.map((b) => b.length)).toEqual([5, 5, 2]);
    expect(fits.fits).toBe(true);
    // Read back as written (a local file's budget is none, not an Infinity that JSON stores as null).
    expect(await ctx.records.sweeps.record(fits.id)).toEqual(fits);
    // A record someone else edited reads as no sweep.
    await blobs.store('sweeps').setJSON(`sweeps/${fits.id}`, { ...fits, batches: 'all' });
    expect(await ctx.records.sweeps.get(fits.id)).toBeUndefined();
    // Six repositories listed once: two reads each (secrets and variables listings) against ten an hour.
    await writeFile(
      path.join(dir, 'gh.yaml'),
      'source: manifest\nseed: seed.env\ntargets:\n  ci: { provider: github, store: variables, repos: [a/r1, a/r2, a/r3, a/r4, a/r5, a/r6] }\n',
    );
    const github = await loadProject(path.join(dir, 'gh.yaml'), loadEnvConfig({}));
    const over = await planSweep(ctx, github, { batchSize: 5, readsPerHour: { github: 10 } });
    expect(over.targets).toEqual(['ci-a-r1', 'ci-a-r2', 'ci-a-r3', 'ci-a-r4', 'ci-a-r5', 'ci-a-r6']);
    expect(over.fits).toBe(false);
    expect(over.note).toMatch(/github: 12 of 10/);
    expect((await ctx.records.sweeps.latest())?.record.id).toBe(over.id);
    const events = (await ctx.records.events.list({ correlationId: over.id })).items;
    expect(events.map((e) => e.type)).toEqual(['envsync.sweep']);
    expect((await ctx.records.events.list({ correlationId: fits.id })).items).toEqual([]);
  });

  it('a batch runs once however often it is handed off, and a stopped one is finished by the next', async () => {
    const ctx = context();
    const sweep = await planSweep(ctx, project, { batchSize: 6 });
    // Two invocations of batch 0 at once: one claims it, the other does nothing.
    const [a, b] = await Promise.all([
      runSweepBatch(ctx, project, sweep.id, 0),
      runSweepBatch(ctx, project, sweep.id, 0),
    ]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    // Batch 1 stopped before it began: nothing checked, handed on; the next finishes it.
    const stopped = await runSweepBatch(ctx, project, sweep.id, 1, { stop: AbortSignal.abort() });
    expect(stopped).toMatchObject({ claimed: true, remaining: 6, stalled: 1 });
    expect(await runSweepBatch(ctx, project, sweep.id, 1)).toMatchObject({ claimed: true, remaining: 0 });
    expect((await runSweepBatch(ctx, project, sweep.id, 1)).claimed).toBe(false); // done
    const summary = await ctx.records.sweeps.get(sweep.id);
    expect(summary?.done).toBe(true);
    expect(summary?.counts).toMatchObject({ targets: 12, checked: 12, drifted: 3, failed: 0, unchecked: 0 });
    // One recorded check per target, none twice; one audit entry per batch invocation.
    const checks = (await ctx.records.history.list({ limit: 100 })).items;
    expect(checks.map((c) => c.targets[0]?.id).sort()).toEqual([...project.targets.keys()].sort());
    const audit = (await ctx.records.audit.list({ correlationId: sweep.id })).items.map((e) => e.outcome);
    expect(audit.sort()).toEqual(['drift', 'drift', 'interrupted']);
  });

  it('a batch state someone else edited is claimed afresh and its targets checked', async () => {
    const ctx = context();
    const sweep = await planSweep(ctx, project, { batchSize: 12 });
    await blobs.store('sweeps').set(`batches/${sweep.id}/0`, '{"status":"done","checked":{"__proto__":1}}');
    expect(await runSweepBatch(ctx, project, sweep.id, 0)).toMatchObject({ claimed: true, remaining: 0 });
    expect((await ctx.records.sweeps.get(sweep.id))?.counts.checked).toBe(12);
    expect(({} as Record<string, unknown>)['checked']).toBeUndefined();
  });
});
