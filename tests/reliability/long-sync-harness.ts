/**
 * Syncs longer than one invocation, time-scaled: a journal run by `continueJournal` (the
 * background door's own code) until its deadline, then handed to a fresh invocation — new
 * adapters, new pacer, nothing kept in memory — until done. The sandboxes enforce the providers'
 * budgets; what one invocation used of a budget the provider never announces reaches the next only
 * through the shared pacing state in Blobs (`share: false` leaves it out, to show what breaks).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { continueJournal } from '../../src/api/background-door.ts';
import { createApiDeps } from '../../src/api/deps.ts';
import type { Target } from '../../src/core/model.ts';
import { GITHUB_BUDGETS } from '../../src/providers/pacer.ts';
import type { PaceShare } from '../../src/providers/pacer.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { project } from './rate-limits-harness.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { newJournal } from '../../src/sync/background.ts';
import { planRun } from '../../src/sync/run.ts';

const SERVICE = 'srv-longsync0000000000000000';
const ORG = 'acme-long';
const TOKENS = { github: 'ghp_longsync', render: 'rnd_longsync' };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export type LongCase = 'github-org-secrets' | 'render';

export interface LongSyncFigures {
  readonly case: LongCase;
  readonly keys: number;
  readonly invocations: number;
  readonly status: string;
  /** Successful writes, and how many of them wrote a key already written. */
  readonly writes: number;
  readonly repeated: number;
  /** 403 and 429 answers. */
  readonly refused: number;
  readonly requests: number;
  /** The least wall time the budgets allow, real ms. */
  readonly boundMs: number;
  /** Plan to done, every invocation's reads included, real ms. */
  readonly wallMs: number;
  /** One provider minute in real ms. */
  readonly minuteMs: number;
}

/** GitHub's secondary write limits: 80 a minute and 500 an hour. */
export const GITHUB_WRITES = { perMinute: 80, perHour: 500 } as const;

/**
 * The least time the budgets allow from the first write to the last: GitHub's hourly budget
 * spent, then its minute budget within the last hour; Render's minute budget.
 */
function bound(
  kind: LongCase,
  n: number,
  renderPerMinute: number,
  github: { perMinute: number; perHour: number },
): number {
  if (kind === 'render') return (Math.ceil(n / renderPerMinute) - 1) * MINUTE;
  const hours = Math.ceil(n / github.perHour) - 1;
  const lastHour = n - hours * github.perHour;
  return hours * HOUR + (Math.ceil(lastHour / github.perMinute) - 1) * MINUTE;
}

export async function runLongSync(
  kind: LongCase,
  options: {
    readonly keys: number;
    readonly timeScale: number;
    /** An invocation's deadline in provider time. @default 13 minutes (the background door's) */
    readonly deadlineMs?: number;
    /** Render's write budget, enforced and announced by the sandbox. @default 30 (its docs) */
    readonly renderWritesPerMinute?: number;
    /** Share the pacing state through Blobs. @default true */
    readonly share?: boolean;
    /**
     * GitHub's secondary write limits, enforced by the sandbox and paced by EnvSync: smaller ones
     * keep a test short with the same shape. @default GITHUB_WRITES
     */
    readonly githubWrites?: { readonly perMinute: number; readonly perHour: number };
  },
): Promise<LongSyncFigures> {
  const { timeScale, keys } = options;
  const renderPerMinute = options.renderWritesPerMinute ?? 30;
  const github = options.githubWrites ?? GITHUB_WRITES;
  const provider = kind === 'render' ? 'render' : 'github';
  const sandbox = await startSandbox({
    providers: [provider],
    timeScale,
    fixture: {
      github: { orgs: [{ login: ORG }] },
      render: { services: [{ id: SERVICE, name: 'long', envVars: [] }] },
    },
    github: {
      tokens: [TOKENS.github],
      limits: { writesPerMinute: github.perMinute, writesPerHour: github.perHour },
    },
    render: { tokens: [TOKENS.render], limits: { writesPerMinute: renderPerMinute } },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'long-sync-'));
  const blobs = await startLocalBlobs(path.join(dir, 'blobs'));
  const target: Target =
    kind === 'render'
      ? { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: SERVICE } }
      : {
          id: 'github',
          provider: 'github',
          store: 'secrets',
          scope: { kind: 'org', org: ORG, visibility: 'private' },
        };
  const values = new Map(
    Array.from({ length: keys }, (_, i) => {
      const key = `LONG_${String(i).padStart(4, '0')}`;
      return [key, `v-${key}`] as const;
    }),
  );
  const proj = project(target, values, kind !== 'render');
  const env = {
    GITHUB_TOKEN: TOKENS.github,
    GITHUB_API_URL: sandbox.github?.url ?? 'http://127.0.0.1:9',
    RENDER_API_KEY: TOKENS.render,
    RENDER_API_URL: sandbox.render?.url ?? 'http://127.0.0.1:9',
    ENVSYNC_BLOBS_URL: blobs.url,
    ENVSYNC_BLOBS_TOKEN: blobs.token,
    ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 9).toString('base64'),
    // Key by key: what is measured is the hand-off between invocations (Render's merged writes,
    // one PUT for all 500, have their own test and bench row).
    ENVSYNC_RENDER_MERGED_WRITES: 'false',
  };
  const noShare = (): PaceShare => ({ exchange: () => Promise.resolve([]), onSettle: () => undefined });
  const transport = {
    timeScale,
    ...(options.share === false ? { paceShare: noShare } : {}),
    ...(options.githubWrites && kind !== 'render'
      ? {
          budgets: GITHUB_BUDGETS.map((b) =>
            b.applies !== 'writes'
              ? b
              : { ...b, limit: b.windowMs === HOUR ? github.perHour : github.perMinute },
          ),
        }
      : {}),
  };
  const deadline = (options.deadlineMs ?? 13 * MINUTE) * timeScale;
  let invocations = 0;
  // Every invocation is fresh: its own deps, adapters and pacer, as a new function instance has.
  const invoke = async (journalId: string): Promise<void> => {
    invocations += 1;
    if (invocations > 200) throw new Error('long sync: more than 200 invocations');
    const deps = await createApiDeps({ env, project: proj, transport, background: invoke });
    await continueJournal(deps, journalId, deadline);
  };
  try {
    const first = await createApiDeps({ env, project: proj, transport });
    const started = Date.now();
    const planned = await planRun(first.ctx, { project: proj });
    const journal = newJournal(randomUUID(), planned.plan, {
      action: 'sync',
      actor: 'long-sync',
      spec: {},
      now: new Date(),
    });
    await first.records.journals.create(journal);
    await invoke(journal.id);
    const wallMs = Date.now() - started;
    const status = (await first.records.journals.get(journal.id))?.status ?? 'missing';
    const log = (provider === 'render' ? sandbox.render : sandbox.github)?.log.entries ?? [];
    const written = log.filter((e) => !['GET', 'HEAD'].includes(e.method) && e.status < 300);
    return {
      case: kind,
      keys,
      invocations,
      status,
      writes: written.length,
      // Every key is planned once: a write beyond the keys wrote one a second time.
      repeated: Math.max(0, written.length - keys),
      refused: log.filter((e) => e.status === 403 || e.status === 429).length,
      requests: log.length,
      boundMs: bound(kind, keys, renderPerMinute, github) * timeScale,
      wallMs,
      minuteMs: MINUTE * timeScale,
    };
  } finally {
    await blobs.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}
