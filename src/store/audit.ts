/**
 * The audit trail ("Truth Engine"): an append-only chain of entries, each holding the hash of the
 * one before, so that `genesisctl audit verify` finds any entry edited or removed. Entries are
 * written with `onlyIfNew` and never overwritten. They carry names and keyed fingerprints only.
 *
 * A chain alone does not stop someone who can write Blobs from re-hashing an edited trail or
 * cutting its end and lowering `head`. So each entry and the head carry an HMAC under a key that
 * is not in Blobs (derived from ENVSYNC_SNAPSHOT_KEY), and copies of the head kept elsewhere
 * (every delivered event, docs/audit/GITHUB_ENV_AUDIT.md) are anchors `verify` can be held to.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import { getJson, listKeys } from './blobs.ts';
import { appendInSequence, listSequence } from './sequence.ts';

export type AuditAction =
  | 'audit'
  | 'plan'
  | 'approve'
  | 'sync'
  | 'heal'
  | 'rollback'
  | 'webhook'
  | 'export'
  | 'drift-check'
  | 'lock-release';
export type AuditOutcome =
  'ok' | 'drift' | 'dry-run' | 'partial' | 'failed' | 'refused' | 'interrupted' | 'timeout';

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
  /** HMAC of `hash` under the audit key; absent on entries written before signing, or without a key. */
  readonly mac?: string;
}

/** The chain's end as `seq:hash`: what anchors a copy kept outside Blobs. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** What an anchor copied elsewhere says of the chain as it is now: nothing, or how it differs. */
function anchorProblems(anchor: AuditHead | undefined, hashes: ReadonlyMap<number, string>): AuditProblem[] {
  if (!anchor || hashes.get(anchor.seq) === anchor.hash) return [];
  return [
    {
      seq: anchor.seq,
      problem: hashes.has(anchor.seq)
        ? `entry differs from the anchor ${formatAnchor(anchor)}: the trail was rewritten since`
        : `entry of the anchor ${formatAnchor(anchor)} is gone: the trail was cut or rewritten since`,
    },
  ];
}

export interface AuditProblem {
  readonly seq: number;
  readonly problem: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** Entries checked: all of them (`full`), or those after the checkpoint. */
  readonly entries: number;
  /** `full`: the whole chain; `incremental`: from a signed checkpoint on. */
  readonly mode: 'full' | 'incremental';
  /** The checkpoint an incremental verify started from. */
  readonly from?: AuditHead;
  /** Blobs requests made (each an HTTP request on Netlify). */
  readonly reads: number;
  readonly problems: readonly AuditProblem[];
  /** The verified chain's end. */
  readonly head?: AuditHead;
  /** Whether entries and head were checked against the audit key (none configured: hashes only). */
  readonly signed: boolean;
}

export function formatAnchor(head: AuditHead): string {
  return `${head.seq}:${head.hash}`;
}

/** `<seq>:<hash>` as printed in events and the audit document. */
export function parseAnchor(text: string): AuditHead | undefined {
  const m = /^(\d{1,12}):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2] ?? '' } : undefined;
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
  /**
   * Checks the chain; with `anchor`, also that it still holds that entry (a copy kept elsewhere).
   * With an audit key, a verify that finds nothing wrong leaves a signed checkpoint, and the next
   * checks only what came after it (and that the checkpoint's entry is unchanged); `full` checks
   * every entry whatever the checkpoint says.
   */
  verify(options?: { anchor?: AuditHead; full?: boolean }): Promise<AuditVerification>;
  /** The chain's end as the head records it. */
  head(): Promise<AuditHead | undefined>;
}

function mac(key: Buffer, what: string): string {
  return createHmac('sha256', key).update(what).digest('hex');
}

function sameMac(a: string | undefined, b: string): boolean {
  return a !== undefined && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** `auditKey`: the HMAC key, never stored in Blobs; undefined when none is configured. */
export function auditLog(
  store: Store,
  now: () => Date,
  auditKey: () => Buffer | undefined = () => undefined,
): AuditLog {
  return {
    append(input) {
      const key = auditKey();
      return appendInSequence<AuditEntry>(
        store,
        PREFIX,
        (seq, previous) => {
          const body: Omit<AuditEntry, 'hash'> = {
            ...input,
            seq,
            at: now().toISOString(),
            prev_hash: previous?.hash ?? GENESIS,
          };
          const hash = entryHash(body);
          return { ...body, hash, ...(key ? { mac: mac(key, `entry:${hash}`) } : {}) };
        },
        (entry) => ({
          seq: entry.seq,
          hash: entry.hash,
          ...(key ? { mac: mac(key, `head:${entry.seq}:${entry.hash}`) } : {}),
        }),
      );
    },

    async head() {
      const head = await getJson<{ seq?: unknown; hash?: unknown }>(store, `${PREFIX}head`);
      return typeof head?.seq === 'number' && typeof head.hash === 'string'
        ? { seq: head.seq, hash: head.hash }
        : undefined;
    },

    async appendOnce(input) {
      const recent = await listSequence<AuditEntry>(store, PREFIX, {
        limit: 1,
        scan: 100,
        // An `interrupted` entry is not the run's last word: the resumed run records its own.
        keep: (e) =>
          e.correlation_id === input.correlation_id &&
          e.action === input.action &&
          e.outcome !== 'interrupted',
      });
      return recent.items[0] ?? this.append(input);
    },

    list(options = {}) {
      return listSequence<AuditEntry>(store, PREFIX, {
        ...options,
        keep: (e) => !options.correlationId || e.correlation_id === options.correlationId,
      });
    },

    async verify(options = {}) {
      const secret = auditKey();
      if (secret && !options.full) {
        const incremental = await verifyFromCheckpoint(store, secret, options.anchor);
        if (incremental) return incremental;
      }
      const result = await verifyAll(store, secret, options.anchor);
      if (result.ok && secret && result.head) await saveCheckpoint(store, secret, result.head);
      return result;
    },
  };
}

const CHECKPOINT = 'checkpoints/latest';

/** A checkpoint signed with the audit key: the chain was verified up to this entry. */
async function saveCheckpoint(store: Store, secret: Buffer, head: AuditHead): Promise<void> {
  await store.setJSON(CHECKPOINT, { ...head, mac: mac(secret, `checkpoint:${head.seq}:${head.hash}`) });
}

/**
 * Verifies the entries after the signed checkpoint, reading them by number up to the head (no
 * listing): undefined when there is no valid checkpoint, so the caller verifies everything. The
 * checkpoint's own entry is read again: a trail rewritten before it shows there.
 */
async function verifyFromCheckpoint(
  store: Store,
  secret: Buffer,
  anchor: AuditHead | undefined,
): Promise<AuditVerification | undefined> {
  let reads = 2;
  const [kept, head] = await Promise.all([
    getJson<{ seq?: unknown; hash?: unknown; mac?: unknown }>(store, CHECKPOINT),
    getJson<{ seq: number; hash?: string; mac?: string }>(store, `${PREFIX}head`),
  ]);
  if (typeof kept?.seq !== 'number' || typeof kept.hash !== 'string' || typeof kept.mac !== 'string')
    return undefined;
  const from: AuditHead = { seq: kept.seq, hash: kept.hash };
  // A checkpoint not signed with our key (edited, or from another key) is ignored, not trusted.
  if (!sameMac(kept.mac, mac(secret, `checkpoint:${from.seq}:${from.hash}`))) return undefined;
  // An anchor before the checkpoint is proven only by the whole chain.
  if (anchor && anchor.seq < from.seq) return undefined;
  const problems: AuditProblem[] = [];
  const keyOf = (seq: number) => `${PREFIX}${String(seq).padStart(12, '0')}`;
  const last = typeof head?.seq === 'number' ? head.seq : from.seq;
  const atCheckpoint = await getJson<AuditEntry>(store, keyOf(from.seq));
  reads += 1;
  // Rewritten or cut before the checkpoint: the whole chain is read, to name every entry touched.
  if (atCheckpoint?.hash !== from.hash) return undefined;
  if (!head && last > 0)
    problems.push({ seq: 0, problem: 'the head is missing while entries exist (removed or never written)' });
  if (head && !sameMac(head.mac, mac(secret, `head:${head.seq}:${head.hash ?? ''}`)))
    problems.push({
      seq: head.seq,
      problem: 'the head signature does not match: it was rewritten without the audit key',
    });
  if (last < from.seq) return undefined; // the head went back: the whole chain names what is gone
  let prevHash = from.hash;
  const hashes = new Map<number, string>([[from.seq, from.hash]]);
  for (let start = from.seq + 1; start <= last; start += VERIFY_BATCH) {
    const seqs = Array.from({ length: Math.min(VERIFY_BATCH, last - start + 1) }, (_, i) => start + i);
    const batch = await Promise.all(seqs.map((seq) => getJson<AuditEntry>(store, keyOf(seq))));
    reads += seqs.length;
    for (const [i, entry] of batch.entries()) {
      const seq = seqs[i] ?? 0;
      if (!entry) {
        problems.push({ seq, problem: 'entry is missing (deleted)' });
        continue;
      }
      const { hash, mac: entryMac, ...body } = entry;
      if (entry.seq !== seq || hash !== entryHash(body))
        problems.push({ seq, problem: 'entry was altered: its hash does not match its content' });
      else if (entry.prev_hash !== prevHash)
        problems.push({ seq, problem: 'chain broken: prev_hash does not match the entry before' });
      if (!sameMac(entryMac, mac(secret, `entry:${hash}`)))
        problems.push({
          seq,
          problem: 'entry signature does not match: written or re-hashed without the audit key',
        });
      hashes.set(seq, hash);
      prevHash = hash;
    }
  }
  if (head?.hash !== undefined && hashes.has(head.seq) && hashes.get(head.seq) !== head.hash)
    problems.push({
      seq: head.seq,
      problem: 'the head names another entry than the one stored at its number',
    });
  problems.push(...anchorProblems(anchor, hashes));
  const end = { seq: last, hash: hashes.get(last) ?? '' };
  const ok = problems.length === 0;
  if (ok && last > from.seq) {
    await saveCheckpoint(store, secret, end);
    reads += 1;
  }
  return {
    ok,
    entries: last - from.seq,
    mode: 'incremental',
    from,
    reads,
    problems,
    ...(last > 0 ? { head: end } : {}),
    signed: true,
  };
}

/** Every entry, from the listing: the full verify. */
async function verifyAll(
  store: Store,
  secret: Buffer | undefined,
  anchor: AuditHead | undefined,
): Promise<AuditVerification> {
  const keys = (await listKeys(store, PREFIX)).filter(isEntry);
  const head = await getJson<{ seq: number; hash?: string; mac?: string }>(store, `${PREFIX}head`);
  const problems: AuditProblem[] = [];
  let prevHash = GENESIS;
  let expected = 1;
  let signedSeen = false;
  const hashes = new Map<number, string>();
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
    const { hash, mac: entryMac, ...body } = entry;
    if (entry.seq !== seq || hash !== entryHash(body))
      problems.push({ seq, problem: 'entry was altered: its hash does not match its content' });
    else if (entry.prev_hash !== prevHash)
      problems.push({ seq, problem: 'chain broken: prev_hash does not match the entry before' });
    if (secret) {
      // Entries from before signing may lead the chain; once one is signed, all after must be.
      if (entryMac !== undefined) {
        signedSeen = true;
        if (!sameMac(entryMac, mac(secret, `entry:${hash}`)))
          problems.push({
            seq,
            problem: 'entry signature does not match: written or re-hashed without the audit key',
          });
      } else if (signedSeen) problems.push({ seq, problem: 'entry is not signed, after signed entries' });
    }
    hashes.set(seq, hash);
    prevHash = hash;
    expected = seq + 1;
  }
  if (!head && keys.length > 0)
    problems.push({
      seq: 0,
      problem: 'the head is missing while entries exist (removed or never written)',
    });
  if (head && secret && (head.mac !== undefined || signedSeen)) {
    const expectedMac = mac(secret, `head:${head.seq}:${head.hash ?? ''}`);
    if (!sameMac(head.mac, expectedMac))
      problems.push({
        seq: head.seq,
        problem: 'the head signature does not match: it was rewritten without the audit key',
      });
  }
  if (head?.hash !== undefined && hashes.has(head.seq) && hashes.get(head.seq) !== head.hash)
    problems.push({
      seq: head.seq,
      problem: 'the head names another entry than the one stored at its number',
    });
  // The head remembers how long the chain was: entries removed from its end show here.
  for (; head && expected <= head.seq; expected++)
    problems.push({ seq: expected, problem: 'entry is missing (deleted from the end)' });
  problems.push(...anchorProblems(anchor, hashes));
  let last = 0;
  for (const seq of hashes.keys()) if (seq > last) last = seq;
  return {
    ok: problems.length === 0,
    entries: keys.length,
    mode: 'full',
    // The listing (one request per 1,000 keys), the head and every entry.
    reads: Math.ceil(Math.max(1, keys.length) / 1000) + 1 + keys.length,
    problems,
    ...(last > 0 ? { head: { seq: last, hash: hashes.get(last) ?? '' } } : {}),
    signed: secret !== undefined,
  };
}
