/**
 * Everything EnvSync records, on Netlify Blobs: snapshots, audit trail, parity history, events,
 * ledger and locks, opened together from one `BlobStores`.
 */
import type { Fingerprinter } from '../core/fingerprint.ts';
import type { AuditLog } from '../store/audit.ts';
import { auditLog, formatAnchor } from '../store/audit.ts';
import type { BlobStores } from '../store/blobs.ts';
import type { DeliveryOptions, EventBus } from '../store/events.ts';
import { eventBus } from '../store/events.ts';
import type { HistoryStore } from '../store/history.ts';
import { historyStore } from '../store/history.ts';
import type { LedgerStore } from '../store/ledger.ts';
import { blobLedgerStore } from '../store/ledger-blobs.ts';
import type { LockStore } from '../store/locks.ts';
import { lockStore } from '../store/locks.ts';
import type { JournalStore, PlanStore } from '../store/journals.ts';
import { journalStore, planStore } from '../store/journals.ts';
import type { SnapshotStore } from '../store/snapshots.ts';
import type { SweepStore } from '../store/sweeps.ts';
import { sweepStore } from '../store/sweeps.ts';
import { snapshotStore } from '../store/snapshots.ts';
import { deriveKey } from '../store/encryption.ts';

export interface Records {
  readonly snapshots: SnapshotStore;
  readonly audit: AuditLog;
  readonly history: HistoryStore;
  readonly events: EventBus;
  readonly locks: LockStore;
  readonly ledger: LedgerStore;
  readonly plans: PlanStore;
  readonly journals: JournalStore;
  readonly sweeps: SweepStore;
}

export interface RecordsOptions {
  readonly blobs: BlobStores;
  /** AES-256-GCM key for snapshot values (ENVSYNC_SNAPSHOT_KEY), read when first needed. */
  readonly snapshotKey: () => Buffer;
  /** HMAC key for the audit trail, never stored in Blobs; undefined signs nothing. */
  readonly auditKey?: () => Buffer | undefined;
  readonly fingerprint: Fingerprinter;
  readonly delivery?: DeliveryOptions;
  readonly now: () => Date;
}

export function openRecords({
  blobs,
  snapshotKey,
  auditKey,
  fingerprint,
  delivery,
  now,
}: RecordsOptions): Records {
  const audit = auditLog(blobs.store('audit'), now, auditKey);
  // Approvals are signed under a key of their own, derived from the snapshot key.
  const approvalKey = () => {
    try {
      return deriveKey(snapshotKey(), 'approvals-v1');
    } catch {
      return undefined;
    }
  };
  return {
    snapshots: snapshotStore(blobs.store('snapshots'), snapshotKey, fingerprint, now),
    audit,
    history: historyStore(blobs.store('history')),
    events: eventBus(blobs.store('events'), blobs.store('deliveries'), delivery, now, async () => {
      const head = await audit.head();
      return head && formatAnchor(head);
    }),
    locks: lockStore(blobs.store('locks'), now),
    ledger: blobLedgerStore(blobs.store('ledger')),
    plans: planStore(blobs.store('plans'), approvalKey),
    journals: journalStore(blobs.store('journals')),
    sweeps: sweepStore(blobs.store('sweeps')),
  };
}
