/**
 * Large syncs against sandboxes that enforce each provider's real budgets (time-scaled): GitHub 80
 * content-creating requests a minute and 500 an hour, Render 30 writes a minute, Netlify 500
 * requests a minute. A sync must meet no 403/429, and it must not be slower than the budget forces.
 *
 * The pacing bound: N requests of a budget's class under L per window W. In any window at most L of
 * them may arrive, so the (k·L + 1)-th can arrive no earlier than k·W after the first; the last
 * (the N-th) no earlier than (⌈N/L⌉ − 1)·W after the first. The measured figure is that span (first
 * to last arrival of the class, from the sandbox's request log), divided by the bound. Reads before
 * and after the paced writes are not paced by the write budget and are reported separately.
 */
import { fingerprinter } from '../../src/core/fingerprint.ts';
import type { Project } from '../../src/config/manifest.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import type { EnvValue, Target } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { RENDER_BUDGETS } from '../../src/providers/pacer.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { RequestLogEntry, SandboxFixture } from '../../src/sandbox/index.ts';
import { applyPlan, planRun } from '../../src/sync/run.ts';
import type { SyncContext } from '../../src/sync/run.ts';
import { memoryLedgerStore } from '../../src/store/ledger.ts';

const SERVICE = 'srv-ratelimit000000000000000';
const ACCOUNT = '5f00000000000000000000a7';
const SITE = 'a7c3d2e1-5a6f-4c1d-9e8f-0000000000a7';
const ORG = 'acme-rl';
const TOKENS = { github: 'ghp_ratelimit', render: 'rnd_ratelimit', netlify: 'nfp_ratelimit' };
const MINUTE = 60_000;

export type Case = 'github-org-secrets' | 'render' | 'netlify-creates' | 'netlify-updates';
export const CASES: readonly Case[] = ['github-org-secrets', 'render', 'netlify-creates', 'netlify-updates'];

/** Which requests a budget counts, its limit per window, and the window (provider ms). */
interface Budget {
  readonly counts: 'writes' | 'all';
  readonly limit: number;
  readonly windowMs: number;
  readonly name: string;
}

const BUDGET: Record<Case, Budget> = {
  'github-org-secrets': {
    counts: 'writes',
    limit: 80,
    windowMs: MINUTE,
    name: 'GitHub 80 writes/min (500/h)',
  },
  render: { counts: 'writes', limit: 30, windowMs: MINUTE, name: 'Render 30 writes/min' },
  'netlify-creates': { counts: 'all', limit: 500, windowMs: MINUTE, name: 'Netlify 500 requests/min' },
  'netlify-updates': { counts: 'all', limit: 500, windowMs: MINUTE, name: 'Netlify 500 requests/min' },
};

const TARGET: Record<Case, Target> = {
  'github-org-secrets': {
    id: 'github',
    provider: 'github',
    store: 'secrets',
    scope: { kind: 'org', org: ORG, visibility: 'private' },
  },
  render: { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: SERVICE } },
  'netlify-creates': {
    id: 'netlify',
    provider: 'netlify',
    scope: { siteId: SITE, accountId: ACCOUNT, context: 'all' },
  },
  'netlify-updates': {
    id: 'netlify',
    provider: 'netlify',
    scope: { siteId: SITE, accountId: ACCOUNT, context: 'all' },
  },
};

const keys = (n: number) => Array.from({ length: n }, (_, i) => `RL_KEY_${String(i).padStart(4, '0')}`);

function fixture(kind: Case, n: number): SandboxFixture {
  const existing =
    kind === 'netlify-updates'
      ? keys(n).map((key) => ({
          key,
          site_id: SITE,
          values: [{ context: 'all' as const, value: `old-${key}` }],
        }))
      : [];
  return {
    github: { orgs: [{ login: ORG }] },
    render: { services: [{ id: SERVICE, name: 'ratelimit', envVars: [] }] },
    netlify: {
      accounts: [{ id: ACCOUNT, slug: 'ratelimit', envVars: existing }],
      sites: [{ id: SITE, name: 'ratelimit', account_id: ACCOUNT }],
    },
  };
}

/** A one-target project whose manifest holds `values` (secrets or not), overwriting what is there. */
export function project(target: Target, values: ReadonlyMap<string, string>, secret: boolean): Project {
  const manifestValues = new Map<string, EnvValue>(
    [...values].map(([k, v]) => [k, { kind: 'value', value: new Secret(v), secret }]),
  );
  return {
    root: '.',
    manifestPath: undefined,
    sourceId: 'manifest',
    targets: new Map([[target.id, target]]),
    policy: { ...DEFAULT_POLICY, overwriteUnknown: true },
    manifestValues,
    route: (ks) => Object.fromEntries([...ks].map((k) => [k, { secret }])),
    declared: new Map(),
  };
}

export interface CaseFigures {
  readonly case: Case;
  readonly budget: string;
  readonly timeScale: number;
  readonly keys: number;
  readonly ok: boolean;
  readonly requests: number;
  /** Requests the budget counts (N). */
  readonly counted: number;
  readonly byRoute: Record<string, number>;
  /** Answers that were 403 or 429. */
  readonly refused: number;
  /** Real ms a provider window lasted. */
  readonly windowRealMs: number;
  /** (⌈N/L⌉ − 1) × W, real ms. */
  readonly boundMs: number;
  /** First to last arrival of the counted requests, real ms. */
  readonly spanMs: number;
  /** spanMs ÷ boundMs; undefined when the bound is 0 (everything fits in one window). */
  readonly ratio: number | undefined;
  /** wallMs ÷ boundMs: the whole sync, reads before and after the paced requests included. */
  readonly wallRatio: number | undefined;
  /** Start of the sync to the first counted request, and last counted arrival to the end. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly wallMs: number;
}

export async function runCase(
  kind: Case,
  options: {
    keys: number;
    timeScale: number;
    /**
     * `reactive`: no pacing, only retry-on-429 (what throttling plugins do); `documented`: the
     * documented budgets only, ignoring what the provider announces. For the benchmark.
     */
    pacing?: 'envsync' | 'reactive' | 'documented';
    /** Render's write budget as the sandbox enforces and announces it. @default 30 (the README) */
    renderWritesPerMinute?: number;
    /** Render: many changes as one guarded replace-all PUT. @default true */
    renderMerged?: boolean;
  },
): Promise<CaseFigures> {
  const { timeScale } = options;
  const renderWrites = options.renderWritesPerMinute ?? 30;
  const provider = kind.startsWith('github') ? 'github' : kind === 'render' ? 'render' : 'netlify';
  const sandbox = await startSandbox({
    providers: [provider],
    fixture: fixture(kind, options.keys),
    timeScale,
    github: { tokens: [TOKENS.github] },
    // The sandbox defaults to the 100 a minute Render's recorded headers show; the README says 30.
    render: { tokens: [TOKENS.render], limits: { writesPerMinute: renderWrites } },
    netlify: { tokens: [TOKENS.netlify] },
  });
  const endpoint =
    provider === 'github' ? sandbox.github : provider === 'render' ? sandbox.render : sandbox.netlify;
  try {
    const adapters = createAdapters({
      timeScale,
      ...(options.pacing === 'reactive'
        ? { budgets: [{ applies: 'all' as const, limit: 1_000_000, windowMs: MINUTE }] }
        : options.pacing === 'documented' && provider === 'render'
          ? { budgets: RENDER_BUDGETS.map((b) => ({ ...b, announced: false })) }
          : {}),
      github: { baseUrl: sandbox.github?.url ?? 'http://127.0.0.1:9', token: TOKENS.github },
      render: {
        baseUrl: sandbox.render?.url ?? 'http://127.0.0.1:9',
        token: TOKENS.render,
        ...(options.renderMerged === false ? { mergeWrites: false } : {}),
      },
      netlify: { baseUrl: sandbox.netlify?.url ?? 'http://127.0.0.1:9', token: TOKENS.netlify },
    });
    const ctx: SyncContext = {
      adapters,
      ledger: memoryLedgerStore(),
      fingerprint: fingerprinter('rate-limits'),
      now: () => new Date(),
    };
    const values = new Map(keys(options.keys).map((k) => [k, `new-${k}`]));
    const target = TARGET[kind];
    const started = Date.now();
    const planned = await planRun(ctx, { project: project(target, values, kind === 'github-org-secrets') });
    const result = await applyPlan(ctx, planned, { dryRun: false });
    const ended = Date.now();

    const log: readonly RequestLogEntry[] = endpoint.log.entries;
    const budget = kind === 'render' ? { ...BUDGET.render, limit: renderWrites } : BUDGET[kind];
    const counted = log.filter((e) => budget.counts === 'all' || !['GET', 'HEAD'].includes(e.method));
    const first = Math.min(...counted.map((e) => e.at));
    const last = Math.max(...counted.map((e) => e.at));
    const windowRealMs = budget.windowMs * timeScale;
    const boundMs = (Math.ceil(counted.length / budget.limit) - 1) * windowRealMs;
    const spanMs = counted.length > 0 ? last - first : 0;
    return {
      case: kind,
      budget: budget.name,
      timeScale,
      keys: options.keys,
      ok: result.ok,
      requests: log.length,
      counted: counted.length,
      byRoute: endpoint.log.counts(),
      refused: log.filter((e) => e.status === 403 || e.status === 429).length,
      windowRealMs,
      boundMs,
      spanMs,
      ratio: boundMs > 0 ? spanMs / boundMs : undefined,
      wallRatio: boundMs > 0 ? (ended - started) / boundMs : undefined,
      beforeMs: counted.length > 0 ? first - started : 0,
      afterMs: counted.length > 0 ? ended - last : 0,
      wallMs: ended - started,
    };
  } finally {
    await sandbox.close();
  }
}
