/**
 * A plan entry as the engine builds it: fingerprints computed lazily, copies made by `reviseEntry`.
 * Pure, like the rest of `src/core/`.
 */
import type { Fingerprinter } from './fingerprint.ts';
import type { EnvValue, PlanEntry } from './model.ts';
import type { Secret } from './secret.ts';

/** What the source wants for one key on one target. */
export interface Desired {
  readonly sourceKey: string;
  readonly value: EnvValue;
  readonly secret: boolean;
  /**
   * Scopes the key must have there (declared in the manifest, or a snapshot's being restored), for
   * targets that scope keys; absent: a new key gets the target's defaults, an existing one keeps its own.
   */
  readonly scopes?: readonly string[] | undefined;
}

/** The decision for one key, before it is dressed as an entry. */
export interface Verdict {
  readonly action: PlanEntry['action'];
  readonly finding: PlanEntry['finding'];
  readonly reason: string;
}

export function entryOf(
  key: string,
  want: Desired,
  have: EnvValue | undefined,
  fingerprint: Fingerprinter,
  v: Verdict,
  value?: Secret,
  source?: Fingerprinted,
  target?: Fingerprinted,
): Entry {
  return new Entry(
    key,
    want.sourceKey,
    v,
    want.secret,
    want.scopes,
    have?.updatedAt,
    value,
    fingerprint,
    source,
    target,
  );
}

export const readable = (v: EnvValue | undefined): Secret | undefined =>
  v?.kind === 'value' ? v.value : undefined;

/** A value to fingerprint when asked, or a fingerprint already known (from the ledger). */
export type Fingerprinted = Secret | string | undefined;

/**
 * A plan entry. Its fingerprints are computed when first read, once: a drift check shows only the
 * conflicts', and most of a 10k-key plan is never shown. Built with `new` (one shape, no spread,
 * which costs microseconds a key at 100k keys); `reviseEntry` makes a changed copy.
 */
export class Entry implements PlanEntry {
  readonly value: Secret | undefined;
  #source: Fingerprinted;
  #target: Fingerprinted;
  readonly #fingerprint: Fingerprinter;

  constructor(
    readonly key: string,
    readonly sourceKey: string | undefined,
    verdict: Verdict,
    readonly secret: boolean,
    readonly scopes: readonly string[] | undefined,
    readonly targetUpdatedAt: string | undefined,
    value: Secret | undefined,
    fingerprint: Fingerprinter,
    source: Fingerprinted,
    target: Fingerprinted,
  ) {
    this.action = verdict.action;
    this.finding = verdict.finding;
    this.reason = verdict.reason;
    this.value = verdict.action === 'create' || verdict.action === 'update' ? value : undefined;
    this.#fingerprint = fingerprint;
    this.#source = source;
    this.#target = target;
  }

  readonly action: PlanEntry['action'];
  readonly finding: PlanEntry['finding'];
  readonly reason: string;

  get sourceFingerprint(): string | undefined {
    const s = this.#source;
    return s === undefined || typeof s === 'string'
      ? s
      : (this.#source = this.#fingerprint(s, this.sourceKey ?? this.key));
  }

  get targetFingerprint(): string | undefined {
    const t = this.#target;
    return t === undefined || typeof t === 'string'
      ? t
      : (this.#target = this.#fingerprint(t, this.sourceKey ?? this.key));
  }

  revise(patch: EntryPatch): Entry {
    const v = { action: this.action, finding: this.finding, reason: this.reason, ...patch };
    return new Entry(
      this.key,
      this.sourceKey,
      v,
      this.secret,
      'scopes' in patch ? patch.scopes : this.scopes,
      this.targetUpdatedAt,
      'value' in patch ? patch.value : this.value,
      this.#fingerprint,
      this.#source,
      this.#target,
    );
  }

  /** What `JSON.stringify` writes: every field, fingerprints included (values print «redacted»). */
  toJSON(): PlanEntry {
    return {
      key: this.key,
      sourceKey: this.sourceKey,
      action: this.action,
      finding: this.finding,
      reason: this.reason,
      value: this.value,
      secret: this.secret,
      ...(this.scopes ? { scopes: this.scopes } : {}),
      sourceFingerprint: this.sourceFingerprint,
      targetFingerprint: this.targetFingerprint,
      targetUpdatedAt: this.targetUpdatedAt,
    };
  }
}

export type EntryPatch = Partial<Pick<PlanEntry, 'action' | 'finding' | 'reason' | 'value' | 'scopes'>>;

/** A copy of an entry with some of its decision changed; keeps its fingerprints. */
export function reviseEntry(entry: PlanEntry, patch: EntryPatch): PlanEntry {
  return entry instanceof Entry ? entry.revise(patch) : { ...entry, ...patch };
}
