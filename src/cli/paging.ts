/**
 * `--limit` and `--cursor` of the listings (`audit log`, `snapshots list`, `env history`): checked
 * before any record is read, and the hint that names the next page.
 */
import * as v from 'valibot';
import { ConfigError } from '../config/env.ts';

const Limit = v.pipe(v.string(), v.regex(/^\d{1,3}$/), v.transform(Number), v.minValue(1), v.maxValue(500));

export function limitOf(raw: string): number {
  const parsed = v.safeParse(Limit, raw);
  if (!parsed.success) throw new ConfigError(`--limit must be a whole number from 1 to 500, not "${raw}".`);
  return parsed.output;
}

/** What each listing's cursor looks like: the `next` its previous page printed. */
const CURSORS = {
  audit: v.pipe(v.string(), v.regex(/^[1-9]\d{0,15}$/), v.transform(Number)),
  snapshot: v.pipe(v.string(), v.regex(/^[a-z0-9][\w-]{0,62}\/\d{4}-\d{2}-\d{2}T[\d-]{12}Z\.[0-9a-f]{8}$/)),
  check: v.pipe(v.string(), v.regex(/^chk_\d{4}-\d{2}-\d{2}T[\d-]{12}Z_[0-9a-f]{8}$/)),
} as const;

export function cursorOf<K extends keyof typeof CURSORS>(
  kind: K,
  raw: string | undefined,
): v.InferOutput<(typeof CURSORS)[K]> | undefined {
  if (raw === undefined) return undefined;
  const parsed = v.safeParse(CURSORS[kind], raw);
  if (!parsed.success)
    throw new ConfigError(
      `--cursor "${raw}" is not a ${kind} cursor: give the one the previous page printed after "--cursor".`,
    );
  return parsed.output;
}

/** The line under a page that has a next one: the same command, one page on. */
export function nextPageHint(command: string, limit: number, next: string | number | undefined): string {
  return next === undefined ? '' : `\nMore: ${command} --limit ${limit} --cursor ${next}`;
}
