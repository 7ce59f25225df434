import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { DEMO } from '../../src/sandbox/demo.ts';

const CANARY = 'canary-pipe-b16b00b5';
const MANIFEST = path.resolve('docs/examples/sandbox.manifest.yaml');
let session: SandboxSession;
let dir: string;

beforeEach(async () => {
  session = await startDemoSandbox();
  dir = await mkdtemp(path.join(tmpdir(), 'pipeline-'));
});
afterEach(() => session.close());

async function cli(args: string[], manifest = MANIFEST) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { ...session.env, ENVSYNC_MANIFEST: manifest },
    cwd: dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  expect(stdout + stderr).not.toContain(CANARY);
  return { code, stdout, stderr };
}

describe('the pipeline on the sandbox', () => {
  it('audit finds the seeded drift, sync heals it over real HTTP, verify then passes', async () => {
    session.sandbox.render.inspect.deleteEnvVar(DEMO.renderServiceId, 'DEBUG');
    expect((await cli(['env', 'audit'])).code).toBe(1);
    const synced = await cli(['env', 'sync', '--yes']);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(synced.stdout).toContain('render: 1 applied, 0 failed, 0 skipped');
    expect(synced.stdout).toContain('netlify: 1 applied, 0 failed, 0 skipped');
    expect(synced.stdout).toContain('github-vars: 3 applied, 0 failed, 0 skipped');
    expect((await cli(['env', 'verify'])).code).toBe(0);

    const { github, netlify, render } = session.sandbox;
    expect(github.inspect.variables({ repo: DEMO.githubRepo })).toMatchObject({
      ALLOWED_ORIGINS: 'https://app.example.com,https://www.example.com',
      AUTO_DIAGNOSE: 'true',
    });
    const site = netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId);
    expect(site['REACT_APP_API_URL']?.values).toMatchObject([
      { context: 'all', value: 'https://api.example.com' },
    ]);
    // Render kept its extra key (deletions never) and never saw the replace-all PUT.
    expect(render.inspect.envVars(DEMO.renderServiceId)).toHaveProperty('LEGACY_QUEUE_URL');
    const puts = render.log.entries.filter((e) => e.method === 'PUT').map((e) => e.path);
    expect(puts).toEqual(['/services/{serviceId}/env-vars/{envVarKey}']);
    expect(render.inspect.envVars(DEMO.renderServiceId)['DEBUG']).toBe('false');
  });

  it('seals GitHub secrets that the sandbox can open, and a Netlify secret in production; values never printed', async () => {
    session.sandbox.render.inspect.setEnvVar(DEMO.renderServiceId, 'API_TOKEN', CANARY);
    const manifest = path.join(dir, 'secrets.yaml');
    await writeFile(
      manifest,
      [
        'source: render',
        'targets:',
        '  render: { provider: render }',
        '  gh: { provider: github, store: secrets }',
        '  web: { provider: netlify, context: production }',
        'keys:',
        '  API_TOKEN: { secret: true, targets: [gh, web] }',
        'policy:',
        '  include: [API_TOKEN]',
      ].join('\n'),
    );
    const synced = await cli(['env', 'sync', '--yes'], manifest);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(session.sandbox.github.inspect.secretPlaintext({ repo: DEMO.githubRepo }, 'API_TOKEN')).toBe(
      CANARY,
    );
    const web = session.sandbox.netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId)['API_TOKEN'];
    expect(web).toMatchObject({ is_secret: true });
    expect(web?.values.map((v) => v.context)).toEqual(['production']);
    // The secret is write-only on both targets: the ledger makes the next audit see parity.
    const audit = await cli(['--json', 'env', 'audit'], manifest);
    expect(audit.code, audit.stdout).toBe(0);
    // Changed outside EnvSync: GitHub's updated_at moves and the audit reports drift.
    session.sandbox.github.inspect.setSecret({ repo: DEMO.githubRepo }, 'API_TOKEN', 'rotated-by-hand', {
      updated_at: '2030-01-01T00:00:00Z',
    });
    const drifted = JSON.parse((await cli(['--json', 'env', 'audit'], manifest)).stdout) as {
      conflicts: Record<string, Record<string, string>>;
    };
    expect(drifted.conflicts['API_TOKEN']?.['gh']).toBe('changed outside EnvSync');
  });

  it('redeploys a Render service only when a sync changed it', async () => {
    const manifest = path.join(dir, 'redeploy.yaml');
    await writeFile(
      manifest,
      'source: manifest\nkeys:\n  FEATURE_X: { value: "on" }\ntargets:\n  render: { provider: render, redeploy: true }\n',
    );
    const first = await cli(['--json', 'env', 'sync', '--yes'], manifest);
    expect(JSON.parse(first.stdout)).toMatchObject({
      ok: true,
      follow_ups: { render: expect.stringMatching(/^deploy dep-/) as unknown },
    });
    expect(session.sandbox.render.inspect.deploys(DEMO.renderServiceId)).toHaveLength(1);
    const second = await cli(['--json', 'env', 'sync', '--yes'], manifest);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, follow_ups: {} });
    expect(session.sandbox.render.inspect.deploys(DEMO.renderServiceId)).toHaveLength(1);
  });
});
