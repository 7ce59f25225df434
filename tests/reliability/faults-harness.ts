/**
 * A seeded randomized reliability run: many sync scenarios against the three provider sandboxes
 * with a share of their answers faulted (429 with and without `Retry-After`, 500/502/503,
 * connection resets, writes applied but unanswered, and stalls longer than the client's attempt
 * timeout). Each scenario seeds random drift, syncs until a sync reports ok, and then checks that
 * the targets converged, that no variable was lost or duplicated, and that no event or audit entry
 * was written twice. Shared by `faults.test.ts` (small, in CI) and `faults.run.ts` (full size).
 */
import { getStore } from '@netlify/blobs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Project } from '../../src/config/manifest.ts';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import type { EnvValue, KeyRoute, Target } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import { createAdapters } from '../../src/providers/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { FaultConfig, FaultKind, Sandbox, SandboxFixture } from '../../src/sandbox/index.ts';
import { SeededRandom } from '../../src/sandbox/random.ts';
import type { BlobStores } from '../../src/store/blobs.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { executeSync } from '../../src/sync/execute.ts';
import { openRecords } from '../../src/sync/records.ts';
import { planRun } from '../../src/sync/run.ts';

const SERVICE = 'srv-faults00000000000000000';
const ACCOUNT = '5f00000000000000000000f1';
const SITE = 'f7c3d2e1-5a6f-4c1d-9e8f-0000000000f1';
const OWNER = 'acme';
const REPO = 'faults';
const TOKENS = { github: 'ghp_faults', render: 'rnd_faults', netlify: 'nfp_faults' };
/** Provider minutes last 60 ms: pacing and `Retry-After` waits stay real but short. */
const TIME_SCALE = 0.001;
/** Real ms a stalled request is held; the client gives up after ATTEMPT_TIMEOUT_MS. */
const STALL_MS = 5_000;
const ATTEMPT_TIMEOUT_MS = 1_000;
/** A scenario that needs more syncs than this has not converged. */
const MAX_SYNCS = 8;

/** 20 % of all sandbox answers are faulted. */
export const FAULT_RATES: Partial<Record<FaultKind, number>> = {
  '429': 0.03,
  '429-no-retry-after': 0.03,
  '500': 0.025,
  '502': 0.025,
  '503': 0.025,
  reset: 0.035,
  'reset-after-apply': 0.02,
  stall: 0.01,
};

const TARGETS = {
  render: { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: SERVICE } },
  'netlify-all': {
    id: 'netlify-all',
    provider: 'netlify',
    scope: { siteId: SITE, accountId: ACCOUNT, context: 'all' },
  },
  'netlify-prod': {
    id: 'netlify-prod',
    provider: 'netlify',
    scope: { siteId: SITE, accountId: ACCOUNT, context: 'production' },
  },
  'gh-vars': {
    id: 'gh-vars',
    provider: 'github',
    store: 'variables',
    scope: { kind: 'repo', owner: OWNER, repo: REPO },
  },
  'gh-secrets': {
    id: 'gh-secrets',
    provider: 'github',
    store: 'secrets',
    scope: { kind: 'repo', owner: OWNER, repo: REPO },
  },
} as const satisfies Record<string, Target>;
type TargetId = keyof typeof TARGETS;
const TARGET_IDS = Object.keys(TARGETS) as TargetId[];
/** Plain keys go to Render, both Netlify contexts (production reads them from `all`) and GitHub variables. */
const PLAIN_TARGETS: TargetId[] = ['render', 'netlify-all', 'netlify-prod', 'gh-vars'];
/** Secrets go to Render, Netlify's production context (as `is_secret`) and GitHub secrets. */
const SECRET_TARGETS: TargetId[] = ['render', 'netlify-prod', 'gh-secrets'];

export interface FaultRunOptions {
  readonly scenarios: number;
  readonly seed: number;
  /** Called after each scenario with a one-line summary. */
  readonly onScenario?: (line: string) => void;
}

export interface ScenarioProblem {
  readonly scenario: number;
  readonly problem: string;
}

export interface FaultRunFigures {
  readonly seed: number;
  readonly scenarios: number;
  readonly faultRate: number;
  readonly faultRates: Partial<Record<FaultKind, number>>;
  readonly timeScale: number;
  readonly attemptTimeoutMs: number;
  readonly stallMs: number;
  /** API requests the sandboxes received (answered or not), checks excluded. */
  readonly requests: number;
  readonly requestsByProvider: Record<string, number>;
  readonly faultsInjected: Partial<Record<FaultKind, number>>;
  readonly faultsTotal: number;
  /** Requests the client sent again after a faulted attempt. */
  readonly retries: number;
  readonly writesPlanned: number;
  readonly syncs: { readonly total: number; readonly max: number; readonly mean: number };
  /** Syncs that threw (a read failed before anything was written). */
  readonly syncsThrown: number;
  readonly histogram: Record<string, number>;
  readonly converged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly duplicatedRecords: number;
  readonly problems: readonly ScenarioProblem[];
  readonly wallMs: number;
}

interface Desired {
  readonly plain: Map<string, string>;
  readonly secrets: Map<string, string>;
}

const VALUE_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=+ ';

function randomValue(rng: SeededRandom): string {
  // Never empty (Render refuses empty values); may hold spaces and URL characters.
  return `v${rng.chars(VALUE_ALPHABET, 1 + rng.int(24))}`;
}

function desiredFor(rng: SeededRandom): Desired {
  const plain = new Map<string, string>();
  const secrets = new Map<string, string>();
  const nPlain = 2 + rng.int(7);
  const nSecrets = 1 + rng.int(3);
  while (plain.size < nPlain) plain.set(`APP_${rng.chars('ABCDEFGHJKLMNPQRSTUVWXYZ', 3)}`, randomValue(rng));
  while (secrets.size < nSecrets)
    secrets.set(`SECRET_${rng.chars('ABCDEFGHJKLMNPQRSTUVWXYZ', 3)}`, randomValue(rng));
  return { plain, secrets };
}

/** What a target holds before the sync: each wanted key missing, equal or different, plus extras. */
function drifted(rng: SeededRandom, wanted: ReadonlyMap<string, string>, extraPrefix: string) {
  const out: { key: string; value: string }[] = [];
  for (const [key, value] of wanted) {
    const r = rng.next();
    if (r < 0.35) continue;
    out.push({ key, value: r < 0.65 ? value : randomValue(rng) });
  }
  const extras = rng.int(3);
  for (let i = 0; i < extras; i++)
    out.push({ key: `${extraPrefix}_${rng.chars('ABCDEFGHJKLMNPQRSTUVWXYZ', 4)}`, value: randomValue(rng) });
  return out;
}

function fixtureFor(rng: SeededRandom, want: Desired): SandboxFixture {
  const all = new Map([...want.plain, ...want.secrets]);
  const render = drifted(rng, all, 'OLD_RENDER');
  const netlifyPlain = drifted(rng, want.plain, 'OLD_NETLIFY');
  const netlifySecrets = drifted(rng, want.secrets, 'OLD_NETLIFY_SECRET');
  const ghVars = drifted(rng, want.plain, 'OLD_VAR');
  const ghSecrets = drifted(rng, want.secrets, 'OLD_SECRET');
  return {
    render: { services: [{ id: SERVICE, name: 'faults', envVars: render }] },
    netlify: {
      accounts: [
        {
          id: ACCOUNT,
          slug: 'faults',
          envVars: [
            ...netlifyPlain.map((p) => ({
              key: p.key,
              site_id: SITE,
              values: [{ context: 'all' as const, value: p.value }],
            })),
            ...netlifySecrets.map((p) => ({
              key: p.key,
              site_id: SITE,
              is_secret: true,
              scopes: ['builds' as const, 'functions' as const, 'runtime' as const],
              values: [{ context: 'production' as const, value: p.value }],
            })),
          ],
        },
      ],
      sites: [{ id: SITE, name: 'faults', account_id: ACCOUNT }],
    },
    github: {
      repos: [
        {
          owner: OWNER,
          name: REPO,
          variables: ghVars.map((p) => ({ name: p.key, value: p.value })),
          secrets: ghSecrets.map((p) => ({ name: p.key, value: p.value })),
        },
      ],
    },
  };
}

function projectFor(want: Desired): Project {
  const values = new Map<string, EnvValue>();
  for (const [k, v] of want.plain) values.set(k, { kind: 'value', value: new Secret(v), secret: false });
  for (const [k, v] of want.secrets) values.set(k, { kind: 'value', value: new Secret(v), secret: true });
  const routes: Record<string, KeyRoute> = {};
  for (const k of want.plain.keys()) routes[k] = { targets: PLAIN_TARGETS, secret: false };
  for (const k of want.secrets.keys()) routes[k] = { targets: SECRET_TARGETS, secret: true };
  return {
    root: '.',
    manifestPath: undefined,
    sourceId: 'manifest',
    targets: new Map(TARGET_IDS.map((id) => [id, TARGETS[id] as Target])),
    policy: { ...DEFAULT_POLICY, overwriteUnknown: true, deletions: 'all' },
    manifestValues: values,
    route: () => routes,
    declared: new Map(),
  };
}

/** Blob stores of one scenario on the shared local server: a fresh ledger, audit trail and event log. */
function scenarioBlobs(server: { url: string; token: string; location: string }, n: number): BlobStores {
  return {
    store: (name) =>
      getStore({ name: `s${n}-${name}`, edgeURL: server.url, token: server.token, siteID: 'envsync-local' }),
    kind: 'server',
    location: server.location,
    close: () => Promise.resolve(),
  };
}

/** Counts attempts: fetchWithRetry resends one request with the same headers object. */
function countingFetch() {
  const seen = new WeakSet<object>();
  const counts = { attempts: 0, retries: 0 };
  const wrapped: typeof fetch = (input, init) => {
    counts.attempts += 1;
    const headers = init?.headers;
    if (headers && typeof headers === 'object') {
      if (seen.has(headers)) counts.retries += 1;
      else seen.add(headers);
    }
    return fetch(input, init);
  };
  return { fetch: wrapped, counts };
}

/** Reads Render's list the way a client would, to see duplicate rows the inspector's record would hide. */
async function renderRows(sandbox: Sandbox): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const url = new URL(`${sandbox.render.url}/services/${SERVICE}/env-vars`);
    url.searchParams.set('limit', '100');
    if (cursor) url.searchParams.set('cursor', cursor);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${TOKENS.render}` } });
    if (res.status !== 200) throw new Error(`render list answered ${res.status}`);
    const items = (await res.json()) as { envVar: { key: string }; cursor: string }[];
    if (items.length === 0) break;
    keys.push(...items.map((i) => i.envVar.key));
    const last = items.at(-1)?.cursor;
    if (last === undefined || last === cursor) break;
    cursor = last;
  }
  return keys;
}

/** Every problem with what the sandboxes hold after a converged sync: lost and duplicated variables. */
async function checkState(
  sandbox: Sandbox,
  want: Desired,
): Promise<{ lost: string[]; duplicated: string[]; other: string[] }> {
  const lost: string[] = [];
  const duplicated: string[] = [];
  const other: string[] = [];
  const all = new Map([...want.plain, ...want.secrets]);

  // Render: every key with its value, nothing else, one row per key.
  const render = sandbox.render.inspect.envVars(SERVICE);
  for (const [k, v] of all) if (render[k] !== v) lost.push(`render:${k}`);
  for (const k of Object.keys(render)) if (!all.has(k)) other.push(`render: extra ${k} not deleted`);
  const rows = await renderRows(sandbox);
  if (new Set(rows).size !== rows.length)
    duplicated.push(`render: ${rows.length} rows, ${new Set(rows).size} keys`);

  // Netlify: plain keys in `all` (production reads them there or holds the same value), secrets in production.
  const env = sandbox.netlify.inspect.env(ACCOUNT, SITE);
  for (const [key, envVar] of Object.entries(env)) {
    const contexts = envVar.values.map((x) => `${x.context}:${x.context_parameter ?? ''}`);
    if (new Set(contexts).size !== contexts.length) duplicated.push(`netlify:${key} (${contexts.join(',')})`);
    if (!all.has(key)) other.push(`netlify: extra ${key} not deleted`);
  }
  const valueIn = (key: string, context: string) =>
    env[key]?.values.find((x) => x.context === context)?.value;
  for (const [k, v] of want.plain) {
    if (valueIn(k, 'all') !== v) lost.push(`netlify-all:${k}`);
    if ((valueIn(k, 'production') ?? valueIn(k, 'all')) !== v) lost.push(`netlify-prod:${k}`);
  }
  for (const [k, v] of want.secrets) {
    if (valueIn(k, 'production') !== v || env[k]?.is_secret !== true) lost.push(`netlify-prod:${k}`);
  }

  // GitHub: names unique case-insensitively; variables readable, secrets through the inspector only.
  const scope = { repo: `${OWNER}/${REPO}` };
  const variables = sandbox.github.inspect.variables(scope);
  const varNames = Object.keys(variables).map((n) => n.toUpperCase());
  if (new Set(varNames).size !== varNames.length) duplicated.push(`gh-vars: ${varNames.join(',')}`);
  for (const [k, v] of want.plain) if (variables[k] !== v) lost.push(`gh-vars:${k}`);
  for (const n of Object.keys(variables))
    if (!want.plain.has(n)) other.push(`gh-vars: extra ${n} not deleted`);
  const secretNames = sandbox.github.inspect.secretNames(scope).map((n) => n.toUpperCase());
  if (new Set(secretNames).size !== secretNames.length)
    duplicated.push(`gh-secrets: ${secretNames.join(',')}`);
  for (const [k, v] of want.secrets)
    if (sandbox.github.inspect.secretPlaintext(scope, k) !== v) lost.push(`gh-secrets:${k}`);
  for (const n of secretNames) if (!want.secrets.has(n)) other.push(`gh-secrets: extra ${n} not deleted`);
  return { lost, duplicated, other };
}

export async function runFaults(options: FaultRunOptions): Promise<FaultRunFigures> {
  const started = Date.now();
  const rng = new SeededRandom(options.seed);
  const faultRate = Object.values(FAULT_RATES).reduce((a, b) => a + (b ?? 0), 0);
  const sandbox = await startSandbox({
    timeScale: TIME_SCALE,
    github: { tokens: [TOKENS.github] },
    render: { tokens: [TOKENS.render] },
    netlify: { tokens: [TOKENS.netlify] },
  });
  const directory = await mkdtemp(path.join(tmpdir(), 'faults-blobs-'));
  const blobs = await startLocalBlobs(directory);
  const counting = countingFetch();
  const adapters = createAdapters({
    fetch: counting.fetch,
    timeScale: TIME_SCALE,
    retry: { attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, baseDelayMs: 200, maxDelayMs: 5_000 },
    github: { baseUrl: sandbox.github.url, token: TOKENS.github },
    render: { baseUrl: sandbox.render.url, token: TOKENS.render },
    netlify: { baseUrl: sandbox.netlify.url, token: TOKENS.netlify },
  });
  const fingerprint = fingerprinter('faults');
  const providers = [sandbox.github, sandbox.render, sandbox.netlify] as const;
  const requestsByProvider: Record<string, number> = { github: 0, render: 0, netlify: 0 };
  const faultsInjected: Partial<Record<FaultKind, number>> = {};
  const histogram: Record<string, number> = {};
  const problems: ScenarioProblem[] = [];
  let syncsTotal = 0;
  let syncsMax = 0;
  let syncsThrown = 0;
  let converged = 0;
  let lost = 0;
  let duplicated = 0;
  let duplicatedRecords = 0;
  let writesPlanned = 0;

  /** Takes the request log into the figures and empties it (stalled requests are logged when they end). */
  const harvest = (phase: 'sync' | 'check') => {
    for (const [i, p] of providers.entries()) {
      const name = ['github', 'render', 'netlify'][i] ?? '?';
      for (const e of p.log.entries) {
        // The checks run with faults off: a faulted entry logged then is a stall of the syncs ending.
        if (phase === 'check' && !e.fault) continue;
        requestsByProvider[name] = (requestsByProvider[name] ?? 0) + 1;
        if (e.fault) faultsInjected[e.fault] = (faultsInjected[e.fault] ?? 0) + 1;
      }
      p.log.reset();
    }
  };
  const faultsOn = (scenario: number) => {
    const config: FaultConfig = {
      seed: (options.seed * 7919 + scenario * 104_729) >>> 0,
      rates: FAULT_RATES,
      stallMs: STALL_MS,
    };
    for (const [i, p] of providers.entries()) p.faults = { ...config, seed: (config.seed ?? 1) + i };
  };
  const faultsOff = () => {
    for (const p of providers) p.faults = {};
  };

  try {
    for (let n = 0; n < options.scenarios; n++) {
      const want = desiredFor(rng);
      const fixture = fixtureFor(rng, want);
      sandbox.github.inspect.reset(fixture.github);
      sandbox.render.inspect.reset(fixture.render);
      sandbox.netlify.inspect.reset(fixture.netlify);
      const project = projectFor(want);
      const records = openRecords({
        blobs: scenarioBlobs(blobs, n),
        snapshotKey: () => Buffer.alloc(32, 7),
        fingerprint,
        now: () => new Date(),
      });
      const ctx = { adapters, ledger: records.ledger, records, fingerprint, now: () => new Date() };
      const problem = (text: string) => problems.push({ scenario: n, problem: text });

      faultsOn(n);
      let syncs = 0;
      let ok = false;
      const correlationIds: string[] = [];
      while (!ok && syncs < MAX_SYNCS) {
        syncs += 1;
        try {
          const planned = await planRun(ctx, { project });
          if (syncs === 1)
            for (const tp of planned.plan.targets)
              writesPlanned += tp.entries.filter((e) =>
                ['create', 'update', 'delete'].includes(e.action),
              ).length;
          const result = await executeSync(ctx, planned, { dryRun: false, actor: 'faults', action: 'sync' });
          correlationIds.push(result.correlationId);
          ok = result.ok;
        } catch {
          syncsThrown += 1; // a read failed after its retries: nothing was written, the next sync plans again
        }
      }
      faultsOff();
      harvest('sync');
      syncsTotal += syncs;
      syncsMax = Math.max(syncsMax, syncs);
      histogram[String(syncs)] = (histogram[String(syncs)] ?? 0) + 1;

      // Converged: a fresh plan wants nothing more.
      const after = await planRun(ctx, { project });
      const pending = after.plan.targets.flatMap((tp) =>
        tp.entries.filter((e) => e.action !== 'noop').map((e) => `${tp.target.id}:${e.key}:${e.action}`),
      );
      if (ok && pending.length === 0) converged += 1;
      else problem(`not converged after ${syncs} syncs: ${pending.join(' ') || 'last sync not ok'}`);

      const state = await checkState(sandbox, want);
      lost += state.lost.length;
      duplicated += state.duplicated.length;
      for (const p of [...state.lost.map((l) => `lost ${l}`), ...state.duplicated, ...state.other])
        problem(p);

      // Records: one init per sync, at most one commit per target per sync, one audit entry per sync.
      const events = (await records.events.list({ limit: 1000 })).items;
      const audit = (await records.audit.list({ limit: 1000 })).items;
      const seen = new Map<string, number>();
      for (const e of events) {
        const key = `${e.type}:${e.correlation_id}:${(e.data['target'] as string | undefined) ?? ''}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      for (const a of audit) {
        const key = `audit:${a.correlation_id}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      for (const [key, count] of seen)
        if (count > 1) {
          duplicatedRecords += count - 1;
          problem(`${key} recorded ${count} times`);
        }
      for (const id of correlationIds) {
        if (seen.get(`envsync.init:${id}:`) !== 1) problem(`no envsync.init for ${id}`);
        if (seen.get(`audit:${id}`) !== 1) problem(`no audit entry for ${id}`);
      }
      const chain = await records.audit.verify();
      if (!chain.ok) problem('audit chain does not verify');
      harvest('check');
      options.onScenario?.(
        `scenario ${n}: ${want.plain.size} plain + ${want.secrets.size} secret keys, ${syncs} sync(s), ${
          ok && pending.length === 0 ? 'converged' : 'NOT converged'
        }`,
      );
    }
    // Stalled requests are logged when the sandbox lets go of them.
    await new Promise((resolve) => setTimeout(resolve, STALL_MS + 200));
    harvest('check');
  } finally {
    await sandbox.close();
    await blobs.close();
    await rm(directory, { recursive: true, force: true });
  }
  const requests = Object.values(requestsByProvider).reduce((a, b) => a + b, 0);
  return {
    seed: options.seed,
    scenarios: options.scenarios,
    faultRate,
    faultRates: FAULT_RATES,
    timeScale: TIME_SCALE,
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    stallMs: STALL_MS,
    requests,
    requestsByProvider,
    faultsInjected,
    faultsTotal: Object.values(faultsInjected).reduce((a, b) => a + b, 0),
    retries: counting.counts.retries,
    writesPlanned,
    syncs: { total: syncsTotal, max: syncsMax, mean: syncsTotal / Math.max(1, options.scenarios) },
    syncsThrown,
    histogram,
    converged,
    lost,
    duplicated,
    duplicatedRecords,
    problems,
    wallMs: Date.now() - started,
  };
}

/** `ENVSYNC_FAULT_SEED` replays a run; otherwise a fresh seed, printed so it can be replayed. */
export function faultSeed(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const given = env['ENVSYNC_FAULT_SEED'];
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0)
      throw new Error('ENVSYNC_FAULT_SEED must be a non-negative integer');
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
