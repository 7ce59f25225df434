/**
 * `genesisctl status` on a seeded record store: the targets with their last check and drift
 * counts, the store in use, the locks held and the journals not finished — and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { openBlobStores } from '../../src/store/blobs.ts';
import { journalStore } from '../../src/store/journals.ts';
import type { Journal } from '../../src/store/journals.ts';
import { lockStore } from '../../src/store/locks.ts';

const CANARY = 'canary-status-5a7e11';
const SNAPSHOT_KEY = Buffer.alloc(32, 9).toString('base64');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'status-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    [
      'version: 1',
      'source: manifest',
      'seed: seed.env',
      'targets:',
      '  local: { provider: dotenv, path: local.env }',
      '  spare: { provider: dotenv, path: spare.env }',
      'keys:',
      '  API_TOKEN: { secret: true }',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'seed.env'),
    `API_URL=https://api.example.com\nAPI_TOKEN=${CANARY}\nDEBUG=false\n`,
  );
  await writeFile(path.join(dir, 'local.env'), 'API_URL=https://stale.example.com\nEXTRA=1\n');
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const env = { ENVSYNC_SNAPSHOT_KEY: SNAPSHOT_KEY, ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs') };
  const code = await runCli(args, {
    env,
    cwd: dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  expect(stdout + stderr).not.toContain(CANARY);
  return { code, stdout, stderr };
}

function journal(status: Journal['status'], updatedAt: string): Journal {
  return {
    id: randomUUID(),
    action: 'sync',
    actor: 'cli:ana',
    status,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: updatedAt,
    spec: {},
    targets: [
      {
        id: 'local',
        entries: [
          { key: 'API_URL', action: 'update' },
          { key: 'DEBUG', action: 'create' },
          { key: 'EXTRA', action: 'noop' },
        ],
      },
    ],
    done: { 'local\u0000API_URL': {} },
    before: {},
    audited: false,
    attempts: 1,
  };
}

/** Seeds a lock (its holder's name hostile) and three journals: interrupted, queued, done. */
async function seed(): Promise<{ interrupted: Journal; queued: Journal; done: Journal }> {
  const blobs = await openBlobStores({ directory: path.join(dir, 'blobs') });
  try {
    await lockStore(blobs.store('locks'), () => new Date()).acquire(['spare'], 'cli:eve\u001b[2J', 3_600_000);
    const journals = journalStore(blobs.store('journals'));
    const interrupted = journal('interrupted', '2026-01-02T00:00:00.000Z');
    const queued = journal('queued', '2026-01-03T00:00:00.000Z');
    const done = journal('done', '2026-01-04T00:00:00.000Z');
    for (const j of [interrupted, queued, done]) await journals.create(j);
    return { interrupted, queued, done };
  } finally {
    await blobs.close();
  }
}

describe('genesisctl status', () => {
  it('an empty store: every target never checked, no lock, no journal', async () => {
    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Record store: the local folder ${path.join(dir, 'blobs')}`);
    expect(r.stdout).toMatch(
      /local\s+file \S*local\.env\s+never\s+—\s+never checked: run `genesisctl env audit`/,
    );
    expect(r.stdout).toContain('Locks: none held.');
    expect(r.stdout).toContain('Journals: none open.');
  });

  it("each target's last check with its drift counts, the locks and the open journals", async () => {
    expect((await cli(['env', 'audit', '--target', 'local'])).code).toBe(1);
    const { interrupted, queued, done } = await seed();

    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /local\s+file \S*local\.env\s+\d{4}-\d\d-\d\dT\S+\s+manual\s+drift: 2 missing, 1 conflicting, 1 extra/,
    );
    expect(r.stdout).toMatch(/spare\s+file \S*spare\.env\s+never/);
    // The holder's escape sequence is shown, not obeyed.
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toMatch(/spare\s+cli:eve\\x1b\[2J {2}\d{4}/);
    // Escaped before the columns are padded: the lock's row lines up with its header.
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.includes('HELD BY')) ?? '';
    const row = lines.find((l) => l.includes('cli:eve')) ?? '';
    expect(row.slice(header.indexOf('SINCE'))).toMatch(/^\d{4}-/);
    expect(r.stdout).toMatch(new RegExp(`${queued.id}\\s+sync\\s+queued\\s+local\\s+1/2`));
    expect(r.stdout).toMatch(new RegExp(`${interrupted.id}\\s+sync\\s+interrupted\\s+local\\s+1/2`));
    expect(r.stdout).toContain(`genesisctl env resume ${interrupted.id}`);
    expect(r.stdout).not.toContain(`env resume ${queued.id}`);
    expect(r.stdout).not.toContain(done.id);

    const json = JSON.parse((await cli(['--json', 'status'])).stdout) as {
      record_store: { kind: string; location: string };
      targets: { id: string; last_check?: Record<string, unknown> }[];
      locks: { target: string; holder: string }[];
      journals: { id: string; status: string; writes_done: number; writes_planned: number }[];
    };
    expect(json.record_store).toEqual({
      kind: 'folder',
      location: `the local folder ${path.join(dir, 'blobs')}`,
    });
    expect(json.targets.find((t) => t.id === 'local')?.last_check).toMatchObject({
      trigger: 'manual',
      has_drift: true,
      missing: 2,
      conflicts: 1,
      extra: 1,
      unknown: 0,
    });
    expect(json.targets.find((t) => t.id === 'spare')?.last_check).toBeUndefined();
    expect(json.locks).toMatchObject([{ target: 'spare', holder: 'cli:eve\u001b[2J' }]);
    expect(json.journals.map((j) => j.id)).toEqual([queued.id, interrupted.id]);
    expect(json.journals[1]).toMatchObject({ status: 'interrupted', writes_done: 1, writes_planned: 2 });
  });

  it('after a sync the target reads in parity, and its lock is gone', async () => {
    expect((await cli(['env', 'sync', '--yes', '--target', 'local'])).code).toBe(0);
    const r = await cli(['status']);
    expect(r.stdout).toMatch(/local\s+file \S*local\.env\s+\S+\s+sync\s+in parity/);
    expect(r.stdout).toContain('Locks: none held.');
  });
});
