/**
 * `genesisctl env sync` runs from a journal, like the background function: Ctrl-C (SIGINT) or
 * SIGTERM stops starting writes, lets those in flight finish, releases the locks, records an
 * `interrupted` audit entry and says how to resume; `env resume` finishes without repeating a
 * write; a SIGKILLed run is resumed with `--take-over` once its holder is known to be gone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';

const BIN = fileURLToPath(new URL('../../src/cli/genesisctl.mjs', import.meta.url));
const MANIFEST = fileURLToPath(new URL('../../docs/examples/sandbox.manifest.yaml', import.meta.url));
const WRITE = ['PUT', 'POST', 'PATCH', 'DELETE'];
const open: SandboxSession[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function scenario() {
  const session = await startDemoSandbox();
  open.push(session);
  const dir = await mkdtemp(path.join(tmpdir(), 'interrupt-'));
  const env: Record<string, string> = {
    ...(session.env as Record<string, string>),
    ENVSYNC_MANIFEST: MANIFEST,
    ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
    ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 9).toString('base64'),
  };
  const writes = () =>
    (['render', 'netlify', 'github'] as const).reduce(
      (n, p) =>
        n + session.sandbox[p].log.entries.filter((e) => WRITE.includes(e.method) && e.status < 300).length,
      0,
    );
  const cli = async (args: string[]) => {
    let out = '';
    const io: CliIo = { env, cwd: dir, stdout: (t) => (out += t), stderr: (t) => (out += t) };
    return { code: await runCli(args, io), out };
  };
  return { session, env, dir, writes, cli };
}

/** Starts `genesisctl env sync --yes` as a real process; resolves when `writes` landed. */
async function startSync(run: Awaited<ReturnType<typeof scenario>>, after: number) {
  const child = spawn(process.execPath, [BIN, 'env', 'sync', '--yes'], {
    env: { ...process.env, ...run.env },
    cwd: run.dir,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && run.writes() < after && child.exitCode === null)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return { child, exited, output: () => stderr };
}

describe('genesisctl env sync, interrupted', () => {
  it('SIGINT: finishes the write in flight, releases the locks, audits, and resumes without repeating', async () => {
    const clean = await scenario();
    expect((await clean.cli(['env', 'sync', '--yes'])).code).toBe(0);
    const total = clean.writes();
    expect(total).toBe(4);

    const run = await scenario();
    for (const p of ['render', 'netlify', 'github'] as const)
      run.session.sandbox[p].faults = { latencyMs: 300 };
    const { child, exited, output } = await startSync(run, 1);
    child.kill('SIGINT');
    const code = await exited;
    const written = run.writes();
    expect(code, output()).toBe(1);
    expect(written).toBeLessThan(total);
    const id = /genesisctl env resume ([0-9a-f-]{36})/.exec(output())?.[1];
    expect(id, output()).toBeDefined();

    // The locks are free at once: a rollback or another sync is not refused for 15 minutes.
    expect((await run.cli(['lock', 'list'])).out).toContain('No target is locked.');
    const audit = await run.cli(['--json', 'audit', 'log']);
    const entries = JSON.parse(audit.out) as {
      items: { outcome: string; counts?: Record<string, number> }[];
    };
    const interrupted = entries.items.find((e) => e.outcome === 'interrupted');
    expect(interrupted?.counts?.['applied']).toBe(written);

    for (const p of ['render', 'netlify', 'github'] as const) run.session.sandbox[p].faults = {};
    const resumed = await run.cli(['env', 'resume']);
    expect(resumed.code, resumed.out).toBe(0);
    expect(run.writes()).toBe(total); // no write made twice
    expect((await run.cli(['env', 'verify'])).code).toBe(0);
  }, 120_000);

  it.each([1, 2, 3])(
    'SIGKILL after %i writes: resume --take-over converges with no write repeated',
    async (k) => {
      const run = await scenario();
      for (const p of ['render', 'netlify', 'github'] as const)
        run.session.sandbox[p].faults = { latencyMs: 300 };
      const { child, exited } = await startSync(run, k);
      child.kill('SIGKILL');
      await exited;
      // A request the process sent just before dying may still be applied by the provider (300 ms of
      // latency): resuming reads the providers, so it waits until they have settled, as a person would.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const written = run.writes();
      for (const p of ['render', 'netlify', 'github'] as const) run.session.sandbox[p].faults = {};
      // Never parity while writes are missing: the check reads the providers, not the plan.
      expect((await run.cli(['env', 'verify'])).code).toBe(run.writes() < 4 ? 1 : 0);
      // Its locks stay until they expire; `lock list` shows them, `lock release` frees one (audited).
      const locks = JSON.parse((await run.cli(['--json', 'lock', 'list'])).out) as {
        locks: { target: string }[];
      };
      expect(locks.locks.map((l) => l.target)).toContain('netlify');
      expect((await run.cli(['lock', 'release', '--target', 'netlify'])).out).toMatch(
        /Released the lock on netlify/,
      );
      const released = JSON.parse((await run.cli(['--json', 'audit', 'log'])).out) as {
        items: { action: string }[];
      };
      expect(released.items.some((e) => e.action === 'lock-release')).toBe(true);
      // Its lease is still live: a plain resume refuses, naming why.
      const refused = await run.cli(['env', 'resume']);
      expect(refused.code).toBe(0);
      expect(refused.out).toMatch(/Nothing to resume/);
      const journals = await run.cli(['--json', 'env', 'resume', '--take-over']);
      expect(journals.code, journals.out).toBe(0);
      expect(run.writes()).toBe(4);
      expect(written).toBeGreaterThanOrEqual(k);
      expect((await run.cli(['env', 'verify'])).code).toBe(0);
    },
    120_000,
  );
});
