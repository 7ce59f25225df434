/**
 * A deployed function with no ENVSYNC_MANIFEST reads the manifest shipped at the repository root
 * (its working directory), as the CLI does; only without one do the targets come from the
 * environment. Run in a child process: a vitest worker cannot change its working directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
// tsx from this checkout, not from the child's working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const DEPS = fileURLToPath(new URL('../../src/api/deps.ts', import.meta.url));
const SCRIPT = `
  const { createApiDeps } = await import(${JSON.stringify(DEPS)});
  const deps = await createApiDeps({ env: { ENVSYNC_BLOBS_DIR: 'blobs', ENVSYNC_FINGERPRINT_KEY: 'root-manifest-test', RENDER_SERVICE_ID: 'srv-fromenv', RENDER_API_KEY: 'k' } });
  const project = await deps.manifestProject();
  process.stdout.write(JSON.stringify([...project.targets.keys()]));
  await deps.blobs.close();`;

async function targetsIn(dir: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', TSX, '--input-type=module', '-e', SCRIPT], {
    cwd: dir,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
}

describe('the functions find their manifest', () => {
  it('at the repository root when ENVSYNC_MANIFEST is unset; from the environment only without one', async () => {
    const bare = await mkdtemp(path.join(tmpdir(), 'root-manifest-'));
    expect(await targetsIn(bare)).toEqual(['render']);
    const withManifest = await mkdtemp(path.join(tmpdir(), 'root-manifest-'));
    await writeFile(
      path.join(withManifest, 'envsync.manifest.json'),
      JSON.stringify({ targets: { local: { provider: 'dotenv', path: 'local.env' } } }),
    );
    expect(await targetsIn(withManifest)).toEqual(['local']);
  }, 60_000);
});
