/**
 * `genesisctl init`'s inference, without I/O: from what each target holds, the keys a manifest
 * should declare, which are secrets (and by which rule), where each goes, and which differ from
 * the source. Values are compared in memory and never leave this module.
 */
import type { EnvMap } from './model.ts';
import { nameHazard } from './names.ts';

/** Words that make a name look like a secret's (`API_TOKEN`, `STRIPE_KEY`, `DB_PASSWORD`). */
const SECRET_WORDS = ['TOKEN', 'SECRET', 'PASSWORD', 'KEY'] as const;

/** Why a key is declared secret: the first rule that matched. */
export type SecretRule =
  { readonly rule: 'write-only'; readonly target: string } | { readonly rule: 'name'; readonly word: string };

export interface DraftKey {
  readonly name: string;
  readonly secret: boolean;
  readonly secretRule?: SecretRule;
  /** The source holds it: only then can a sync carry it, and only then is it declared. */
  readonly onSource: boolean;
  /** Targets that hold the key now (the source included when it does). */
  readonly holders: readonly string[];
  /** Where the key is routed; undefined means every target that takes its kind. */
  readonly targets?: readonly string[];
  /** Targets whose readable value differs from the source's. */
  readonly differs: readonly string[];
  /** Targets holding it write-only while the source holds it: not comparable. */
  readonly unknown: readonly string[];
  /** Targets left out of `targets` to keep their own value (`--prefer destination`). */
  readonly kept: readonly string[];
}

export interface DraftInput {
  readonly sourceId: string;
  /** What each target holds, the source among them, in the manifest's order. */
  readonly held: ReadonlyMap<string, EnvMap>;
  /** Whether a target takes keys of this kind (a GitHub variables store takes no secret). */
  readonly takes: (targetId: string, secret: boolean) => boolean;
  /** `source`: the first sync overwrites differing targets; `destination`: they keep their value. */
  readonly prefer: 'source' | 'destination';
}

export interface Draft {
  readonly keys: readonly DraftKey[];
  /** Names that cannot be declared safely, with why (never quoting a value). */
  readonly leftOut: readonly { readonly name: string; readonly reason: string }[];
}

export function secretWord(name: string): string | undefined {
  const upper = name.toUpperCase();
  return SECRET_WORDS.find((word) => upper.includes(word));
}

export function draftManifest(input: DraftInput): Draft {
  const names = new Set<string>();
  for (const map of input.held.values()) for (const name of map.keys()) names.add(name);
  const keys: DraftKey[] = [];
  const leftOut: { name: string; reason: string }[] = [];
  for (const name of [...names].sort()) {
    const hazard = nameHazard(name);
    if (hazard) {
      leftOut.push({ name, reason: hazard });
      continue;
    }
    keys.push(draftKey(name, input));
  }
  return { keys, leftOut };
}

function draftKey(name: string, input: DraftInput): DraftKey {
  const { held, sourceId } = input;
  const holders = [...held].filter(([, map]) => map.has(name)).map(([id]) => id);
  const writeOnly = holders.find((id) => held.get(id)?.get(name)?.kind === 'write-only');
  const word = secretWord(name);
  const secretRule: SecretRule | undefined =
    writeOnly !== undefined
      ? { rule: 'write-only', target: writeOnly }
      : word !== undefined
        ? { rule: 'name', word }
        : undefined;
  const secret = secretRule !== undefined;

  const source = held.get(sourceId)?.get(name);
  const differs: string[] = [];
  const unknown: string[] = [];
  if (source) {
    for (const id of holders) {
      if (id === sourceId) continue;
      const there = held.get(id)?.get(name);
      if (!there) continue;
      if (source.kind === 'write-only' || there.kind === 'write-only') unknown.push(id);
      else if (!source.value.equals(there.value)) differs.push(id);
    }
  }
  const kept = input.prefer === 'destination' ? differs : [];
  // Where the key is routed: the targets holding it (the source too), less those keeping their value.
  const eligible = [...held.keys()].filter((id) => input.takes(id, secret));
  const routed = [...new Set([sourceId, ...holders])].filter((id) => !kept.includes(id));
  const everywhere = eligible.every((id) => routed.includes(id));
  return {
    name,
    onSource: source !== undefined,
    secret,
    ...(secretRule ? { secretRule } : {}),
    holders,
    ...(everywhere ? {} : { targets: [...held.keys()].filter((id) => routed.includes(id)) }),
    differs,
    unknown,
    kept,
  };
}
