/**
 * `genesisctl`: the command line over the orchestrator in `src/sync/`. Exit codes: 0 no drift,
 * 1 drift or sync problems, 2 bad usage or configuration, 3 a provider could not be reached.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { terminalText } from '../core/names.ts';
import { openSession } from './context.ts';
import type { CliSession } from './context.ts';
import { addEnvCommands } from './env-commands.ts';
import { addRecordCommands } from './record-commands.ts';
import { addLockCommands } from './lock-commands.ts';
import { addTokenCommands } from './token-commands.ts';
import { addDoctorCommands } from './doctor-commands.ts';
import { addStatusCommands } from './status-commands.ts';
import { addSandboxCommands } from './sandbox-commands.ts';
import { addInitCommands } from './init-commands.ts';
import { EXIT } from './kit.ts';
import { addExamples } from './examples.ts';
import { inWords } from './words.ts';
import type { CliIo, CommandKit, Span } from './kit.ts';

export { EXIT } from './kit.ts';

/** The package's version, for `--version`. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
export type { CliIo, CommandKit } from './kit.ts';

/** Select Graphic Rendition codes of the styles: green, red, yellow, faint. */
const SGR = { ok: '32', fail: '31', warn: '33', dim: '2' } as const;

/** Errors the user fixes by changing a flag, a file or a variable (exit 2), by class name. */
const USAGE_ERRORS = new Set([
  'ConfigError',
  'TokenConfigError',
  'ProviderAuthError',
  'SnapshotKeyError',
  'SnapshotNotFoundError',
  'ApprovalRequiredError',
  'ApprovalError',
  'RecordStoreError',
]);

/** Printed after `--help`: which record store a run uses, so nobody has to guess where a sync went. */
const RECORDS_HELP = `
Records (snapshots, audit, history, events, locks) go to, in order:
  ENVSYNC_BLOBS_URL set            the local Blobs server npm start runs
  ENVSYNC_BLOBS_TOKEN set          the deployed site's Netlify Blobs: NETLIFY_SITE_ID (or
                                   ENVSYNC_BLOBS_SITE_ID) names the site, where the page reads
  otherwise                        the local folder .envsync/blobs (ENVSYNC_BLOBS_DIR)
-v prints the one in use.`;

export function buildProgram(
  kit: Omit<CommandKit, 'wantsJson' | 'session' | 'outSpans' | 'progress'> & {
    outSpans(spans: readonly Span[], colour: boolean): void;
    progress(line: string | undefined, colour: boolean): void;
    session(manifest?: string, verbose?: boolean): Promise<CliSession>;
  },
): Command {
  const program = new Command('genesisctl')
    .description('EnvSync: keep environment variables in parity across Render, Netlify and GitHub.')
    .option(
      '-m, --manifest <path>',
      'manifest file (default: envsync.manifest.{json,yaml,yml} in the working directory, or ENVSYNC_MANIFEST)',
    )
    .option('--json', 'machine-readable output')
    .option('-v, --verbose', 'say which record store is in use (on stderr)')
    .option('--no-color', 'no colour, even on a terminal (also NO_COLOR)')
    .addHelpText('after', RECORDS_HELP)
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    // Every subcommand's help lists these options too: they go before or after the subcommand.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => kit.io.stdout(s), writeErr: (s) => kit.io.stderr(s) });
  const globals = () =>
    program.opts<{ manifest?: string; json?: boolean; verbose?: boolean; color?: boolean }>();
  const full: CommandKit = {
    ...kit,
    outSpans: (spans) => kit.outSpans(spans, globals().color !== false),
    progress: (line) => kit.progress(line, globals().color !== false),
    wantsJson: () => Boolean(globals().json),
    session: () => kit.session(globals().manifest, globals().verbose),
  };
  // Init opens no session: there is no manifest yet, it writes one.
  addInitCommands(program, full, () => globals().manifest);
  addEnvCommands(program, full);
  addRecordCommands(program, full);
  addTokenCommands(program, full);
  addLockCommands(program, full);
  addStatusCommands(program, full);
  // Doctor opens no session: it checks the parts a session is built from, one by one.
  addDoctorCommands(program, full, () => globals().manifest);
  addSandboxCommands(program, full);
  addExamples(program);
  return program;
}

function describe(error: unknown): { code: number; message: string } {
  if (error instanceof CommanderError) {
    // Help and version are successful exits; everything else commander rejects is bad usage.
    const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    return { code: ok ? EXIT.ok : EXIT.usage, message: '' };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    code: USAGE_ERRORS.has(err.name)
      ? EXIT.usage
      : err.name === 'ProviderUnreachableError'
        ? EXIT.unreachable
        : EXIT.drift,
    message: inWords(err.message),
  };
}

/** `{"error": {"code", "message"}}` for `--json`: `code` is the error's kind in snake case. */
function errorJson(error: unknown, message: string): string {
  const name = error instanceof CommanderError ? 'UsageError' : error instanceof Error ? error.name : 'Error';
  const code = name
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return `${JSON.stringify({ error: { code: code || 'error', message } }, null, 2)}\n`;
}

/**
 * With -v, names the record store; on a GitHub Actions runner, warns when it is the local folder,
 * which vanishes with the runner.
 */
function sayRecords(session: CliSession, io: CliIo, verbose: boolean | undefined): CliSession {
  if (verbose) io.stderr(`genesisctl: records: ${session.records.location}\n`);
  if (session.records.kind === 'folder' && io.env['GITHUB_ACTIONS'] === 'true')
    io.stderr(
      "genesisctl: warning: records are kept on this runner and vanish with it; set ENVSYNC_BLOBS_TOKEN and NETLIFY_SITE_ID to keep them in the site's Netlify Blobs (README: The CLI's record store).\n",
    );
  return session;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], raw: CliIo): Promise<number> {
  // Everything printed passes here: a provider's name or message can hold escape sequences that
  // would rewrite the screen (a fake "in parity"), so controls are shown escaped, never obeyed.
  const io: CliIo = {
    ...raw,
    stdout: (text) => raw.stdout(terminalText(text)),
    stderr: (text) => raw.stderr(terminalText(text)),
  };
  let exit: number = EXIT.ok;
  let opened: Promise<CliSession> | undefined;
  const out = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  // https://no-color.org: any non-empty NO_COLOR turns colour off, as --no-color does.
  const colourable = raw.isTTY === true && !raw.env['NO_COLOR'];
  const outSpans = (spans: readonly Span[], wanted: boolean) => {
    const colour = colourable && wanted;
    raw.stdout(
      `${spans
        .map((s) =>
          typeof s === 'string'
            ? terminalText(s)
            : colour
              ? `\u001b[${SGR[s.style]}m${terminalText(s.text)}\u001b[0m`
              : terminalText(s.text),
        )
        .join('')}\n`,
    );
  };
  // Rewritten in place with a carriage return, so only where a terminal shows it as one line.
  let shown = false;
  const progress = (line: string | undefined) => {
    if (raw.isTTY !== true || (line === undefined && !shown)) return;
    shown = line !== undefined;
    raw.stderr(`\r\u001b[2K${line === undefined ? '' : terminalText(line)}`);
  };
  const program = buildProgram({
    io,
    out,
    outSpans,
    progress,
    json: (value) => out(JSON.stringify(value, null, 2)),
    session: (manifest, verbose) =>
      (opened ??= openSession(io, manifest).then((s) => sayRecords(s, io, verbose))),
    setExit: (code) => (exit = code),
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (error) {
    const { code, message } = describe(error);
    // With --json an error is JSON too, on stdout, so `genesisctl --json … > out.json` stays valid.
    if (argv.includes('--json') && code !== EXIT.ok)
      io.stdout(errorJson(error, message || 'bad usage; see --help'));
    // One line per problem, each naming the program, as a shell user expects.
    else if (message)
      io.stderr(
        message
          .split('\n')
          .map((line) => `genesisctl: ${line}\n`)
          .join(''),
      );
    return code;
  } finally {
    if (opened) await opened.then((s) => s.close()).catch(() => undefined);
  }
}
