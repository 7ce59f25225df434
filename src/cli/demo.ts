/**
 * `npm start`: the pipeline on local stand-ins, no accounts needed. Seeds a drifted target, then
 * audits and plans it, and says how to sync.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from './main.ts';
import type { CliIo } from './main.ts';

const DRIFTED_TARGET = [
  '# A local target that drifted: one value differs, one key is missing, one is extra.',
  'AUTO_DIAGNOSE=true',
  'CORS_ALLOW_ALL=false',
  'REACT_APP_API_URL=https://staging-api.example.com',
  'ALLOWED_ORIGINS=https://app.example.com,https://www.example.com',
  'LEGACY_FLAG=1',
  '',
].join('\n');

export async function runDemo(io: CliIo, repoRoot: string): Promise<number> {
  const manifest = path.join(repoRoot, 'docs/examples/local.manifest.yaml');
  const target = path.join(repoRoot, '.envsync/demo/local.env');
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, DRIFTED_TARGET, { mode: 0o600 });
  io.stdout(
    `Seeded ${path.relative(repoRoot, target)} with drift.\n\n$ genesisctl env audit --manifest ${path.relative(repoRoot, manifest)}\n`,
  );
  const audit = await runCli(['--manifest', manifest, 'env', 'audit'], io);
  io.stdout(`(exit ${audit})\n\n$ genesisctl env plan --manifest ${path.relative(repoRoot, manifest)}\n`);
  const plan = await runCli(['--manifest', manifest, 'env', 'plan'], io);
  io.stdout(
    `(exit ${plan})\n\nNext: npm run genesisctl -- --manifest ${path.relative(repoRoot, manifest)} env sync --yes\n`,
  );
  return audit === 2 || plan === 2 ? 2 : 0;
}
