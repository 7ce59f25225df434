/**
 * `genesisctl sandbox`: the three provider sandboxes for manual use, and `--print-env`, which gives
 * another shell the variables of the sandbox running now (`npm start`'s or this command's).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { untilStopped } from './stop.ts';
import {
  devSecrets,
  exportLines,
  publishSandboxEnv,
  runningSandboxEnv,
  SANDBOX_ENV_FILE,
} from './dev-session.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

const SANDBOX_MANIFEST = fileURLToPath(new URL('../../docs/examples/sandbox.manifest.yaml', import.meta.url));

export function addSandboxCommands(program: Command, kit: CommandKit): void {
  program
    .command('sandbox')
    .description(
      'start the Render, Netlify and GitHub sandboxes (seeded with drift) and print the variables to use them',
    )
    .option(
      '--print-env',
      `print the running sandbox's variables as export lines, for eval "$(npx genesisctl sandbox --print-env)" (also in .envsync/${SANDBOX_ENV_FILE})`,
    )
    .action(async (opts: { printEnv?: boolean }) => {
      const stateDir = path.join(kit.io.cwd, '.envsync');
      if (opts.printEnv) {
        const env = await runningSandboxEnv(stateDir);
        if (kit.wantsJson()) kit.json(env);
        else kit.out(exportLines(env));
        kit.setExit(EXIT.ok);
        return;
      }
      const { startDemoSandbox } = await import('./sandbox-session.ts');
      // The snapshot key npm start keeps, so snapshots taken in either session stay readable.
      const { snapshotKey } = await devSecrets(stateDir);
      const session = await startDemoSandbox({ snapshotKey });
      const env = { ...session.env, ENVSYNC_MANIFEST: SANDBOX_MANIFEST };
      const unpublish = await publishSandboxEnv(stateDir, env);
      kit.out(
        [
          '# EnvSync sandbox. In another shell, from this folder:',
          '#   eval "$(npx genesisctl sandbox --print-env)"',
          `# or . .envsync/${SANDBOX_ENV_FILE} — both set these:`,
          exportLines(env),
          '# Ctrl-C stops the sandbox.',
        ].join('\n'),
      );
      await untilStopped();
      await Promise.all([session.close(), unpublish()]);
      kit.setExit(EXIT.ok);
    });
}
