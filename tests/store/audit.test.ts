import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, entryHash, formatAnchor, parseAnchor } from '../../src/store/audit.ts';
import type { AuditEntry, AuditHead, AuditInput, AuditLog } from '../../src/store/audit.ts';
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
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2, problems: [] });
    const page = await log.list({ limit: 1 });
    expect(page.items.map((e) => e.seq)).toEqual([2]);
    expect((await log.list({ before: page.next })).items.map((e) => e.seq)).toEqual([1]);
  });

  it('stays one unbroken chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(entry(i))));
    const result = await log.verify();
    expect(result).toMatchObject({ ok: true, entries: 10, problems: [] });
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

describe('audit trail under attack (Blobs write access, no audit key)', () => {
  const KEY = Buffer.alloc(32, 7);
  let signed: AuditLog;
  const raw = () => blobs.store('audit');
  const at = (seq: number) => `entries/${String(seq).padStart(12, '0')}`;
  beforeEach(() => {
    signed = auditLog(
      blobs.store('audit'),
      () => new Date(),
      () => KEY,
    );
  });

  it('an entry edited and the rest re-hashed fails on the signatures', async () => {
    for (let n = 1; n <= 4; n++) await signed.append(entry(n));
    expect(await signed.verify()).toMatchObject({ ok: true, signed: true });
    // Rewrite #2 and re-chain #3 and #4 with correct hashes, as someone with only Blobs access can.
    let prev = ((await raw().get(at(1), { type: 'json' })) as AuditEntry).hash;
    for (let seq = 2; seq <= 4; seq++) {
      const old = (await raw().get(at(seq), { type: 'json' })) as AuditEntry;
      const {
        hash: _h,
        mac,
        ...body
      } = { ...old, prev_hash: prev, ...(seq === 2 ? { outcome: 'failed' as const } : {}) };
      const hash = entryHash(body);
      await raw().setJSON(at(seq), { ...body, hash, mac });
      prev = hash;
    }
    await raw().setJSON('entries/head', { seq: 4, hash: prev });
    const result = await signed.verify();
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.seq)).toEqual(expect.arrayContaining([2, 3, 4]));
    expect(result.problems.some((p) => /signature/.test(p.problem))).toBe(true);
    // Without the key the same tampering passes the hash chain: the signatures are what catch it.
    expect((await log.verify()).problems.filter((p) => p.seq > 0 && !/head/.test(p.problem))).toEqual([]);
  });

  it('the end cut off and the head lowered fails; an old genuine head replayed fails against an anchor', async () => {
    for (let n = 1; n <= 3; n++) await signed.append(entry(n));
    const headAt3: unknown = await raw().get('entries/head', { type: 'json' });
    const anchor = (await signed.head()) as AuditHead;
    await signed.append(entry(4));
    await signed.append(entry(5));
    const anchor5 = (await signed.head()) as AuditHead;
    // Cut #4 and #5, lower the head by hand: the head's signature no longer matches.
    await raw().delete(at(5));
    await raw().delete(at(4));
    await raw().setJSON('entries/head', { seq: 3, hash: anchor.hash });
    expect((await signed.verify()).ok).toBe(false);
    // Put back the genuine head saved when #3 was the end: signatures hold, the anchor does not.
    await raw().setJSON('entries/head', headAt3);
    expect((await signed.verify()).ok).toBe(true);
    const held = await signed.verify({ anchor: anchor5 });
    expect(held.ok).toBe(false);
    expect(held.problems.at(-1)?.problem).toMatch(/anchor .* is gone/);
    expect((await signed.verify({ anchor })).ok).toBe(true);
  });

  it('a missing head while entries exist is a failure', async () => {
    await signed.append(entry(1));
    await raw().delete('entries/head');
    const result = await signed.verify();
    expect(result.ok).toBe(false);
    expect(result.problems[0]?.problem).toMatch(/head is missing/);
  });

  it('unsigned entries may lead the chain (written before signing), never follow a signed one', async () => {
    await log.append(entry(1));
    await signed.append(entry(2));
    expect((await signed.verify()).ok).toBe(true);
    await log.append(entry(3));
    const result = await signed.verify();
    expect(result.problems.map((p) => p.seq)).toEqual(expect.arrayContaining([3]));
  });

  it('parses and prints anchors, refusing anything else', () => {
    const head = { seq: 42, hash: 'a'.repeat(64) };
    expect(parseAnchor(formatAnchor(head))).toEqual(head);
    expect(parseAnchor('42:abc')).toBeUndefined();
    expect(parseAnchor('x:' + 'a'.repeat(64))).toBeUndefined();
  });
});

describe('incremental verify from signed checkpoints', () => {
  const KEY = Buffer.alloc(32, 8);
  let signed: AuditLog;
  const raw = () => blobs.store('audit');
  const at = (seq: number) => `entries/${String(seq).padStart(12, '0')}`;
  beforeEach(() => {
    signed = auditLog(
      raw(),
      () => new Date(),
      () => KEY,
    );
  });

  it('checks only the entries after the last checkpoint, in a few reads', async () => {
    for (let n = 1; n <= 20; n++) await signed.append(entry(n));
    expect(await signed.verify()).toMatchObject({ ok: true, mode: 'full', entries: 20 });
    for (let n = 21; n <= 23; n++) await signed.append(entry(n));
    const next = await signed.verify();
    expect(next).toMatchObject({
      ok: true,
      mode: 'incremental',
      entries: 3,
      from: { seq: 20 },
      head: { seq: 23 },
    });
    // Checkpoint and head, the checkpoint's entry, the 3 new ones, the new checkpoint.
    expect(next.reads).toBe(7);
    expect(await signed.verify()).toMatchObject({ ok: true, mode: 'incremental', entries: 0 });
  });

  it('an entry after the checkpoint edited is found; one before it only by --full', async () => {
    for (let n = 1; n <= 5; n++) await signed.append(entry(n));
    await signed.verify();
    await signed.append(entry(6));
    const six = (await raw().get(at(6), { type: 'json' })) as AuditEntry;
    await raw().setJSON(at(6), { ...six, outcome: 'failed' });
    expect((await signed.verify()).problems.map((p) => p.seq)).toContain(6);
    await raw().setJSON(at(6), six);
    const two = (await raw().get(at(2), { type: 'json' })) as AuditEntry;
    await raw().setJSON(at(2), { ...two, outcome: 'failed' });
    expect((await signed.verify()).ok).toBe(true); // the checkpoint vouches for 1–5
    const full = await signed.verify({ full: true });
    expect(full.ok).toBe(false);
    expect(full.problems.map((p) => p.seq)).toContain(2);
  });

  it('a checkpoint forged without the audit key is ignored: the whole chain is read', async () => {
    for (let n = 1; n <= 4; n++) await signed.append(entry(n));
    await signed.verify();
    const two = (await raw().get(at(2), { type: 'json' })) as AuditEntry;
    await raw().setJSON(at(2), { ...two, outcome: 'failed' });
    // Someone with Blobs access moves the checkpoint to the end, hoping to skip #2.
    const head = (await raw().get('entries/head', { type: 'json' })) as { seq: number; hash: string };
    await raw().setJSON('checkpoints/latest', { seq: head.seq, hash: head.hash, mac: 'f'.repeat(64) });
    const result = await signed.verify();
    expect(result.mode).toBe('full');
    expect(result.problems.map((p) => p.seq)).toContain(2);
  });
});
