/**
 * `npm run build` (`netlify build --offline`) bundles every function as Netlify deploys it: the
 * manifest lists them all, the scheduled one with its schedule; libsodium ships only with the
 * function that seals; no local state ever ships. The deployed bundles run: on the sandbox, from
 * a YAML manifest the build parsed for them, without a YAML parser of their own.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToken } from '../../src/auth/tokens.ts';
import { startDemoSandbox, type SandboxSession } from '../../src/cli/sandbox-session.ts';

const ROOT = path.resolve('.');
const run = promisify(execFile);

interface Manifest {
  functions: {
    name: string;
    path: string;
    schedule?: string;
    buildData?: { runtimeAPIVersion?: number };
    routes?: { pattern: string }[];
  }[];
}
let manifest: Manifest;

const zipEntries = async (zip: string) =>
  (await run('unzip', ['-Z1', zip], { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n').filter(Boolean);

const MANIFEST = 'docs/examples/sandbox.manifest.yaml';
let session: SandboxSession | undefined;
let scratch = '';

beforeAll(async () => {
  await run('npm', ['run', 'build'], {
    cwd: ROOT,
    env: { ...process.env, ENVSYNC_MANIFEST: MANIFEST },
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  manifest = JSON.parse(
    await readFile(path.join(ROOT, '.netlify/functions/manifest.json'), 'utf8'),
  ) as Manifest;
}, 300_000);
afterAll(async () => {
  await session?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const ADMIRAL = 'bundle-test-admiral-token';

/** Imports a bundled door in a fresh Node, as Lambda would, and calls its handler once. */
async function invokeBundled(
  name: string,
  request: { method: string; url: string; body?: unknown } | undefined,
  env: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const script = `
    const { default: handler } = await import(${JSON.stringify(path.join(ROOT, 'dist/functions', `${name}.mjs`))});
    const req = ${JSON.stringify(request ?? null)};
    const res = await handler(req && new Request(req.url, {
      method: req.method,
      headers: { authorization: 'Bearer ${ADMIRAL}', 'content-type': 'application/json' },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    }), {});
    process.stdout.write(JSON.stringify({ status: res.status, body: await res.json() }), () => process.exit(0));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 60_000,
  });
  // The door may log a line of its own (drift-check's summary): the answer is the last line.
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
    status: number;
    body: Record<string, unknown>;
  };
}

async function bundledEnv(): Promise<Record<string, string>> {
  session ??= await startDemoSandbox();
  scratch ||= await mkdtemp(path.join(tmpdir(), 'envsync-bundled-'));
  return {
    ...session.env,
    ENVSYNC_MANIFEST: MANIFEST,
    ENVSYNC_BLOBS_DIR: path.join(scratch, 'blobs'),
    ENVSYNC_FINGERPRINT_KEY: randomBytes(16).toString('hex'),
    ENVSYNC_TOKENS: `bundle-admiral:admiral:${digestToken(ADMIRAL)}`,
  };
}

describe('npm run build', () => {
  it('lists every function, the scheduled drift check with its schedule', () => {
    const byName = Object.fromEntries(manifest.functions.map((f) => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual(['api', 'drift-check', 'sync-background']);
    expect(byName['drift-check']?.schedule).toBe('@hourly');
    expect(byName['api']?.routes?.map((r) => r.pattern)).toEqual(['/api/*']);
    for (const f of manifest.functions) expect(f.buildData?.runtimeAPIVersion, f.name).toBe(2);
  });

  it('ships libsodium only with sync-background, and never the local .envsync folder', async () => {
    for (const f of manifest.functions) {
      const entries = await zipEntries(f.path);
      expect(
        entries.some((e) => e.includes('node_modules/libsodium')),
        f.name,
      ).toBe(f.name === 'sync-background');
      expect(
        entries.filter((e) => e.includes('.envsync')),
        f.name,
      ).toEqual([]);
      expect(
        entries.filter((e) => /(^|\/)(tests|src\/sandbox)\//.test(e)),
        f.name,
      ).toEqual([]);
    }
  });

  it('bundles each door into one minified file: no YAML parser, no dependency files', async () => {
    for (const f of manifest.functions) {
      const entries = await zipEntries(f.path);
      expect(
        entries.filter((e) => e.includes('node_modules/') && !e.includes('node_modules/libsodium')),
        f.name,
      ).toEqual([]);
      const bundle = await readFile(path.join(ROOT, 'dist/functions', `${f.name}.mjs`), 'utf8');
      expect(bundle, f.name).not.toMatch(/js-yaml/);
    }
  });

  it('runs the bundled drift check and plan on the sandbox from the YAML manifest the build parsed', async () => {
    const env = await bundledEnv();
    const check = await invokeBundled('drift-check', undefined, env);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ hasDrift: true });
    const plan = await invokeBundled(
      'api',
      { method: 'POST', url: 'http://localhost/api/plan', body: {} },
      env,
    );
    expect(plan.status).toBe(200);
    expect(plan.body['plan_id']).toEqual(expect.any(String));
  }, 120_000);

  it('names the fix when a deployed function meets a YAML manifest its build did not parse', async () => {
    const env = await bundledEnv();
    const edited = path.join(scratch, 'envsync.manifest.yaml');
    await writeFile(
      edited,
      `${await readFile(path.join(ROOT, MANIFEST), 'utf8')}\n# edited after the build\n`,
    );
    const plan = await invokeBundled(
      'api',
      { method: 'POST', url: 'http://localhost/api/plan', body: {} },
      { ...env, ENVSYNC_MANIFEST: edited },
    );
    expect(plan.status).toBe(400);
    expect(JSON.stringify(plan.body)).toMatch(/not a YAML manifest this deploy was built with.*redeploy/i);
  }, 120_000);
});
