/**
 * Manifest objects that name their allowed fields, shared by every part of the manifest's schema
 * (targets, keys, policy, notifications).
 */
import * as v from 'valibot';

/**
 * An object that names its allowed fields when it meets another one (valibot's own message for an
 * unknown field is `Expected never but received "polcy"`), with the closest allowed name.
 */
export function fields<const E extends v.ObjectEntries>(entries: E) {
  const allowed = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.expected !== 'never') return `must be an object with the fields ${allowed.join(', ')}`;
    const name = issue.received.replace(/^"|"$/g, '');
    const near = nearest(name, allowed);
    return `unknown field ${issue.received}${near ? ` (did you mean "${near}"?)` : ''}; allowed: ${allowed.join(', ')}`;
  });
}

/** The candidate within a small edit distance of `name`, if any. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Damerau-Levenshtein (optimal string alignment): a swapped pair of letters is one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}
