/**
 * An organisation-scale hourly sweep on the sandboxes: GitHub repositories, Render services and
 * Netlify sites, each holding `keys` variables, declared by lists in one manifest. The scheduled
 * door (`runScheduledCheck`) plans the sweep and hands each batch to a background invocation
 * (`continueSweepBatch`, fresh deps each, as a new function instance has); `naive` checks every
 * target in the scheduled invocation instead, as EnvSync did before sweeps.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { continueSweepBatch } from '../../src/api/background-door.ts';
import { createApiDeps } from '../../src/api/deps.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import { runScheduledCheck, scheduledDriftCheck } from '../../src/api/scheduled.ts';
import { withDeadline } from '../../src/providers/stop.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';

const TOKENS = { github: 'ghp_sweep', render: 'rnd_sweep', netlify: 'nfp_sweep' };
const ORG = 'acme';
const ACCOUNT = 'acct-sweep';

export interface SweepOptions {
  readonly repos: number;
  readonly services: number;
  readonly sites: number;
  readonly keys: number;
  /** Added to every sandbox answer. */
  readonly latencyMs: number;
  readonly timeScale: number;
  /** One invocation checks every target (the way before sweeps), under the scheduled deadline. */
  readonly naive?: boolean;
  /** The scheduled function's deadline, in real ms. @default 25 s */
  readonly deadlineMs?: number;
}

export interface SweepFigures {
  readonly targets: number;
  readonly outcome: string;
  /** The scheduled invocation's own time. */
  readonly scheduledMs: number;
  /** From the scheduled invocation's start to the last batch done. */
  readonly wallMs: number;
  readonly invocations: number;
  readonly checked: number;
  readonly unchecked: number;
  readonly refused: number;
  readonly providerRequests: number;
  readonly blobsRequests: number;
  /** Highest heap seen while the sweep ran (every invocation shares this process). */
  readonly peakHeapMb: number;
  readonly hourMs: number;
}

const name = (i: number) => String(i).padStart(3, '0');

export async function runSweep(options: SweepOptions): Promise<SweepFigures> {
  const values = Array.from({ length: options.keys }, (_, k) => [`KEY_${name(k)}`, `value-${k}`] as const);
  const repos = Array.from({ length: options.repos }, (_, i) => `repo-${name(i)}`);
  const services = Array.from({ length: options.services }, (_, i) => `srv-sweep${name(i)}aaaaaaaaaaaaaaaaa`);
  const sites = Array.from({ length: options.sites }, (_, i) => `site-${name(i)}`);
  const sandbox = await startSandbox({
    timeScale: options.timeScale,
    latencyMs: options.latencyMs,
    fixture: {
      github: {
        orgs: [{ login: ORG }],
        repos: repos.map((r) => ({
          owner: ORG,
          name: r,
          variables: values.map(([n, v]) => ({ name: n, value: v })),
        })),
      },
      render: {
        services: services.map((id, i) => ({
          id,
          name: `svc-${i}`,
          envVars: values.map(([key, value]) => ({ key, value })),
        })),
      },
      netlify: {
        accounts: [
          {
            id: ACCOUNT,
            slug: 'acme',
            envVars: sites.flatMap((site) =>
              values.map(([key, value]) => ({
                key,
                site_id: site,
                values: [{ context: 'all' as const, value }],
              })),
            ),
          },
        ],
        sites: sites.map((id) => ({ id, name: id, account_id: ACCOUNT })),
      },
    },
    github: { tokens: [TOKENS.github] },
    render: { tokens: [TOKENS.render] },
    netlify: { tokens: [TOKENS.netlify] },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'sweep-'));
  const blobs = await startLocalBlobs(path.join(dir, 'blobs'));
  await writeFile(path.join(dir, 'seed.env'), values.map(([k, v]) => `${k}=${v}`).join('\n'));
  const manifest = {
    source: 'manifest',
    seed: 'seed.env',
    targets: {
      ...(repos.length
        ? { ci: { provider: 'github', repos: repos.map((r) => `${ORG}/${r}`), store: 'variables' } }
        : {}),
      ...(services.length ? { api: { provider: 'render', services } } : {}),
      ...(sites.length ? { web: { provider: 'netlify', sites, account: ACCOUNT } } : {}),
    },
    keys: Object.fromEntries(values.map(([k]) => [k, { secret: false }])),
  };
  await writeFile(path.join(dir, 'envsync.manifest.json'), JSON.stringify(manifest));
  const env = {
    GITHUB_TOKEN: TOKENS.github,
    GITHUB_API_URL: sandbox.github.url,
    RENDER_API_KEY: TOKENS.render,
    RENDER_API_URL: sandbox.render.url,
    NETLIFY_AUTH_TOKEN: TOKENS.netlify,
    NETLIFY_API_URL: sandbox.netlify.url,
    ENVSYNC_MANIFEST: path.join(dir, 'envsync.manifest.json'),
    ENVSYNC_BLOBS_URL: blobs.url,
    ENVSYNC_BLOBS_TOKEN: blobs.token,
    ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 7).toString('base64'),
    ENVSYNC_FINGERPRINT_KEY: 'sweep',
  };
  const transport = { timeScale: options.timeScale };
  // Blobs requests, counted at the one fetch every Blobs client uses.
  let blobsRequests = 0;
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(blobs.url)) blobsRequests += 1;
    return original(input, init);
  };
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  let invocations = 0;
  const running = new Set<Promise<void>>();
  const failures: unknown[] = [];
  // The background function: a fresh instance per hand-off, answering 202 at once.
  const sweepBackground = (sweepId: string, batch: number): Promise<void> => {
    invocations += 1;
    const work = (async () => {
      const deps = await createApiDeps({ env, transport, sweepBackground });
      await continueSweepBatch(deps, sweepId, batch, 13 * 60_000 * options.timeScale);
    })().catch((error: unknown) => {
      failures.push(error);
    });
    running.add(work);
    void work.finally(() => running.delete(work));
    return Promise.resolve();
  };
  try {
    const deps: ApiDeps = await createApiDeps({ env, transport, sweepBackground });
    const deadlineMs = options.deadlineMs ?? 25_000;
    const started = performance.now();
    invocations += 1;
    let outcome: string;
    if (options.naive) {
      try {
        await withDeadline(Date.now() + deadlineMs, () => scheduledDriftCheck(deps));
        outcome = 'done';
      } catch (error) {
        outcome =
          (error as Error).name === 'DeadlineError'
            ? 'timeout: nothing recorded for the run'
            : (error as Error).name;
      }
    } else {
      const answer = await runScheduledCheck(deps, undefined, deadlineMs);
      outcome =
        'sweepId' in answer ? `${answer.batches} batches` : 'timeout' in answer ? 'timeout' : 'inline check';
    }
    const scheduledMs = performance.now() - started;
    while (running.size > 0) await Promise.all([...running]);
    const wallMs = performance.now() - started;
    if (failures.length > 0) throw failures[0];
    const sweep = await deps.records.sweeps.latest();
    const history = await deps.records.history.points({ limit: 2000 });
    const log = [sandbox.github, sandbox.render, sandbox.netlify].flatMap((s) => s.log.entries);
    return {
      targets: repos.length + services.length + sites.length,
      outcome: options.naive ? outcome : sweep?.done ? `done (${outcome})` : `unfinished (${outcome})`,
      scheduledMs,
      wallMs,
      invocations,
      checked: options.naive
        ? new Set(history.items.flatMap((p) => p.targets.map((t) => t.id))).size
        : (sweep?.counts.checked ?? 0),
      unchecked: options.naive
        ? repos.length +
          services.length +
          sites.length -
          new Set(history.items.flatMap((p) => p.targets.map((t) => t.id))).size
        : (sweep?.counts.unchecked ?? 0),
      refused: log.filter((e) => e.status === 403 || e.status === 429).length,
      providerRequests: log.length,
      blobsRequests,
      peakHeapMb: peakHeap / 2 ** 20,
      hourMs: 3_600_000 * options.timeScale,
    };
  } finally {
    clearInterval(sampler);
    globalThis.fetch = original;
    await blobs.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}
