import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvValue, Target } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import { parseSnapshotKey, SnapshotKeyError } from '../../src/store/encryption.ts';
import { snapshotState, snapshotStore } from '../../src/store/snapshots.ts';
import type { SnapshotStore } from '../../src/store/snapshots.ts';
import { fingerprint, KEY, localBlobs, rawFiles } from './helpers.ts';

const CANARY = 'canary-snap-0ddba11';
const TARGET: Target = { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: 'srv-1' } };
let blobs: Awaited<ReturnType<typeof localBlobs>>;
let snapshots: SnapshotStore;
let clock = 0;

beforeEach(async () => {
  blobs = await localBlobs();
  snapshots = snapshotStore(
    blobs.store('snapshots'),
    () => KEY,
    fingerprint,
    () => new Date(Date.UTC(2026, 10, 24) + clock++ * 1000),
  );
});
afterEach(() => blobs.close());

const state = new Map<string, EnvValue>([
  ['API_URL', { kind: 'value', value: new Secret('https://api') }],
  ['TOKEN', { kind: 'value', value: new Secret(CANARY) }],
  ['GH_SECRET', { kind: 'write-only', updatedAt: '2026-01-01T00:00:00Z' }],
]);

describe('snapshots', () => {
  it('are versioned, encrypted at rest and list newest first', async () => {
    const a = await snapshots.save({
      target: TARGET,
      source: 'manifest',
      correlationId: 'c1',
      phase: 'before',
      state,
    });
    const b = await snapshots.save({
      target: TARGET,
      source: 'manifest',
      correlationId: 'c1',
      phase: 'after',
      state,
      known: new Map([['GH_SECRET', new Secret('known')]]),
    });
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({
      provider: 'render',
      source: 'manifest',
      target: 'render',
      phase: 'before',
      restorable: ['API_URL', 'TOKEN'],
    });
    expect(a.variables['GH_SECRET']).toEqual({
      write_only: true,
      is_secret: true,
      updated_at: '2026-01-01T00:00:00Z',
    });
    expect(b.restorable).toEqual(['API_URL', 'GH_SECRET', 'TOKEN']);
    const listed = await snapshots.list({ target: 'render' });
    expect(listed.items.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(
      snapshots
        .values(await snapshots.get(a.id))
        .get('TOKEN')
        ?.reveal(),
    ).toBe(CANARY);
    for (const { file, text } of await rawFiles(blobs.directory)) expect(text, file).not.toContain(CANARY);
  });

  it('pages through a listing', async () => {
    for (let i = 0; i < 5; i++)
      await snapshots.save({ target: TARGET, source: 's', correlationId: `c${i}`, phase: 'export', state });
    const first = await snapshots.list({ limit: 2 });
    const second = await snapshots.list({ limit: 2, cursor: first.next });
    const third = await snapshots.list({ limit: 2, cursor: second.next });
    expect([...first.items, ...second.items, ...third.items].map((r) => r.correlation_id)).toEqual([
      'c4',
      'c3',
      'c2',
      'c1',
      'c0',
    ]);
    expect(third.next).toBeUndefined();
  });

  it('a rollback source holds what the snapshot can restore and names the rest', async () => {
    const snap = await snapshots.save({
      target: TARGET,
      source: 'm',
      correlationId: 'c',
      phase: 'before',
      state,
    });
    const { values, unrestorable } = snapshotState(snapshots, snap);
    expect([...values.keys()]).toEqual(['API_URL', 'TOKEN']);
    expect(unrestorable).toEqual(['GH_SECRET']);
  });

  it('refuse to write without a key, and say how to make one; a wrong key cannot read', async () => {
    expect(() => parseSnapshotKey(undefined)).toThrow(
      /ENVSYNC_SNAPSHOT_KEY is not set.*openssl rand -base64 32/,
    );
    expect(() => parseSnapshotKey('abcd')).toThrow(/is 3 bytes, not 32/);
    expect(parseSnapshotKey(KEY.toString('hex'))).toEqual(KEY);
    const keyless = snapshotStore(
      blobs.store('snapshots'),
      () => parseSnapshotKey(''),
      fingerprint,
      () => new Date(),
    );
    await expect(
      keyless.save({ target: TARGET, source: 'm', correlationId: 'c', phase: 'before', state }),
    ).rejects.toThrow(SnapshotKeyError);
    const snap = await snapshots.save({
      target: TARGET,
      source: 'm',
      correlationId: 'c',
      phase: 'before',
      state,
    });
    const wrong = snapshotStore(
      blobs.store('snapshots'),
      () => Buffer.alloc(32, 1),
      fingerprint,
      () => new Date(),
    );
    expect(() => wrong.values(snap)).toThrow('not the key it was written with');
  });

  it('reject ids that are not snapshot ids (no path traversal)', async () => {
    for (const id of ['../x', 'render/../../etc', 'render.2026-11-24T00-00-00-000Z.zzzzzzzz', '']) {
      await expect(snapshots.get(id)).rejects.toThrow('is not a snapshot id');
    }
  });
});

describe('snapshots under attack (Blobs write access, no key)', () => {
  const OTHER: Target = { id: 'other', provider: 'render', scope: { kind: 'service', serviceId: 'srv-2' } };
  const raw = () => blobs.store('snapshots');
  const blobKey = (id: string) => id.replace('.', '/');
  const save = (target: Target, phase: 'before' | 'after', s = state) =>
    snapshots.save({ target, source: 'manifest', correlationId: `c-${target.id}`, phase, state: s });

  it("refuses another target's values pasted into a snapshot", async () => {
    const victim = await save(TARGET, 'before');
    const donor = await save(
      OTHER,
      'before',
      new Map([['API_URL', { kind: 'value', value: new Secret('evil') }]]),
    );
    await raw().setJSON(blobKey(victim.id), { ...victim, values: donor.values });
    const forged = await snapshots.get(victim.id);
    expect(() => snapshots.values(forged)).toThrow(SnapshotKeyError);
    // Pasting the donor's key list along with its values does not help either.
    await raw().setJSON(blobKey(victim.id), {
      ...victim,
      restorable: donor.restorable,
      variables: donor.variables,
      values: donor.values,
    });
    const forged2 = await snapshots.get(victim.id);
    expect(() => snapshots.values(forged2)).toThrow(SnapshotKeyError);
  });

  it('refuses a record edited to restore a secret as plain text, to drop a key, or to change phase', async () => {
    const s = new Map<string, EnvValue>([
      ['TOKEN', { kind: 'value', value: new Secret(CANARY), secret: true }],
      ['KEEP', { kind: 'write-only' }],
    ]);
    const record = await save(TARGET, 'before', s);
    const edits = [
      {
        ...record,
        variables: { ...record.variables, TOKEN: { ...record.variables.TOKEN, is_secret: false } },
      },
      { ...record, variables: { TOKEN: record.variables.TOKEN } },
      { ...record, phase: 'after' },
    ];
    for (const edited of edits) {
      await raw().setJSON(blobKey(record.id), edited);
      expect(() => snapshots.values(edited as typeof record)).toThrow(SnapshotKeyError);
    }
  });

  it('refuses a record stored under an id that is not its own, and does not list it', async () => {
    const a = await save(TARGET, 'before');
    const copyId = a.id.replace(/\.[0-9a-f]{8}$/, '.00000000');
    await raw().setJSON(blobKey(copyId), a);
    await expect(snapshots.get(copyId)).rejects.toThrow(/altered/);
    const listed = await snapshots.list({ target: 'render' });
    expect(listed.items.map((r) => r.id)).toEqual([a.id]);
  });

  it('refuses values written before binding (no proof they belong where they are)', async () => {
    const a = await save(TARGET, 'before');
    const { bound: _bound, ...legacy } = a.values;
    expect(() => snapshots.values({ ...a, values: legacy })).toThrow(/written before its values were bound/);
  });
});
