/** `keys.<name>.scopes` in the manifest: validated at load, naming the key and what to do, and routed. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../../src/config/env.ts';
import { loadProject, parseManifest } from '../../src/config/manifest.ts';

const targets = {
  render: { provider: 'render', service: 'srv-1' },
  web: { provider: 'netlify', site: 'site-1', context: 'production' },
};
const manifest = (keys: Record<string, unknown>) => ({ version: 1, targets, keys });
const problem = (keys: Record<string, unknown>) => {
  try {
    parseManifest(manifest(keys), 'envsync.manifest.json');
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
};

describe('manifest scopes', () => {
  it('takes Netlify scopes, reading post_processing as post-processing', () => {
    const parsed = parseManifest(
      manifest({ A: { scopes: ['builds', 'post_processing'] }, B: { scopes: ['functions'] } }),
      'm',
    );
    expect(parsed.keys.A?.scopes).toEqual(['builds', 'post-processing']);
  });

  it('names an unknown, repeated or empty scope list with the allowed names', () => {
    expect(problem({ A: { scopes: ['edge'] } })).toMatch(
      /keys\.A\.scopes\.0: unknown scope "edge"; Netlify's scopes are builds, functions, runtime, post-processing/,
    );
    expect(problem({ A: { scopes: ['builds', 'builds'] } })).toMatch(
      /keys\.A\.scopes: lists a scope twice; list each scope once/,
    );
    expect(problem({ A: { scopes: [] } })).toMatch(/keys\.A\.scopes: list at least one scope/);
    expect(problem({ A: { scopes: 'builds' } })).toMatch(/keys\.A\.scopes: must be a list of Netlify scopes/);
  });

  it('refuses a secret in post-processing, naming the key and what to do', () => {
    expect(problem({ API_TOKEN: { secret: true, scopes: ['functions', 'post-processing'] } })).toMatch(
      /keys\.API_TOKEN\.scopes: Netlify does not allow secret values in the post-processing scope; remove post-processing, or make the key non-secret/,
    );
  });

  it('refuses scopes on a key sent to no Netlify target', () => {
    expect(problem({ A: { targets: ['render'], scopes: ['builds'] } })).toMatch(
      /keys\.A\.scopes: scopes apply only to Netlify targets, and none of its targets \(render\) is one/,
    );
    expect(problem({ A: { targets: ['render', 'web'], scopes: ['builds'] } })).toBeUndefined();
  });

  it('routes the declared scopes with the key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'envsync-scopes-'));
    const file = path.join(dir, 'envsync.manifest.json');
    await writeFile(file, JSON.stringify(manifest({ A: { value: 'a', scopes: ['runtime', 'builds'] } })));
    const project = await loadProject(file, loadEnvConfig({}));
    expect(project.route(['A', 'B'], 'manifest')).toMatchObject({
      A: { scopes: ['runtime', 'builds'] },
    });
    expect(project.route(['B'], 'manifest').B?.scopes).toBeUndefined();
  });
});
