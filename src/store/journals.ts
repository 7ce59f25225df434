/**
 * Plans handed out by `POST /api/plan`, and the journals the background sync works from. Both hold
 * names, actions and fingerprints — never values: a sync re-reads values from the source when it
 * runs and refuses if they no longer match what was planned.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import * as v from 'valibot';
import type { Plan, PlanEntry } from '../core/model.ts';
import { getJson, getJsonWithEtag, timeKey } from './blobs.ts';

/** What a caller asked for, as the API takes it: enough to plan again. */
export interface RunSpec {
  /** The manifest environment (when it has environments). */
  readonly env?: string;
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
  /** Approvals, each signed over the plan's content (see `approvalMac`): an edited plan loses them. */
  readonly approvals?: readonly Approval[];
}

export interface Approval {
  readonly approver: string;
  readonly at: string;
  /** HMAC under a key derived from the snapshot key, over the plan's content, approver and time. */
  readonly mac: string;
}

/** A plan cannot be approved: by its own author, twice by one approver, or without a key. */
export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
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
  /** Adds a signed approval (compare-and-set); refuses the plan's author and a second approval by one approver. */
  approve(id: string, approver: string, at: Date): Promise<StoredPlan>;
  /** The approvals whose signature holds for the plan as stored now, one per approver, none by its author. */
  validApprovals(plan: StoredPlan): readonly Approval[];
}

/** Approvals as read from Blobs, where someone else may have written them. */
const ApprovalsSchema = v.array(v.object({ approver: v.string(), at: v.string(), mac: v.string() }));

/** What an approval signs: the plan as it was planned, who approves it and when. */
function approvalMac(key: Buffer, plan: StoredPlan, approver: string, at: string): string {
  const content = JSON.stringify([
    plan.id,
    plan.created_at,
    plan.actor,
    plan.spec,
    plan.source,
    plan.targets,
  ]);
  return createHmac('sha256', key)
    .update(JSON.stringify([content, approver, at]))
    .digest('base64url');
}

export function planStore(store: Store, approvalKey: () => Buffer | undefined = () => undefined): PlanStore {
  const key = () => {
    const k = approvalKey();
    if (!k)
      throw new ApprovalError('approvals are signed with a key derived from ENVSYNC_SNAPSHOT_KEY; set it');
    return k;
  };
  const validApprovals = (plan: StoredPlan): Approval[] => {
    const k = approvalKey();
    const stored = v.safeParse(ApprovalsSchema, plan.approvals);
    if (!k || !stored.success) return [];
    const seen = new Set<string>([plan.actor]);
    return stored.output.filter((a) => {
      const expected = Buffer.from(approvalMac(k, plan, a.approver, a.at));
      const given = Buffer.from(a.mac);
      if (seen.has(a.approver) || given.length !== expected.length || !timingSafeEqual(given, expected))
        return false;
      seen.add(a.approver);
      return true;
    });
  };
  return {
    validApprovals,
    async approve(id, approver, at) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const found = isPlanId(id) ? await getJsonWithEtag<StoredPlan>(store, id) : undefined;
        if (!found) throw new ApprovalError(`no plan ${id}; make one with POST /api/plan`);
        const plan = found.data;
        if (approver === plan.actor)
          throw new ApprovalError('a plan is approved by someone other than who made it');
        if (validApprovals(plan).some((a) => a.approver === approver))
          throw new ApprovalError(`${approver} has approved this plan already`);
        const when = at.toISOString();
        const approval = { approver, at: when, mac: approvalMac(key(), plan, approver, when) };
        const next: StoredPlan = { ...plan, approvals: [...validApprovals(plan), approval] };
        const written = await store.setJSON(id, next, { onlyIfMatch: found.etag });
        if (written.modified) return next;
      }
      throw new ApprovalError('the plan kept changing while it was approved; try again');
    },
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
