import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { runDemo } from './demo.ts';
import { runCli } from './main.ts';
import type { CliIo } from './main.ts';

const io: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  confirm: process.stdin.isTTY
    ? async (question) => {
        // Asked on stderr, so stdout holds only the result (`--json … > out.json`).
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        try {
          return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
        } finally {
          rl.close();
        }
      }
    : undefined,
};

const args = process.argv.slice(2);
process.exitCode =
  args[0] === 'demo'
    ? await runDemo(io, fileURLToPath(new URL('../..', import.meta.url)), { once: args.includes('--once') })
    : await runCli(args, io);
