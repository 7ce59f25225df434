import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetlifySandbox } from '../../src/sandbox/index.ts';
import { startNetlifySandbox } from '../../src/sandbox/index.ts';

/**
 * Netlify's own CLI, unchanged, against the sandbox (NETLIFY_API_URL). If the sandbox were stricter
 * than the real API (a scope spelling, a missing site read), these commands would fail here.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const netlifyBin = path.join(repo, 'node_modules', 'netlify-cli', 'bin', 'run.js');
const offlinePreload = fileURLToPath(new URL('./netlify-cli/offline-extensions.mjs', import.meta.url));
const run = promisify(execFile);

const ACCOUNT = 'acc-cli';
const SITE = 'site-cli';
let sandbox: NetlifySandbox;
let cwd: string;

beforeAll(async () => {
  sandbox = await startNetlifySandbox({
    seed: {
      accounts: [
        {
          id: ACCOUNT,
          slug: 'acme',
          envVars: [
            { key: 'API_URL', site_id: SITE, values: [{ context: 'all', value: 'https://api.example' }] },
          ],
        },
      ],
      sites: [{ id: SITE, name: 'web', account_id: ACCOUNT }],
    },
  });
  cwd = mkdtempSync(path.join(tmpdir(), 'envsync-netlify-cli-'));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(cwd, { recursive: true, force: true });
});

async function netlify(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [netlifyBin, ...args], {
    cwd,
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: cwd,
      CI: 'true',
      NO_COLOR: '1',
      NETLIFY_API_URL: sandbox.url,
      NETLIFY_AUTH_TOKEN: sandbox.token,
      NETLIFY_SITE_ID: SITE,
      NETLIFY_TELEMETRY_DISABLED: '1',
      NODE_OPTIONS: `--import ${offlinePreload}`,
    },
  });
  return stdout;
}

const env = () => sandbox.inspect.env(ACCOUNT, SITE);
const byContext = (key: string) =>
  Object.fromEntries((env()[key]?.values ?? []).map((v) => [v.context, v.value]));

// Each case starts netlify-cli (about 2 s on a 2-core machine) once or twice.
describe('netlify-cli on the sandbox', { timeout: 30_000 }, () => {
  it('env:list reads the site and its variables', async () => {
    expect(JSON.parse(await netlify('env:list', '--json'))).toEqual({ API_URL: 'https://api.example' });
    expect(sandbox.log.count('GET', '/sites/{site_id}')).toBeGreaterThan(0);
  });

  it('env:set with no --scope sends post_processing, as the real API accepts', async () => {
    await netlify('env:set', 'PLAIN', 'v1');
    expect(env().PLAIN?.scopes).toEqual(['builds', 'functions', 'runtime', 'post_processing']);
    expect(byContext('PLAIN')).toEqual({ all: 'v1' });
  });

  it('env:set with --context, --scope and --secret', async () => {
    await netlify('env:set', 'PROD_ONLY', 'p1', '--context', 'production');
    expect(byContext('PROD_ONLY')).toEqual({ production: 'p1' });
    await netlify('env:set', 'PROD_ONLY', 'dp1', '--context', 'deploy-preview');
    expect(byContext('PROD_ONLY')).toEqual({ production: 'p1', 'deploy-preview': 'dp1' });
    await netlify('env:set', 'SCOPED', 's1', '--scope', 'builds', 'functions');
    expect(env().SCOPED?.scopes).toEqual(['builds', 'functions']);
    await netlify('env:set', 'SEC', 'sec1', '--secret', '--context', 'production');
    expect(env().SEC).toMatchObject({ is_secret: true, scopes: ['builds', 'functions', 'runtime'] });
  });

  it('env:get reads one value, per context', async () => {
    expect((await netlify('env:get', 'PLAIN')).trim()).toBe('v1');
    expect((await netlify('env:get', 'PROD_ONLY', '--context', 'production')).trim()).toBe('p1');
  });

  it('env:unset removes a key, or one context of it', async () => {
    await netlify('env:unset', 'PROD_ONLY', '--context', 'deploy-preview');
    expect(byContext('PROD_ONLY')).toEqual({ production: 'p1' });
    await netlify('env:unset', 'PLAIN');
    expect(env()).not.toHaveProperty('PLAIN');
    expect(sandbox.violations).toEqual([]);
  });
});
