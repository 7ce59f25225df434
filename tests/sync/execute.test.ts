import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../../src/config/env.ts';
import { loadProject } from '../../src/config/manifest.ts';
import type { Project } from '../../src/config/manifest.ts';
import type { Adapter } from '../../src/providers/adapter.ts';
import { dotenvAdapter } from '../../src/providers/dotenv.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { LockHeldError } from '../../src/store/locks.ts';
import type { SnapshotStore } from '../../src/store/snapshots.ts';
import { checkDrift } from '../../src/sync/drift.ts';
import { executeSync, type SyncJournal } from '../../src/sync/execute.ts';
import { openRecords } from '../../src/sync/records.ts';
import { planRollback } from '../../src/sync/rollback.ts';
import { planRun } from '../../src/sync/run.ts';
import { fingerprint, KEY, localBlobs, rawFiles } from '../store/helpers.ts';

const CANARY = 'canary-exec-feedface';
const SECRET = `whsec_${Buffer.from('exec-tests-secret-0123456789').toString('base64')}`;
let dir: string;
let blobs: Awaited<ReturnType<typeof localBlobs>>;
let project: Project;
let calls: string[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'exec-'));
  await writeFile(
    path.join(dir, 'm.yaml'),
    'source: manifest\nseed: seed.env\ntargets:\n  a: { provider: dotenv, path: a.env }\n  b: { provider: dotenv, path: b.env }\n',
  );
  await writeFile(path.join(dir, 'seed.env'), `API_URL=https://api\nTOKEN=${CANARY}\n`);
  await writeFile(path.join(dir, 'a.env'), 'API_URL=https://old\nEXTRA=1\n');
  await writeFile(path.join(dir, 'b.env'), 'API_URL=https://api\n');
  blobs = await localBlobs();
  project = await loadProject(path.join(dir, 'm.yaml'), loadEnvConfig({}));
  calls = [];
});
afterEach(() => blobs.close());

/** The real dotenv adapter and snapshot store, with their calls written to one log to check order. */
function context(urls: string[] = []) {
  const records = openRecords({
    blobs,
    snapshotKey: () => KEY,
    fingerprint,
    now: () => new Date(),
    delivery: urls.length ? { urls, secret: SECRET, backoffMs: 1 } : undefined,
  });
  const logged: Adapter = {
    ...(dotenvAdapter as unknown as Adapter),
    write: async (target, ops) => {
      calls.push(`write:${target.id}`);
      return dotenvAdapter.write(target as never, ops);
    },
  };
  const snapshots: SnapshotStore = {
    ...records.snapshots,
    save: async (input) => {
      calls.push(`snapshot:${input.phase}:${input.target.id}`);
      return records.snapshots.save(input);
    },
  };
  const adapters = {
    ...createAdapters({ github: { token: 'x' }, render: { token: 'x' }, netlify: { token: 'x' } }),
    dotenv: logged as never,
  };
  return {
    adapters,
    ledger: records.ledger,
    records: { ...records, snapshots },
    fingerprint,
    now: () => new Date(),
  };
}

describe('executeSync', () => {
  it('records a check of the targets it touched when it ends, so the history agrees with the audit trail', async () => {
    const ctx = context();
    const planned = await planRun(ctx, { project });
    expect(planned.report.has_drift).toBe(true);
    const result = await executeSync(ctx, planned, { dryRun: false, actor: 'admiral:ci', action: 'sync' });
    const [check] = (await ctx.records.history.list({ limit: 1 })).items;
    expect(check).toMatchObject({ trigger: 'sync', correlation_id: result.correlationId, has_drift: false });
    expect(check?.targets.map((t) => t.id).sort()).toEqual(['a', 'b']);
    // The same as a fresh check reads from the targets.
    expect((await planRun(ctx, { project })).report.has_drift).toBe(false);
  });

  it('writes every pre-sync snapshot before the first write, then commits, audits and snapshots after', async () => {
    const ctx = context();
    const planned = await planRun(ctx, { project });
    const result = await executeSync(ctx, planned, { dryRun: false, actor: 'admiral:ci', action: 'sync' });
    expect(result.ok).toBe(true);
    expect(calls).toEqual([
      'snapshot:before:a',
      'snapshot:before:b',
      'write:a',
      'write:b',
      'snapshot:after:a',
      'snapshot:after:b',
    ]);
    const events = (await ctx.records.events.list()).items.reverse();
    expect(events.map((e) => `${e.type}:${(e.data['target'] as string | undefined) ?? ''}`)).toEqual([
      'envsync.init:',
      'envsync.commit:a',
      'envsync.commit:b',
    ]);
    expect(events.every((e) => e.correlation_id === result.correlationId)).toBe(true);
    expect(events[1]?.data).toMatchObject({
      created: ['TOKEN'],
      updated: ['API_URL'],
      deleted: [],
      snapshot_before: result.snapshots['a']?.before,
    });
    const [entry] = (await ctx.records.audit.list()).items;
    expect(entry).toMatchObject({
      action: 'sync',
      actor: 'admiral:ci',
      outcome: 'ok',
      correlation_id: result.correlationId,
      targets: ['a', 'b'],
    });
    expect(Object.keys(entry?.keys ?? {})).toEqual(['a:API_URL', 'a:TOKEN', 'b:TOKEN']);
    // Nothing readable holds the value: only the encrypted snapshot does, and its raw blob does not show it.
    for (const { file, text } of await rawFiles(blobs.directory)) expect(text, file).not.toContain(CANARY);
  });

  it('a resumed run reuses the snapshots an attempt saved but was killed before recording', async () => {
    const ctx = context();
    const planned = await planRun(ctx, { project });
    const correlationId = 'run-killed-after-snapshots';
    // The killed attempt: it saved a's rollback point, then died before its journal said so.
    const orphan = await ctx.records.snapshots.save({
      target: project.targets.get('a')!,
      source: 'manifest',
      correlationId,
      phase: 'before',
      state: planned.currents.get('a') ?? new Map(),
    });
    calls = [];
    const recorded = new Map<string, string>();
    const journal: SyncJournal = {
      resumed: true,
      before: (t) => recorded.get(t),
      recordBefore: (t, id) => {
        recorded.set(t, id);
        return Promise.resolve();
      },
      done: () => Promise.resolve(),
      wasDone: () => undefined,
      audited: false,
      markAudited: () => Promise.resolve(),
    };
    const result = await executeSync(ctx, planned, {
      dryRun: false,
      actor: 'admiral:ci',
      action: 'sync',
      correlationId,
      journal,
    });
    expect(result.snapshots['a']?.before).toBe(orphan.id);
    expect(recorded.get('a')).toBe(orphan.id);
    expect(calls.filter((c) => c.startsWith('snapshot:before'))).toEqual(['snapshot:before:b']);
    const befores = (await ctx.records.snapshots.list()).items.filter((x) => x.phase === 'before');
    expect(befores.map((x) => x.target).sort()).toEqual(['a', 'b']);
    // Resumed again after everything: no snapshot is saved twice.
    calls = [];
    await executeSync(ctx, planned, {
      dryRun: false,
      actor: 'admiral:ci',
      action: 'sync',
      correlationId,
      journal,
    });
    expect(calls.filter((c) => c.startsWith('snapshot:'))).toEqual([]);
  });

  it('a subscriber that answers 500 is retried and the sync still commits', async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits += 1;
      req.resume();
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ctx = context([`http://127.0.0.1:${(server.address() as AddressInfo).port}/`]);
    const result = await executeSync(ctx, await planRun(ctx, { project }), {
      dryRun: false,
      actor: 't',
      action: 'sync',
    });
    expect(result.ok).toBe(true);
    expect(await readFile(path.join(dir, 'a.env'), 'utf8')).toContain(CANARY);
    expect(hits).toBe(9); // init + two commits, three attempts each
    const [init] = (await ctx.records.events.list({ type: 'envsync.init' })).items;
    expect(await ctx.records.events.deliveries(init?.id ?? '')).toMatchObject([
      { ok: false, attempts: 3, status: 500 },
    ]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('two concurrent syncs to one target: exactly one proceeds, the other is told who holds it', async () => {
    const ctx = context();
    const planned = await planRun(ctx, { project, targets: ['a'] });
    const results = await Promise.allSettled(
      [1, 2].map((n) => executeSync(ctx, planned, { dryRun: false, actor: `sync-${n}`, action: 'sync' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(LockHeldError);
    expect(calls.filter((c) => c.startsWith('write'))).toEqual(['write:a']);
    expect((await ctx.records.audit.list()).items.map((e) => e.outcome).sort()).toEqual(['ok', 'refused']);
  });

  it('a dry run writes nothing and records that it did not', async () => {
    const ctx = context();
    const result = await executeSync(ctx, await planRun(ctx, { project }), {
      dryRun: true,
      actor: 't',
      action: 'sync',
    });
    expect(result.dryRun).toBe(true);
    expect(calls).toEqual([]);
    expect(await readFile(path.join(dir, 'a.env'), 'utf8')).toBe('API_URL=https://old\nEXTRA=1\n');
    expect((await ctx.records.audit.list()).items[0]?.outcome).toBe('dry-run');
    expect((await ctx.records.snapshots.list()).items).toEqual([]);
  });

  it('rollback to the pre-sync snapshot restores the target exactly', async () => {
    const ctx = context();
    const before = await readFile(path.join(dir, 'a.env'), 'utf8');
    const result = await executeSync(ctx, await planRun(ctx, { project, policy: { deletions: 'all' } }), {
      dryRun: false,
      actor: 't',
      action: 'sync',
    });
    expect(await readFile(path.join(dir, 'a.env'), 'utf8')).not.toContain('EXTRA');
    const planned = await planRollback(ctx, project, 'a', result.snapshots['a']?.before ?? '');
    expect(planned.plan.source).toEqual({ kind: 'snapshot', id: result.snapshots['a']?.before });
    await executeSync(ctx, planned, { dryRun: false, actor: 't', action: 'rollback' });
    expect(await readFile(path.join(dir, 'a.env'), 'utf8')).toBe(before);
    await expect(planRollback(ctx, project, 'b', result.snapshots['a']?.before ?? '')).rejects.toThrow(
      'is of target "a", not "b"',
    );
  });

  it('a drift check records history and publishes envsync.drift only on drift', async () => {
    const ctx = context();
    const first = await checkDrift(ctx, { project }, { trigger: 'schedule', actor: 'scheduler' });
    expect(first.record).toMatchObject({ trigger: 'schedule', has_drift: true });
    expect((await ctx.records.events.list({ type: 'envsync.drift' })).items[0]?.data).toMatchObject({
      check_id: first.record.id,
      trigger: 'schedule',
    });
    await executeSync(ctx, first.planned, { dryRun: false, actor: 't', action: 'heal' });
    const second = await checkDrift(ctx, { project }, { trigger: 'webhook', actor: 'render' });
    expect(second.record.has_drift).toBe(false);
    expect((await ctx.records.events.list({ type: 'envsync.drift' })).items).toHaveLength(1);
    // The heal recorded its own check when it ended (trigger sync), in parity like the webhook's.
    expect((await ctx.records.history.list()).items.map((c) => [c.trigger, c.has_drift])).toEqual([
      ['webhook', false],
      ['sync', false],
      ['schedule', true],
    ]);
  });
});
