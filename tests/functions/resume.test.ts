/**
 * The background sync killed (SIGKILL) between every pair of writes and resumed: the providers end
 * exactly as after an uninterrupted run, with one init event, one commit per target and one audit
 * entry, and the pre-sync snapshot taken once, before the first write.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiDeps } from '../../src/api/deps.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { DEMO } from '../../src/sandbox/demo.ts';
import type { RenderSandbox } from '../../src/sandbox/index.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { JOURNAL_LEASE_MS, newJournal, runJournal, specRequest } from '../../src/sync/background.ts';
import { planRun } from '../../src/sync/run.ts';
import { localBlobs } from '../store/helpers.ts';

const WRITE = ['PUT', 'POST', 'PATCH', 'DELETE'];
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function scenario() {
  const session = await startDemoSandbox();
  const dir = await localBlobs();
  await dir.close();
  const blobs = await startLocalBlobs(dir.directory);
  open.push(session, blobs);
  const { render, netlify } = session.sandbox;
  // Drift on all three: 2 Render creates, 2 Netlify updates, 3 GitHub variable creates.
  render.inspect.deleteEnvVar(DEMO.renderServiceId, 'DEBUG');
  render.inspect.deleteEnvVar(DEMO.renderServiceId, 'AUTO_DIAGNOSE');
  netlify.inspect.setEnvVar(DEMO.netlifyAccountId, {
    key: 'DEBUG',
    site_id: DEMO.netlifySiteId,
    values: [{ context: 'all', value: 'true' }],
  });
  const env = {
    ...session.env,
    ENVSYNC_MANIFEST: path.resolve('docs/examples/sandbox.manifest.yaml'),
    ENVSYNC_BLOBS_URL: blobs.url,
    ENVSYNC_BLOBS_TOKEN: blobs.token,
    ENVSYNC_FINGERPRINT_KEY: 'resume-tests',
  };
  const deps = await createApiDeps({ env });
  const project = await deps.project();
  const planned = await planRun(deps.ctx, specRequest(project, {}));
  const journal = newJournal(randomUUID(), planned.plan, {
    action: 'sync',
    actor: 'test',
    spec: {},
    now: new Date(),
  });
  await deps.records.journals.create(journal);
  return { session, env, deps, project, journal };
}

function state(session: SandboxSession) {
  const { github, netlify, render } = session.sandbox;
  return {
    render: render.inspect.envVars(DEMO.renderServiceId),
    netlify: Object.fromEntries(
      Object.entries(netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId)).map(([k, v]) => [
        k,
        v.values.map((x) => `${x.context}=${x.value}`),
      ]),
    ),
    github: github.inspect.variables({ repo: DEMO.githubRepo }),
  };
}

const writesDone = (s: { log: RenderSandbox['log'] }) =>
  s.log.entries.filter((e) => WRITE.includes(e.method) && e.status >= 200 && e.status < 300).length;

/** Lets `allow` writes through on each sandbox, then holds every further write until killed. */
function allowWrites(session: SandboxSession, allow: { render: number; netlify: number; github: number }) {
  for (const name of ['render', 'netlify', 'github'] as const) {
    session.sandbox[name].faults = {
      sequence: Array<null>(allow[name]).fill(null),
      rates: { stall: 1 },
      stallMs: 120_000,
      match: { methods: WRITE },
    };
  }
}

describe('the background sync, killed and resumed', () => {
  it('ends as an uninterrupted run for every kill point 0…N', async () => {
    // The uninterrupted run, for comparison.
    const clean = await scenario();
    await runJournal(clean.deps.ctx, clean.project, clean.journal.id);
    const expected = state(clean.session);
    const total = (['render', 'netlify', 'github'] as const).reduce(
      (n, p) => n + writesDone(clean.session.sandbox[p]),
      0,
    );
    expect(total).toBe(7);
    await Promise.all(open.splice(0).map((o) => o.close()));

    for (let k = 0; k <= total; k++) {
      const run = await scenario();
      const allow = {
        render: Math.min(k, 2),
        netlify: Math.min(Math.max(k - 2, 0), 2),
        github: Math.max(k - 4, 0),
      };
      allowWrites(run.session, allow);
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'tests/functions/journal-runner.ts', run.journal.id],
        { env: { ...process.env, ...run.env }, stdio: 'ignore' },
      );
      const done = () =>
        (['render', 'netlify', 'github'] as const).reduce(
          (n, p) => n + writesDone(run.session.sandbox[p]),
          0,
        );
      // Wait until k writes landed, then a little longer: the executor moves on into the held writes
      // (which apply nothing), or, at k = N, into its snapshots, events and audit entry.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && done() < k && child.exitCode === null)
        await new Promise((resolve) => setTimeout(resolve, 25));
      await new Promise((resolve) => setTimeout(resolve, 400));
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      expect(done(), `kill point ${k}`).toBe(k);
      for (const name of ['render', 'netlify', 'github'] as const) run.session.sandbox[name].faults = {};

      // The killed runner's lease blocks others until it expires: resume as if that much time had passed.
      const later = { ...run.deps.ctx, now: () => new Date(Date.now() + JOURNAL_LEASE_MS + 1000) };
      const resumed = await runJournal(later, run.project, run.journal.id);
      expect(resumed.status, `kill point ${k}`).toBe('done');
      expect(state(run.session), `kill point ${k}`).toEqual(expected);
      const events = (await run.deps.records.events.list({ correlationId: run.journal.id })).items.map(
        (e) => `${e.type}:${(e.data['target'] as string | undefined) ?? ''}`,
      );
      expect(events.sort(), `kill point ${k}`).toEqual([
        'envsync.commit:github-vars',
        'envsync.commit:netlify',
        'envsync.commit:render',
        'envsync.init:',
      ]);
      expect(
        (await run.deps.records.audit.list({ correlationId: run.journal.id })).items,
        `kill point ${k}`,
      ).toHaveLength(1);
      const befores = (await run.deps.records.snapshots.list()).items.filter((s) => s.phase === 'before');
      expect(befores.map((s) => s.target).sort(), `kill point ${k}`).toEqual([
        'github-vars',
        'netlify',
        'render',
      ]);
      // Each pre-sync snapshot holds the state before any write: the drift is still in it.
      expect(befores.find((s) => s.target === 'render')?.variables, `kill point ${k}`).not.toHaveProperty(
        'DEBUG',
      );
      await Promise.all(open.splice(0).map((o) => o.close()));
    }
  }, 240_000);
});

describe('a journal runs once', () => {
  it('one hand-off delivered twice at once: one run, 3 Render PUTs not 6, one audit entry', async () => {
    const run = await scenario();
    const [a, b] = await Promise.all([
      runJournal(run.deps.ctx, run.project, run.journal.id),
      runJournal(run.deps.ctx, run.project, run.journal.id),
    ]);
    // One of them ran it; the other found it claimed (running or done) and did nothing.
    expect([a.status, b.status]).toContain('done');
    const puts = run.session.sandbox.render.log.entries.filter((e) => e.method === 'PUT').length;
    expect(puts).toBe(2);
    expect((await run.deps.records.audit.list({ correlationId: run.journal.id })).items).toHaveLength(1);
    const befores = (await run.deps.records.snapshots.list()).items.filter((s) => s.phase === 'before');
    expect(befores).toHaveLength(3);
    // Replayed after it finished: nothing runs again.
    const again = await runJournal(run.deps.ctx, run.project, run.journal.id);
    expect(again.status).toBe('done');
    expect(run.session.sandbox.render.log.entries.filter((e) => e.method === 'PUT').length).toBe(2);
    await Promise.all(open.splice(0).map((o) => o.close()));
  }, 60_000);
});
