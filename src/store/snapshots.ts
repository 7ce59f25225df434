/**
 * Versioned snapshots of a target's variables: the rollback point written before the first write
 * of every sync, the state after it, and exports. Never overwritten (`onlyIfNew`). Values are
 * encrypted (AES-256-GCM); names, fingerprints and `updated_at` stay readable for listings.
 */
import { createHash } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import type { Fingerprinter } from '../core/fingerprint.ts';
import type { EnvMap, EnvValue, GitHubStore, Target } from '../core/model.ts';
import { dict } from '../core/names.ts';
import { Secret } from '../core/secret.ts';
import { getJson, listKeys, timeKey } from './blobs.ts';
import { open, seal } from './encryption.ts';
import type { Sealed } from './encryption.ts';

export type SnapshotPhase = 'before' | 'after' | 'export' | 'rollback';

/** The seed's `.env.sync.json` fields (`provider`, `source`, `synced_at`, `variables`), and ours. */
export interface SnapshotRecord {
  readonly id: string;
  readonly correlation_id: string;
  readonly provider: string;
  readonly source: string;
  readonly target: string;
  readonly synced_at: string;
  readonly phase: SnapshotPhase;
  /**
   * Per key: its fingerprint (readable values), or that it is write-only, and `updated_at`; what a
   * faithful rollback needs besides the value: whether it is a secret (Netlify `is_secret`) and its
   * scopes (Netlify). Snapshots written before these fields read as "secret when write-only".
   */
  readonly variables: Readonly<
    Record<
      string,
      {
        readonly fingerprint?: string;
        readonly write_only?: true;
        readonly updated_at?: string;
        readonly is_secret?: boolean;
        readonly scopes?: readonly string[];
      }
    >
  >;
  /** GitHub targets: the store and, for an organisation, who may use its keys, when snapshotted. */
  readonly store?: GitHubStore;
  readonly visibility?: 'all' | 'private' | 'selected';
  readonly selected_repository_ids?: readonly number[];
  /** Keys whose value the snapshot holds (encrypted), so rollback can restore them. */
  readonly restorable: readonly string[];
  readonly values: Sealed;
}

export interface SnapshotInput {
  readonly target: Target;
  readonly source: string;
  readonly correlationId: string;
  readonly phase: SnapshotPhase;
  readonly state: EnvMap;
  /** Values known for keys the target only reports as write-only (the ones EnvSync just wrote). */
  readonly known?: ReadonlyMap<string, Secret>;
}

const ID = /^([a-z0-9][a-z0-9_-]{0,62})\.(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.([0-9a-f]{8})$/;

export class SnapshotNotFoundError extends Error {
  override readonly name = 'SnapshotNotFoundError';
}

/** `render.2026-11-24T10-00-00-000Z.ab12cd34` ↔ blob key `render/2026-…Z.ab12cd34`. */
function keyOf(id: string): string {
  const m = ID.exec(id);
  if (!m)
    throw new SnapshotNotFoundError(
      `"${id.slice(0, 80)}" is not a snapshot id; list them with \`genesisctl snapshots list\`.`,
    );
  return `${m[1] ?? ''}/${m[2] ?? ''}.${m[3] ?? ''}`;
}

export interface SnapshotStore {
  /** Throws the clear missing-key error now, before a sync writes anything. */
  assertWritable(): void;
  save(input: SnapshotInput): Promise<SnapshotRecord>;
  /**
   * The id of a snapshot one run (correlation id) already saved of a target in a phase: how a
   * resumed sync finds the rollback point an attempt saved just before it was killed.
   */
  findOfRun(target: string, correlationId: string, phase: SnapshotPhase): Promise<string | undefined>;
  get(id: string): Promise<SnapshotRecord>;
  /** The snapshot's values, decrypted: plaintext only for rollback and `--include-values`. */
  values(record: SnapshotRecord): Map<string, Secret>;
  /** Newest first. */
  list(options?: {
    target?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: SnapshotRecord[]; next?: string }>;
}

/** An id's last part: derived from the run and phase, so a run's snapshots can be found by key. */
function runTag(correlationId: string, phase: SnapshotPhase): string {
  return createHash('sha256').update(`${correlationId}:${phase}`).digest('hex').slice(0, 8);
}

/** `key` is read when first needed, so listings work without ENVSYNC_SNAPSHOT_KEY. */
export function snapshotStore(
  store: Store,
  key: () => Buffer,
  fingerprint: Fingerprinter,
  now: () => Date,
): SnapshotStore {
  return {
    assertWritable() {
      key();
    },
    async save({ target, source, correlationId, phase, state, known }) {
      const at = now();
      const id = `${target.id}.${timeKey(at)}.${runTag(correlationId, phase)}`;
      const variables = dict<SnapshotRecord['variables'][string]>();
      const plain = dict<string>();
      for (const [name, v] of [...state].sort(([a], [b]) => (a < b ? -1 : 1))) {
        variables[name] = describe(name, v, fingerprint);
        const value = v.kind === 'value' ? v.value : known?.get(name);
        if (value) plain[name] = value.reveal();
      }
      const unsealed: Omit<SnapshotRecord, 'values'> = {
        id,
        correlation_id: correlationId,
        provider: target.provider,
        source,
        target: target.id,
        synced_at: at.toISOString(),
        phase,
        variables,
        ...githubPlacement(target),
        restorable: Object.keys(plain),
      };
      const record: SnapshotRecord = {
        ...unsealed,
        values: seal(key(), JSON.stringify(plain), sealContext(unsealed)),
      };
      const { modified } = await store.setJSON(keyOf(id), record, { onlyIfNew: true });
      if (!modified) throw new Error(`snapshot ${id} already exists`);
      return record;
    },
    async findOfRun(target, correlationId, phase) {
      const tag = `.${runTag(correlationId, phase)}`;
      const key = (await listKeys(store, `${target}/`)).find((k) => k.endsWith(tag));
      return key === undefined ? undefined : key.replace('/', '.');
    },
    async get(id) {
      const record = await getJson<SnapshotRecord>(store, keyOf(id));
      if (!record)
        throw new SnapshotNotFoundError(`No snapshot ${id}; list them with \`genesisctl snapshots list\`.`);
      // A record copied under another id is not that snapshot.
      if (record.id !== id)
        throw new SnapshotNotFoundError(
          `The record stored as snapshot ${id} names itself ${String(record.id).slice(0, 80)}: it was altered; EnvSync will not use it.`,
        );
      return record;
    },
    values(record) {
      const plain = JSON.parse(open(key(), record.values, sealContext(record))) as Record<string, string>;
      return new Map(Object.entries(plain).map(([k, v]) => [k, new Secret(v)]));
    },
    async list(options = {}) {
      const keys = (await listKeys(store, options.target ? `${options.target}/` : '')).sort(byTimeDesc);
      const start = options.cursor ? keys.indexOf(options.cursor) + 1 : 0;
      const limit = options.limit ?? 50;
      const page = keys.slice(start, start + limit);
      const items = await Promise.all(page.map((k) => getJson<SnapshotRecord>(store, k)));
      const next = start + limit < keys.length ? page[page.length - 1] : undefined;
      // A record whose id does not match where it is stored was copied there: not listed.
      const genuine = items.filter(
        (r, i): r is SnapshotRecord =>
          r !== undefined && typeof r.id === 'string' && ID.test(r.id) && keyOf(r.id) === page[i],
      );
      return { items: genuine, next };
    },
  };
}

/**
 * What a snapshot's ciphertext is bound to (AES-GCM additional data): its id, provider, target,
 * phase, the keys it holds and how each is to be restored (secret or not, scopes), and GitHub's
 * store. Values pasted from another snapshot, or a record edited to restore a secret as plain
 * text, no longer open.
 */
function sealContext(record: Omit<SnapshotRecord, 'values'>): string {
  // Every name the snapshot knows, restorable or not: a rollback deletes what is not listed.
  const restorable = new Set(record.restorable);
  const keys = Object.keys(record.variables)
    .sort()
    .map((k) => {
      const meta = record.variables[k];
      return [k, restorable.has(k), meta?.is_secret ?? null, meta?.scopes ?? null];
    });
  return JSON.stringify([
    'envsync-snapshot-v1',
    record.id,
    record.provider,
    record.target,
    record.phase,
    record.store ?? null,
    [...restorable].sort(),
    keys,
  ]);
}

/** Newest first across targets: the time part follows the first `/`. */
function byTimeDesc(a: string, b: string): number {
  const ta = a.slice(a.indexOf('/') + 1);
  const tb = b.slice(b.indexOf('/') + 1);
  return ta < tb ? 1 : ta > tb ? -1 : 0;
}

function describe(
  name: string,
  v: EnvValue,
  fingerprint: Fingerprinter,
): SnapshotRecord['variables'][string] {
  const common = {
    ...(v.updatedAt ? { updated_at: v.updatedAt } : {}),
    is_secret: v.kind === 'write-only' || v.secret === true,
    ...(v.scopes ? { scopes: [...v.scopes] } : {}),
  };
  return v.kind === 'value'
    ? { fingerprint: fingerprint(v.value, name), ...common }
    : { write_only: true, ...common };
}

function githubPlacement(
  target: Target,
): Pick<SnapshotRecord, 'store' | 'visibility' | 'selected_repository_ids'> {
  if (target.provider !== 'github') return {};
  const scope = target.scope;
  if (scope.kind !== 'org') return { store: target.store };
  return {
    store: target.store,
    visibility: scope.visibility ?? 'private',
    ...(scope.selectedRepositoryIds ? { selected_repository_ids: [...scope.selectedRepositoryIds] } : {}),
  };
}

/** A snapshot as a source: its restorable values, and the write-only keys it cannot restore. */
export function snapshotState(
  store: SnapshotStore,
  record: SnapshotRecord,
): { values: EnvMap; unrestorable: string[] } {
  const values = store.values(record);
  const state = new Map<string, EnvValue>();
  const unrestorable: string[] = [];
  for (const [name, meta] of Object.entries(record.variables)) {
    const value = values.get(name);
    if (!value) {
      unrestorable.push(name);
      continue;
    }
    // A write-only key was a secret; scopes come back exactly, never widened to the defaults.
    const secret = meta.is_secret ?? meta.write_only === true;
    state.set(name, { kind: 'value', value, secret, ...(meta.scopes ? { scopes: [...meta.scopes] } : {}) });
  }
  return { values: state, unrestorable };
}
