import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/store/audit.ts';
import type { AuditInput, AuditLog } from '../../src/store/audit.ts';
import { localBlobs } from './helpers.ts';

let blobs: Awaited<ReturnType<typeof localBlobs>>;
let log: AuditLog;
const entry = (n: number): AuditInput => ({
  action: 'sync',
  actor: 'admiral',
  correlation_id: `c${n}`,
  targets: ['render'],
  outcome: 'ok',
  counts: { n },
});

beforeEach(async () => {
  blobs = await localBlobs();
  log = auditLog(blobs.store('audit'), () => new Date());
});
afterEach(() => blobs.close());

describe('audit trail', () => {
  it('chains entries and verifies', async () => {
    const a = await log.append(entry(1));
    const b = await log.append(entry(2));
    expect(a.seq).toBe(1);
    expect(b.prev_hash).toBe(a.hash);
    expect(await log.verify()).toEqual({ ok: true, entries: 2, problems: [] });
    const page = await log.list({ limit: 1 });
    expect(page.items.map((e) => e.seq)).toEqual([2]);
    expect((await log.list({ before: page.next })).items.map((e) => e.seq)).toEqual([1]);
  });

  it('stays one unbroken chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(entry(i))));
    const result = await log.verify();
    expect(result).toEqual({ ok: true, entries: 10, problems: [] });
  });

  it('never overwrites an entry, and verify names an edited or removed one', async () => {
    for (let i = 1; i <= 4; i++) await log.append(entry(i));
    const store = blobs.store('audit');
    const edited = (await store.get('entries/000000000002', { type: 'json' })) as Record<string, unknown>;
    await store.setJSON('entries/000000000002', { ...edited, actor: 'mallory' });
    await store.delete('entries/000000000004');
    const result = await log.verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      { seq: 2, problem: 'entry was altered: its hash does not match its content' },
      { seq: 4, problem: 'entry is missing (deleted from the end)' },
    ]);
  });

  it('a recomputed hash does not hide an edit: the next entry no longer links', async () => {
    for (let i = 1; i <= 3; i++) await log.append(entry(i));
    const store = blobs.store('audit');
    const { entryHash } = await import('../../src/store/audit.ts');
    const { hash: _old, ...body } = (await store.get('entries/000000000002', { type: 'json' })) as Record<
      string,
      unknown
    > & { hash: string };
    const forged = { ...body, outcome: 'failed' };
    await store.setJSON('entries/000000000002', { ...forged, hash: entryHash(forged as never) });
    expect((await log.verify()).problems).toEqual([
      { seq: 3, problem: 'chain broken: prev_hash does not match the entry before' },
    ]);
  });
});
