/**
 * Provider cost of EnvSync against the sandbox: API calls per sync divided by the fewest the APIs
 * allow, the drift check's latency in round trips, and sealed-box throughput.
 */
import libsodium from 'libsodium-wrappers';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import type { Project } from '../../src/config/manifest.ts';
import type { EnvValue } from '../../src/core/model.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import type { Target } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { Sandbox } from '../../src/sandbox/index.ts';
import { applyPlan, planRun } from '../../src/sync/run.ts';
import type { SyncContext } from '../../src/sync/run.ts';
import { memoryLedgerStore } from '../../src/store/ledger.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const SERVICE = 'srv-bench0000000000000000';
const ACCOUNT = '5f00000000000000000000b1';
const SITE = 'b7c3d2e1-5a6f-4c1d-9e8f-0000000000b1';
const TOKENS = { github: 'ghp_bench', render: 'rnd_bench', netlify: 'nfp_bench' };
/** A minute of rate-limit window lasts 60 × this in seconds: pacing stays real, runs stay short. */
const TIME_SCALE = 0.002;

type Kind = 'render' | 'netlify' | 'github-vars' | 'github-secrets';

const TARGETS: Record<Kind, Target> = {
  render: { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: SERVICE } },
  netlify: {
    id: 'netlify',
    provider: 'netlify',
    scope: { siteId: SITE, accountId: ACCOUNT, context: 'all' },
  },
  'github-vars': {
    id: 'github-vars',
    provider: 'github',
    store: 'variables',
    scope: { kind: 'repo', owner: 'acme', repo: 'bench' },
  },
  'github-secrets': {
    id: 'github-secrets',
    provider: 'github',
    store: 'secrets',
    scope: { kind: 'repo', owner: 'acme', repo: 'bench' },
  },
};

const keys = (n: number, prefix = 'KEY') =>
  Array.from({ length: n }, (_, i) => `${prefix}_${String(i).padStart(4, '0')}`);

function fixture(kind: Kind, existing: readonly string[]) {
  const pairs = existing.map((k) => ({ key: k, value: `value-${k}` }));
  return {
    render: { services: [{ id: SERVICE, name: 'bench', envVars: kind === 'render' ? pairs : [] }] },
    netlify: {
      accounts: [
        {
          id: ACCOUNT,
          slug: 'bench',
          envVars:
            kind === 'netlify'
              ? pairs.map((p) => ({
                  key: p.key,
                  site_id: SITE,
                  values: [{ context: 'all' as const, value: p.value }],
                }))
              : [],
        },
      ],
      sites: [{ id: SITE, name: 'bench', account_id: ACCOUNT }],
    },
    github: {
      repos: [
        {
          owner: 'acme',
          name: 'bench',
          variables: kind === 'github-vars' ? pairs.map((p) => ({ name: p.key, value: p.value })) : [],
          secrets: kind === 'github-secrets' ? pairs.map((p) => ({ name: p.key, value: p.value })) : [],
        },
      ],
    },
  };
}

async function harness(kind: Kind, existing: readonly string[], latencyMs = 0) {
  const sandbox = await startSandbox({
    fixture: fixture(kind, existing),
    timeScale: TIME_SCALE,
    latencyMs,
    github: { tokens: [TOKENS.github] },
    render: { tokens: [TOKENS.render], limits: { writesPerMinute: 30 } },
    netlify: { tokens: [TOKENS.netlify] },
  });
  return harnessFor(sandbox);
}

function harnessFor(sandbox: Sandbox) {
  const adapters = createAdapters({
    timeScale: TIME_SCALE,
    github: { baseUrl: sandbox.github.url, token: TOKENS.github },
    render: { baseUrl: sandbox.render.url, token: TOKENS.render },
    netlify: { baseUrl: sandbox.netlify.url, token: TOKENS.netlify },
  });
  const ctx: SyncContext = {
    adapters,
    ledger: memoryLedgerStore(),
    fingerprint: fingerprinter('bench'),
    now: () => new Date(),
  };
  return { sandbox, ctx };
}

/** A project whose manifest holds `source` and whose targets are `targets`: what the benches plan from. */
export function benchProject(source: ReadonlyMap<string, string>, targets: readonly Target[]): Project {
  const values = new Map<string, EnvValue>(
    [...source].map(([k, v]) => [k, { kind: 'value', value: new Secret(v) }]),
  );
  return {
    root: '.',
    manifestPath: undefined,
    sourceId: 'manifest',
    targets: new Map(targets.map((t) => [t.id, t])),
    policy: { ...DEFAULT_POLICY, overwriteUnknown: true },
    manifestValues: values,
    route: () => ({}),
    declared: new Map(),
  };
}

function provider(sandbox: Sandbox, kind: Kind) {
  return kind.startsWith('github') ? sandbox.github : kind === 'render' ? sandbox.render : sandbox.netlify;
}

/** The fewest calls the API allows for listing `listed` keys and making the changes. */
function minimum(kind: Kind, listed: number, creates: number, updates: number): number {
  switch (kind) {
    case 'render':
      return Math.floor(listed / 100) + 1 + creates + updates; // pages of 100, then the empty page that ends the list
    case 'netlify':
      return 1 + (creates > 0 ? 1 : 0) + updates; // one unpaginated list, one bulk create, a PATCH per update
    case 'github-vars':
      return Math.max(1, Math.ceil(listed / 30)) + creates + updates;
    case 'github-secrets':
      return Math.max(1, Math.ceil(listed / 100)) + (creates + updates > 0 ? 1 : 0) + creates + updates; // + the public key
  }
}

interface Scenario {
  readonly name: string;
  readonly existing: number;
  readonly wanted: number;
  readonly changed: number;
  /**
   * Sync once first (unmeasured), so that EnvSync's ledger knows the target — as in real use, and
   * as write-only secrets need — then change `changed` values at the source and measure.
   */
  readonly primed?: boolean;
  /** Delete keys the source does not have (`deletions: all`). */
  readonly deletions?: boolean;
}

async function measure(
  kind: Kind,
  scenario: Scenario,
): Promise<{ measured: number; min: number; ok: boolean; writes: number }> {
  const existing = keys(scenario.existing);
  const { sandbox, ctx } = await harness(kind, existing);
  try {
    const base = new Map(keys(scenario.wanted).map((k) => [k, `value-${k}`]));
    const changed = new Map(
      keys(scenario.wanted).map((k, i) => [k, i < scenario.changed ? `changed-${k}` : `value-${k}`]),
    );
    const run = (source: ReadonlyMap<string, string>) =>
      planRun(ctx, {
        project: benchProject(source, [TARGETS[kind]]),
        from: 'manifest',
        policy: scenario.deletions ? { deletions: 'all' } : {},
      });
    if (scenario.primed) {
      await applyPlan(ctx, await run(base), { dryRun: false });
      provider(sandbox, kind).log.reset();
    }
    const planned = await run(changed);
    const result = await applyPlan(ctx, planned, { dryRun: false });
    const entries = planned.plan.targets[0]?.entries ?? [];
    const creates = entries.filter((e) => e.action === 'create').length;
    const updates = entries.filter((e) => e.action === 'update').length;
    const deletes = entries.filter((e) => e.action === 'delete').length;
    const listed = scenario.primed ? scenario.wanted : scenario.existing;
    return {
      measured: provider(sandbox, kind).log.entries.length,
      // One DELETE per key: none of the three APIs deletes many keys in one safe request.
      min: minimum(kind, listed, creates, updates) + deletes,
      ok: result.ok,
      writes: creates + updates + deletes,
    };
  } finally {
    await sandbox.close();
  }
}

export async function benchApiCalls(): Promise<BenchSection> {
  const scenarios: Record<Kind, Scenario[]> = {
    render: [
      { name: 'no-op (200 in sync)', existing: 200, wanted: 200, changed: 0, primed: true },
      { name: '10 changed of 200', existing: 200, wanted: 200, changed: 10, primed: true },
      { name: '200 new', existing: 0, wanted: 200, changed: 0 },
      { name: '200 deleted', existing: 200, wanted: 0, changed: 0, deletions: true },
    ],
    netlify: [
      { name: 'no-op (200 in sync)', existing: 200, wanted: 200, changed: 0, primed: true },
      { name: '10 changed of 200', existing: 200, wanted: 200, changed: 10, primed: true },
      { name: '200 new', existing: 0, wanted: 200, changed: 0 },
      { name: '200 deleted', existing: 200, wanted: 0, changed: 0, deletions: true },
    ],
    'github-vars': [
      { name: 'no-op (200 in sync)', existing: 200, wanted: 200, changed: 0, primed: true },
      { name: '10 changed of 200', existing: 200, wanted: 200, changed: 10, primed: true },
      { name: '200 new', existing: 0, wanted: 200, changed: 0 },
      { name: '200 deleted', existing: 200, wanted: 0, changed: 0, deletions: true },
    ],
    // GitHub holds at most 100 secrets a repository.
    'github-secrets': [
      { name: 'no-op (100 in sync)', existing: 0, wanted: 100, changed: 0, primed: true },
      { name: '10 changed of 100', existing: 0, wanted: 100, changed: 10, primed: true },
      { name: '100 new', existing: 0, wanted: 100, changed: 0 },
    ],
  };
  const rows: string[][] = [];
  for (const kind of Object.keys(scenarios) as Kind[]) {
    for (const scenario of scenarios[kind]) {
      const r = await measure(kind, scenario);
      rows.push([
        kind,
        scenario.name,
        String(r.writes),
        String(r.measured),
        String(r.min),
        (r.measured / r.min).toFixed(2),
        r.ok ? 'ok' : 'FAILED',
      ]);
    }
  }
  rows.push(await fullSync());
  return {
    title: 'API calls per sync ÷ the fewest the APIs allow',
    note:
      'Against the sandbox over real HTTP. Minimum = list pages (GitHub: 30 variables or 100 secrets a page; Render: 100 a page plus the empty page that ends a cursor list; Netlify: one unpaginated list) + one write per changed key, with one bulk POST for Netlify creates and the public key for GitHub secrets. ' +
      'GitHub secrets add one listing page after writing, to record `updated_at` (how a later change made outside EnvSync is seen); that page is the whole difference from 1.00 there. A no-op sync writes nothing.',
    headers: ['target', 'scenario', 'writes', 'calls', 'minimum', 'ratio', 'sync'],
    rows,
  };
}

/** 3 targets × 500 new keys in one sync: Render, Netlify and GitHub variables side by side. */
async function fullSync(): Promise<string[]> {
  const sandbox = await startSandbox({
    fixture: { ...fixture('render', []), github: { repos: [{ owner: 'acme', name: 'bench' }] } },
    timeScale: TIME_SCALE,
    github: { tokens: [TOKENS.github] },
    render: { tokens: [TOKENS.render], limits: { writesPerMinute: 30 } },
    netlify: { tokens: [TOKENS.netlify] },
  });
  try {
    const { ctx } = harnessFor(sandbox);
    const source = new Map(keys(500).map((k) => [k, `value-${k}`]));
    const targets = [TARGETS.render, TARGETS.netlify, TARGETS['github-vars']];
    const result = await applyPlan(
      ctx,
      await planRun(ctx, { project: benchProject(source, targets), from: 'manifest' }),
      { dryRun: false },
    );
    const measured =
      sandbox.render.log.entries.length +
      sandbox.netlify.log.entries.length +
      sandbox.github.log.entries.length;
    const min =
      minimum('render', 0, 500, 0) + minimum('netlify', 0, 500, 0) + minimum('github-vars', 0, 500, 0);
    return [
      '3 targets',
      '3 × 500 new',
      '1500',
      String(measured),
      String(min),
      (measured / min).toFixed(2),
      result.ok ? 'ok' : 'FAILED',
    ];
  } finally {
    await sandbox.close();
  }
}

/** Wall time of a drift check of 3 targets × 200 keys, each sandbox answering after `latencyMs`. */
export async function benchDriftLatency(latencyMs = 50): Promise<BenchSection> {
  const existing = keys(200);
  const sandbox = await startSandbox({
    fixture: {
      render: fixture('render', existing).render,
      netlify: fixture('netlify', existing).netlify,
      github: fixture('github-vars', existing).github,
    },
    latencyMs,
    github: { tokens: [TOKENS.github] },
    render: { tokens: [TOKENS.render] },
    netlify: { tokens: [TOKENS.netlify] },
  });
  try {
    const adapters = createAdapters({
      github: { baseUrl: sandbox.github.url, token: TOKENS.github },
      render: { baseUrl: sandbox.render.url, token: TOKENS.render },
      netlify: { baseUrl: sandbox.netlify.url, token: TOKENS.netlify },
    });
    const ctx: SyncContext = {
      adapters,
      ledger: memoryLedgerStore(),
      fingerprint: fingerprinter('bench'),
      now: () => new Date(),
    };
    const source = new Map(existing.map((k) => [k, `value-${k}`]));
    const targets = [TARGETS.render, TARGETS.netlify, TARGETS['github-vars']];
    const p = benchProject(source, targets);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      const planned = await planRun(ctx, { project: p, from: 'manifest' });
      times.push(performance.now() - start);
      if (planned.report.has_drift) throw new Error('bench drift check found drift in a synced scenario');
    }
    const t = median(times);
    const trips = t / latencyMs;
    return {
      title: 'Drift check latency: 3 targets × 200 keys, 50 ms sandbox latency',
      note: 'Median of 7 checks. The three targets are read in parallel; GitHub fetches pages 2…7 of its 30-a-page variables side by side once page 1 names the last page; Render follows its cursor (100 a page, then the empty page) and is the critical path at 3 round trips.',
      headers: ['median ms', 'latency round trips', 'goal'],
      rows: [[t.toFixed(0), trips.toFixed(2), `≤ 4: ${trips <= 4 ? 'met' : 'missed'}`]],
    };
  } finally {
    await sandbox.close();
  }
}

interface TweetSodium {
  seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

export async function benchSealing(): Promise<BenchSection> {
  await libsodium.ready;
  const { publicKey } = libsodium.crypto_box_keypair();
  const value = Buffer.from('x'.repeat(100));
  const rounds = 20_000;
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < rounds; i++) libsodium.crypto_box_seal(value, publicKey);
    runs.push(performance.now() - start);
  }
  const perSecond = rounds / (median(runs) / 1000);
  // tweetsodium@0.0.5: unmaintained, a dev-only comparison (never used by EnvSync).
  const tweet = (await import('tweetsodium')) as unknown as { default?: TweetSodium } & TweetSodium;
  const tweetsodium = tweet.default ?? tweet;
  const tweetRounds = 500;
  const tweetRuns: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < tweetRounds; i++) tweetsodium.seal(value, publicKey);
    tweetRuns.push(performance.now() - start);
  }
  const tweetPerSecond = tweetRounds / (median(tweetRuns) / 1000);
  return {
    title: 'Sealed boxes (GitHub secrets)',
    note: '`crypto_box_seal` of a 100-byte value, median of 5 runs (20,000 seals for libsodium, 500 for the much slower pure-JS tweetsodium), in one process. At 80 writes a minute, GitHub takes about 1.3 seals a second: either is far from the bound.',
    headers: ['library', 'seals per second', 'ratio'],
    rows: [
      ['libsodium-wrappers (used)', perSecond.toFixed(0), (perSecond / tweetPerSecond).toFixed(1)],
      ['tweetsodium@0.0.5 (dev-only comparison)', tweetPerSecond.toFixed(0), '1.0'],
    ],
  };
}
