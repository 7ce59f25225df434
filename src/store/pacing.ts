/**
 * Provider budgets shared by every run that uses the same token: the invocations a long sync is
 * handed across, a CLI run beside the site's, a sweep's background batches. One blob per provider
 * and token (named by a hash of it, never the token) holds each run's use, updated with
 * compare-and-set. Blobs edited by someone else are read as nothing rather than trusted: the
 * provider's own refusals (and the retry that honours them) remain the backstop.
 */
import { createHash } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import * as v from 'valibot';
import type { PaceShare, PaceUse } from '../providers/pacer.ts';
import { getUntrustedWithEtag } from './blobs.ts';

/** Runs kept in one blob; the oldest beyond this are dropped (their use has long expired). */
const MAX_RUNS = 64;
/** Expiries kept per budget and run: more than any budget GitHub, Render or Netlify sets. */
const MAX_EXPIRIES = 6_000;
const ATTEMPTS = 20;

const Finite = v.pipe(v.number(), v.finite());
const Use = v.object({
  at: Finite,
  expiries: v.record(v.string(), v.pipe(v.array(Finite), v.maxLength(MAX_EXPIRIES))),
  announced: v.record(v.string(), v.object({ remaining: Finite, resetAt: Finite })),
});
const State = v.object({ v: v.literal(1), runs: v.record(v.string(), Use) });
type State = v.InferOutput<typeof State>;

/** The blob that holds one token's budgets: provider and a hash of base URL and token. */
export function paceKey(provider: string, baseUrl: string, token: string): string {
  const id = createHash('sha256').update(`${baseUrl}\n${token}`).digest('hex').slice(0, 24);
  return `${provider}/${id}`;
}

/** Whether a run's record still says anything at `nowMs`. */
function live(use: v.InferOutput<typeof Use>, nowMs: number): boolean {
  return (
    Object.values(use.expiries).some((list) => list.some((e) => e > nowMs)) ||
    Object.values(use.announced).some((a) => a.resetAt > nowMs)
  );
}

export interface PaceShares {
  /** The shared state of one provider token (see `paceKey`). */
  share(key: string): PaceShare;
  /** Records every run's last use, releasing what it reserved; call when a run ends. */
  settle(): Promise<void>;
}

export function paceShares(store: Store): PaceShares {
  const settlers: (() => Promise<void>)[] = [];
  return {
    share(key) {
      return {
        onSettle: (publish) => void settlers.push(publish),
        async exchange(owner, mine, nowMs) {
          for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (attempt > 0) await new Promise((r) => setTimeout(r, 2 + Math.random() * 20));
            const found = await getUntrustedWithEtag(store, key);
            const parsed = v.safeParse(State, found?.data);
            const runs = new Map<string, v.InferOutput<typeof Use>>(
              parsed.success ? Object.entries(parsed.output.runs) : [],
            );
            runs.delete(owner);
            for (const [id, use] of runs) if (!live(use, nowMs)) runs.delete(id);
            const kept = [...runs].sort((a, b) => b[1].at - a[1].at).slice(0, MAX_RUNS - 1);
            const next: State = {
              v: 1,
              runs: Object.fromEntries([
                ...kept,
                [
                  owner,
                  {
                    at: nowMs,
                    expiries: Object.fromEntries(
                      Object.entries(mine.expiries).map(([k, list]) => [k, [...list]]),
                    ),
                    announced: { ...mine.announced },
                  },
                ],
              ]),
            };
            const written = found
              ? await store.setJSON(key, next, { onlyIfMatch: found.etag })
              : await store.setJSON(key, next, { onlyIfNew: true });
            if (written.modified) return kept.map(([, use]): PaceUse => use);
          }
          throw new Error(
            `pacing: the shared budget ${key} was changed by others ${ATTEMPTS} times in a row`,
          );
        },
      };
    },
    async settle() {
      await Promise.all(settlers.map((publish) => publish()));
    },
  };
}
