/**
 * A typo in the manifest must not put a secret in plain text: Render holds DEPLOY_TOKEN, the
 * manifest declares DEPLOY_TOKNE as a secret for GitHub secrets and variables. Before, `env sync
 * --yes` exited 0 and created the GitHub *variable* DEPLOY_TOKEN holding the secret.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { Sandbox } from '../../src/sandbox/index.ts';

const SECRET = 'canary-deploy-token-7e57';
const SERVICE = 'srv-typo0000000000000000';
let sandbox: Sandbox<'render' | 'github'>;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({
    providers: ['render', 'github'],
    fixture: {
      render: {
        services: [
          {
            id: SERVICE,
            name: 'api',
            envVars: [
              { key: 'DEPLOY_TOKEN', value: SECRET },
              { key: 'API_URL', value: 'https://api.example.com' },
            ],
          },
        ],
      },
      github: { repos: [{ owner: 'acme', name: 'web' }] },
    },
  });
  dir = await mkdtemp(path.join(tmpdir(), 'typo-'));
});
afterEach(() => sandbox.close());

async function sync(keys: string) {
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    [
      'source: render',
      'targets:',
      `  render: { provider: render, service: ${SERVICE} }`,
      '  github-secrets: { provider: github, repo: acme/web, store: secrets }',
      '  github-vars: { provider: github, repo: acme/web, store: variables }',
      'keys:',
      keys,
      '',
    ].join('\n'),
  );
  let out = '';
  const io: CliIo = {
    cwd: dir,
    env: {
      ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 3).toString('base64'),
      RENDER_API_URL: sandbox.render.url,
      RENDER_API_KEY: sandbox.render.token,
      GITHUB_API_URL: sandbox.github.url,
      GITHUB_TOKEN: sandbox.github.token,
    },
    stdout: (t) => (out += t),
    stderr: (t) => (out += t),
  };
  const code = await runCli(['env', 'sync', '--yes'], io);
  expect(out).not.toContain(SECRET);
  return { code, out };
}

const variables = () => Object.keys(sandbox.github.inspect.variables({ repo: 'acme/web' }));

describe('a misspelt secret in the manifest', () => {
  it('stops the sync (exit 2), naming the declared key and the source key it is closest to', async () => {
    const { code, out } = await sync(
      '  DEPLOY_TOKNE: { secret: true, targets: [github-secrets, github-vars] }',
    );
    expect(code).toBe(2);
    expect(out).toContain('DEPLOY_TOKNE');
    expect(out).toContain('DEPLOY_TOKEN');
    expect(variables()).toEqual([]);
  });

  it('never sends an undeclared key to a plaintext store: skipped there, with the reason', async () => {
    const { out } = await sync('  API_URL: { targets: [render, github-vars] }');
    expect(variables()).toEqual(['API_URL']);
    expect(out).toMatch(/DEPLOY_TOKEN[^\n]*skip[^\n]*not declared in the manifest/);
  });
});
