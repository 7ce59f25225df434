/**
 * `npm start`: the whole pipeline on the sandbox, no accounts needed. Starts the three provider
 * sandboxes seeded with drift, audits and plans against them, and says how to sync; then keeps
 * the sandboxes up (Ctrl-C stops) so the printed commands work from another terminal.
 */
import path from 'node:path';
import { runCli } from './main.ts';
import type { CliIo } from './main.ts';
import { exportLines, startDemoSandbox } from './sandbox-session.ts';

export async function runDemo(
  io: CliIo,
  repoRoot: string,
  options: { once?: boolean } = {},
): Promise<number> {
  const session = await startDemoSandbox();
  try {
    const manifest = path.join(repoRoot, 'docs/examples/sandbox.manifest.yaml');
    const rel = path.relative(io.cwd, manifest);
    const env = { ...io.env, ...session.env, ENVSYNC_MANIFEST: manifest };
    const sub: CliIo = { ...io, env, confirm: undefined };
    io.stdout(
      'EnvSync on the sandbox: Render, Netlify and GitHub stand-ins on loopback, seeded with drift.\n\n',
    );
    io.stdout(`$ genesisctl env audit --manifest ${rel}\n`);
    const audit = await runCli(['env', 'audit'], sub);
    io.stdout(
      `(exit ${audit}: ${audit === 1 ? 'drift found' : audit === 0 ? 'no drift' : 'error'})\n\n$ genesisctl env plan\n`,
    );
    const plan = await runCli(['env', 'plan'], sub);
    io.stdout(`(exit ${plan})\n\n`);
    io.stdout(
      [
        'Next, in another terminal (while this one runs):',
        '',
        exportLines({ ...session.env, ENVSYNC_MANIFEST: manifest }),
        '',
        'npm run genesisctl -- env sync --dry-run',
        'npm run genesisctl -- env sync --yes',
        'npm run genesisctl -- env verify',
        '',
      ].join('\n'),
    );
    if (audit === 2 || plan === 2) return 2;
    if (!options.once) {
      io.stdout('\nSandbox running. Ctrl-C to stop.\n');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return 0;
  } finally {
    await session.close();
  }
}
