/**
 * Sweeps: an hourly check of many targets, planned by the scheduled function and run in batches
 * by background invocations. The sweep's record (its targets, batches and whether its reads fit
 * the hour) is written once; each batch has its own state blob, claimed with compare-and-set and
 * a lease, so two invocations never check the same batch and a dead one's batch is taken over.
 * States read from Blobs are validated: a blob someone else edited reads as nothing, not as data.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import * as v from 'valibot';
import { getJson, getUntrustedWithEtag, timeKey } from './blobs.ts';

const RecordSchema = v.object({
  id: v.string(),
  started_at: v.string(),
  /** Every target the sweep checks (lists expanded), in batch order. */
  targets: v.array(v.string()),
  batches: v.array(v.array(v.string())),
  /** Reads the sweep needs per provider, against what the hour allows (documented cost model). */
  reads: v.object({ estimated: v.record(v.string(), v.number()), budget: v.record(v.string(), v.number()) }),
  fits: v.boolean(),
  note: v.optional(v.string()),
  /** What each target declared by pattern found when the sweep started (`owner/name`, by target id). */
  found: v.optional(v.record(v.string(), v.array(v.string()))),
});
export type SweepRecord = v.InferOutput<typeof RecordSchema>;

const BatchSchema = v.object({
  status: v.picklist(['queued', 'running', 'done']),
  lease: v.optional(v.object({ id: v.string(), expires_at: v.string() })),
  checked: v.record(v.string(), v.object({ check_id: v.string(), has_drift: v.boolean() })),
  failed: v.record(v.string(), v.string()),
  invocations: v.number(),
  stalled: v.number(),
});
export type BatchState = v.InferOutput<typeof BatchSchema>;

export interface SweepSummary {
  readonly record: SweepRecord;
  readonly batches: readonly (BatchState | undefined)[];
  readonly counts: {
    readonly targets: number;
    readonly checked: number;
    readonly drifted: number;
    readonly failed: number;
    readonly unchecked: number;
  };
  readonly done: boolean;
}

export class SweepLeaseLostError extends Error {
  override readonly name = 'SweepLeaseLostError';
}

const SWEEP_ID = /^swp_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z_[0-9a-f]{8}$/;
export const isSweepId = (id: string) => SWEEP_ID.test(id);
export const newSweepId = (at: Date) => `swp_${timeKey(at)}_${randomBytes(4).toString('hex')}`;

const QUEUED: BatchState = { status: 'queued', checked: {}, failed: {}, invocations: 0, stalled: 0 };

export interface SweepStore {
  /** Writes the record and one queued state per batch; then it is the latest sweep. */
  create(record: SweepRecord): Promise<void>;
  get(id: string): Promise<SweepSummary | undefined>;
  /** The sweep's record alone (no batch states): what a batch's invocation needs. */
  record(id: string): Promise<SweepRecord | undefined>;
  latest(): Promise<SweepSummary | undefined>;
  /**
   * Claims a batch for one invocation: queued, or running under a lease that expired. Undefined
   * when it is done, held by a live lease, or another invocation won the same claim.
   */
  claim(
    id: string,
    batch: number,
    leaseId: string,
    ttlMs: number,
    now: Date,
  ): Promise<{ state: BatchState; etag: string } | undefined>;
  /** Writes a claimed batch's state if nobody else has since `etag`; returns the new etag. */
  put(id: string, batch: number, state: BatchState, etag: string): Promise<string>;
}

export function sweepStore(store: Store): SweepStore {
  const batchKey = (id: string, n: number) => `batches/${id}/${n}`;
  const readBatch = async (id: string, n: number) => {
    const found = await getUntrustedWithEtag(store, batchKey(id, n));
    if (!found) return undefined;
    const parsed = v.safeParse(BatchSchema, found.data);
    return { state: parsed.success ? parsed.output : undefined, etag: found.etag };
  };
  const summary = async (record: SweepRecord): Promise<SweepSummary> => {
    const batches = await Promise.all(
      record.batches.map(async (_, n) => (await readBatch(record.id, n))?.state),
    );
    let checked = 0;
    let drifted = 0;
    let failed = 0;
    for (const b of batches) {
      if (!b) continue;
      const states = Object.values(b.checked);
      checked += states.length;
      drifted += states.filter((s) => s.has_drift).length;
      failed += Object.keys(b.failed).length;
    }
    return {
      record,
      batches,
      counts: {
        targets: record.targets.length,
        checked,
        drifted,
        failed,
        unchecked: record.targets.length - checked - failed,
      },
      done: batches.every((b) => b?.status === 'done'),
    };
  };
  const sweeps: SweepStore = {
    async create(record) {
      const { modified } = await store.setJSON(`sweeps/${record.id}`, record, { onlyIfNew: true });
      if (!modified) throw new Error(`sweep ${record.id} already exists`);
      await Promise.all(
        record.batches.map((_, n) => store.setJSON(batchKey(record.id, n), QUEUED, { onlyIfNew: true })),
      );
      await store.setJSON('latest', { id: record.id });
    },
    async get(id) {
      const record = await sweeps.record(id);
      return record && summary(record);
    },
    async record(id) {
      if (!isSweepId(id)) return undefined;
      // Written once by the planner; one edited by someone else reads as no sweep.
      const parsed = v.safeParse(RecordSchema, await getJson<unknown>(store, `sweeps/${id}`));
      return parsed.success && parsed.output.id === id ? parsed.output : undefined;
    },
    async latest() {
      const latest = await getJson<{ id?: unknown }>(store, 'latest');
      return typeof latest?.id === 'string' ? sweeps.get(latest.id) : undefined;
    },
    async claim(id, n, leaseId, ttlMs, now) {
      const found = await readBatch(id, n);
      // A state nobody can read (edited by someone else) is claimed afresh: its targets are checked again.
      const state = found?.state ?? (found ? QUEUED : undefined);
      if (!found || !state || state.status === 'done') return undefined;
      if (state.status === 'running' && state.lease && Date.parse(state.lease.expires_at) > now.getTime())
        return undefined;
      const claimed: BatchState = {
        ...state,
        status: 'running',
        lease: { id: leaseId, expires_at: new Date(now.getTime() + ttlMs).toISOString() },
        invocations: state.invocations + 1,
      };
      const written = await store.setJSON(batchKey(id, n), claimed, { onlyIfMatch: found.etag });
      if (!written.modified || !written.etag) return undefined;
      return { state: claimed, etag: written.etag };
    },
    async put(id, n, state, etag) {
      const written = await store.setJSON(batchKey(id, n), state, { onlyIfMatch: etag });
      if (!written.modified || !written.etag)
        throw new SweepLeaseLostError(`sweep ${id} batch ${n} was taken over by another invocation`);
      return written.etag;
    },
  };
  return sweeps;
}
