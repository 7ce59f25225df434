/**
 * The page's world for tests, screenshots and the benchmark: the provider sandboxes seeded with
 * drift (and a canary secret on Render), the API over fresh local Blobs with three tokens, a few
 * real drift checks and a sync (so events, audit entries and snapshots exist), and as many
 * synthetic hourly checks before them as asked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiDeps } from '../../../src/api/deps.ts';
import type { ApiDeps } from '../../../src/api/deps.ts';
import { routes } from '../../../src/api/index.ts';
import { dispatch } from '../../../src/api/router.ts';
import { digestToken } from '../../../src/auth/tokens.ts';
import { startDemoSandbox } from '../../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../../src/cli/sandbox-session.ts';
import type { DriftReport } from '../../../src/core/report.ts';
import { DEMO } from '../../../src/sandbox/demo.ts';
import type { Trigger } from '../../../src/store/history.ts';
import { runJournal } from '../../../src/sync/background.ts';
import { checkDrift } from '../../../src/sync/drift.ts';
import { copyVendor } from '../../../src/build/vendor.ts';
import { startPageServer } from './server.ts';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

export const PAGE_TOKENS = {
  admiral: 'admiral-page-token-0123456789abcdef',
  architect: 'architect-page-token-0123456789ab',
  viewer: 'viewer-page-token-0123456789abcdef',
} as const;

/** A secret value planted on Render: it must never reach the page. */
export const PAGE_CANARY = 'canary-page-5ec7e7-d0-not-show';

export interface PageFixture {
  readonly url: string;
  readonly deps: ApiDeps;
  readonly session: SandboxSession;
  /** Ids of the real drift checks (newest last). */
  readonly realChecks: readonly string[];
  readonly syntheticChecks: number;
  /** Every API answer the server sent, URL then body, in order. */
  readonly sent: readonly string[];
  close(): Promise<void>;
}

const KEYS = [
  'API_URL',
  'ALLOWED_ORIGINS',
  'CORS_ALLOW_ALL',
  'DEBUG',
  'FEATURE_X',
  'SENTRY_DSN',
  'LOG_LEVEL',
];
const TRIGGERS: readonly Trigger[] = ['schedule', 'schedule', 'schedule', 'webhook', 'manual'];

/** A deterministic, plausible drift report for hour `i` (drift comes and goes in spells). */
export function syntheticReport(
  i: number,
  targets: readonly { id: string; provider: string; label: string }[],
  source: string,
  at: Date,
): DriftReport {
  const rows = targets.map((t, n) => {
    const spell = Math.floor((i + n * 7) / 13) % 3 === 0; // drifted about a third of the time
    const pick = (offset: number, count: number) =>
      spell ? KEYS.slice((i + offset + n) % 4, ((i + offset + n) % 4) + count) : [];
    const missing = pick(0, 1 + ((i + n) % 2));
    const extra = spell && (i + n) % 5 === 0 ? ['LEGACY_FLAG'] : [];
    const conflicts = pick(2, (i + n) % 3);
    const unknown = t.provider === 'github' && (i + n) % 4 === 0 ? ['SENTRY_DSN'] : [];
    return {
      id: t.id,
      provider: t.provider,
      label: t.label,
      has_drift: missing.length + extra.length + conflicts.length > 0,
      missing,
      extra,
      conflicts,
      unknown,
      invalid: [],
      in_parity: KEYS.filter((k) => !missing.includes(k) && !conflicts.includes(k) && !unknown.includes(k)),
      skipped: [],
      counts: {
        create: missing.length,
        update: conflicts.length,
        delete: 0,
        noop: 3,
        unknown: unknown.length,
        skip: 0,
      },
    };
  });
  const drifted = rows.filter((r) => r.has_drift).length;
  return {
    verified_at: at.toISOString(),
    has_drift: drifted > 0,
    source,
    conflicts: {},
    summary: {
      total_keys: KEYS.length,
      synced: KEYS.length - drifted,
      in_parity: KEYS.length - drifted,
      drifted,
      unknown: 0,
      extra: 0,
      targets: rows.length,
    },
    targets: rows,
  };
}

export async function startPageFixture(
  options: {
    checks?: number;
    realChecks?: boolean;
    port?: number;
    /** Another manifest than the sandbox's example (the benchmark's ten targets). */
    manifest?: string;
    /** Writes into the Blobs folder before the API opens it (the benchmark's year of checks). */
    seedBlobs?: (directory: string) => Promise<void>;
  } = {},
): Promise<PageFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'envsync-page-'));
  await copyVendor(REPO_ROOT);
  await options.seedBlobs?.(path.join(dir, 'blobs'));
  const session = await startDemoSandbox();
  session.sandbox.render.inspect.setEnvVar(DEMO.renderServiceId, 'API_TOKEN', PAGE_CANARY);
  const env = {
    ...session.env,
    ENVSYNC_MANIFEST: options.manifest ?? path.join(REPO_ROOT, 'docs/examples/sandbox.manifest.yaml'),
    ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
    ENVSYNC_SNAPSHOT_KEY: randomBytes(32).toString('base64'),
    ENVSYNC_FINGERPRINT_KEY: 'page-fixture',
    ENVSYNC_TOKENS: Object.entries(PAGE_TOKENS)
      .map(([role, token]) => `${role}-page:${role}:${digestToken(token)}`)
      .join(','),
  };
  const deps = await createApiDeps({
    env,
    background: async (journalId, d) => {
      await runJournal(d.ctx, await d.project(), journalId);
    },
  });
  const project = await deps.project();
  const targets = [...project.targets.values()].map((t) => ({ id: t.id, provider: t.provider, label: t.id }));

  // Synthetic hourly history, oldest first, ending two hours ago; written in parallel batches.
  const count = options.checks ?? 0;
  const end = Date.now() - 2 * 3600_000;
  const batch = 64;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, k) => {
        const i = start + k;
        const at = new Date(end - (count - 1 - i) * 3600_000);
        return deps.records.history.record({
          report: syntheticReport(i, targets, project.sourceId, at),
          trigger: TRIGGERS[i % TRIGGERS.length] ?? 'schedule',
          correlationId: randomUUID(),
          durationMs: 300 + ((i * 37) % 900),
          at,
        });
      }),
    );
  }

  // Real checks on the sandbox: drift, a sync from the manifest (snapshots, audit, commit event), and after.
  const realChecks: string[] = [];
  if (options.realChecks ?? true) {
    const first = await checkDrift(deps.ctx, { project }, { trigger: 'webhook', actor: 'render-webhook' });
    realChecks.push(first.record.id);
    const second = await checkDrift(deps.ctx, { project }, { trigger: 'manual', actor: 'page-fixture' });
    realChecks.push(second.record.id);
    // A sync of one target through the API, as an admiral would: snapshots, audit entries, events.
    const synced = await dispatch(
      routes,
      new Request('http://localhost/api/sync', {
        method: 'POST',
        headers: { authorization: `Bearer ${PAGE_TOKENS.admiral}`, 'content-type': 'application/json' },
        body: JSON.stringify({ targets: ['github-vars'] }),
      }),
      deps,
    );
    if (synced.status >= 400) throw new Error(`fixture sync failed: ${synced.status} ${await synced.text()}`);
    for (let i = 0; i < 100 && (await deps.records.snapshots.list({})).items.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await checkDrift(deps.ctx, { project }, { trigger: 'schedule', actor: 'schedule' });
    realChecks.push(after.record.id);
  }

  const sent: string[] = [];
  const server = await startPageServer({
    deps,
    sent: (url, body) => sent.push(url, body),
    publicDir: path.join(REPO_ROOT, 'public'),
    ...(options.port ? { port: options.port } : {}),
  });
  return {
    url: server.url,
    deps,
    session,
    realChecks,
    syntheticChecks: count,
    sent,
    async close() {
      await server.close();
      await deps.blobs.close();
      await session.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
