/**
 * A key's `scopes:` in the manifest: the Netlify scopes it must have on Netlify targets (other
 * providers have no scopes and ignore them). Checked when the manifest loads, naming the key.
 */
import * as v from 'valibot';
import { NETLIFY_SCOPES } from '../core/model.ts';
import type { NetlifyScopeName } from '../core/model.ts';

const NAMES = NETLIFY_SCOPES.join(', ');

/** One scope; `post_processing`, as Netlify's API and CLI spell it, reads as `post-processing`. */
const ScopeSchema = v.pipe(
  v.string(),
  v.transform((s) => (s === 'post_processing' ? 'post-processing' : s)),
  v.picklist(NETLIFY_SCOPES, (issue) => `unknown scope ${issue.received}; Netlify's scopes are ${NAMES}`),
);

export const ScopesSchema = v.pipe(
  v.array(ScopeSchema, `must be a list of Netlify scopes (${NAMES})`),
  v.minLength(1, `list at least one scope (${NAMES}), or leave scopes out to keep each key's own`),
  v.check((scopes) => new Set(scopes).size === scopes.length, 'lists a scope twice; list each scope once'),
);

interface ScopedKey {
  readonly secret?: boolean | undefined;
  readonly targets?: readonly string[] | undefined;
  readonly scopes?: readonly NetlifyScopeName[] | undefined;
}

/**
 * What is wrong with a key's scopes, as `keys.<name>.scopes: …` lines: a secret in post-processing
 * (Netlify refuses it), or scopes on a key none of whose targets is a Netlify site.
 * `isNetlify` tells a target id (or a group of them) that is one.
 */
export function scopeProblems(
  keyName: string,
  key: ScopedKey,
  isNetlify: (targetId: string) => boolean,
  allTargets: readonly string[],
): string[] {
  if (!key.scopes) return [];
  const problems: string[] = [];
  if (key.secret && key.scopes.includes('post-processing'))
    problems.push(
      `keys.${keyName}.scopes: Netlify does not allow secret values in the post-processing scope; remove post-processing, or make the key non-secret`,
    );
  const targets = key.targets ?? allTargets;
  if (!targets.some(isNetlify))
    problems.push(
      `keys.${keyName}.scopes: scopes apply only to Netlify targets, and none of ${key.targets ? 'its targets' : 'the targets'} (${targets.join(', ')}) is one; remove scopes, or send the key to a netlify target`,
    );
  return problems;
}
