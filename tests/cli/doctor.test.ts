/**
 * `genesisctl doctor` against the sandbox, with each fault it must name: a closed port, a host
 * that does not resolve, a refused token, a read-only token, a missing or broken manifest, a bad
 * snapshot key, an unreachable record store, a provider answering 503. Exit codes asserted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { Check } from '../../src/cli/doctor.ts';
import { DEMO, DEMO_FIXTURE } from '../../src/sandbox/demo.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { Sandbox } from '../../src/sandbox/index.ts';

const READ_ONLY = 'ghp_readOnlyDoctorToken000000000';
const SNAPSHOT_KEY = randomBytes(32).toString('base64');
const MANIFEST = path.resolve('docs/examples/sandbox.manifest.yaml');
/** Everything secret doctor is handed: none may show, whole or cut. */
const SECRETS = [DEMO.tokens.github, DEMO.tokens.render, DEMO.tokens.netlify, READ_ONLY, SNAPSHOT_KEY];

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    fixture: DEMO_FIXTURE,
    github: { tokens: [DEMO.tokens.github, { token: READ_ONLY, readOnly: true }] },
    render: { tokens: [DEMO.tokens.render] },
    netlify: { tokens: [DEMO.tokens.netlify] },
  });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-'));
  sandbox.render.faults = {};
});

function baseEnv(): Record<string, string> {
  return {
    GITHUB_API_URL: sandbox.github.url,
    GITHUB_TOKEN: DEMO.tokens.github,
    GITHUB_REPO: DEMO.githubRepo,
    RENDER_API_URL: sandbox.render.url,
    RENDER_API_KEY: DEMO.tokens.render,
    RENDER_SERVICE_ID: DEMO.renderServiceId,
    NETLIFY_API_URL: sandbox.netlify.url,
    NETLIFY_AUTH_TOKEN: DEMO.tokens.netlify,
    NETLIFY_SITE_ID: DEMO.netlifySiteId,
    ENVSYNC_SNAPSHOT_KEY: SNAPSHOT_KEY,
    ENVSYNC_MANIFEST: MANIFEST,
    ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
  };
}

async function doctor(env: Record<string, string | undefined> = {}, args: string[] = [], isTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['doctor', '--timeout', '2', ...args], {
    env: { ...baseEnv(), ...env },
    cwd: dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY,
  });
  for (const secret of SECRETS) {
    expect(stdout + stderr).not.toContain(secret);
    expect(stdout + stderr).not.toContain(secret.slice(0, 12));
  }
  return { code, stdout, stderr };
}

async function doctorJson(env: Record<string, string | undefined> = {}) {
  const r = await doctor(env, ['--json']);
  const body = JSON.parse(r.stdout) as { ok: boolean; problems: number; checks: Check[] };
  const find = (subject: string, check: string) =>
    body.checks.find((c) => c.subject === subject && c.check === check);
  const failed = body.checks.filter((c) => c.status === 'fail').map((c) => `${c.subject} ${c.check}`);
  return { ...r, body, find, failed };
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('genesisctl doctor', () => {
  it('all good: exit 0, every provider, target, key, the manifest and the record store checked', async () => {
    const r = await doctorJson();
    expect(r.code, r.stdout).toBe(0);
    expect(r.failed).toEqual([]);
    expect(r.body.ok).toBe(true);
    for (const p of ['github', 'render', 'netlify'])
      for (const check of ['credentials', 'dns', 'reachability', 'auth'])
        expect(r.find(p, check)?.status, `${p} ${check}`).toBe('ok');
    for (const t of ['render', 'netlify', 'github-vars', 'github-secrets'])
      expect(r.find(`target ${t}`, 'can list')?.status).toBe('ok');
    expect(r.find('target github-secrets', 'can write')?.status).toBe('ok');
    expect(r.find('records', 'read/write')).toMatchObject({ status: 'ok' });
    expect(r.find('keys', 'snapshot key')?.status).toBe('ok');
    expect(r.find('github', 'dns')?.detail).toContain('127.0.0.1 is an IP address');
    // Only lengths of tokens are told.
    expect(r.find('github', 'credentials')?.detail).toBe(
      `GITHUB_TOKEN set (${DEMO.tokens.github.length} characters)`,
    );
    const text = await doctor();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✓ github\s+auth\s+— token accepted/);
    expect(text.stdout).toContain('All ');
  });

  it('an unreachable host (a closed port): exit 1 naming host:port with the firewall hint', async () => {
    const port = await closedPort();
    const r = await doctorJson({ RENDER_API_URL: `http://127.0.0.1:${port}/v1` });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['render reachability']);
    expect(r.find('render', 'reachability')).toMatchObject({
      detail: `cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`,
      fix: expect.stringContaining('firewall blocking API calls') as string,
    });
    expect(r.find('render', 'reachability')?.fix).toContain('RENDER_API_URL');
    expect(r.find('target render', 'can list')).toMatchObject({
      status: 'info',
      detail: expect.stringContaining('not checked') as string,
    });
    // The other providers are still checked.
    expect(r.find('github', 'auth')?.status).toBe('ok');
  });

  it('a host that does not resolve: exit 1 naming the host and the setting', async () => {
    const r = await doctorJson({ GITHUB_API_URL: 'http://nonexistent.invalid' });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['github dns']);
    expect(r.find('github', 'dns')?.detail).toMatch(
      /^cannot resolve nonexistent\.invalid \((ENOTFOUND|EAI_AGAIN)/,
    );
    expect(r.find('github', 'dns')?.fix).toContain('GITHUB_API_URL');
  });

  it('a refused token (401): exit 1, the status and what to do, never the token', async () => {
    const r = await doctorJson({ NETLIFY_AUTH_TOKEN: 'nfp_wrongDoctorToken0000000000' });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['netlify auth']);
    expect(r.find('netlify', 'auth')?.detail).toMatch(/^the token was refused \(401/);
    expect(r.find('netlify', 'auth')?.fix).toContain('NETLIFY_AUTH_TOKEN');
    expect(r.stdout).not.toContain('nfp_wrongDoctor');
  });

  it('a provider whose 401 echoes the token (hostile): the token is never shown', async () => {
    const echo = 'ghp_echoedDoctorToken00000000000';
    const server = createHttpServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `Bad credentials: ${req.headers.authorization ?? ''} \u001b[2J` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      const env = { GITHUB_API_URL: `http://127.0.0.1:${address.port}`, GITHUB_TOKEN: echo };
      const r = await doctorJson(env);
      expect(r.code).toBe(1);
      expect(r.find('github', 'auth')?.detail).toBe(
        'the token was refused (401: Bad credentials: Bearer «redacted» \u001b[2J)',
      );
      const text = await doctor(env);
      expect(text.stdout + text.stderr).not.toContain(echo.slice(0, 12));
      // The escape sequence in the provider's words is shown, not obeyed.
      expect(text.stdout).not.toContain('\u001b');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a read-only GitHub token: can list but not write a target (exit 1); enough for a source', async () => {
    const r = await doctorJson({ GITHUB_TOKEN: READ_ONLY });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['target github-vars can write', 'target github-secrets can write']);
    expect(r.find('target github-secrets', 'can list')?.status).toBe('ok');
    expect(r.find('target github-secrets', 'can write')).toMatchObject({
      detail: expect.stringContaining('read-only on acme/web') as string,
      fix: expect.stringContaining('Secrets: read and write') as string,
    });

    const manifest = path.join(dir, 'source.yaml');
    await writeFile(
      manifest,
      'version: 1\nsource: gh\ntargets:\n  gh: { provider: github, store: variables }\n  render: { provider: render }\n',
    );
    const source = await doctorJson({ GITHUB_TOKEN: READ_ONLY, ENVSYNC_MANIFEST: manifest });
    expect(source.code, source.stdout).toBe(0);
    expect(source.find('target gh', 'can write')).toMatchObject({
      status: 'info',
      detail: expect.stringContaining('enough for the source') as string,
    });
  });

  it('a missing manifest, and a broken one: exit 1 with the loader message; providers still checked', async () => {
    const missing = await doctorJson({ ENVSYNC_MANIFEST: path.join(dir, 'nope.yaml') });
    expect(missing.code).toBe(1);
    expect(missing.failed).toEqual(['manifest load']);
    expect(missing.find('manifest', 'load')?.detail).toMatch(/Cannot read manifest .*nope\.yaml: ENOENT/);
    // The environment's targets stand in, so each provider is still checked.
    expect(missing.find('target github', 'can list')?.status).toBe('ok');

    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'version: 1\nsource: manifest\ntargets: {}\npolcy: {}\n');
    const invalid = await doctorJson({ ENVSYNC_MANIFEST: broken });
    expect(invalid.code).toBe(1);
    expect(invalid.find('manifest', 'load')?.detail).toContain('did you mean "policy"?');
  });

  it('a bad snapshot key: exit 1 saying its length and how to make one', async () => {
    const r = await doctorJson({ ENVSYNC_SNAPSHOT_KEY: 'c2hvcnQ=' });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['keys snapshot key']);
    expect(r.find('keys', 'snapshot key')?.detail).toContain('ENVSYNC_SNAPSHOT_KEY is 5 bytes, not 32');
    expect(r.find('keys', 'snapshot key')?.detail).toContain('openssl rand -base64 32');
  });

  it('an unreachable record store: exit 1 naming it', async () => {
    const port = await closedPort();
    const r = await doctorJson({
      ENVSYNC_BLOBS_URL: `http://127.0.0.1:${port}`,
      ENVSYNC_BLOBS_TOKEN: 'blobs-doctor-token-0000',
    });
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['records read/write']);
    expect(r.find('records', 'read/write')).toMatchObject({
      detail: `cannot connect to the record store at 127.0.0.1:${port} (ECONNREFUSED)`,
      fix: expect.stringContaining('ENVSYNC_BLOBS_URL') as string,
    });
  });

  it('a provider answering 503: exit 1, its status named', async () => {
    sandbox.render.faults = { rates: { '503': 1 } };
    const r = await doctorJson();
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['render auth']);
    expect(r.find('render', 'auth')?.detail).toContain('failed with 503');
  });

  it('colours marks only on a terminal, and never with NO_COLOR', async () => {
    const port = await closedPort();
    const env = { RENDER_API_URL: `http://127.0.0.1:${port}/v1` };
    const tty = await doctor(env, [], true);
    expect(tty.stdout).toContain('\u001b[32m✓\u001b[0m');
    expect(tty.stdout).toContain('\u001b[31m✗\u001b[0m');
    expect((await doctor({ ...env, NO_COLOR: '1' }, [], true)).stdout).not.toContain('\u001b[');
    expect((await doctor(env)).stdout).not.toContain('\u001b[');
  });

  it('bad usage: exit 2', async () => {
    const r = await doctor({}, ['--timeout', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout must be a number of seconds');
    expect((await doctor({}, ['--frobnicate'])).code).toBe(2);
  });
});
