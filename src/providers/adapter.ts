/**
 * The one interface every provider implements. The plan engine never sees a wire format: adapters
 * turn provider responses into `EnvMap`s and plan entries into provider requests.
 */
import type { EnvMap, EnvValue, ProviderId, Target } from '../core/model.ts';
import type { TargetRules } from '../core/rules.ts';
import type { Secret } from '../core/secret.ts';
import type { ProviderProbe } from './probes.ts';

export interface Capabilities {
  /** Values can be read back (`false`: write-only, like GitHub secrets). */
  readonly readableValues: boolean;
  /** Many keys can be created in one request. */
  readonly batchCreate: boolean;
  /** One key holds a value per deploy context (Netlify). */
  readonly perContextValues: boolean;
}

export interface WriteOp {
  readonly key: string;
  readonly action: 'create' | 'update';
  readonly value: Secret;
  readonly secret: boolean;
  /** Scopes to create the key with (a restore); the provider's defaults when absent. */
  readonly scopes?: readonly string[];
}

/** One key's outcome. A failed key never hides the others: the batch goes on. */
export type WriteOutcome =
  | { readonly key: string; readonly ok: true; readonly updatedAt?: string }
  | { readonly key: string; readonly ok: false; readonly error: Error };

/**
 * Told of each key's outcome as soon as its request finished, so a journal can mark it done. Its
 * `signal`, when aborted, asks the adapter to start no further request (Ctrl-C, a lost lease, a
 * deadline): requests in flight finish and are reported; the rest fail with InterruptedError.
 */
export type Progress = ((outcome: WriteOutcome) => Promise<void>) & { readonly signal?: AbortSignal };

export { InterruptedError } from './stop.ts';

export interface Adapter<T extends Target = Target> {
  readonly provider: T['provider'];
  capabilities(target: T): Capabilities;
  rules(target: T): TargetRules;
  /** Every variable of the target (all pages). */
  list(target: T): Promise<EnvMap>;
  read(target: T, key: string): Promise<EnvValue | undefined>;
  /**
   * Creates and updates, batched where the provider allows it safely. `basis` is what the target
   * held when the plan was made: an adapter that batches by replacing the whole set (Render)
   * does so only while the target still holds exactly that.
   */
  write(target: T, ops: readonly WriteOp[], progress?: Progress, basis?: EnvMap): Promise<WriteOutcome[]>;
  remove(target: T, keys: readonly string[], progress?: Progress): Promise<WriteOutcome[]>;
  /**
   * After a sync changed `changed` keys of the target (never called when nothing changed): what
   * the provider needs for them to take effect, such as a Render deploy. Says what it did.
   */
  afterChanges?(target: T, changed: number): Promise<string | undefined>;
  /**
   * What an owner holds that a manifest target may match by pattern (GitHub: an organisation's
   * repositories, as the token may see them), by name (`owner/name`).
   */
  discover?(owner: string): Promise<readonly Discovered[]>;
  /** `genesisctl doctor`'s reads: the token accepted, write access (remote providers only). */
  readonly probe?: ProviderProbe<T>;
}

export interface Discovered {
  /** `owner/name`. */
  readonly name: string;
  /** Read-only on the provider (an archived repository). */
  readonly archived: boolean;
}

export type Adapters = { readonly [P in ProviderId]: Adapter<Extract<Target, { provider: P }>> };

/** The adapter for a target, typed for it: the registry lookup that replaces a switch over providers. */
export function adapterFor(adapters: Adapters, target: Target): Adapter {
  // Method parameters are bivariant, so each provider's adapter is an `Adapter`; the mapped type
  // guarantees it is the one for this target's provider.
  return adapters[target.provider];
}
