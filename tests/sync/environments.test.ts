/**
 * Environments in one manifest (issue #17, point 1): two pipelines, each with its own source,
 * targets and keys; drift per environment. Dotenv targets (no network): the CLI, the API and the
 * scheduled check on the same manifest, and what the records say of each environment.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduledDriftCheck } from '../../src/api/scheduled.ts';
import { loadEnvConfig } from '../../src/config/env.ts';
import { environmentsOf, loadProject } from '../../src/config/manifest.ts';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { rawFiles } from '../store/helpers.ts';
import { apiHarness, CANARY, TOKENS } from '../api/helpers.ts';
import type { ApiHarness } from '../api/helpers.ts';

const MANIFEST = `
environments:
  production:
    source: manifest
    seed: seed.env
    targets:
      web-prod: { provider: dotenv, path: web-prod.env }
      api-prod: { provider: dotenv, path: api-prod.env }
  staging:
    source: manifest
    seed: staging.env
    targets:
      web-staging: { provider: dotenv, path: web-staging.env }
`;

let api: ApiHarness;

beforeEach(async () => {
  api = await apiHarness(MANIFEST);
  // seed.env (API_URL=https://api.example.com, TOKEN=canary) is production's; staging has its own.
  await writeFile(path.join(api.dir, 'staging.env'), 'API_URL=https://staging.example.com\n');
  await writeFile(path.join(api.dir, 'web-prod.env'), `API_URL=https://api.example.com\nTOKEN=${CANARY}\n`);
  await writeFile(path.join(api.dir, 'api-prod.env'), `API_URL=https://api.example.com\nTOKEN=${CANARY}\n`);
  // Staging's value differs from production's by design: in parity with its own source.
  await writeFile(path.join(api.dir, 'web-staging.env'), 'API_URL=https://old-staging.example.com\n');
});
afterEach(async () => {
  // Canary: the seed's TOKEN value reaches no record (plans, approvals, audit, events, history).
  for (const { file, text } of await rawFiles(api.env['ENVSYNC_BLOBS_DIR'] ?? ''))
    expect(text, file).not.toContain(CANARY);
  await api.close();
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { ...api.env, ENVSYNC_BLOBS_DIR: path.join(api.dir, 'cli-blobs') },
    cwd: api.dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  };
  const code = await runCli(args, io);
  expect(stdout + stderr).not.toContain(CANARY);
  return { code, stdout, stderr };
}

describe('environments', () => {
  it('the example manifest: two pipelines, each its own source and targets', async () => {
    const file = fileURLToPath(new URL('../../docs/examples/environments.manifest.yaml', import.meta.url));
    const project = await loadProject(file, loadEnvConfig({}));
    expect([...(project.environments?.keys() ?? [])]).toEqual(['production', 'staging']);
    const [production, staging] = environmentsOf(project);
    expect(production?.sourceId).toBe('api-production');
    expect([...(staging?.targets.keys() ?? [])]).toEqual([
      'api-staging',
      'web-staging',
      'web-previews',
      'ci-staging',
    ]);
    expect(staging?.targets.get('web-staging')).toMatchObject({
      scope: { context: 'branch', branch: 'staging' },
    });
    expect(project.targets.size).toBe(7);
    expect(() => environmentsOf(project, 'prod')).toThrow(
      'unknown environment "prod"; the manifest declares production, staging',
    );
  });

  it('names the mistakes: a target in two environments, top-level targets beside environments', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'envs-'));
    const file = path.join(dir, 'm.yaml');
    await writeFile(
      file,
      'environments:\n  a: { targets: { web: { provider: dotenv, path: a.env } } }\n  b: { targets: { web: { provider: dotenv, path: b.env } } }\n',
    );
    await expect(loadProject(file, loadEnvConfig({}))).rejects.toThrow(
      'environments.b.targets.web: also in environment "a"; target ids are unique across environments (name it web-b)',
    );
    await writeFile(
      file,
      'targets: { x: { provider: dotenv, path: x.env } }\nenvironments:\n  a: { targets: { web: { provider: dotenv, path: a.env } } }\n',
    );
    await expect(loadProject(file, loadEnvConfig({}))).rejects.toThrow(
      'targets: with environments, declare them inside each environment',
    );
    await writeFile(
      file,
      'environments:\n  a: { targets: { web: { provider: dotenv, path: a.env } }, source: nope }\n',
    );
    await expect(loadProject(file, loadEnvConfig({}))).rejects.toThrow(
      'environments.a.source: "nope" is neither "manifest" nor a declared target',
    );
  });

  it('CLI: each environment in turn (exit: the worst), or the one --env names', async () => {
    const all = await cli(['env', 'audit']);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/== production ==[\s\S]*== staging ==/);
    const prod = await cli(['env', 'verify', '--env', 'production', '--json']);
    expect(prod.code).toBe(0);
    expect(JSON.parse(prod.stdout)).toMatchObject({ has_drift: false });
    const both = await cli(['env', 'verify', '--json']);
    expect(JSON.parse(both.stdout)).toMatchObject({
      environments: { production: { has_drift: false }, staging: { has_drift: true } },
    });
    // A target names its environment: no --env needed.
    const one = await cli(['env', 'plan', '--target', 'web-staging', '--json']);
    expect(one.code).toBe(1);
    expect(JSON.stringify(JSON.parse(one.stdout))).toContain('web-staging');
    const unknown = await cli(['env', 'audit', '--env', 'qa']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown environment "qa"');
    // Healed per environment: staging's target gets staging's value.
    const healed = await cli(['env', 'heal', '--env', 'staging']);
    expect(healed.stderr).toBe('');
    expect(healed.code).toBe(0);
    expect((await cli(['env', 'verify'])).code).toBe(0);
  }, 30_000);

  it('API: ?env= one environment, none named every one; checks, audit and events carry it', async () => {
    const one = await api.call('POST', '/api/verify?env=staging', { token: TOKENS.architect, body: {} });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ environment: 'staging', report: { has_drift: true } });
    const every = await api.call('POST', '/api/verify', { token: TOKENS.architect, body: {} });
    expect(every.body).toMatchObject({
      has_drift: true,
      environments: [
        { environment: 'production', report: { has_drift: false } },
        { environment: 'staging', report: { has_drift: true } },
      ],
    });
    const hostile = await api.call('POST', '/api/verify?env=..%2F__proto__', {
      token: TOKENS.architect,
      body: {},
    });
    expect(hostile.status).toBe(400);
    const plan = await api.call('POST', '/api/plan', { token: TOKENS.architect, body: {} });
    expect(plan.status).toBe(400);
    expect(plan.text).toContain('choose one with --env (or ?env=)');
    const targets = await api.call('GET', '/api/targets?env=staging', { token: TOKENS.viewer });
    expect(targets.body).toMatchObject({
      source: 'manifest',
      environments: [{ name: 'production' }, { name: 'staging' }],
      targets: [{ id: 'web-staging', environment: 'staging', status: 'drift' }],
    });
    const history = await api.deps.records.history.list({ limit: 5 });
    expect(history.items.map((c) => c.environment)).toEqual(['staging', 'production', 'staging']);
    const audit = await api.deps.records.audit.list({ limit: 5 });
    const checks = audit.items.filter((e) => e.action === 'drift-check');
    expect(checks.map((e) => (e.detail as { environment?: string } | undefined)?.environment).sort()).toEqual(
      ['production', 'staging', 'staging'],
    );
    const events = await api.deps.records.events.list({});
    const drift = events.items.filter((e) => e.type === 'envsync.drift');
    expect(drift.length).toBeGreaterThan(0);
    expect(drift.every((e) => e.environment === 'staging')).toBe(true);
  });

  it('the scheduled check: one check per environment', async () => {
    const result = await scheduledDriftCheck(api.deps);
    expect(result.environments?.map((c) => [c.environment, c.hasDrift])).toEqual([
      ['production', false],
      ['staging', true],
    ]);
  });
});
