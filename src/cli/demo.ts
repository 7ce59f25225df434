/**
 * `npm start`: the whole pipeline on the sandbox, no accounts needed. Starts the provider
 * sandboxes seeded with drift, a local Blobs server and `netlify dev --offline` with the
 * functions and the page; audits and plans through the CLI (recorded where the page reads), then
 * prints the page URL, a token per role and what to try next. Ctrl-C stops everything.
 */
import { untilStopped } from './stop.ts';
import { runCli } from './main.ts';
import type { CliIo } from './main.ts';
import { startDevStack } from './dev-stack.ts';
import { SANDBOX_ENV_FILE } from './dev-session.ts';

/** The drift-check function's summary line in netlify dev's output, shown here (names and counts only). */
function functionSummaries(io: CliIo): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf('envsync drift-check:');
      if (at >= 0) io.stdout(`${line.slice(at)}\n`);
    }
  };
}

export async function runDemo(
  io: CliIo,
  repoRoot: string,
  options: { once?: boolean; port?: number } = {},
): Promise<number> {
  io.stdout('Starting the Render, Netlify and GitHub sandboxes, local Blobs and netlify dev (offline)…\n');
  const stack = await startDevStack({ repoRoot, port: options.port, log: functionSummaries(io) });
  try {
    const sub: CliIo = { ...io, env: { ...io.env, ...stack.env }, confirm: undefined };
    io.stdout('\n$ genesisctl env audit   (manifest: docs/examples/sandbox.manifest.yaml)\n');
    const audit = await runCli(['env', 'audit'], sub);
    io.stdout(
      `(exit ${audit}: ${audit === 1 ? 'drift found' : audit === 0 ? 'no drift' : 'error'})\n\n$ genesisctl env plan\n`,
    );
    const plan = await runCli(['env', 'plan'], sub);
    io.stdout(`(exit ${plan})\n\n`);
    const port = new URL(stack.url).port;
    io.stdout(
      [
        `Parity page:  ${stack.url}/`,
        `API:          ${stack.url}/api/history`,
        '',
        `Tokens (kept in .envsync/: the same after a restart; paste one into the page):`,
        `  admiral   (writes)           ${stack.tokens.admiral}`,
        `  architect (plans, reports)   ${stack.tokens.architect}`,
        `  viewer    (history only)     ${stack.tokens.viewer}`,
        '',
        'Look first, in another terminal from this folder:',
        `  open ${stack.url}/ and paste the viewer token`,
        '  eval "$(npx genesisctl sandbox --print-env)"      # the CLI on this sandbox and these records',
        `                                                   # (or: . .envsync/${SANDBOX_ENV_FILE})`,
        '  npx genesisctl env plan',
        `  npx netlify functions:invoke drift-check --port ${port} --offline   # what it did prints in this window`,
        '',
        'Then heal:',
        '  npx genesisctl env sync --dry-run',
        '  npx genesisctl env sync --yes',
        `  curl -s -X POST ${stack.url}/api/sync -H 'authorization: Bearer ${stack.tokens.admiral}' -H 'content-type: application/json' -d '{}'`,
        '',
      ].join('\n'),
    );
    if (audit === 2 || plan === 2) return 2;
    if (!options.once) {
      io.stdout('Ready. Ctrl-C stops everything.\n');
      await untilStopped();
    }
    return 0;
  } finally {
    await stack.close();
  }
}
