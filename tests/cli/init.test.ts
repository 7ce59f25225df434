/**
 * `genesisctl init` on the seeded sandbox over real HTTP: the manifest it writes loads and plans,
 * names keys and never values, infers secrets and routing, and writes values only to the seed
 * file, only when asked, and only the non-secret ones.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../../src/config/env.ts';
import { loadProject } from '../../src/config/manifest.ts';
import { runCli } from '../../src/cli/main.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { DEMO, DEMO_FIXTURE } from '../../src/sandbox/demo.ts';

const SECRET = 'canary-init-secret-3c0ffee';
const NETLIFY_SECRET = 'canary-init-netlify-b0a7';
let session: SandboxSession;
let dir: string;

beforeEach(async () => {
  session = await startDemoSandbox();
  dir = await mkdtemp(path.join(tmpdir(), 'init-'));
  const { render, netlify } = session.sandbox;
  render.inspect.setEnvVar(DEMO.renderServiceId, 'API_TOKEN', SECRET);
  // On the source and on Netlify as a secret: write-only there, so secret by that rule.
  render.inspect.setEnvVar(DEMO.renderServiceId, 'SESSION_SALT', NETLIFY_SECRET);
  netlify.inspect.setEnvVar(DEMO.netlifyAccountId, {
    key: 'SESSION_SALT',
    site_id: DEMO.netlifySiteId,
    is_secret: true,
    values: [{ context: 'production', value: NETLIFY_SECRET }],
  });
});
afterEach(() => session.close());

/** Every value the sandbox holds: none may reach the manifest or an output. */
function allValues(): string[] {
  const fixture = [
    ...(DEMO_FIXTURE.render?.services ?? []).flatMap((s) => s.envVars?.map((e) => e.value) ?? []),
    'https://staging-api.example.com',
    'set-by-hand-in-the-github-ui',
  ];
  // `true` and `false` are words of the manifest itself: the distinctive values are searched for.
  return [...fixture, SECRET, NETLIFY_SECRET].filter((value) => value.length > 5);
}

async function cli(args: string[], env: Record<string, string> = session.env) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    cwd: dir,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  expect(stdout + stderr).not.toContain(SECRET);
  expect(stdout + stderr).not.toContain(NETLIFY_SECRET);
  return { code, stdout, stderr };
}

const manifestFile = () => path.join(dir, 'envsync.manifest.yaml');

describe('genesisctl init', () => {
  it('writes a manifest of names that loads and plans; secrets by rule, routing by holders', async () => {
    const init = await cli(['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(`Wrote ${manifestFile()}`);
    expect(init.stdout).toContain('Next: review the file, then run `genesisctl env plan`');
    expect(init.stdout).toMatch(/REACT_APP_API_URL\s+no\s+held\s+differs/);
    const text = await readFile(manifestFile(), 'utf8');
    for (const value of allValues()) {
      expect(text).not.toContain(value);
      expect(init.stdout).not.toContain(value);
    }
    expect(existsSync(path.join(dir, 'seed.env'))).toBe(false);
    expect(text).toContain('API_TOKEN: # held by render\n    secret: true # the name contains TOKEN');
    expect(text).toContain(
      'SESSION_SALT: # held by render, netlify; not comparable on netlify (write-only)\n    secret: true # write-only: a Netlify secret (is_secret) on netlify',
    );
    // Held everywhere it can go: no targets. Held by the source only: routed there only.
    expect(text).toContain('  DEBUG: {} # held by render, netlify, github-vars\n');
    expect(text).toContain('  LEGACY_QUEUE_URL: # held by render\n    targets: [render]\n');
    // On a target only: named in a comment, not declared (a declared secret the source lacks stops plans).
    expect(text).toMatch(/^# {3}DEPLOY_HOOK_TOKEN: held by github-secrets; secret/m);
    expect(text).toContain('  deletions: never');

    const project = await loadProject(manifestFile(), loadEnvConfig(session.env));
    expect(project.sourceId).toBe('render');
    expect([...project.targets.keys()]).toEqual(['render', 'netlify', 'github-secrets', 'github-vars']);
    expect(project.declared.get('API_TOKEN')).toEqual({ secret: true });
    const plan = await cli(['--json', 'env', 'plan']);
    expect(plan.code, plan.stdout).toBe(1);
    const entries = (
      JSON.parse(plan.stdout) as { targets: { id: string; entries: { key: string; action: string }[] }[] }
    ).targets.flatMap((t) => t.entries.map((e) => `${t.id} ${e.key} ${e.action}`));
    expect(entries.filter((e) => /create|update|delete/.test(e))).toEqual([
      'netlify REACT_APP_API_URL update',
    ]);
  });

  it("--prefer destination keeps a differing target out of the key's targets: the first sync leaves it", async () => {
    const init = await cli(['init', '--prefer', 'destination']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(
      "1 key differs from render; the targets keep their values (--prefer destination), left out of the keys' targets:\n  REACT_APP_API_URL: netlify",
    );
    const text = await readFile(manifestFile(), 'utf8');
    expect(text).toContain(
      'REACT_APP_API_URL: # held by render, netlify, github-vars; differs on netlify: kept there, left out of targets (--prefer destination)\n    targets: [render, github-vars]\n',
    );
    const plan = await cli(['env', 'plan']);
    expect(plan.stdout).toContain('0 to create, 0 to update, 0 to delete');
    expect(plan.code, plan.stdout).toBe(0);
    const help = await cli(['init', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('destination  the target keeps its value');
    expect((await cli(['init', '--prefer', 'sideways', '--force'])).stderr).toContain(
      'prefer: must be source or destination',
    );
  });

  it('refuses to overwrite without --force (exit 2, nothing read), replaces with it', async () => {
    await symlink(path.join(dir, 'nowhere.yaml'), path.join(dir, 'dangling.yaml'));
    const dangling = await cli(['init', '--manifest', 'dangling.yaml']);
    expect(dangling.code).toBe(2);
    expect(existsSync(path.join(dir, 'nowhere.yaml'))).toBe(false);
    await writeFile(manifestFile(), '# mine\n');
    const refused = await cli(['init']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists; init does not overwrite it. Pass --force');
    expect(await readFile(manifestFile(), 'utf8')).toBe('# mine\n');
    expect(session.sandbox.render.log.entries).toEqual([]);
    const forced = await cli(['init', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(manifestFile(), 'utf8')).toContain('source: render');
  });

  it('--seed writes only the non-secret values of the source, 0644, and the manifest points at it', async () => {
    const init = await cli(['init', '--write-seed-file', '--source', 'render']);
    expect(init.code, init.stderr).toBe(0);
    const seedFile = path.join(dir, 'seed.env');
    const seed = await readFile(seedFile, 'utf8');
    expect(seed).not.toContain(SECRET);
    expect(seed).not.toContain(NETLIFY_SECRET);
    expect(seed).toContain("LEGACY_QUEUE_URL='redis://legacy.internal:6379'");
    expect(seed).not.toMatch(/API_TOKEN|SESSION_SALT|DEPLOY_HOOK_TOKEN/);
    expect((await stat(seedFile)).mode & 0o777).toBe(0o644);
    expect(await readFile(manifestFile(), 'utf8')).toContain('\nseed: seed.env\n');
    const project = await loadProject(manifestFile(), loadEnvConfig(session.env));
    expect([...project.manifestValues.keys()].sort()).toEqual([
      'ALLOWED_ORIGINS',
      'AUTO_DIAGNOSE',
      'CORS_ALLOW_ALL',
      'DEBUG',
      'LEGACY_QUEUE_URL',
      'REACT_APP_API_URL',
    ]);
    // An existing seed file is refused like the manifest.
    expect((await cli(['init', '--seed', '--manifest', 'other.yaml'])).code).toBe(2);
  });

  it('takes targets from flags over the environment, and names them in the manifest', async () => {
    const { RENDER_SERVICE_ID, NETLIFY_SITE_ID, GITHUB_REPO, ...bare } = session.env;
    void NETLIFY_SITE_ID;
    void GITHUB_REPO;
    const none = await cli(['init'], bare);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'init found no target: set RENDER_SERVICE_ID, NETLIFY_SITE_ID or GITHUB_REPO, or pass --render-service',
    );
    const bad = await cli(['init', '--render-service', 'web-1'], bare);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('renderService: must be a Render service id (srv-…)');
    const flagged = await cli(
      [
        'init',
        '--render-service',
        RENDER_SERVICE_ID ?? '',
        '--github-repo',
        DEMO.githubRepo,
        '--source',
        'github-vars',
      ],
      bare,
    );
    expect(flagged.code, flagged.stderr).toBe(0);
    const text = await readFile(manifestFile(), 'utf8');
    expect(text).toContain(`    provider: render\n    service: ${DEMO.renderServiceId}\n`);
    expect(text).toContain('    provider: github\n    repo: acme/web\n    store: variables\n');
    expect(text).not.toContain('netlify');
    expect(text).toContain('source: github-vars');
    // The manifest carries its ids: it plans with no id in the environment.
    const plan = await cli(['env', 'plan'], bare);
    expect(plan.stdout).toContain('Plan from github-vars');
    // A flag wins over the variable.
    const other = await cli(['init', '--force', '--render-service', 'srv-other'], session.env);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/srv-other/);
  });

  it('leaves out a hostile name, escaped in the output, and refuses a write-only source', async () => {
    session.sandbox.render.inspect.setEnvVar(DEMO.renderServiceId, 'EVIL\u001b[2J', 'x');
    const init = await cli(['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Left out EVIL\\x1b[2J: the name holds control characters');
    expect(await readFile(manifestFile(), 'utf8')).not.toContain('EVIL');
    const secrets = await cli(['init', '--force', '--source', 'github-secrets']);
    expect(secrets.code).toBe(2);
    expect(secrets.stderr).toContain('GitHub secrets are write-only, so they cannot be a source');
  });
});
