/** The build parses and validates the YAML manifests deployed functions may read. */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestNotice, yamlManifests } from '../../src/build/manifests.ts';

const VALID = 'source: manifest\ntargets:\n  web: { provider: render, service: srv-abc }\n';

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'envsync-build-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

describe('yamlManifests', () => {
  it('parses the default manifest and the one ENVSYNC_MANIFEST names, keyed by their text', async () => {
    const dir = await project({ 'envsync.manifest.yaml': VALID, 'other.yml': `${VALID}# other\n` });
    const built = await yamlManifests(dir, 'other.yml');
    expect(built.map((m) => m.file)).toEqual(['envsync.manifest.yaml', 'other.yml']);
    expect(built[0]?.sha256).toBe(createHash('sha256').update(VALID).digest('hex'));
    expect(JSON.parse(built[0]?.json ?? '')).toMatchObject({ source: 'manifest', targets: { web: {} } });
    expect(await yamlManifests(dir, 'envsync.manifest.json')).toHaveLength(1); // JSON is read as it is
  });

  it('fails the build on a manifest that would fail at run time, naming what to fix', async () => {
    const invalid = await project({
      'envsync.manifest.yaml': 'source: manifest\ntargets: { web: { provider: nope } }\n',
    });
    await expect(yamlManifests(invalid, undefined)).rejects.toThrow(/targets\.web.*\n.*Fix the fields/s);
    const broken = await project({ 'envsync.manifest.yml': 'targets: [unclosed\n' });
    await expect(yamlManifests(broken, undefined)).rejects.toThrow(
      /envsync\.manifest\.yml is not valid YAML/,
    );
    const none = await project({});
    expect(await yamlManifests(none, undefined)).toEqual([]);
    await expect(yamlManifests(none, 'missing.yaml')).rejects.toThrow(
      /ENVSYNC_MANIFEST names missing\.yaml, which the build cannot read \(ENOENT\)/,
    );
  });

  it('says in the build log when the deploy ships no manifest, and only then', async () => {
    const bare = await project({ 'README.md': '# x\n' });
    expect(manifestNotice(bare, undefined)).toMatch(
      /no manifest \(envsync.manifest.json, envsync.manifest.yaml, envsync.manifest.yml\) at the repository root[\s\S]*RENDER_SERVICE_ID, NETLIFY_SITE_ID and GITHUB_REPO/,
    );
    expect(manifestNotice(bare, 'ops/m.yaml')).toBeUndefined();
    expect(manifestNotice(await project({ 'envsync.manifest.yaml': VALID }), undefined)).toBeUndefined();
  });
});
