/**
 * The CLI's record store: with NETLIFY_SITE_ID and ENVSYNC_BLOBS_TOKEN it writes to the site's
 * Netlify Blobs (here a local BlobsServer reached through the same siteID/token code path, via
 * ENVSYNC_BLOBS_EDGE_URL), where the functions read and hold their locks; a wrong token or an
 * unreachable store is a configuration error naming the variables.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { apiHarness, CANARY, TOKENS } from '../api/helpers.ts';
import type { ApiHarness } from '../api/helpers.ts';

const ROOT = path.resolve('.');
const SITE = 'b7c3d2e1-5a6f-4c1d-9e8f-0123456789ab';

let server: Awaited<ReturnType<typeof startLocalBlobs>>;
let site: ApiHarness;
const globals = globalThis as { netlifyBlobsContext?: string };

beforeAll(async () => {
  server = await startLocalBlobs(await mkdtemp(path.join(tmpdir(), 'site-blobs-')));
  // The deployed functions: Netlify's Blobs context of the site, on the same server.
  globals.netlifyBlobsContext = Buffer.from(
    JSON.stringify({ siteID: SITE, token: server.token, edgeURL: server.url, uncachedEdgeURL: server.url }),
  ).toString('base64');
  site = await apiHarness();
});
afterAll(async () => {
  await site.close();
  delete globals.netlifyBlobsContext;
  await server.close();
});

/** genesisctl in its own process, as on a laptop or a runner, in the site harness's folder. */
function genesisctl(
  args: string[],
  extraEnv: Record<string, string>,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    ENVSYNC_MANIFEST: site.env['ENVSYNC_MANIFEST'] ?? '',
    ENVSYNC_SNAPSHOT_KEY: site.env['ENVSYNC_SNAPSHOT_KEY'] ?? '',
    ENVSYNC_FINGERPRINT_KEY: site.env['ENVSYNC_FINGERPRINT_KEY'] ?? '',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'src/cli/genesisctl.mjs'), ...args], {
      cwd: site.dir,
      env,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

const siteEnv = () => ({
  NETLIFY_SITE_ID: SITE,
  ENVSYNC_BLOBS_TOKEN: server.token,
  ENVSYNC_BLOBS_EDGE_URL: server.url,
});

describe("the CLI on the site's Blobs (NETLIFY_SITE_ID + ENVSYNC_BLOBS_TOKEN)", () => {
  afterEach(async () => {
    await site.deps.records.locks.forceRelease('web');
  });

  it('a sync from the CLI lands where the functions read: their history and audit trail show it', async () => {
    const run = await genesisctl(['-v', 'env', 'sync', '--target', 'web', '--yes'], siteEnv());
    expect(run.output).not.toContain(CANARY);
    expect(run.output).not.toContain(server.token);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      `records: Netlify Blobs of site ${SITE} (NETLIFY_SITE_ID, ENVSYNC_BLOBS_TOKEN`,
    );
    // Nothing went to the local folder.
    expect(existsSync(path.join(site.dir, '.envsync', 'blobs'))).toBe(false);

    const history = await site.call('GET', '/api/history?target=web&limit=1', { token: TOKENS.viewer });
    expect(history.body['items']).toMatchObject([{ trigger: 'sync' }]);
    const audit = await site.call('GET', '/api/audit', { token: TOKENS.architect });
    const entries = audit.body['items'] as { action: string; actor: string }[];
    expect(entries.filter((e) => e.action === 'sync').map((e) => e.actor.slice(0, 4))).toEqual(['cli:']);
    const snapshots = await site.call('GET', '/api/snapshots?target=web', { token: TOKENS.architect });
    expect((snapshots.body['items'] as unknown[]).length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("shares the site's locks: a lock the site holds refuses the CLI's sync", async () => {
    await writeFile(path.join(site.dir, 'web.env'), 'API_URL=https://drifted.example.com\n');
    await site.deps.records.locks.acquire(['web'], 'background:site-run', 60_000);
    const run = await genesisctl(['env', 'sync', '--target', 'web', '--yes'], siteEnv());
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain('sync in progress by background:site-run on target web');
    const listed = await genesisctl(['lock', 'list'], siteEnv());
    expect(listed.output).toContain('background:site-run');
    await site.deps.records.locks.release(['web'], 'background:site-run');
    const after = await genesisctl(['env', 'sync', '--target', 'web', '--yes'], siteEnv());
    expect(after.code, after.output).toBe(0);
  }, 60_000);

  it('a wrong token: exit 2, naming NETLIFY_SITE_ID and ENVSYNC_BLOBS_TOKEN, no stack, no token', async () => {
    const wrong = 'wrong-token-0123456789abcdef';
    const run = await genesisctl(['env', 'plan'], { ...siteEnv(), ENVSYNC_BLOBS_TOKEN: wrong });
    expect(run.code, run.output).toBe(2);
    // In words: the message, without the error's class name.
    expect(run.output).toContain(`genesisctl: Netlify Blobs of site ${SITE} (NETLIFY_SITE_ID)`);
    expect(run.output).not.toContain('RecordStoreError');
    expect(run.output).toContain('refused ENVSYNC_BLOBS_TOKEN (HTTP 403)');
    expect(run.output).not.toContain(wrong);
    expect(run.output).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('an unreachable store: exit 2 within seconds, naming the variables', async () => {
    const port = await closedPort();
    const run = await genesisctl(['env', 'plan'], {
      ...siteEnv(),
      ENVSYNC_BLOBS_EDGE_URL: `http://127.0.0.1:${port}`,
    });
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain('could not be reached (ECONNREFUSED)');
    expect(run.output).toContain('ENVSYNC_BLOBS_EDGE_URL');
    expect(run.ms).toBeLessThan(15_000);
  }, 60_000);

  it('a token without a site, or a site id that is not one: exit 2 saying what to set', async () => {
    const noSite = await genesisctl(['env', 'plan'], { ENVSYNC_BLOBS_TOKEN: server.token });
    expect(noSite.code).toBe(2);
    expect(noSite.output).toContain('ENVSYNC_BLOBS_TOKEN is set but no site is: set NETLIFY_SITE_ID');
    const hostile = await genesisctl(['env', 'plan'], { ...siteEnv(), ENVSYNC_BLOBS_SITE_ID: '../x' });
    expect(hostile.code).toBe(2);
    expect(hostile.output).toContain("ENVSYNC_BLOBS_SITE_ID: must be the site's id");
  }, 60_000);

  it('without ENVSYNC_BLOBS_TOKEN, records stay in .envsync/blobs (NETLIFY_AUTH_TOKEN is not enough)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-records-'));
    await writeFile(path.join(dir, 'plain.env'), 'A=1\n');
    const run = await genesisctl(['-v', 'env', 'plan', '--target', 'web'], {
      NETLIFY_SITE_ID: SITE,
      NETLIFY_AUTH_TOKEN: server.token,
      ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
    });
    expect(run.output).toContain(`records: the local folder ${path.join(dir, 'blobs')}`);
  }, 60_000);
});

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}
