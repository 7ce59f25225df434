/**
 * Child process of the memory benchmark: the sandbox runs in a grandchild so that only the drift
 * check's memory is measured here. Prints peak RSS in KB.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiDeps } from '../../src/api/deps.ts';
import { scheduledDriftCheck } from '../../src/api/scheduled.ts';

const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.resolve('tests/bench/drift-memory-sandbox.ts')],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const env = await new Promise<Record<string, string>>((resolve) => {
  let text = '';
  child.stdout.on('data', (c: Buffer) => {
    text += c.toString();
    if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0] ?? '{}') as Record<string, string>);
  });
});
const deps = await createApiDeps({
  env: {
    ...env,
    ENVSYNC_BLOBS_DIR: await mkdtemp(path.join(tmpdir(), 'mem-')),
    ENVSYNC_FINGERPRINT_KEY: 'mem',
  },
});
await scheduledDriftCheck(deps);
await deps.blobs.close();
child.kill();
process.stdout.write(`${process.resourceUsage().maxRSS}\n`);
