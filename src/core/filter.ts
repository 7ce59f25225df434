import type { Policy } from './model.ts';

/** Include/exclude prefixes: a key is selected when it matches an include (or none are set) and no exclude. */
export function keySelected(key: string, policy: Pick<Policy, 'include' | 'exclude'>): boolean {
  if (policy.exclude.some((prefix) => key.startsWith(prefix))) return false;
  return policy.include.length === 0 || policy.include.some((prefix) => key.startsWith(prefix));
}

/** Parses the seed's comma-separated prefix lists (`ENVSYNC_INCLUDE_PREFIXES=REACT_APP_,API_`). */
export function parsePrefixList(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}
