/**
 * Target locks are leases: renewed while a run writes, so a run longer than the lock's time keeps
 * it; a run whose lock is taken from it (released by hand, or expired and taken) stops admitting
 * writes and ends interrupted, resumable, instead of writing on beside another sync.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession } from '../../src/cli/context.ts';
import type { CliSession } from '../../src/cli/context.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { LockHeldError } from '../../src/store/locks.ts';
import { executeSync, lockHolder } from '../../src/sync/execute.ts';
import { planRun } from '../../src/sync/run.ts';

const MANIFEST = path.resolve('docs/examples/sandbox.manifest.yaml');
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(): Promise<{ sandbox: SandboxSession; s: CliSession }> {
  const sandbox = await startDemoSandbox();
  open.push(sandbox);
  const dir = await mkdtemp(path.join(tmpdir(), 'lease-'));
  const s = await openSession(
    {
      cwd: dir,
      env: {
        ...(sandbox.env as Record<string, string>),
        ENVSYNC_MANIFEST: MANIFEST,
        ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
        ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 8).toString('base64'),
      },
    },
    undefined,
  );
  open.push(s);
  // GitHub's three variable writes are serial: with 800 ms each the run outlasts a 1 s lock, and
  // a lost lock is noticed (renewals every third of it) before the next write, even on a busy machine.
  sandbox.sandbox.github.faults = { latencyMs: 800 };
  return { sandbox, s };
}

const githubWrites = (sandbox: SandboxSession) =>
  sandbox.sandbox.github.log.entries.filter((e) => e.method === 'POST').length;

describe('locks are leases', () => {
  it('a run longer than its lock keeps it: renewed, another sync is refused meanwhile', async () => {
    const { sandbox, s } = await setup();
    const planned = await planRun(s.ctx, { project: s.project });
    const running = executeSync(s.ctx, planned, {
      dryRun: false,
      actor: 'long',
      action: 'sync',
      correlationId: '00000000-0000-4000-8000-000000000001',
      lockTtlMs: 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1300)); // past the first lock time
    await expect(s.ctx.records.locks.acquire(['github-vars'], 'other', 60_000)).rejects.toThrow(
      LockHeldError,
    );
    const result = await running;
    expect(result.ok).toBe(true);
    expect(githubWrites(sandbox)).toBe(3);
  });

  it('a run whose lock is taken stops admitting writes and ends interrupted', async () => {
    const { sandbox, s } = await setup();
    const planned = await planRun(s.ctx, { project: s.project });
    const correlationId = '00000000-0000-4000-8000-000000000002';
    const running = executeSync(s.ctx, planned, {
      dryRun: false,
      actor: 'first',
      action: 'sync',
      correlationId,
      lockTtlMs: 300,
    });
    while (githubWrites(sandbox) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    // Someone frees the lock by hand and another sync takes it.
    await s.ctx.records.locks.forceRelease('github-vars');
    await s.ctx.records.locks.acquire(['github-vars'], 'second', 60_000);
    const result = await running;
    expect(result.interrupted).toBe(true);
    expect(githubWrites(sandbox)).toBeLessThan(3);
    const entry = (await s.ctx.records.audit.list({ correlationId })).items[0];
    expect(entry).toMatchObject({ outcome: 'interrupted', detail: { reason: 'the target lock was lost' } });
    // The second sync's lock was not touched by the first run's release.
    expect((await s.ctx.records.locks.holder('github-vars'))?.holder).toBe('second');
    expect(lockHolder('first', correlationId)).not.toBe('second');
  });
});
