/**
 * The CLI's conventions (issue #18, point 5): colour only on a terminal, a write counter only on a
 * terminal, help with global options and an example, tables with headers and paging, messages in
 * words, plurals, the plan shown once, hints, what is audited, and "Not Configured".
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { inWords } from '../../src/cli/words.ts';

const CANARY = 'canary-conv-c0ffee42';
const SNAPSHOT_KEY = Buffer.alloc(32, 3).toString('base64');
const ESC = '\u001b';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'conventions-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    'source: manifest\nseed: seed.env\ntargets:\n  local: { provider: dotenv, path: local.env }\n',
  );
  await writeFile(path.join(dir, 'seed.env'), `A=1\nB=2\nTOKEN=${CANARY}\n`);
  await writeFile(path.join(dir, 'local.env'), 'A=0\n');
});

async function cli(
  args: string[],
  options: { env?: Record<string, string>; tty?: boolean; confirm?: boolean; cwd?: string } = {},
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { ENVSYNC_SNAPSHOT_KEY: SNAPSHOT_KEY, ...options.env },
    cwd: options.cwd ?? dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    ...(options.tty ? { isTTY: true } : {}),
    ...(options.confirm ? { confirm: () => Promise.resolve(true) } : {}),
  };
  const code = await runCli(args, io);
  expect(stdout + stderr).not.toContain(CANARY);
  return { code, stdout, stderr };
}

describe('colour', () => {
  it('on a terminal only, and never with NO_COLOR or --no-color', async () => {
    const coloured = await cli(['env', 'audit'], { tty: true });
    expect(coloured.stdout).toContain(`${ESC}[31m✗ drift${ESC}[0m`);
    expect(coloured.stdout).toContain(`${ESC}[31mDrift found${ESC}[0m`);
    for (const plain of [
      await cli(['env', 'audit']),
      await cli(['env', 'audit'], { tty: true, env: { NO_COLOR: '1' } }),
      await cli(['--no-color', 'env', 'audit'], { tty: true }),
      await cli(['env', 'verify', '--no-color'], { tty: true }),
    ]) {
      expect(plain.stdout).not.toContain(ESC);
      expect(plain.stdout).toMatch(/Drift found/);
    }
  });
});

describe('writes', () => {
  it('a counter on a terminal, rewritten in place on stderr; nothing extra when piped', async () => {
    const onTerminal = await cli(['env', 'sync', '--yes'], { tty: true });
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.stderr).toContain(`\r${ESC}[2KWriting 1/3`);
    expect(onTerminal.stderr).toContain(`\r${ESC}[2KWriting 3/3`);
    expect(onTerminal.stderr.endsWith(`\r${ESC}[2K`)).toBe(true); // cleared before the result
    await writeFile(path.join(dir, 'local.env'), 'A=0\n');
    const piped = await cli(['env', 'sync', '--yes']);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('Writing');
  });

  it('the confirmation shows the plan once, and the result does not repeat it', async () => {
    const r = await cli(['env', 'sync'], { confirm: true });
    expect(r.code).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all.match(/TARGET {2}KEY/g)).toHaveLength(1);
    expect(all.match(/Plan from manifest/g)).toHaveLength(1);
    expect(r.stdout).toContain('Sync complete.');
  });

  it('a rollback ends with "Rollback complete."', async () => {
    const synced = JSON.parse((await cli(['--json', 'env', 'sync', '--yes'])).stdout) as {
      snapshots: Record<string, { before: string }>;
    };
    const r = await cli([
      'env',
      'rollback',
      '--target',
      'local',
      '--to',
      synced.snapshots['local']?.before ?? '',
      '--yes',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Rollback complete.');
    expect(r.stdout).toContain('Correlation id:');
  });
});

describe('next steps', () => {
  it('after audit, plan and sync, repeating the options; never with --json', async () => {
    const args = ['--target', 'local', '--from', 'manifest'];
    expect((await cli(['env', 'audit', ...args])).stdout).toContain(
      'Next: genesisctl env plan --target local --from manifest shows what a sync would change.',
    );
    expect((await cli(['env', 'plan', ...args])).stdout).toContain(
      'Next: genesisctl env sync --target local --from manifest applies this plan',
    );
    expect((await cli(['env', 'sync', '--dry-run', ...args])).stdout).toContain(
      'Next: genesisctl env sync --target local --from manifest (without --dry-run) writes it.',
    );
    expect((await cli(['env', 'sync', '--yes', ...args])).stdout).toContain(
      'Next: genesisctl env verify --target local --from manifest confirms parity',
    );
    expect((await cli(['env', 'audit'])).stdout).toContain('Next: nothing to do');
    expect((await cli(['env', 'plan'])).stdout).toContain('Next: nothing to apply');
    for (const command of ['audit', 'plan']) {
      const json = await cli(['--json', 'env', command]);
      expect(() => JSON.parse(json.stdout) as unknown).not.toThrow();
      expect(json.stdout).not.toContain('Next:');
    }
  });
});

describe('what is audited', () => {
  it('a short session leaves an entry for the audit and each sync, none for plan or verify', async () => {
    for (const args of [
      ['env', 'audit'],
      ['env', 'plan'],
      ['env', 'verify'],
      ['env', 'plan', '--all'],
      ['env', 'sync', '--dry-run'],
      ['env', 'sync', '--yes'],
      ['env', 'verify'],
      ['env', 'plan'],
      ['env', 'verify'],
    ])
      await cli(args);
    const log = JSON.parse((await cli(['--json', 'audit', 'log'])).stdout) as {
      items: { action: string; outcome: string }[];
    };
    expect(log.items.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'sync:ok',
      'sync:dry-run',
      'drift-check:drift',
    ]);
    // verify still records its check in the parity history.
    const history = JSON.parse((await cli(['--json', 'env', 'history'])).stdout) as { total: number };
    expect(history.total).toBe(5); // audit, 3 verifies, the sync's closing check
  });
});

describe('tables and paging', () => {
  it('audit log, snapshots list and env history: a header row, aligned columns, --limit and --cursor', async () => {
    // A hostile actor name: escaped before padding, so the columns stay aligned.
    const env = { GITHUB_ACTOR: `ev${ESC}[2Jil` };
    await cli(['env', 'audit'], { env });
    await cli(['env', 'sync', '--yes'], { env });
    await cli(['env', 'verify'], { env });

    const log = await cli(['audit', 'log']);
    const lines = log.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ +AT +ACTION +OUTCOME +ACTOR +FROM +TO +CORRELATION ID$/);
    expect(log.stdout).not.toContain(ESC);
    expect(log.stdout).toContain('cli:ev\\x1b[2Jil');
    const column = lines[0]?.indexOf('CORRELATION ID');
    for (const line of lines.slice(1)) expect(line.search(/[0-9a-f]{8}-[0-9a-f]{4}-/)).toBe(column);

    const first = await cli(['audit', 'log', '--limit', '1']);
    expect(first.stdout).toMatch(/^#2 /m);
    const more = /More: (genesisctl audit log --limit 1 --cursor (\d+))/.exec(first.stdout);
    expect(more?.[2]).toBe('2');
    const second = await cli(['audit', 'log', '--limit', '1', '--cursor', more?.[2] ?? '']);
    expect(second.stdout).toMatch(/^#1 /m);
    expect(second.stdout).not.toContain('More:');

    const snapshots = await cli(['snapshots', 'list', '--limit', '1']);
    expect(snapshots.stdout).toMatch(/^ID +PHASE +TAKEN +KEYS +RESTORABLE +CORRELATION ID$/m);
    expect(snapshots.stdout).toMatch(/^local\.\S+ +after +\S+ +3 +3 +\S+$/m);
    const cursor = /--cursor (\S+)/.exec(snapshots.stdout)?.[1] ?? '';
    expect((await cli(['snapshots', 'list', '--limit', '1', '--cursor', cursor])).stdout).toMatch(
      /^local\.\S+ +before +\S+ +1 +1 +\S+$/m,
    );

    const history = await cli(['env', 'history', '--limit', '2', '--status', 'parity']);
    expect(history.stdout).toMatch(/^CHECKED +TRIGGER +STATUS +TARGETS IN DRIFT +ID$/m);
    expect(history.stdout).toContain('(2 of 2 checks)');
    const page = await cli(['env', 'history', '--limit', '1']);
    const next = /More: genesisctl env history --limit 1 --cursor (chk_\S+)/.exec(page.stdout)?.[1];
    expect(next).toBeDefined();
    const after = await cli(['env', 'history', '--limit', '1', '--cursor', next ?? '']);
    expect(after.stdout).toContain('sync ');
  });

  it.each([
    [['audit', 'log', '--cursor', 'x'], '--cursor "x" is not a audit cursor'],
    [['snapshots', 'list', '--cursor', '../etc'], 'is not a snapshot cursor'],
    [['env', 'history', '--cursor', 'chk_nope'], 'is not a check cursor'],
    [['env', 'history', '--limit', '0'], '--limit must be a whole number from 1 to 500, not "0"'],
    [['audit', 'log', '--limit', '1e2'], '--limit must be a whole number from 1 to 500'],
  ])('%j is a usage error saying what to give', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('words', () => {
  it('"1 key", not "1 keys"', async () => {
    await writeFile(path.join(dir, 'local.env'), 'A=1\n');
    expect((await cli(['env', 'plan'])).stdout).toContain('(1 key in sync not shown; --all shows them)');
    expect((await cli(['env', 'export', '--target', 'local', '--out', 'x.json'])).stdout).toContain(
      'Exported 1 key of local',
    );
  });

  it('errors print as genesisctl: <message>, without the class name', async () => {
    const missing = await cli(['env', 'rollback', '--target', 'local', '--to', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'genesisctl: "nope" is not a snapshot id; list them with `genesisctl snapshots list`.\n',
    );
    const bad = await cli(['env', 'audit', '--from', 'manifest', '--source', 'local']);
    expect(bad.stderr).toMatch(/^genesisctl: --from manifest and --source local disagree/);
    expect(bad.stderr).not.toContain('ConfigError');
    // --json keeps the kind as a code, and the whole message.
    const json = await cli(['--json', 'env', 'sync', '--target', 'github']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'config', message: expect.stringMatching(/^github: Not Configured\./) as string },
    });
  });

  it('a provider error names the provider in words', async () => {
    await writeFile(
      path.join(dir, 'envsync.manifest.yaml'),
      'source: manifest\nseed: seed.env\ntargets:\n  api: { provider: render, service: srv-x }\n',
    );
    const r = await cli(['env', 'audit'], {
      env: { RENDER_API_URL: 'http://127.0.0.1:9/v1', RENDER_API_KEY: 'rnd_x' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^genesisctl: Render: cannot reach 127\.0\.0\.1:9/);
    expect(r.stderr).not.toMatch(/\[envsync\]|Error:/);
    expect(inWords('[envsync] [github] GET /repos failed with 401')).toBe(
      'GitHub: GET /repos failed with 401',
    );
    expect(inWords('[envsync] pacing: x')).toBe('pacing: x');
  }, 30_000);
});

describe('a provider asked for but not configured', () => {
  const SYNC = ['env', 'sync', '--target', 'github', '--from', 'render'];
  const GITHUB = 'genesisctl: github: Not Configured. Set GITHUB_TOKEN and GITHUB_REPO';

  it('with no manifest and no provider: names GitHub (and Render), exit 2', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'conventions-empty-'));
    const r = await cli(SYNC, { cwd: empty });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(GITHUB);
    expect(r.stderr).toContain(
      'genesisctl: render: Not Configured. Set RENDER_API_KEY and RENDER_SERVICE_ID',
    );
    expect(r.stderr).not.toContain('No manifest');
    // A command that names no provider still says how to start.
    expect((await cli(['env', 'audit'], { cwd: empty })).stderr).toContain('No manifest');
  });

  it('with no manifest and Render configured: names GitHub only, exit 2', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'conventions-render-'));
    const r = await cli(SYNC, { cwd: empty, env: { RENDER_API_KEY: 'rnd_x', RENDER_SERVICE_ID: 'srv-1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${GITHUB} (or declare a "github" target in the manifest).\n`);
  });

  it('with a manifest that has neither: names both, GitHub first, never "Unknown target"', async () => {
    const r = await cli(SYNC);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(GITHUB);
    expect(r.stderr).toContain('render: Not Configured');
    expect(r.stderr).not.toContain('Unknown');
  });

  it('with a manifest of environments: names GitHub rather than asking for --env', async () => {
    await writeFile(
      path.join(dir, 'envsync.manifest.yaml'),
      [
        'environments:',
        '  prod:',
        '    source: manifest',
        '    seed: seed.env',
        '    targets:',
        '      local: { provider: dotenv, path: local.env }',
      ].join('\n'),
    );
    const r = await cli(['env', 'sync', '--target', 'github', '--from', 'manifest']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(GITHUB);
  });
});

describe('help', () => {
  it('every command shows the global options and an example; --version prints the version', async () => {
    const noop = () => undefined;
    const program = buildProgram({
      io: { env: {}, cwd: dir, stdout: noop, stderr: noop },
      out: noop,
      outSpans: noop,
      progress: noop,
      json: noop,
      session: () => Promise.reject(new Error('no session in a help test')),
      setExit: noop,
    });
    const paths: string[][] = [];
    const visit = (command: Command, at: string[]) => {
      for (const sub of command.commands) {
        paths.push([...at, sub.name()]);
        visit(sub, [...at, sub.name()]);
      }
    };
    visit(program, []);
    expect(paths.length).toBeGreaterThan(20);
    for (const at of [[], ...paths]) {
      const r = await cli([...at, '--help']);
      expect(r.code, at.join(' ')).toBe(0);
      expect(r.stdout, at.join(' ')).toMatch(/\nExamples?:\n {2}\$ /);
      if (at.length > 0) expect(r.stdout, at.join(' ')).toMatch(/Global Options:[\s\S]*--no-color/);
    }
    const { version } = JSON.parse(await readFile(path.resolve('package.json'), 'utf8')) as {
      version: string;
    };
    expect((await cli(['--version'])).stdout.trim()).toBe(version);
  });
});
