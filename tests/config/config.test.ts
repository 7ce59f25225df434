import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, credentialsFor, loadEnvConfig } from '../../src/config/env.ts';
import { loadProject, projectFromEnv } from '../../src/config/manifest.ts';
import { parseManifest } from '../../src/config/manifest.ts';

describe('environment', () => {
  it('applies defaults and parses the seed variables', () => {
    const c = loadEnvConfig({
      GITHUB_REPO: 'acme/web',
      ENVSYNC_INCLUDE_PREFIXES: 'REACT_APP_, API_ ,',
      ENVSYNC_EXCLUDE_PREFIXES: 'SECRET_',
      ENVSYNC_ALLOW_DELETIONS: 'true',
      HUBSYNC_DRYRUN: 'TRUE',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
    });
    expect(c.github).toEqual({ token: '', repo: 'acme/web', apiUrl: 'https://ghe.example.com/api/v3' });
    expect(c.render.apiUrl).toBe('https://api.render.com/v1');
    expect(c.netlify.apiUrl).toBe('https://api.netlify.com/api/v1');
    expect(c.include).toEqual(['REACT_APP_', 'API_']);
    expect(c.exclude).toEqual(['SECRET_']);
    expect(c.deletions).toBe('managed');
    expect(c.dryRun).toBe(true);
    expect(loadEnvConfig({}).deletions).toBeUndefined();
    expect(loadEnvConfig({ HUBSYNC_DRYRUN: 'false' }).dryRun).toBe(false);
  });

  it('names every bad variable', () => {
    expect(() => loadEnvConfig({ HUBSYNC_DRYRUN: 'maybe', ENVSYNC_ALLOW_DELETIONS: 'some' })).toThrow(
      /HUBSYNC_DRYRUN: must be true or false[\s\S]*ENVSYNC_ALLOW_DELETIONS: must be never, managed or all/,
    );
  });

  it('says which variables a provider needs', () => {
    const c = loadEnvConfig({});
    expect(() => credentialsFor('netlify', c)).toThrow(
      new ConfigError(
        'netlify: Not Configured. Set NETLIFY_AUTH_TOKEN in the environment (see README, Configuration).',
      ),
    );
    expect(credentialsFor('github', loadEnvConfig({ GITHUB_TOKEN: 't' }))).toBe('t');
  });
});

describe('manifest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'manifest-'));
  });

  it('reads the example manifest: targets from the environment, routing by store', async () => {
    const env = loadEnvConfig({
      RENDER_SERVICE_ID: 'srv-1',
      NETLIFY_SITE_ID: 'site-1',
      GITHUB_REPO: 'acme/web',
    });
    const project = await loadProject(path.resolve('docs/examples/envsync.manifest.yaml'), env);
    expect([...project.targets.keys()]).toEqual(['render', 'netlify', 'github-secrets', 'github-vars']);
    expect(project.targets.get('github-vars')).toMatchObject({
      provider: 'github',
      store: 'variables',
      scope: { kind: 'repo', owner: 'acme', repo: 'web' },
    });
    expect([...project.manifestValues.keys()].sort()).toEqual([
      'ALLOWED_ORIGINS',
      'AUTO_DIAGNOSE',
      'CORS_ALLOW_ALL',
      'DEBUG',
      'REACT_APP_API_URL',
    ]);
    const routes = project.route(['REACT_APP_API_URL', 'ALLOWED_ORIGINS', 'UNLISTED'], 'manifest');
    expect(routes['REACT_APP_API_URL']?.targets).toEqual(['render', 'netlify', 'github-vars']);
    expect(routes['ALLOWED_ORIGINS']?.targets).toEqual(['render', 'github-vars']);
    // Values from the manifest itself hold no secrets: an undeclared one may go to plain text.
    expect(routes['UNLISTED']).toEqual({ secret: false, targets: ['render', 'netlify', 'github-vars'] });
    // From a provider, an undeclared key may be a secret: the variables store refuses it, saying why.
    const fromRender = project.route(['UNLISTED', 'ALLOWED_ORIGINS'], 'render');
    expect(fromRender['UNLISTED']).toMatchObject({ secret: false, targets: ['render', 'netlify'] });
    expect(fromRender['UNLISTED']?.refused?.['github-vars']).toMatch(/not declared in the manifest/);
    expect(fromRender['ALLOWED_ORIGINS']?.targets).toEqual(['render', 'github-vars']);
    expect(project.policy).toMatchObject({
      exclude: ['RENDER_', 'NETLIFY_'],
      deletions: 'never',
      mode: 'overwrite',
    });
  });

  it('says which variable a target needs when the manifest leaves it out', async () => {
    await expect(
      loadProject(path.resolve('docs/examples/envsync.manifest.yaml'), loadEnvConfig({})),
    ).rejects.toThrow('target "render": Not Configured. Set RENDER_SERVICE_ID');
  });

  it('reads JSON too, and lets the environment override the policy', async () => {
    const file = path.join(dir, 'envsync.manifest.json');
    await writeFile(
      file,
      JSON.stringify({
        targets: { r: { provider: 'render', envGroup: 'evg-1' } },
        keys: { A: { value: '1' } },
        policy: { include: ['A'], deletions: 'all' },
      }),
    );
    const project = await loadProject(
      file,
      loadEnvConfig({ ENVSYNC_INCLUDE_PREFIXES: 'B', ENVSYNC_ALLOW_DELETIONS: 'never' }),
    );
    expect(project.targets.get('r')).toMatchObject({ scope: { kind: 'env-group', envGroupId: 'evg-1' } });
    expect(project.policy).toMatchObject({ include: ['B'], deletions: 'never' });
  });

  it('expands a target that lists many services, sites or repositories into one target each', async () => {
    const file = path.join(dir, 'envsync.manifest.json');
    await writeFile(
      file,
      JSON.stringify({
        source: 'manifest',
        targets: {
          api: { provider: 'render', services: ['srv-a1', 'srv-B2'] },
          web: { provider: 'netlify', sites: ['site-1', 'site-2'], context: 'production' },
          ci: { provider: 'github', repos: ['acme/Web.App', 'acme/worker'], store: 'variables' },
          one: { provider: 'github', repo: 'acme/one', store: 'variables' },
        },
        keys: { API_URL: { value: 'https://x', targets: ['api', 'ci'] }, FLAG: { value: '1' } },
        policy: { rename: { ci: { API_URL: 'VITE_API_URL' } } },
      }),
    );
    const project = await loadProject(file, loadEnvConfig({}));
    expect([...project.targets.keys()]).toEqual([
      'api-srv-a1',
      'api-srv-b2',
      'web-site-1',
      'web-site-2',
      'ci-acme-web-app',
      'ci-acme-worker',
      'one',
    ]);
    expect(project.targets.get('api-srv-b2')).toMatchObject({
      scope: { kind: 'service', serviceId: 'srv-B2' },
    });
    expect(project.targets.get('web-site-2')).toMatchObject({
      scope: { siteId: 'site-2', context: 'production' },
    });
    expect(project.targets.get('ci-acme-web-app')).toMatchObject({
      store: 'variables',
      scope: { kind: 'repo', owner: 'acme', repo: 'Web.App' },
    });
    // A key naming a group goes to each of its targets; a group's renames apply to each.
    const routes = project.route(['API_URL', 'FLAG'], 'manifest');
    expect(routes['API_URL']?.targets).toEqual([
      'api-srv-a1',
      'api-srv-b2',
      'ci-acme-web-app',
      'ci-acme-worker',
    ]);
    expect(routes['FLAG']?.targets).toHaveLength(7);
    expect(project.policy.rename['ci-acme-worker']).toEqual({ API_URL: 'VITE_API_URL' });
  });

  it.each([
    [
      '{ "targets": { "r": { "provider": "render", "services": ["srv-1"], "service": "srv-2" } } }',
      'target "r": list services or name one, not both',
    ],
    [
      '{ "targets": { "r": { "provider": "render", "services": ["srv-1", "srv-2"] } }, "source": "r" }',
      'source: "r" lists many targets',
    ],
    ['{ "targets": { "g": { "provider": "github", "repos": [] } } }', 'list at least one repository'],
    ['{ "targets": { "g": { "provider": "github", "repos": ["nope"] } } }', 'must be owner/repo'],
    ['{ "targets": {} }', 'targets: declare at least one target'],
    ['{ "targets": { "Bad Id": { "provider": "render" } } }', 'must be lower-case letters'],
    [
      '{ "targets": { "n": { "provider": "netlify", "site": "s", "context": "staging" } } }',
      'targets.n.context: must be one of',
    ],
    ['{ "targets": { "r": { "provider": "render", "service": "x" } } }', 'must be a Render service id'],
    ['{ "targets": { "r": { "provider": "render" } }, "source": "nowhere" }', 'source: "nowhere" is neither'],
    [
      '{ "targets": { "r": { "provider": "render" } }, "keys": { "A": { "targets": ["x"] } } }',
      'keys.A.targets: unknown target "x"',
    ],
    ['{ "targets": { "r": { "provider": "render" } }, "surprise": 1 }', 'surprise'],
    ['{ not json', 'is not valid JSON'],
  ])('rejects %s', async (text, message) => {
    const file = path.join(dir, 'envsync.manifest.json');
    await writeFile(file, text);
    await expect(loadProject(file, loadEnvConfig({ RENDER_SERVICE_ID: 'srv-1' }))).rejects.toThrow(message);
  });

  it('accepts the seed flat .env manifest as the source, targets from the environment', async () => {
    const file = path.join(dir, 'seed.env');
    await writeFile(file, 'DEBUG=false\nREACT_APP_API_URL="https://api.example.com"\n');
    const project = await loadProject(
      file,
      loadEnvConfig({ RENDER_SERVICE_ID: 'srv-1', GITHUB_REPO: 'a/b' }),
    );
    expect(project.sourceId).toBe('manifest');
    expect([...project.targets.keys()]).toEqual(['render', 'github']);
    expect(project.manifestValues.get('REACT_APP_API_URL')).toMatchObject({ kind: 'value' });
    await expect(
      loadProject(path.join(dir, 'missing.env'), loadEnvConfig({ RENDER_SERVICE_ID: 'srv-1' })),
    ).rejects.toThrow('ENOENT');
  });

  it('without a manifest, the seed variables describe the targets with Render as the source', () => {
    const project = projectFromEnv(
      loadEnvConfig({ RENDER_SERVICE_ID: 'srv-1', NETLIFY_SITE_ID: 's', GITHUB_REPO: 'a/b' }),
      dir,
    );
    expect(project.sourceId).toBe('render');
    expect([...project.targets.keys()]).toEqual(['render', 'netlify', 'github']);
  });
});

describe('manifest mistakes', () => {
  it('a misspelt field names the allowed ones and the closest, never "Expected never"', () => {
    const attempt = (raw: unknown) => {
      try {
        parseManifest(raw, 'm.yaml');
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    const top = attempt({ targets: { a: { provider: 'dotenv', path: 'x' } }, polcy: {} });
    expect(top).toContain('polcy: unknown field "polcy" (did you mean "policy"?)');
    expect(top).toContain(
      'allowed: version, source, seed, targets, keys, approvals, policy, notifications, environments',
    );
    const key = attempt({ targets: { a: { provider: 'dotenv', path: 'x' } }, keys: { K: { secert: true } } });
    expect(key).toContain('keys.K.secert: unknown field "secert" (did you mean "secret"?)');
    expect(`${top}${key}`).not.toContain('Expected never');
  });
});
