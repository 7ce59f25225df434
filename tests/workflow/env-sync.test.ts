/**
 * The GitHub Actions workflow: valid per action-validator, pinned and least-privileged, and its
 * commands — run in order, as the workflow runs them — keep Render and GitHub in parity on the
 * sandbox.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load as parse } from 'js-yaml';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { DEMO } from '../../src/sandbox/demo.ts';
import { openBlobStores, startLocalBlobs } from '../../src/store/blobs.ts';

const ROOT = path.resolve('.');
const WORKFLOW = path.join(ROOT, '.github/workflows/env-sync.yml');
const CANARY = 'canary-workflow-ba5eba11';

interface Step {
  name: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, { env: Record<string, string>; steps: Step[] }>;
}

let workflow: Workflow;
let text: string;
beforeAll(async () => {
  text = await readFile(WORKFLOW, 'utf8');
  workflow = parse(text) as Workflow;
});

const validate = (file: string) =>
  promisify(execFile)(path.join(ROOT, 'node_modules/.bin/action-validator'), [file]).then(
    () => 0,
    (e: { code: number }) => e.code,
  );

describe('the env-sync workflow', () => {
  it('validates with action-validator, which rejects a broken copy', async () => {
    expect(await validate(WORKFLOW)).toBe(0);
    const broken = path.join(await mkdtemp(path.join(tmpdir(), 'wf-')), 'broken.yml');
    await writeFile(broken, text.replace('runs-on: ubuntu-latest', 'runs-on: [ubuntu-latest\n'));
    expect(await validate(broken)).not.toBe(0);
  });

  it('runs on dispatch and pushes to main, reads contents only, pins actions to commits, takes secrets from secrets.*', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(workflow.on['push']).toEqual({ branches: ['main'] });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const job = Object.values(workflow.jobs)[0];
    for (const step of job?.steps ?? [])
      if (step.uses) expect(step.uses, step.name).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
    const sync = job?.steps.find((s) => s.name === 'Sync Render → GitHub');
    for (const name of [
      'GITHUB_TOKEN',
      'RENDER_API_KEY',
      'ENVSYNC_SNAPSHOT_KEY',
      'ENVSYNC_FINGERPRINT_KEY',
    ]) {
      expect(sync?.env?.[name], name).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
    }
    const names = (job?.steps ?? []).map((s) => s.name);
    expect(names.indexOf('Verify parity')).toBeGreaterThan(names.indexOf('Sync Render → GitHub'));
    expect(
      (job?.steps ?? []).filter((s) => s.uses?.startsWith('actions/upload-artifact')).map((s) => s.if),
    ).toEqual(['always()', 'always()']);
  });

  it('secrets reach the genesisctl steps only: none job- or workflow-wide, none for install or upload', () => {
    const secret = /\$\{\{\s*secrets\./;
    expect(JSON.stringify(workflow.env ?? {})).not.toMatch(secret);
    for (const job of Object.values(workflow.jobs)) {
      expect(JSON.stringify(job.env ?? {}), 'job-level env').not.toMatch(secret);
      for (const step of job.steps) {
        const sees = secret.test(JSON.stringify({ env: step.env, with: step.with }));
        expect(sees, step.name).toBe(Boolean(step.run?.includes('genesisctl')));
      }
      const install = job.steps.find((s) => s.run?.includes('npm ci'));
      expect(install?.run).toContain('--omit=dev');
      expect(install?.run).toContain('--ignore-scripts');
      // Records to the deployed site's Blobs: the site from a variable, the token a secret.
      expect(job.env['ENVSYNC_BLOBS_SITE_ID']).toMatch(/^\$\{\{ vars\.\w+ \}\}$/);
      for (const step of job.steps.filter((s) => s.run?.includes('genesisctl')))
        expect(step.env?.['ENVSYNC_BLOBS_TOKEN'], step.name).toBe('${{ secrets.ENVSYNC_BLOBS_TOKEN }}');
    }
  });

  describe('its commands, in order, against the sandbox', () => {
    let session: SandboxSession;
    // The deployed site's Blobs, where the workflow's records go.
    let siteBlobs: Awaited<ReturnType<typeof startLocalBlobs>>;
    beforeAll(async () => {
      session = await startDemoSandbox();
      session.sandbox.render.inspect.setEnvVar(DEMO.renderServiceId, 'API_TOKEN', CANARY);
      siteBlobs = await startLocalBlobs(await mkdtemp(path.join(tmpdir(), 'workflow-site-')));
    });
    afterAll(async () => {
      await session.close();
      await siteBlobs.close();
    });

    it('sync, export, verify and the audit document: exit 0, artifacts written, no value in them', async () => {
      const job = Object.values(workflow.jobs)[0];
      const secrets: Record<string, string> = {
        ENVSYNC_GITHUB_TOKEN: session.env['GITHUB_TOKEN'] ?? '',
        RENDER_API_KEY: session.env['RENDER_API_KEY'] ?? '',
        ENVSYNC_SNAPSHOT_KEY: session.env['ENVSYNC_SNAPSHOT_KEY'] ?? '',
        ENVSYNC_FINGERPRINT_KEY: 'workflow-test',
        ENVSYNC_BLOBS_TOKEN: siteBlobs.token,
      };
      const vars: Record<string, string> = {
        RENDER_SERVICE_ID: DEMO.renderServiceId,
        ENVSYNC_SITE_ID: 'envsync-site',
      };
      const expand = (value: string) =>
        value
          .replace(/\$\{\{ secrets\.(\w+) \}\}/g, (_, name: string) => secrets[name] ?? '')
          .replace(/\$\{\{ vars\.(\w+) \}\}/g, (_, name: string) => vars[name] ?? '')
          .replace('${{ github.repository }}', DEMO.githubRepo);
      const env: Record<string, string> = {
        PATH: process.env['PATH'] ?? '',
        // The only difference from a real run: the APIs are the sandbox's.
        GITHUB_API_URL: session.env['GITHUB_API_URL'] ?? '',
        RENDER_API_URL: session.env['RENDER_API_URL'] ?? '',
        ENVSYNC_BLOBS_EDGE_URL: siteBlobs.url,
        GITHUB_RUN_ID: '4242',
        GITHUB_REPOSITORY: DEMO.githubRepo,
        GITHUB_WORKFLOW: 'env-sync',
        ...Object.fromEntries(Object.entries(job?.env ?? {}).map(([k, v]) => [k, expand(v)])),
      };
      const dir = await mkdtemp(path.join(tmpdir(), 'workflow-run-'));
      let failed = false;
      const ran: string[] = [];
      for (const step of job?.steps ?? []) {
        if (!step.run || step.name === 'Install') continue;
        if (failed && step.if !== 'always()') continue;
        const script = step.run.replaceAll(
          'npm run --silent genesisctl --',
          `node ${path.join(ROOT, 'src/cli/genesisctl.mjs')}`,
        );
        // Asynchronously: the sandbox answers from this process's event loop.
        const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
        const result = await runScript(script, dir, { ...env, ...stepEnv });
        ran.push(`${step.name}: ${String(result.status)}`);
        expect(result.output).not.toContain(CANARY);
        if (result.status !== 0) failed = true;
      }
      expect(ran).toEqual([
        'Sync Render → GitHub: 0',
        'Export a snapshot: 0',
        'Verify parity: 0',
        'Write the audit document: 0',
      ]);
      expect(session.sandbox.github.inspect.secretPlaintext({ repo: DEMO.githubRepo }, 'API_TOKEN')).toBe(
        CANARY,
      );
      const verify = JSON.parse(await readFile(path.join(dir, 'env_sync_report/verify.json'), 'utf8')) as {
        has_drift: boolean;
      };
      expect(verify.has_drift).toBe(false);
      const snapshot = JSON.parse(
        await readFile(path.join(dir, 'env_sync_report/env.sync.json'), 'utf8'),
      ) as Record<string, unknown>;
      expect(snapshot).toMatchObject({ provider: 'github', source: 'render' });
      const doc = await readFile(path.join(dir, 'docs/audit/GITHUB_ENV_AUDIT.md'), 'utf8');
      expect(doc).toContain('| Run | `4242` |');
      expect(doc).toContain('- Action: sync (ok)');
      for (const file of await readdir(path.join(dir, 'env_sync_report'))) {
        expect(await readFile(path.join(dir, 'env_sync_report', file), 'utf8'), file).not.toContain(CANARY);
      }
      expect(doc).not.toContain(CANARY);
      // The records went to the site's Blobs, not to the runner's folder.
      expect(existsSync(path.join(dir, '.envsync', 'blobs'))).toBe(false);
      const site = await openBlobStores({
        env: {
          ENVSYNC_BLOBS_TOKEN: siteBlobs.token,
          ENVSYNC_BLOBS_SITE_ID: 'envsync-site',
          ENVSYNC_BLOBS_EDGE_URL: siteBlobs.url,
        },
      });
      expect((await site.store('audit').list()).blobs.length).toBeGreaterThan(0);
      expect((await site.store('snapshots').list()).blobs.length).toBeGreaterThan(0);
    }, 60_000);
  });
});

function runScript(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}
