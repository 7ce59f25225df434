/**
 * What `npm start` keeps in `.envsync/` between starts (keys, tokens), and `genesisctl sandbox
 * --print-env`: export lines a shell can `eval` safely, only while a sandbox runs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { devSecrets, exportLines, publishSandboxEnv, SANDBOX_ENV_FILE } from '../../src/cli/dev-session.ts';
import { runCli } from '../../src/cli/main.ts';

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: {},
    cwd,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

const HOSTILE = `it's $(touch pwned) \`x\` "q" \\ \n second line; $HOME`;

describe("npm start's kept session", () => {
  it('keys and tokens are made once, 0600, and read back the same', async () => {
    const stateDir = path.join(await mkdtemp(path.join(tmpdir(), 'dev-session-')), '.envsync');
    const first = await devSecrets(stateDir);
    const second = await devSecrets(stateDir);
    expect(second).toEqual(first);
    expect((await stat(path.join(stateDir, 'dev-session.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(stateDir, '.gitignore'), 'utf8')).toContain('*');
  });

  it('an edited session file is refused, naming the file and what to do', async () => {
    const stateDir = path.join(await mkdtemp(path.join(tmpdir(), 'dev-session-')), '.envsync');
    await devSecrets(stateDir);
    await writeFile(path.join(stateDir, 'dev-session.json'), '{"snapshotKey": 1}');
    await expect(devSecrets(stateDir)).rejects.toThrow(/dev-session\.json is not a session file .*delete it/);
  });
});

describe('genesisctl sandbox --print-env', () => {
  it("prints the running sandbox's variables as export lines that eval back exactly", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'print-env-'));
    const env = { ENVSYNC_MANIFEST: '/x/sandbox.manifest.yaml', ODD_VALUE: HOSTILE };
    const unpublish = await publishSandboxEnv(path.join(root, '.envsync'), env);
    const printed = await cli(['sandbox', '--print-env'], root);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain("export ENVSYNC_MANIFEST='/x/sandbox.manifest.yaml'");
    const script = `eval "$(cat)"; printf '%s' "$ODD_VALUE"`;
    const run = promisify(execFile);
    const child = run('bash', ['-c', script], { cwd: root });
    child.child.stdin?.end(printed.stdout);
    expect((await child).stdout).toBe(HOSTILE);
    // The env file a shell can source holds the same lines, private.
    const file = path.join(root, '.envsync', SANDBOX_ENV_FILE);
    expect(await readFile(file, 'utf8')).toContain(printed.stdout.trim());
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await unpublish();
    const after = await cli(['sandbox', '--print-env'], root);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain('No sandbox is running');
  });

  it('a sandbox whose process is gone is not running: exit 2 saying how to start one', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'print-env-'));
    await publishSandboxEnv(path.join(root, '.envsync'), { A: '1' });
    const file = path.join(root, '.envsync', 'sandbox.json');
    const stale = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
    await writeFile(file, JSON.stringify({ ...stale, pid: 2 ** 22 + 17 }));
    const run = await cli(['sandbox', '--print-env'], root);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'start one in another terminal with `npm start` or `npx genesisctl sandbox`',
    );
  });

  it('a name that is not a variable name is refused, never printed into a shell', () => {
    expect(() => exportLines({ 'A;rm -rf ~': 'x' })).toThrow(/not a variable name/);
  });
});
