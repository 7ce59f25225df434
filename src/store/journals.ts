/**
 * Plans handed out by `POST /api/plan`, and the journals the background sync works from. Both hold
 * names, actions and fingerprints — never values: a sync re-reads values from the source when it
 * runs and refuses if they no longer match what was planned.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import type { Plan, PlanEntry } from '../core/model.ts';
import { getJson, getJsonWithEtag, timeKey } from './blobs.ts';

/** What a caller asked for, as the API takes it: enough to plan again. */
export interface RunSpec {
  readonly from?: string;
  readonly targets?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly deletions?: 'never' | 'managed' | 'all';
  readonly mode?: 'overwrite' | 'create-only';
  readonly overwrite_unknown?: boolean;
}

export interface PlannedEntry {
  readonly key: string;
  readonly action: PlanEntry['action'];
  readonly source_fingerprint?: string;
  readonly target_fingerprint?: string;
  readonly target_updated_at?: string;
}

export interface StoredPlan {
  readonly id: string;
  readonly created_at: string;
  readonly actor: string;
  readonly spec: RunSpec;
  readonly source: string;
  readonly targets: readonly { readonly id: string; readonly entries: readonly PlannedEntry[] }[];
}

/** `interrupted`: stopped on request (Ctrl-C, a deadline) after some writes; resumable. */
export type JournalStatus = 'queued' | 'running' | 'interrupted' | 'done' | 'failed';

/** Who is running a journal, until when: renewed with every journal write, taken over only once expired. */
export interface JournalLease {
  readonly id: string;
  readonly expires_at: string;
}

/** The journal changed under a run: another invocation claimed it (its lease expired). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface Journal {
  /** The correlation id of the sync. */
  readonly id: string;
  readonly action: 'sync' | 'heal' | 'rollback';
  readonly actor: string;
  readonly status: JournalStatus;
  readonly created_at: string;
  readonly updated_at: string;
  readonly spec: RunSpec;
  readonly plan_id?: string;
  /** Rollback: the target and the snapshot to restore. */
  readonly rollback?: { readonly target: string; readonly snapshot_id: string };
  /** The writes to make, as planned. */
  readonly targets: StoredPlan['targets'];
  /** `target\u0000key` of every write done, with the provider's `updated_at` when it said. */
  readonly done: Readonly<Record<string, { readonly updated_at?: string }>>;
  /** Pre-sync snapshot per target, taken once, before the first write ever made. */
  readonly before: Readonly<Record<string, string>>;
  readonly audited: boolean;
  readonly attempts: number;
  /** Invocations in a row that ended at their deadline having written nothing and snapshotted nothing. */
  readonly stalled?: number;
  /** The invocation running it (see `JournalStore.claim`). */
  readonly lease?: JournalLease;
  readonly result?: {
    readonly ok: boolean;
    readonly applied: number;
    readonly failed: number;
    readonly snapshots: Readonly<Record<string, { before?: string; after?: string }>>;
  };
  readonly error?: string;
}

export const doneKey = (target: string, key: string) => `${target}\u0000${key}`;

export function plannedEntries(plan: Plan): StoredPlan['targets'] {
  return plan.targets.map((tp) => ({
    id: tp.target.id,
    entries: tp.entries.map((e) => ({
      key: e.key,
      action: e.action,
      ...(e.sourceFingerprint ? { source_fingerprint: e.sourceFingerprint } : {}),
      ...(e.targetFingerprint ? { target_fingerprint: e.targetFingerprint } : {}),
      ...(e.targetUpdatedAt ? { target_updated_at: e.targetUpdatedAt } : {}),
    })),
  }));
}

const PLAN_ID = /^plan_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z_[0-9a-f]{12}$/;
const JOURNAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isPlanId = (id: string) => PLAN_ID.test(id);
export const isJournalId = (id: string) => JOURNAL_ID.test(id);

export interface PlanStore {
  save(plan: Omit<StoredPlan, 'id' | 'created_at'>, at: Date): Promise<StoredPlan>;
  get(id: string): Promise<StoredPlan | undefined>;
}

export function planStore(store: Store): PlanStore {
  return {
    async save(plan, at) {
      const stored: StoredPlan = {
        id: `plan_${timeKey(at)}_${randomBytes(6).toString('hex')}`,
        created_at: at.toISOString(),
        ...plan,
      };
      await store.setJSON(stored.id, stored, { onlyIfNew: true });
      return stored;
    },
    get: (id) => (isPlanId(id) ? getJson<StoredPlan>(store, id) : Promise.resolve(undefined)),
  };
}

/** A claim that succeeded: the journal as claimed and the etag its next write must match. */
export interface JournalClaim {
  readonly journal: Journal;
  readonly etag: string;
}

export interface JournalStore {
  create(journal: Journal): Promise<void>;
  get(id: string): Promise<Journal | undefined>;
  /** Replaces the journal unconditionally (a journal no run holds: a failed start). */
  put(journal: Journal): Promise<void>;
  /**
   * Claims a journal for one invocation with compare-and-set: a queued one, or one whose lease has
   * expired (its runner died). Undefined when it is done, failed, missing, held by a live lease,
   * or another invocation won the same claim: a hand-off delivered twice runs once.
   */
  claim(
    id: string,
    leaseId: string,
    ttlMs: number,
    now: Date,
    options?: { takeOver?: boolean },
  ): Promise<JournalClaim | undefined>;
  /** Writes the journal if nobody else has since `etag`; returns the new etag, or throws LeaseLostError. */
  putHeld(journal: Journal, etag: string): Promise<string>;
  /**
   * Journals that can be resumed: interrupted, or running under a lease that expired (or any
   * running one with `takeOver`, when its runner is known to be gone). Newest first.
   */
  unfinished(now: Date, options?: { takeOver?: boolean }): Promise<Journal[]>;
  /** Every journal not done or failed (queued, running, interrupted), newest first: for `status`. */
  open(): Promise<Journal[]>;
}

export function journalStore(store: Store): JournalStore {
  async function all(): Promise<Journal[]> {
    const keys = (await store.list()).blobs.map((b) => b.key).filter(isJournalId);
    const found = await Promise.all(keys.map((k) => getJson<Journal>(store, k)));
    return found.filter((j): j is Journal => j !== undefined);
  }
  return {
    async create(journal) {
      const { modified } = await store.setJSON(journal.id, journal, { onlyIfNew: true });
      if (!modified) throw new Error(`journal ${journal.id} already exists`);
    },
    get: (id) => (isJournalId(id) ? getJson<Journal>(store, id) : Promise.resolve(undefined)),
    async put(journal) {
      await store.setJSON(journal.id, journal);
    },
    async claim(id, leaseId, ttlMs, now, options = {}) {
      if (!isJournalId(id)) return undefined;
      const found = await getJsonWithEtag<Journal>(store, id);
      if (!found) return undefined;
      const current = found.data;
      if (current.status === 'done' || current.status === 'failed') return undefined;
      const live =
        !options.takeOver &&
        current.status === 'running' &&
        current.lease !== undefined &&
        current.lease.id !== leaseId &&
        Date.parse(current.lease.expires_at) > now.getTime();
      if (live) return undefined;
      const journal: Journal = {
        ...current,
        status: 'running',
        attempts: current.attempts + 1,
        updated_at: now.toISOString(),
        lease: { id: leaseId, expires_at: new Date(now.getTime() + ttlMs).toISOString() },
      };
      const written = await store.setJSON(id, journal, { onlyIfMatch: found.etag });
      return written.modified && written.etag ? { journal, etag: written.etag } : undefined;
    },
    async unfinished(now, options = {}) {
      return (await all())
        .filter(
          (j) =>
            j.status === 'interrupted' ||
            (j.status === 'running' &&
              (options.takeOver || !j.lease || Date.parse(j.lease.expires_at) <= now.getTime())),
        )
        .sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
    },
    async open() {
      return (await all())
        .filter((j) => j.status !== 'done' && j.status !== 'failed')
        .sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
    },
    async putHeld(journal, etag) {
      const written = await store.setJSON(journal.id, journal, { onlyIfMatch: etag });
      if (!written.modified || !written.etag)
        throw new LeaseLostError(
          `journal ${journal.id} was claimed by another run (its lease expired); this run stopped, the other goes on`,
        );
      return written.etag;
    },
  };
}
