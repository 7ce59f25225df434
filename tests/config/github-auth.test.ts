/** GITHUB_APP_* configuration and the manifest's `store: dependabot`. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, credentialsFor, loadEnvConfig } from '../../src/config/env.ts';
import { loadProject } from '../../src/config/manifest.ts';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

const configError = (env: Record<string, string>): string => {
  try {
    loadEnvConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('GitHub App configuration', () => {
  it('reads the key with real line breaks or with literal \\n escapes', () => {
    for (const key of [pem, pem.replaceAll('\n', '\\n'), pem.replaceAll('\n', '\\r\\n')]) {
      const config = loadEnvConfig({ GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: key });
      expect(config.github.app?.appId).toBe('123');
      expect(config.github.app?.privateKey.asymmetricKeyType).toBe('rsa');
      expect(config.github.app?.installationId).toBeUndefined();
    }
    const withInstallation = loadEnvConfig({
      GITHUB_APP_ID: '123',
      GITHUB_APP_PRIVATE_KEY: pem,
      GITHUB_APP_INSTALLATION_ID: ' 987 ',
    });
    expect(withInstallation.github.app?.installationId).toBe(987);
    expect(credentialsFor('github', withInstallation)).toBe('github-app:123');
  });

  it('refuses a malformed key by name, without echoing it', () => {
    const broken = pem.slice(0, 300);
    const message = configError({ GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: broken });
    expect(message).toMatch(
      /^GITHUB_APP_PRIVATE_KEY is not an RSA private key in PEM: paste the whole \.pem/,
    );
    expect(message).not.toContain(broken.slice(40, 100));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(configError({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: ec })).toContain(
      'not an RSA private key',
    );
  });

  it('names the missing half and a non-numeric id', () => {
    expect(configError({ GITHUB_APP_ID: '123' })).toContain('GITHUB_APP_PRIVATE_KEY is not');
    expect(configError({ GITHUB_APP_PRIVATE_KEY: pem })).toContain('GITHUB_APP_ID is not');
    expect(configError({ GITHUB_APP_INSTALLATION_ID: '5' })).toContain('GITHUB_APP_INSTALLATION_ID is set');
    const badId = configError({ GITHUB_APP_ID: 'my-app', GITHUB_APP_PRIVATE_KEY: pem });
    expect(badId).toContain('GITHUB_APP_ID: must be the numeric App ID');
    expect(badId).not.toContain('BEGIN');
  });

  it('leaves GITHUB_TOKEN alone when no App is configured', () => {
    const config = loadEnvConfig({ GITHUB_TOKEN: 'ghp_x' });
    expect(config.github.app).toBeUndefined();
    expect(() => credentialsFor('github', loadEnvConfig({}))).toThrow(
      'Set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)',
    );
  });
});

describe('manifest: store dependabot', () => {
  const project = async (targets: Record<string, unknown>, keys: Record<string, unknown> = {}) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dependabot-'));
    const file = path.join(dir, 'envsync.manifest.json');
    await writeFile(file, JSON.stringify({ source: 'manifest', targets, keys }));
    return loadProject(file, loadEnvConfig({}));
  };

  it('targets a repository or an organization, and takes the secrets', async () => {
    const p = await project(
      {
        repo: { provider: 'github', repo: 'acme/web', store: 'dependabot' },
        org: { provider: 'github', org: 'acme', store: 'dependabot', visibility: 'private' },
        vars: { provider: 'github', repo: 'acme/web', store: 'variables' },
      },
      { NPM_TOKEN: { secret: true }, PUBLIC_URL: { value: 'https://x' } },
    );
    expect(p.targets.get('repo')).toMatchObject({
      store: 'dependabot',
      scope: { kind: 'repo', repo: 'web' },
    });
    expect(p.targets.get('org')).toMatchObject({ store: 'dependabot', scope: { kind: 'org', org: 'acme' } });
    const routes = p.route(['NPM_TOKEN', 'PUBLIC_URL'], 'manifest');
    expect(routes.NPM_TOKEN?.targets).toEqual(['repo', 'org']);
    expect(routes.PUBLIC_URL?.targets).toEqual(['vars']);
  });

  it('is refused for an environment target, saying what to do', async () => {
    await expect(
      project({ env: { provider: 'github', repo: 'acme/web', environment: 'prod', store: 'dependabot' } }),
    ).rejects.toThrow(
      'target "env": store dependabot has no environment scope (Dependabot secrets belong to a repository or an organization); remove "environment", or use store: secrets',
    );
    await expect(
      project({ x: { provider: 'github', repo: 'acme/web', store: 'codespaces' } }),
    ).rejects.toThrow('must be secrets, variables or dependabot');
  });
});
