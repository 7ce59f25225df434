/**
 * What audit, verify, plan, sync and heal share: their options, the request they make of them, and
 * the run once per manifest environment. Also where a provider named but not configured is said.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { DeletionPolicy, Policy, Target } from '../core/model.ts';
import { ConfigError } from '../config/env.ts';
import { environmentOfTarget, environmentsOf, NoProjectError } from '../config/manifest.ts';
import type { RunSpec } from '../store/journals.ts';
import { notConfigured, resolveRun } from '../sync/run.ts';
import type { RunRequest } from '../sync/run.ts';
import { requireCredentials } from './context.ts';
import type { CliSession } from './context.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

export interface RunOptions {
  env?: string;
  target?: string[];
  from?: string;
  source?: string;
  include?: string;
  exclude?: string;
  deletions?: DeletionPolicy;
  createOnly?: boolean;
  overwriteUnknown?: boolean;
}

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
  if (opts.from && opts.source && opts.from !== opts.source) {
    throw new ConfigError(`--from ${opts.from} and --source ${opts.source} disagree; give one of them.`);
  }
  return { project, from: opts.from ?? opts.source, targets: opts.target, policy };
}

export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('-e, --env <name>', "the manifest's environment (default: each environment in turn)")
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

/**
 * The session, or, when there is no project at all (no manifest, no provider configured), the
 * "Not Configured" message of each provider the command line names: what users look up.
 */
export async function sessionNaming(
  kit: CommandKit,
  ids: readonly (string | undefined)[],
): Promise<CliSession> {
  try {
    return await kit.session();
  } catch (error) {
    const unset = [...new Set(ids)].flatMap((id) => (id === undefined ? [] : (notConfigured(id) ?? [])));
    if (error instanceof NoProjectError && unset.length > 0) throw new ConfigError(unset.join('\n'));
    throw error;
  }
}

/** A target named on the command line, known and with credentials, or a usage error saying which exist. */
export async function usableTarget(kit: CommandKit, id: string): Promise<{ s: CliSession; target: Target }> {
  const s = await sessionNaming(kit, [id]);
  const target = s.project.targets.get(id);
  if (!target)
    throw new ConfigError(
      notConfigured(id) ??
        `Unknown target "${id}". Known targets: ${[...s.project.targets.keys()].join(', ')}.`,
    );
  requireCredentials(s.config, [target]);
  return { s, target };
}

/** What a journal keeps of the command line, enough to plan the same run again on resume. */
export function specOf(opts: RunOptions): RunSpec {
  const include = prefixes(opts.include);
  const exclude = prefixes(opts.exclude);
  const from = opts.from ?? opts.source;
  return {
    ...(opts.env ? { env: opts.env } : {}),
    ...(from ? { from } : {}),
    ...(opts.target ? { targets: opts.target } : {}),
    ...(include ? { include } : {}),
    ...(exclude ? { exclude } : {}),
    ...(opts.deletions ? { deletions: opts.deletions } : {}),
    ...(opts.createOnly ? { mode: 'create-only' as const } : {}),
    ...(opts.overwriteUnknown ? { overwrite_unknown: true } : {}),
  };
}

/**
 * Runs a command once per manifest environment: the one `--env` names, the one `--target`s belong
 * to, or each in turn, under a heading. With --json the answers are one object keyed by
 * environment; the exit code is the worst of them, and is returned (for the next-step hint).
 */
export async function perEnvironment(
  kit: CommandKit,
  opts: RunOptions,
  run: (kit: CommandKit) => Promise<void>,
): Promise<number> {
  // Targets first: `--target github --from render` with neither set names GitHub first.
  const s = await sessionNaming(kit, [...(opts.target ?? []), opts.from ?? opts.source]);
  if (!s.project.environments) {
    environmentsOf(s.project, opts.env); // naming one without environments is a usage error
    let exit: number = EXIT.ok;
    await run({ ...kit, setExit: (code) => kit.setExit((exit = code)) });
    return exit;
  }
  const projects =
    opts.env === undefined && opts.target && opts.target.length > 0
      ? [environmentOfTarget(s.project, opts.target[0] ?? '')]
      : environmentsOf(s.project, opts.env);
  const answers: Record<string, unknown> = {};
  let exit: number = EXIT.ok;
  for (const project of projects) {
    const name = project.environment ?? '';
    if (!kit.wantsJson() && projects.length > 1) kit.out(`== ${name} ==`);
    await run({
      ...kit,
      session: () => Promise.resolve({ ...s, project }),
      json: (value) => {
        if (projects.length > 1) answers[name] = value;
        else kit.json(value);
      },
      setExit: (code) => {
        exit = Math.max(exit, code);
      },
    });
  }
  if (kit.wantsJson() && projects.length > 1) kit.json({ environments: answers });
  kit.setExit(exit);
  return exit;
}

/** Resolves the request and checks credentials before any provider is called. */
export function prepare(s: CliSession, opts: RunOptions): RunRequest {
  const request = runRequest(s.project, opts);
  const { source, targets } = resolveRun(request);
  requireCredentials(s.config, source.kind === 'target' ? [source.target, ...targets] : targets);
  return request;
}

/** A word as a shell reads it back: quoted when it holds anything but safe characters. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The options that chose this run, repeated in the command a next-step hint suggests. */
export function flagsOf(opts: RunOptions): string {
  const from = opts.from ?? opts.source;
  const words = [
    ...(opts.env ? ['--env', opts.env] : []),
    ...(opts.target && opts.target.length > 0 ? ['--target', ...opts.target] : []),
    ...(from ? ['--from', from] : []),
    ...(opts.include ? ['--include', opts.include] : []),
    ...(opts.exclude ? ['--exclude', opts.exclude] : []),
    ...(opts.deletions ? ['--deletions', opts.deletions] : []),
    ...(opts.createOnly ? ['--create-only'] : []),
    ...(opts.overwriteUnknown ? ['--overwrite-unknown'] : []),
  ];
  return words.map((w) => ` ${shellWord(w)}`).join('');
}

/** What to run next, after the result: text output only (never with --json). */
export function nextStep(kit: CommandKit, text: string): void {
  if (!kit.wantsJson()) kit.out(`Next: ${text}`);
}
