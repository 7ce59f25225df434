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
  isTTY: process.stdout.isTTY,
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
  onInterrupt(handler) {
    let first = 0;
    const listener = () => {
      const now = Date.now();
      // One Ctrl-C can arrive twice (the terminal signals the whole process group, and wrappers
      // relay it): a second one counts only when it comes later, as a person's second press does.
      if (first === 0) {
        first = now;
        handler();
      } else if (now - first > 500) process.exit(130); // asked again: quit now, the journal says what was done
    };
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
};

const args = process.argv.slice(2);
process.exitCode =
  args[0] === 'demo'
    ? await runDemo(io, fileURLToPath(new URL('../..', import.meta.url)), { once: args.includes('--once') })
    : await runCli(args, io);
