/** GitHub Actions' rules for secret and variable names, values and counts (contracts README). */
import type { Target } from '../core/model.ts';
import type { TargetRules } from '../core/rules.ts';

type GitHubTarget = Extract<Target, { provider: 'github' }>;

/** 48 KB a value. */
export const GITHUB_MAX_VALUE_BYTES = 48 * 1024;

const VALID_NAME = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]*$/i;

const CAPACITY = {
  secrets: { repo: 100, environment: 100, org: 1000 },
  variables: { repo: 500, environment: 100, org: 1000 },
  // The manifest refuses Dependabot environment targets; the figure is never used.
  dependabot: { repo: 100, environment: 100, org: 1000 },
} as const;

/** One function for every GitHub target, so the plan checks the source's keys against it once. */
const upperCase = (key: string) => key.toUpperCase();

export function githubRules(target: GitHubTarget): TargetRules {
  const kind = target.scope.kind;
  const store = target.store === 'dependabot' ? 'Dependabot secrets' : target.store;
  const what = `${store} per ${kind === 'repo' ? 'repository' : kind === 'environment' ? 'environment' : 'organization'} on GitHub`;
  return {
    // GitHub names are case-insensitive and stored upper-case: `foo` and `FOO` are one name.
    normalizeKey: upperCase,
    checkKey(key) {
      // The common case in one test; the specific reason only for names that fail it.
      if (VALID_NAME.test(key)) return undefined;
      if (!/^[A-Za-z0-9_]+$/.test(key))
        return 'GitHub names may contain only letters, digits and _; rename it (policy.rename) or exclude it';
      if (/^[0-9]/.test(key))
        return 'GitHub names must not start with a digit; rename it (policy.rename) or exclude it';
      if (/^GITHUB_/i.test(key))
        return 'GitHub reserves names starting with GITHUB_; rename it (policy.rename) or exclude it';
      return undefined;
    },
    checkValue(value) {
      // A UTF-16 unit is at most 3 UTF-8 bytes: most values need no measuring.
      if (value.length * 3 <= GITHUB_MAX_VALUE_BYTES) return undefined;
      return value.byteLength > GITHUB_MAX_VALUE_BYTES
        ? `value is ${value.byteLength} bytes, over GitHub's 48 KB limit; store it elsewhere (e.g. a file) or exclude it`
        : undefined;
    },
    capacity: { limit: CAPACITY[target.store][kind], what },
  };
}
