/**
 * The audit trail ("Truth Engine"): an append-only chain of entries, each holding the hash of the
 * one before, so that `genesisctl audit verify` finds any entry edited or removed. Entries are
 * written with `onlyIfNew` and never overwritten. They carry names and keyed fingerprints only.
 */
import { createHash } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import { getJson, listKeys } from './blobs.ts';
import { appendInSequence, listSequence } from './sequence.ts';

export type AuditAction =
  'audit' | 'plan' | 'sync' | 'heal' | 'rollback' | 'webhook' | 'export' | 'drift-check';
export type AuditOutcome = 'ok' | 'drift' | 'dry-run' | 'partial' | 'failed' | 'refused';

export interface AuditInput {
  readonly action: AuditAction;
  /** Token name or role; `cli:<user>` on the command line. */
  readonly actor: string;
  readonly correlation_id: string;
  readonly source?: string;
  readonly targets: readonly string[];
  readonly counts?: Readonly<Record<string, number>>;
  /** Key names, with a keyed fingerprint where a value was involved. */
  readonly keys?: Readonly<Record<string, string | null>>;
  readonly outcome: AuditOutcome;
  /** An error's class name (never its message, which could quote a provider). */
  readonly error?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditInput {
  readonly seq: number;
  readonly at: string;
  readonly prev_hash: string;
  readonly hash: string;
}

export interface AuditProblem {
  readonly seq: number;
  readonly problem: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly problems: readonly AuditProblem[];
}

const GENESIS = '0'.repeat(64);
const PREFIX = 'entries/';

/** JSON with sorted keys, so the hash does not depend on property order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const VERIFY_BATCH = 64;
const isEntry = (key: string) => /^entries\/\d{12}$/.test(key);

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonical(entry)).digest('hex');
}

export interface AuditLog {
  append(input: AuditInput): Promise<AuditEntry>;
  /**
   * Appends unless one of the last 100 entries already records this action of this correlation
   * id: a resumed sync that died between its audit entry and its journal does not write twice.
   */
  appendOnce(input: AuditInput): Promise<AuditEntry>;
  /** Newest first. */
  list(options?: {
    limit?: number;
    before?: number;
    correlationId?: string;
  }): Promise<{ items: AuditEntry[]; next?: number }>;
  verify(): Promise<AuditVerification>;
}

export function auditLog(store: Store, now: () => Date): AuditLog {
  return {
    append(input) {
      return appendInSequence<AuditEntry>(store, PREFIX, (seq, previous) => {
        const body: Omit<AuditEntry, 'hash'> = {
          ...input,
          seq,
          at: now().toISOString(),
          prev_hash: previous?.hash ?? GENESIS,
        };
        return { ...body, hash: entryHash(body) };
      });
    },

    async appendOnce(input) {
      const recent = await listSequence<AuditEntry>(store, PREFIX, {
        limit: 1,
        scan: 100,
        keep: (e) => e.correlation_id === input.correlation_id && e.action === input.action,
      });
      return recent.items[0] ?? this.append(input);
    },

    list(options = {}) {
      return listSequence<AuditEntry>(store, PREFIX, {
        ...options,
        keep: (e) => !options.correlationId || e.correlation_id === options.correlationId,
      });
    },

    async verify() {
      const keys = (await listKeys(store, PREFIX)).filter(isEntry);
      const head = await getJson<{ seq: number }>(store, `${PREFIX}head`);
      const problems: AuditProblem[] = [];
      let prevHash = GENESIS;
      let expected = 1;
      // Entries are read a batch at a time (the reads dominate) and checked in order.
      const entries = new Map<string, Promise<AuditEntry | undefined>>();
      const read = (from: number) => {
        for (const key of keys.slice(from, from + VERIFY_BATCH))
          entries.set(key, getJson<AuditEntry>(store, key));
      };
      read(0);
      for (const [index, key] of keys.entries()) {
        if (index % VERIFY_BATCH === 0) read(index + VERIFY_BATCH);
        const entry = await entries.get(key);
        entries.delete(key);
        const seq = Number(key.slice(PREFIX.length));
        if (!entry) continue;
        for (; expected < seq; expected++)
          problems.push({ seq: expected, problem: 'entry is missing (deleted)' });
        const { hash, ...body } = entry;
        if (entry.seq !== seq || hash !== entryHash(body))
          problems.push({ seq, problem: 'entry was altered: its hash does not match its content' });
        else if (entry.prev_hash !== prevHash)
          problems.push({ seq, problem: 'chain broken: prev_hash does not match the entry before' });
        prevHash = hash;
        expected = seq + 1;
      }
      // The head remembers how long the chain was: entries removed from its end show here.
      for (; head && expected <= head.seq; expected++)
        problems.push({ seq: expected, problem: 'entry is missing (deleted from the end)' });
      return { ok: problems.length === 0, entries: keys.length, problems };
    },
  };
}
