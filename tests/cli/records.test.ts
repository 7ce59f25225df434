import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';

const CANARY = 'canary-rec-5ca1ab1e';
const ENV = {
  ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 9).toString('hex'),
  GITHUB_RUN_ID: '42',
  GITHUB_REPOSITORY: 'acme/web',
  GITHUB_WORKFLOW: 'env-sync',
};
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'genesisctl-rec-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    'source: manifest\nseed: seed.env\ntargets:\n  local: { provider: dotenv, path: local.env }\n',
  );
  await writeFile(path.join(dir, 'seed.env'), `API_URL=https://api.example.com\nTOKEN=${CANARY}\n`);
  await writeFile(path.join(dir, 'local.env'), 'API_URL=https://old.example.com\nKEEP=1\n');
});

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: ENV,
    cwd: dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  expect(stdout + stderr).not.toContain(CANARY);
  return { code, stdout, stderr };
}

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('records through the CLI', () => {
  it('a sync snapshots, audits and lets a rollback restore the target exactly', async () => {
    const before = await readFile(path.join(dir, 'local.env'), 'utf8');
    const synced = await cli('--json', 'env', 'sync', '--yes');
    expect(synced.code).toBe(0);
    const result = JSON.parse(synced.stdout) as {
      correlation_id: string;
      snapshots: Record<string, { before: string; after: string }>;
    };
    const snap = result.snapshots['local'];
    expect(snap?.before).toMatch(/^local\.\d{4}-/);
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).toContain(CANARY);

    const list = await cli('snapshots', 'list');
    expect(list.stdout).toContain(`${snap?.before ?? '?'}  before`);
    expect(list.stdout).toContain(`${snap?.after ?? '?'}  after`);
    const shown = await cli('snapshots', 'show', snap?.before ?? '');
    expect(shown.stdout).toMatch(/API_URL {2}hmac2:[0-9a-f]{12}/);
    expect(shown.stdout).not.toContain('old.example.com');

    const dry = await cli('env', 'rollback', '--target', 'local', '--to', snap?.before ?? '', '--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/local\s+TOKEN\s+delete/);
    expect(dry.stdout).toMatch(/local\s+API_URL\s+update/);

    const rolled = await cli('env', 'rollback', '--target', 'local', '--to', snap?.before ?? '', '--yes');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain('Rollback complete.');
    expect(await readFile(path.join(dir, 'local.env'), 'utf8')).toBe(before);

    const log = await cli('--json', 'audit', 'log');
    const actions = (JSON.parse(log.stdout) as { items: { action: string; outcome: string }[] }).items.map(
      (e) => `${e.action}:${e.outcome}`,
    );
    expect(actions).toEqual(['rollback:ok', 'rollback:dry-run', 'sync:ok']);
    expect((await cli('audit', 'verify')).stdout).toContain('Audit trail intact: 3 entries');

    // Nothing the CLI left on disk holds the value in plaintext, besides the target file itself.
    for (const file of await allFiles(path.join(dir, '.envsync')))
      expect(await readFile(file, 'utf8'), file).not.toContain(CANARY);
  });

  it('audit verify names an edited and a deleted entry', async () => {
    // Three drift checks: `env plan` leaves no audit entry (README: What is audited).
    await cli('env', 'audit');
    await cli('env', 'audit');
    await cli('env', 'audit');
    const files = (await allFiles(path.join(dir, '.envsync/blobs/entries')))
      .filter((f) => /envsync-audit.*entries.*\d{12}$/.test(f))
      .sort();
    expect(files).toHaveLength(3);
    const second = files[1] ?? '';
    await writeFile(second, (await readFile(second, 'utf8')).replace('"outcome":"drift"', '"outcome":"ok"'));
    const broken = await cli('audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('entry #2: entry was altered');
    const { rm } = await import('node:fs/promises');
    await rm(files[2] ?? '');
    expect((await cli('audit', 'verify')).stdout).toContain('entry #3: entry is missing');
  });

  it('history lists drift checks, filterable, and audit doc writes the report', async () => {
    await cli('env', 'audit');
    await cli('env', 'heal');
    await cli('env', 'verify');
    const all = JSON.parse((await cli('--json', 'env', 'history')).stdout) as {
      items: { has_drift: boolean; trigger: string }[];
      total: number;
    };
    // audit (drift), the heal's own check when it ended (sync, parity), verify (parity).
    expect(all.total).toBe(3);
    expect(all.items.map((c) => [c.trigger, c.has_drift])).toEqual([
      ['manual', false],
      ['sync', false],
      ['manual', true],
    ]);
    const drifted = JSON.parse(
      (await cli('--json', 'env', 'history', '--status', 'drift', '--target', 'local')).stdout,
    ) as { total: number };
    expect(drifted.total).toBe(1);
    expect((await cli('env', 'history', '--since', 'yesterday')).code).toBe(2);
    expect((await cli('env', 'history', '--since', '1h')).stdout).toContain('(3 of 3 checks)');

    expect((await cli('audit', 'doc')).code).toBe(0);
    const doc = await readFile(path.join(dir, 'docs/audit/GITHUB_ENV_AUDIT.md'), 'utf8');
    expect(doc).toContain('| Run | `42` |');
    expect(doc).toContain('- Action: heal (ok)');
    expect(doc).toContain('`local:TOKEN`');
    expect(doc).toContain('- Result: in parity');
    expect(doc).not.toContain(CANARY);
  });

  it('a bad snapshot id is a usage error', async () => {
    const r = await cli('env', 'rollback', '--target', 'local', '--to', '../../etc/passwd', '--yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a snapshot id');
  });
});
