import type { Secret } from './secret.ts';

/**
 * What a destination accepts, checked while planning so that one bad key becomes a `skip` the user
 * can act on instead of a failed write halfway through a sync. Each provider module supplies its
 * own; the plan engine only calls them.
 */
export interface TargetRules {
  /** How the destination stores a name (GitHub upper-cases); names are kept as they are when absent. */
  readonly normalizeKey?: (key: string) => string;
  /** Why this name is refused, or undefined when it is fine. */
  checkKey(key: string): string | undefined;
  /** Why this value is refused, or undefined when it is fine. Must not quote the value. */
  checkValue(value: Secret, secret: boolean): string | undefined;
  /** How many keys the destination holds at most, with the words for the error. */
  readonly capacity?: { readonly limit: number; readonly what: string };
  /** For destinations that expose each key in scopes (Netlify); keys have no scopes when absent. */
  readonly scopes?: ScopeRules;
}

export interface ScopeRules {
  /** Every scope, in the destination's order. */
  readonly known: readonly string[];
  /** The scopes a key gets when created without any. */
  defaults(secret: boolean): readonly string[];
  /** Why a key may not have these scopes, or undefined. Must not quote a value. */
  check(scopes: readonly string[], secret: boolean): string | undefined;
  /** A total size (names and values, in UTF-8 bytes) the keys exposed in one scope must stay under. */
  readonly sizeLimit?: { readonly scope: string; readonly bytes: number; readonly why: string };
}

export const PERMISSIVE_RULES: TargetRules = {
  checkKey: (key) => (key.length === 0 ? 'empty names are not allowed' : undefined),
  checkValue: () => undefined,
};
