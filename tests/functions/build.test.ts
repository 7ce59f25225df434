/**
 * `npm run build` (`netlify build --offline`) bundles every function as Netlify deploys it: the
 * manifest lists them all, the scheduled one with its schedule; libsodium ships only with the
 * function that seals; no local state ever ships.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve('.');
const run = promisify(execFile);

interface Manifest {
  functions: {
    name: string;
    path: string;
    schedule?: string;
    buildData?: { runtimeAPIVersion?: number };
    routes?: { pattern: string }[];
  }[];
}
let manifest: Manifest;

const zipEntries = async (zip: string) =>
  (await run('unzip', ['-Z1', zip], { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n').filter(Boolean);

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
  manifest = JSON.parse(
    await readFile(path.join(ROOT, '.netlify/functions/manifest.json'), 'utf8'),
  ) as Manifest;
}, 300_000);

describe('npm run build', () => {
  it('lists every function, the scheduled drift check with its schedule', () => {
    const byName = Object.fromEntries(manifest.functions.map((f) => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual(['api', 'drift-check', 'sync-background']);
    expect(byName['drift-check']?.schedule).toBe('@hourly');
    expect(byName['api']?.routes?.map((r) => r.pattern)).toEqual(['/api/*']);
    for (const f of manifest.functions) expect(f.buildData?.runtimeAPIVersion, f.name).toBe(2);
  });

  it('ships libsodium only with sync-background, and never the local .envsync folder', async () => {
    for (const f of manifest.functions) {
      const entries = await zipEntries(f.path);
      expect(
        entries.some((e) => e.includes('node_modules/libsodium')),
        f.name,
      ).toBe(f.name === 'sync-background');
      expect(
        entries.filter((e) => e.includes('.envsync')),
        f.name,
      ).toEqual([]);
      expect(
        entries.filter((e) => /(^|\/)(tests|src\/sandbox)\//.test(e)),
        f.name,
      ).toEqual([]);
    }
  });
});
