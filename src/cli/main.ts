/**
 * `genesisctl`: the command line over the orchestrator in `src/sync/`. Exit codes: 0 no drift,
 * 1 drift or sync problems, 2 bad usage or configuration.
 */
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { DeletionPolicy, EnvMap, Policy } from '../core/model.ts';
import { targetLabel } from '../core/model.ts';
import { ConfigError } from '../config/env.ts';
import { adapterFor } from '../providers/adapter.ts';
import { applyPlan, planRun, resolveRun } from '../sync/run.ts';
import type { RunRequest } from '../sync/run.ts';
import { openSession, requireCredentials } from './context.ts';
import type { CliEnvironment } from './context.ts';
import { planJson, planText, reportText, syncJson, syncText } from './format.ts';

export const EXIT = { ok: 0, drift: 1, usage: 2 } as const;

export interface CliIo extends CliEnvironment {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Asks a yes/no question; undefined when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
}

interface GlobalOptions {
  manifest?: string;
  json?: boolean;
}

interface RunOptions {
  target?: string[];
  from?: string;
  source?: string;
  include?: string;
  exclude?: string;
  deletions?: DeletionPolicy;
  createOnly?: boolean;
  overwriteUnknown?: boolean;
}

/** Errors the user fixes by changing a flag, a file or a variable (exit 2), by class name. */
const USAGE_ERRORS = new Set(['ConfigError', 'ProviderAuthError']);

function prefixes(raw: string | undefined): string[] | undefined {
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

function runRequest(project: RunRequest['project'], opts: RunOptions): RunRequest {
  const policy: { -readonly [K in keyof Policy]?: Policy[K] } = {};
  const include = prefixes(opts.include);
  const exclude = prefixes(opts.exclude);
  if (include) policy.include = include;
  if (exclude) policy.exclude = [...project.policy.exclude, ...exclude];
  if (opts.deletions) policy.deletions = opts.deletions;
  if (opts.createOnly) policy.mode = 'create-only';
  if (opts.overwriteUnknown) policy.overwriteUnknown = true;
  const from = opts.from ?? opts.source;
  if (opts.from && opts.source && opts.from !== opts.source) {
    throw new ConfigError(`--from ${opts.from} and --source ${opts.source} disagree; give one of them.`);
  }
  return { project, from, targets: opts.target, policy };
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option(
      '-t, --target <id...>',
      'target ids (default: every target but the source; "all" for every target)',
    )
    .option('--from <id>', 'source: "manifest" or a target id (default: the manifest\'s source)')
    .addOption(new Option('--source <id>', 'same as --from (the seed spells it both ways)'))
    .option(
      '--include <prefixes>',
      'only keys with these comma-separated prefixes (ENVSYNC_INCLUDE_PREFIXES)',
    )
    .option(
      '--exclude <prefixes>',
      'skip keys with these comma-separated prefixes (ENVSYNC_EXCLUDE_PREFIXES)',
    )
    .addOption(
      new Option(
        '--deletions <policy>',
        'delete extra keys: never, managed (only keys EnvSync created) or all',
      ).choices(['never', 'managed', 'all']),
    )
    .option('--create-only', 'only fill missing keys; never change an existing value')
    .option(
      '--overwrite-unknown',
      'rewrite write-only values EnvSync never synced (they cannot be compared)',
    );
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const out = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));

  const program = new Command('genesisctl')
    .description('EnvSync: keep environment variables in parity across Render, Netlify and GitHub.')
    .option(
      '-m, --manifest <path>',
      'manifest file (default: envsync.manifest.{json,yaml,yml} in the working directory, or ENVSYNC_MANIFEST)',
    )
    .option('--json', 'machine-readable output')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const session = () => openSession(io, globals().manifest);

  const env = program.command('env').description('audit, plan and sync variables').exitOverride();

  const planned = async (opts: RunOptions) => {
    const s = await session();
    const request = runRequest(s.project, opts);
    const { source, targets } = resolveRun(request);
    requireCredentials(s.config, source.kind === 'target' ? [source.target, ...targets] : targets);
    return { s, request, run: await planRun(s.ctx, request) };
  };

  addRunOptions(env.command('audit').description('drift report across targets (exit 1 on drift)')).action(
    async (opts: RunOptions) => {
      const { run } = await planned(opts);
      if (globals().json) json(run.report);
      else out(reportText(run.report));
      setExit(run.report.has_drift ? EXIT.drift : EXIT.ok);
    },
  );

  addRunOptions(env.command('verify').description('the verifier: exit 0 in parity, 1 on drift')).action(
    async (opts: RunOptions) => {
      const { run } = await planned(opts);
      if (globals().json)
        json({
          verified_at: run.report.verified_at,
          has_drift: run.report.has_drift,
          summary: run.report.summary,
          targets: run.report.targets.map((t) => ({ id: t.id, has_drift: t.has_drift })),
        });
      else
        out(
          run.report.has_drift
            ? `Drift found (${run.report.summary.synced}/${run.report.summary.total_keys} keys in parity).`
            : `No drift: ${run.report.summary.total_keys} keys in parity.`,
        );
      setExit(run.report.has_drift ? EXIT.drift : EXIT.ok);
    },
  );

  addRunOptions(
    env.command('plan').description('what a sync would do: target, key, action, reason (values masked)'),
  )
    .option('--all', 'also list keys already in sync')
    .action(async (opts: RunOptions & { all?: boolean }) => {
      const { run } = await planned(opts);
      if (globals().json) json(planJson(run.plan));
      else out(planText(run.plan, { all: opts.all }));
      setExit(run.report.has_drift ? EXIT.drift : EXIT.ok);
    });

  const syncAction = (heal: boolean) => async (opts: RunOptions & { dryRun?: boolean; yes?: boolean }) => {
    const { s, run } = await planned(opts);
    const dryRun = Boolean(opts.dryRun) || s.config.dryRun;
    const writes = run.plan.targets.some((tp) =>
      tp.entries.some((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete'),
    );
    if (!dryRun && writes && !opts.yes && !heal) {
      if (!io.confirm)
        throw new ConfigError('Refusing to write without confirmation: add --yes (or --dry-run to preview).');
      if (!globals().json) out(planText(run.plan));
      if (!(await io.confirm('Apply these changes?'))) {
        out('Nothing was written.');
        setExit(EXIT.drift);
        return;
      }
    }
    const result = await applyPlan(s.ctx, run, { dryRun });
    if (globals().json) json(syncJson(result));
    else out(syncText(result));
    setExit(dryRun ? (run.report.has_drift ? EXIT.drift : EXIT.ok) : result.ok ? EXIT.ok : EXIT.drift);
  };

  addRunOptions(env.command('sync').description('apply the plan to the targets'))
    .option('--dry-run', 'everything but the writes (also HUBSYNC_DRYRUN=true)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(syncAction(false));

  addRunOptions(env.command('heal').description('sync every drifted target from the source, without asking'))
    .option('--dry-run', 'everything but the writes (also HUBSYNC_DRYRUN=true)')
    .action(syncAction(true));

  env
    .command('export')
    .description("write a target's variables to a snapshot file in the seed's .env.sync.json format")
    .requiredOption('-t, --target <id>', 'the target to export')
    .option('--source <id>', 'the source this target is synced from (recorded in the file)')
    .addOption(new Option('--from <id>', 'same as --source'))
    .option('-o, --out <file>', 'output file', '.env.sync.json')
    .option('--include-values', 'write plaintext values (file mode 0600); fingerprints only otherwise')
    .action(
      async (opts: {
        target: string;
        source?: string;
        from?: string;
        out: string;
        includeValues?: boolean;
      }) => {
        const s = await session();
        const target = s.project.targets.get(opts.target);
        if (!target)
          throw new ConfigError(
            `Unknown target "${opts.target}". Known targets: ${[...s.project.targets.keys()].join(', ')}.`,
          );
        requireCredentials(s.config, [target]);
        const values: EnvMap = await adapterFor(s.ctx.adapters, target).list(target);
        const variables: Record<string, string> = {};
        for (const [key, v] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) {
          variables[key] =
            v.kind === 'write-only'
              ? 'write-only'
              : opts.includeValues
                ? v.value.reveal()
                : s.ctx.fingerprint(v.value);
        }
        const snapshot = {
          provider: target.provider,
          target: target.id,
          label: targetLabel(target),
          source: opts.source ?? opts.from ?? s.project.sourceId,
          synced_at: s.ctx.now().toISOString(),
          values_included: Boolean(opts.includeValues),
          variables,
        };
        const file = path.resolve(io.cwd, opts.out);
        await writeFile(file, JSON.stringify(snapshot, null, 2) + '\n', { mode: 0o600 });
        await chmod(file, 0o600);
        const summary = {
          file,
          target: target.id,
          keys: Object.keys(variables).length,
          values_included: snapshot.values_included,
        };
        if (globals().json) json(summary);
        else
          out(
            `Exported ${summary.keys} keys of ${target.id} to ${file}${summary.values_included ? ' (with values, mode 0600)' : ' (fingerprints only)'}.`,
          );
        setExit(EXIT.ok);
      },
    );

  return program;
}

function describe(error: unknown): { code: number; message: string } {
  if (error instanceof CommanderError) {
    // Help and version are successful exits; everything else commander rejects is bad usage.
    const ok =
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help';
    return { code: ok ? EXIT.ok : EXIT.usage, message: '' };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    code: USAGE_ERRORS.has(err.name) ? EXIT.usage : EXIT.drift,
    message: `${err.name}: ${err.message}`,
  };
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exit: number = EXIT.ok;
  const program = buildProgram(io, (code) => (exit = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (error) {
    const { code, message } = describe(error);
    if (message) io.stderr(`genesisctl: ${message}\n`);
    return code;
  }
}
