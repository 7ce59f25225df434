import { execFile, spawn } from 'node:child_process';
import { chmod, lstat, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { authenticate, parseTokens } from '../../src/auth/tokens.ts';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';

const CANARY = 'canary-c11-0b5e55ed';
const SNAPSHOT_KEY = Buffer.alloc(32, 7).toString('base64');
const BIN = fileURLToPath(new URL('../../src/cli/genesisctl.mjs', import.meta.url));

let dir: string;

const MANIFEST = `
version: 1
source: manifest
seed: seed.env
targets:
  local:
    provider: dotenv
    path: local.env
keys:
  API_TOKEN: { secret: true }
policy:
  exclude: [IGNORED_]
`;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'genesisctl-'));
  await writeFile(path.join(dir, 'envsync.manifest.yaml'), MANIFEST);
  await writeFile(
    path.join(dir, 'seed.env'),
    `API_URL=https://api.example.com\nAPI_TOKEN=${CANARY}\nDEBUG=false\nIGNORED_X=1\n`,
  );
  await writeFile(path.join(dir, 'local.env'), `API_URL=https://stale.example.com\nEXTRA=1\n`);
});

async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const env = { ENVSYNC_SNAPSHOT_KEY: SNAPSHOT_KEY, ...extraEnv };
  const io: CliIo = { env, cwd: dir, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = await runCli(args, io);
  expect(stdout + stderr).not.toContain(CANARY);
  return { code, stdout, stderr };
}

describe('genesisctl env', () => {
  it('audit: exit 1 on drift, naming what is missing and conflicting, values masked', async () => {
    const r = await cli(['env', 'audit']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('missing:   API_TOKEN, DEBUG');
    expect(r.stdout).toContain('conflicts: API_URL');
    expect(r.stdout).toMatch(/API_URL: manifest=hmac2:[0-9a-f]{12}\s+local=hmac2:[0-9a-f]{12}/);
    expect(r.stdout).not.toContain('IGNORED_X');
  });

  it('audit --json is the seed report', async () => {
    const r = await cli(['--json', 'env', 'audit']);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      has_drift: true,
      missing_in_local: ['API_TOKEN', 'DEBUG'],
      extra_in_local: ['EXTRA'],
    });
    expect(report['summary']).toEqual({
      total_keys: 3,
      synced: 0,
      in_parity: 0,
      drifted: 3,
      unknown: 0,
      extra: 1,
      targets: 1,
    });
  });

  it('plan prints target, key, action and reason', async () => {
    const r = await cli(['env', 'plan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/local\s+API_TOKEN\s+create\s+missing on target/);
    expect(r.stdout).toMatch(/local\s+API_URL\s+update\s+differs from source/);
    expect(r.stdout).toMatch(/local\s+EXTRA\s+noop\s+not in source; kept because deletions are off/);
    const json = JSON.parse((await cli(['--json', 'env', 'plan'])).stdout) as {
      targets: { entries: { key: string; action: string }[] }[];
    };
    expect(json.targets[0]?.entries.map((e) => `${e.key}:${e.action}`)).toEqual([
      'API_TOKEN:create',
      'API_URL:update',
      'DEBUG:create',
      'EXTRA:noop',
    ]);
  });

  it('sync refuses to write without --yes when it cannot ask', async () => {
    const r = await cli(['env', 'sync']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --yes');
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).toContain('stale');
  });

  it.each([
    [['env', 'sync', '--dry-run'], {}],
    [['env', 'sync', '--yes'], { HUBSYNC_DRYRUN: 'true' }],
  ])('%j with %j writes nothing and says so', async (args, env) => {
    const before = await readFile(path.join(dir, 'local.env'), 'utf8');
    const r = await cli(args, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Dry run: nothing was written.');
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).toBe(before);
  });

  it('sync --yes applies the plan; verify then passes; deletions follow the policy', async () => {
    const r = await cli(['env', 'sync', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('local: 3 applied, 0 failed, 0 skipped');
    const file = await readFile(path.join(dir, 'local.env'), 'utf8');
    expect(file).toContain(`API_TOKEN=${CANARY}`);
    expect(file).toContain('EXTRA=1');
    expect((await cli(['env', 'verify'])).code).toBe(0);
    expect((await cli(['--json', 'env', 'verify'])).stdout).toContain('"has_drift": false');
    // EXTRA was not created by EnvSync: `managed` keeps it, `all` removes it.
    expect((await cli(['env', 'sync', '--yes', '--deletions', 'managed'])).code).toBe(0);
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).toContain('EXTRA=1');
    expect((await cli(['env', 'sync', '--yes', '--deletions', 'all'])).code).toBe(0);
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).not.toContain('EXTRA');
  });

  it('sync refuses to write without a snapshot key, and writes nothing', async () => {
    const before = await readFile(path.join(dir, 'local.env'), 'utf8');
    const r = await cli(['env', 'sync', '--yes'], { ENVSYNC_SNAPSHOT_KEY: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENVSYNC_SNAPSHOT_KEY is not set');
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).toBe(before);
    expect((await cli(['env', 'sync', '--yes'], { ENVSYNC_SNAPSHOT_KEY: 'c2hvcnQ=' })).stderr).toContain(
      'is 5 bytes, not 32',
    );
  });

  it('heal syncs without asking', async () => {
    expect((await cli(['env', 'heal'])).code).toBe(0);
    expect((await cli(['env', 'audit'])).code).toBe(0);
  });

  it('export writes fingerprints, or values with --include-values at mode 0600', async () => {
    const masked = await cli([
      'env',
      'export',
      '--target',
      'local',
      '--source',
      'manifest',
      '--out',
      'snap.json',
    ]);
    expect(masked.code).toBe(0);
    const snap = JSON.parse(await readFile(path.join(dir, 'snap.json'), 'utf8')) as Record<string, unknown>;
    expect(snap).toMatchObject({ provider: 'dotenv', source: 'manifest', values_included: false });
    expect(Object.keys(snap['variables'] as object)).toEqual(['API_URL', 'EXTRA']);
    expect(JSON.stringify(snap)).not.toContain('stale.example.com');

    await cli(['env', 'heal']);
    const full = await cli([
      '--json',
      'env',
      'export',
      '--target',
      'local',
      '--from',
      'manifest',
      '--out',
      'full.json',
      '--include-values',
    ]);
    expect(JSON.parse(full.stdout)).toMatchObject({ keys: 4, values_included: true });
    expect(await readFile(path.join(dir, 'full.json'), 'utf8')).toContain(CANARY);
    expect((await stat(path.join(dir, 'full.json'))).mode & 0o777).toBe(0o600);
  });

  it('export --include-values: a git-ignored default, never through a planted symlink, never an old mode', async () => {
    await cli(['env', 'heal']);
    const byDefault = await cli(['--json', 'env', 'export', '--target', 'local', '--include-values']);
    const file = (JSON.parse(byDefault.stdout) as { file: string }).file;
    expect(file).toBe(path.join(dir, '.envsync', 'local.env.sync.json'));
    expect(await readFile(path.join(dir, '.envsync', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    // A symlink planted at the path: the file it points to is left alone; the link is replaced.
    const elsewhere = path.join(dir, 'elsewhere.txt');
    await writeFile(elsewhere, 'untouched\n', { mode: 0o644 });
    await symlink(elsewhere, path.join(dir, 'planted.json'));
    await cli(['env', 'export', '--target', 'local', '--include-values', '--out', 'planted.json']);
    expect(await readFile(elsewhere, 'utf8')).toBe('untouched\n');
    expect((await lstat(path.join(dir, 'planted.json'))).isSymbolicLink()).toBe(false);
    expect(await readFile(path.join(dir, 'planted.json'), 'utf8')).toContain(CANARY);

    // An existing world-readable file is replaced by a new 0600 one, not rewritten in place.
    await writeFile(path.join(dir, 'open.json'), '{}\n', { mode: 0o644 });
    await chmod(path.join(dir, 'open.json'), 0o644);
    const before = (await stat(path.join(dir, 'open.json'))).ino;
    await cli(['env', 'export', '--target', 'local', '--include-values', '--out', 'open.json']);
    const after = await stat(path.join(dir, 'open.json'));
    expect(after.mode & 0o777).toBe(0o600);
    expect(after.ino).not.toBe(before);
  });

  it('token create prints a 32-byte token once and the ENVSYNC_TOKENS entry that admits it', async () => {
    const made = await cli(['--json', 'token', 'create', '--name', 'ci-bot', '--role', 'architect']);
    expect(made.code).toBe(0);
    const { token, entry } = JSON.parse(made.stdout) as { token: string; entry: string };
    expect(token).toMatch(/^esk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    const tokens = parseTokens(entry);
    expect(authenticate(tokens, `Bearer ${token}`)).toEqual({ name: 'ci-bot', role: 'architect' });
    expect(entry).not.toContain(token);
    const again = JSON.parse(
      (await cli(['--json', 'token', 'create', '--name', 'x', '--role', 'viewer'])).stdout,
    ) as {
      token: string;
    };
    expect(again.token).not.toBe(token);
    const bad = await cli(['token', 'create', '--name', 'bad name', '--role', 'admiral']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--name: a token name is/);
  });

  it('--json keeps stdout valid JSON: the plan and the question go to stderr, errors are JSON objects', async () => {
    let stdout = '';
    let stderr = '';
    let asked = '';
    const io: CliIo = {
      env: { ENVSYNC_SNAPSHOT_KEY: SNAPSHOT_KEY },
      cwd: dir,
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      confirm: (q) => {
        asked = q;
        return Promise.resolve(true);
      },
    };
    expect(await runCli(['--json', 'env', 'sync'], io)).toBe(0);
    expect(asked).toBe('Apply these changes?');
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
    expect(stderr).toContain('TARGET');
    const bad = await cli(['--json', 'env', 'sync', '--deletions', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: expect.any(String) as string } });
    const missing = await cli(['--json', 'env', 'rollback', '--target', 'local', '--to', 'nope']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'snapshot_not_found' } });
  });

  it('an unreachable provider exits 3, told apart from drift (1)', async () => {
    await writeFile(
      path.join(dir, 'envsync.manifest.yaml'),
      'source: manifest\nseed: seed.env\ntargets:\n  api: { provider: render, service: srv-unreachable }\n',
    );
    const env = { RENDER_API_URL: 'http://127.0.0.1:9/v1', RENDER_API_KEY: 'rnd_x' };
    const audit = await cli(['env', 'audit'], env);
    expect(audit.code).toBe(3);
    expect(audit.stderr).toMatch(/cannot reach 127\.0\.0\.1:9/);
  }, 30_000);

  it('--version prints the package version (exit 0)', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    const { version } = JSON.parse(await readFile(path.join(BIN, '../../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(r.stdout.trim()).toBe(version);
  });

  it('every command has --help (exit 0)', async () => {
    for (const command of [
      [],
      ['env'],
      ...['audit', 'plan', 'sync', 'export', 'heal', 'verify'].map((c) => ['env', c]),
    ]) {
      const r = await cli([...command, '--help']);
      expect(r.code, command.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: genesisctl');
    }
  });
});

describe('exit 2 for bad usage and configuration, with a message that says what to do', () => {
  it.each([
    [['env', 'nope'], 'unknown command'],
    [['env', 'audit', '--bogus'], 'unknown option'],
    [['env', 'sync', '--deletions', 'some'], 'Allowed choices are never, managed, all'],
    [['env', 'export'], "required option '-t, --target <id>'"],
    [['env', 'audit', '--target', 'nowhere'], 'Unknown target "nowhere". Known targets: local'],
    [['env', 'audit', '--from', 'nowhere'], 'Unknown source "nowhere"'],
    [
      ['env', 'sync', '--target', 'github', '--from', 'manifest'],
      'github: Not Configured. Set GITHUB_TOKEN and GITHUB_REPO',
    ],
    [
      ['env', 'audit', '--from', 'render'],
      'render: Not Configured. Set RENDER_API_KEY and RENDER_SERVICE_ID',
    ],
    [
      ['env', 'export', '--target', 'netlify'],
      'netlify: Not Configured. Set NETLIFY_AUTH_TOKEN and NETLIFY_SITE_ID',
    ],
    [['env', 'audit', '--from', 'manifest', '--source', 'local'], 'disagree'],
    [['--manifest', 'missing.yaml', 'env', 'audit'], 'Cannot read manifest'],
  ])('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('an invalid manifest names each bad field', async () => {
    await writeFile(
      path.join(dir, 'envsync.manifest.yaml'),
      'targets:\n  web:\n    provider: heroku\nkeys:\n  A: { secret: true, value: x }\n',
    );
    const r = await cli(['env', 'audit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('targets.web.provider');
    expect(r.stderr).toContain('provider must be one of render, netlify, github, dotenv');
  });

  it('a secret value in the manifest is refused', async () => {
    await writeFile(
      path.join(dir, 'envsync.manifest.yaml'),
      MANIFEST.replace('API_TOKEN: { secret: true }', 'API_TOKEN: { secret: true, value: nope }'),
    );
    const r = await cli(['env', 'audit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("keys.API_TOKEN.value: a secret's value must not be kept in the manifest");
  });

  it('a provider asked for but not configured says which variables to set', async () => {
    await writeFile(
      path.join(dir, 'envsync.manifest.yaml'),
      MANIFEST.replace('targets:', 'targets:\n  render:\n    provider: render\n    service: srv-abc'),
    );
    const r = await cli(['env', 'audit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('render: Not Configured. Set RENDER_API_KEY');
  });

  it('an invalid environment names the variable', async () => {
    const r = await cli(['env', 'audit'], { GITHUB_REPO: 'not a repo', RENDER_API_URL: 'nope' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GITHUB_REPO: must be owner/repo');
    expect(r.stderr).toContain('RENDER_API_URL: must be an absolute URL');
  });

  it('no manifest and no provider configured', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'genesisctl-empty-'));
    let stderr = '';
    const code = await runCli(['env', 'audit'], {
      env: {},
      cwd: empty,
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
    });
    expect(code).toBe(2);
    expect(stderr).toContain('set RENDER_SERVICE_ID, NETLIFY_SITE_ID or GITHUB_REPO');
  });
});

describe('the genesisctl binary', () => {
  it('runs through its shim and propagates exit codes', async () => {
    const run = promisify(execFile);
    const ok = await run(process.execPath, [BIN, 'env', 'heal'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', ENVSYNC_SNAPSHOT_KEY: SNAPSHOT_KEY },
    });
    expect(ok.stdout).toContain('Heal complete.');
    const bad = await run(process.execPath, [BIN, 'env', 'nope'], { cwd: dir }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
  });

  it('`genesisctl sandbox` stops cleanly on SIGTERM as on Ctrl-C, closing its servers', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const child = spawn(process.execPath, [BIN, 'sandbox'], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '' },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      for (let i = 0; i < 300 && !out.includes('Ctrl-C stops'); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /GITHUB_API_URL='([^']+)'/.exec(out)?.[1];
      expect(url, signal).toBeDefined();
      expect((await fetch(`${url}/rate_limit`)).status, signal).toBeLessThan(500);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(signal);
      expect(await exited, signal).toBe(0);
      await expect(fetch(`${url}/rate_limit`), signal).rejects.toThrow();
    }
  }, 60_000);
});
