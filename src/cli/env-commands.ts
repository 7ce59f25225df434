/** `genesisctl env audit|verify|plan|sync|heal|rollback|export|history`. */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { isWrite } from '../core/apply.ts';
import { paritySentence } from '../core/report.ts';
import { dict } from '../core/names.ts';
import type { DeletionPolicy, Policy, Target } from '../core/model.ts';
import { targetLabel } from '../core/model.ts';
import { ConfigError } from '../config/env.ts';
import { environmentOfTarget, environmentsOf } from '../config/manifest.ts';
import { adapterFor } from '../providers/adapter.ts';
import { checkDrift } from '../sync/drift.ts';
import { executeSync } from '../sync/execute.ts';
import type { ExecutedSync, ExecuteOptions } from '../sync/execute.ts';
import { newJournal, runJournalWith } from '../sync/background.ts';
import { plannedEntries } from '../store/journals.ts';
import type { Journal, RunSpec } from '../store/journals.ts';
import {
  approvePlan,
  assertApproved,
  assertNoApprovalNeeded,
  replanFresh,
  StalePlanError,
} from '../sync/approvals.ts';
import { planRollback } from '../sync/rollback.ts';
import { notConfigured, planRun, resolveRun } from '../sync/run.ts';
import { privateDirectory, writePrivateFile } from './private-file.ts';
import type { PlannedRun, RunRequest } from '../sync/run.ts';
import { requireCredentials } from './context.ts';
import type { CliSession } from './context.ts';
import { planJson } from '../core/plan-json.ts';
import { historyText, planText, reportText, syncJson, syncText } from './format.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

interface RunOptions {
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

function addRunOptions(cmd: Command): Command {
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

/** A target named on the command line, known and with credentials, or a usage error saying which exist. */
function usableTarget(s: CliSession, id: string): Target {
  const target = s.project.targets.get(id);
  if (!target)
    throw new ConfigError(
      notConfigured(id) ??
        `Unknown target "${id}". Known targets: ${[...s.project.targets.keys()].join(', ')}.`,
    );
  requireCredentials(s.config, [target]);
  return target;
}

/** What a journal keeps of the command line, enough to plan the same run again on resume. */
function specOf(opts: RunOptions): RunSpec {
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
 * environment; the exit code is the worst of them.
 */
async function perEnvironment(
  kit: CommandKit,
  opts: RunOptions,
  run: (kit: CommandKit) => Promise<void>,
): Promise<void> {
  const s = await kit.session();
  if (!s.project.environments) {
    environmentsOf(s.project, opts.env); // naming one without environments is a usage error
    return run(kit);
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
}

/** Resolves the request and checks credentials before any provider is called. */
function prepare(s: CliSession, opts: RunOptions): RunRequest {
  const request = runRequest(s.project, opts);
  const { source, targets } = resolveRun(request);
  requireCredentials(s.config, source.kind === 'target' ? [source.target, ...targets] : targets);
  return request;
}

export function addEnvCommands(program: Command, kit: CommandKit): void {
  const env = program.command('env').description('audit, plan, sync and restore variables').exitOverride();

  const driftCheck = async (kit: CommandKit, opts: RunOptions) => {
    const s = await kit.session();
    return checkDrift(s.ctx, prepare(s, opts), { trigger: 'manual', actor: s.actor });
  };

  addRunOptions(
    env
      .command('audit')
      .description('drift report across targets, recorded in the parity history (exit 1 on drift)'),
  ).action((opts: RunOptions) =>
    perEnvironment(kit, opts, async (kit) => {
      const { planned } = await driftCheck(kit, opts);
      if (kit.wantsJson()) kit.json(planned.report);
      else kit.out(reportText(planned.report));
      kit.setExit(planned.report.has_drift ? EXIT.drift : EXIT.ok);
    }),
  );

  addRunOptions(env.command('verify').description('the verifier: exit 0 in parity, 1 on drift')).action(
    (opts: RunOptions) =>
      perEnvironment(kit, opts, async (kit) => {
        const { planned, record } = await driftCheck(kit, opts);
        const { report } = planned;
        if (kit.wantsJson()) {
          kit.json({
            verified_at: report.verified_at,
            has_drift: report.has_drift,
            check_id: record.id,
            summary: report.summary,
            targets: report.targets.map((t) => ({ id: t.id, has_drift: t.has_drift })),
          });
        } else {
          kit.out(`${report.has_drift ? 'Drift found' : 'No drift'}: ${paritySentence(report.summary)}.`);
        }
        kit.setExit(report.has_drift ? EXIT.drift : EXIT.ok);
      }),
  );

  /** Warnings of a planned run go to stderr: they never mix with --json output. */
  const warned = (planned: PlannedRun): PlannedRun => {
    for (const w of planned.warnings ?? []) kit.io.stderr(`warning: ${w}\n`);
    return planned;
  };

  addRunOptions(
    env.command('plan').description('what a sync would do: target, key, action, reason (values masked)'),
  )
    .option('--all', 'also list keys already in sync')
    .action((opts: RunOptions & { all?: boolean }) =>
      perEnvironment(kit, opts, async (kit) => {
        const s = await kit.session();
        const planned = warned(await planRun(s.ctx, prepare(s, opts)));
        // Where approvals are required, the plan is kept so that someone else can approve it.
        const required = s.project.approvals?.required ?? 0;
        const stored =
          required > 0 && planned.report.has_drift
            ? await s.ctx.records.plans.save(
                {
                  actor: s.actor,
                  spec: specOf({ ...opts, env: s.project.environment }),
                  source: planned.plan.source.id,
                  targets: plannedEntries(planned.plan),
                },
                s.ctx.now(),
              )
            : undefined;
        if (stored)
          kit.io.stderr(
            `Plan ${stored.id} needs ${required} approval${required === 1 ? '' : 's'}: genesisctl env approve ${stored.id} (by someone else), then genesisctl env sync --plan ${stored.id}\n`,
          );
        await s.ctx.records.audit.append({
          action: 'plan',
          actor: s.actor,
          correlation_id: stored?.id ?? randomUUID(),
          source: planned.plan.source.id,
          targets: planned.plan.targets.map((tp) => tp.target.id),
          counts: Object.fromEntries(
            planned.plan.targets.map((tp) => [tp.target.id, tp.entries.filter(isWrite).length]),
          ),
          outcome: planned.report.has_drift ? 'drift' : 'ok',
        });
        if (kit.wantsJson()) kit.json(planJson(planned.plan));
        else kit.out(planText(planned.plan, { all: opts.all }));
        kit.setExit(planned.report.has_drift ? EXIT.drift : EXIT.ok);
      }),
    );

  /** Applies a plan after confirmation (unless `--yes` or `heal`), and reports. */
  const apply = async (
    kit: CommandKit,
    s: CliSession,
    planned: PlannedRun,
    opts: { dryRun?: boolean; yes?: boolean },
    action: ExecuteOptions['action'],
    run: { spec: RunSpec; rollback?: Journal['rollback'] },
    notes: string[] = [],
  ) => {
    const dryRun = Boolean(opts.dryRun) || s.config.dryRun;
    const writes = planned.plan.targets.some((tp) => tp.entries.some(isWrite));
    if (!dryRun && writes && !opts.yes && action !== 'heal') {
      if (!kit.io.confirm)
        throw new ConfigError('Refusing to write without confirmation: add --yes (or --dry-run to preview).');
      // The plan and the question go to stderr: stdout stays the result (valid JSON with --json).
      kit.io.stderr(`${planText(planned.plan)}\n`);
      if (!(await kit.io.confirm('Apply these changes?'))) {
        kit.out('Nothing was written.');
        kit.setExit(EXIT.drift);
        return;
      }
    }
    const result =
      dryRun || !writes
        ? await executeSync(s.ctx, planned, { dryRun, actor: s.actor, action })
        : await journaled(s, planned, action, run);
    report(
      kit,
      result,
      notes,
      dryRun ? (planned.report.has_drift ? EXIT.drift : EXIT.ok) : undefined,
      action,
    );
  };

  /**
   * The writes run from a journal, as the background function runs them: the pre-sync snapshot
   * first, each write recorded as it lands, one ledger entry per write. Ctrl-C or SIGTERM stops
   * starting writes, lets those in flight finish, releases the locks, records an `interrupted`
   * audit entry and says how to resume; a second one quits at once.
   */
  const journaled = async (
    s: CliSession,
    planned: PlannedRun,
    action: ExecuteOptions['action'],
    run: { spec: RunSpec; rollback?: Journal['rollback'] },
  ): Promise<ExecutedSync> => {
    const journal = newJournal(randomUUID(), planned.plan, {
      action,
      actor: s.actor,
      spec: run.spec,
      ...(run.rollback ? { rollback: run.rollback } : {}),
      now: s.ctx.now(),
    });
    await s.ctx.records.journals.create(journal);
    return resumeJournal(s, journal.id, planned);
  };

  const resumeJournal = async (
    s: CliSession,
    id: string,
    planned?: PlannedRun,
    takeOver = false,
  ): Promise<ExecutedSync & { readonly action: Journal['action'] }> => {
    const stop = new AbortController();
    const stopListening = kit.io.onInterrupt?.(() => {
      stop.abort();
      kit.io.stderr('Stopping: finishing the writes in flight (Ctrl-C again quits at once)…\n');
    });
    try {
      const ran = await runJournalWith(s.ctx, s.project, id, {
        stop: stop.signal,
        takeOver,
        ...(planned ? { planned } : {}),
      });
      if (!ran.result) {
        const why =
          ran.journal.status === 'done'
            ? 'it is already done'
            : ran.journal.status === 'failed'
              ? `it failed: ${ran.journal.error ?? 'see the audit trail'}`
              : 'another run holds it (its lease has not expired)';
        throw new ConfigError(`Journal ${id} was not run: ${why}.`);
      }
      if (ran.result.interrupted)
        kit.io.stderr(
          `Interrupted: ${Object.keys(ran.journal.done).length} writes made and recorded. Resume with: genesisctl env resume ${id}\n`,
        );
      return { ...ran.result, action: ran.journal.action };
    } finally {
      stopListening?.();
    }
  };

  const report = (
    kit: CommandKit,
    result: ExecutedSync,
    notes: string[],
    exit?: number,
    action?: ExecuteOptions['action'],
  ) => {
    if (kit.wantsJson())
      kit.json({
        ...syncJson(result),
        correlation_id: result.correlationId,
        snapshots: result.snapshots,
        follow_ups: result.followUps,
        notes,
      });
    else {
      const followUps = Object.entries(result.followUps).map(([target, did]) => `${target}: ${did}`);
      kit.out(
        [syncText(result, action), ...followUps, ...notes, `Correlation id: ${result.correlationId}`].join(
          '\n',
        ),
      );
    }
    const unreachable = result.targets.some((t) =>
      t.failed.some((f) => f.error === 'ProviderUnreachableError'),
    );
    kit.setExit(exit ?? (result.ok ? EXIT.ok : unreachable ? EXIT.unreachable : EXIT.drift));
  };

  env
    .command('approve')
    .description('approve a plan someone else made, where the manifest requires approvals')
    .argument('<plan>', 'the plan id `env plan` printed')
    .action(async (planId: string) => {
      const s = await kit.session();
      const approved = await approvePlan(s.ctx, s.project, planId, s.actor);
      const done = approved.approvals >= approved.required;
      if (kit.wantsJson())
        kit.json({ plan_id: planId, approvals: approved.approvals, required: approved.required });
      else
        kit.out(
          `Approved plan ${planId}: ${approved.approvals} of ${approved.required} approval${approved.required === 1 ? '' : 's'}.` +
            (done ? ` Apply it: genesisctl env sync --plan ${planId}` : ''),
        );
      kit.setExit(EXIT.ok);
    });

  addRunOptions(env.command('sync').description('apply the plan to the targets (snapshot first, then write)'))
    .option('--dry-run', 'everything but the writes (also HUBSYNC_DRYRUN=true)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--plan <id>', 'apply this approved plan (where the manifest requires approvals)')
    .action((opts: RunOptions & { dryRun?: boolean; yes?: boolean; plan?: string }) =>
      perEnvironment(kit, opts, async (kit) => {
        const s = await kit.session();
        if (opts.plan) {
          const stored = await s.ctx.records.plans.get(opts.plan);
          if (!stored) throw new ConfigError(`No plan ${opts.plan}: make one with genesisctl env plan.`);
          assertApproved(s.ctx.records, s.project, stored);
          const fresh = await replanFresh(s.ctx, s.project, stored).catch((error: unknown) => {
            if (error instanceof StalePlanError)
              throw new ConfigError(
                `Plan ${opts.plan}: ${error.message} (${error.keys.slice(0, 10).join(', ')}).`,
              );
            throw error;
          });
          await apply(kit, s, fresh, { ...opts, yes: true }, 'sync', { spec: stored.spec });
          return;
        }
        const spec = specOf({ ...opts, env: s.project.environment });
        if (!opts.dryRun) assertNoApprovalNeeded(s.project, spec);
        await apply(kit, s, warned(await planRun(s.ctx, prepare(s, opts))), opts, 'sync', { spec });
      }),
    );

  addRunOptions(env.command('heal').description('sync every drifted target from the source, without asking'))
    .option('--dry-run', 'everything but the writes (also HUBSYNC_DRYRUN=true)')
    .action((opts: RunOptions & { dryRun?: boolean }) =>
      perEnvironment(kit, opts, async (kit) => {
        const s = await kit.session();
        const spec = specOf({ ...opts, env: s.project.environment });
        if (!opts.dryRun) assertNoApprovalNeeded(s.project, spec);
        await apply(kit, s, warned(await planRun(s.ctx, prepare(s, opts))), opts, 'heal', { spec });
      }),
    );

  env
    .command('rollback')
    .description('restore a target to a snapshot, planned and recorded like any sync')
    .requiredOption('-t, --target <id>', 'the target to restore')
    .requiredOption('--to <snapshot>', 'snapshot id (see `genesisctl snapshots list`)')
    .option('--dry-run', 'show the restoration plan, write nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (opts: { target: string; to: string; dryRun?: boolean; yes?: boolean }) => {
      const s = await kit.session();
      usableTarget(s, opts.target);
      const planned = await planRollback(s.ctx, s.project, opts.target, opts.to);
      const notes =
        planned.unrestorable.length > 0
          ? [
              `Cannot restore (write-only, the snapshot holds no value; left as they are): ${planned.unrestorable.join(', ')}`,
            ]
          : [];
      await apply(
        kit,
        s,
        planned,
        opts,
        'rollback',
        { spec: {}, rollback: { target: opts.target, snapshot_id: opts.to } },
        notes,
      );
    });

  env
    .command('resume')
    .description('finish a sync that was interrupted (Ctrl-C, a killed process), without repeating a write')
    .argument('[journal]', 'the journal id the interruption printed (default: the newest unfinished one)')
    .option(
      '--take-over',
      'resume a run whose process is gone (killed) without waiting for its lease to expire; its locks pass to this run',
    )
    .action(async (id: string | undefined, opts: { takeOver?: boolean }) => {
      const s = await kit.session();
      let journalId = id;
      if (!journalId) {
        const [newest] = await s.ctx.records.journals.unfinished(s.ctx.now(), {
          takeOver: opts.takeOver === true,
        });
        if (!newest) {
          kit.out('Nothing to resume: no interrupted sync.');
          kit.setExit(EXIT.ok);
          return;
        }
        journalId = newest.id;
      }
      const resumed = await resumeJournal(s, journalId, undefined, opts.takeOver === true);
      report(kit, resumed, [], undefined, resumed.action);
    });

  env
    .command('export')
    .description("write a target's variables in the seed's .env.sync.json format, and record the snapshot")
    .requiredOption('-t, --target <id>', 'the target to export')
    .option('--source <id>', 'the source this target is synced from (recorded in the file)')
    .addOption(new Option('--from <id>', 'same as --source'))
    .option('-o, --out <file>', 'output file (default: .envsync/<target>.env.sync.json, git-ignored)')
    .option('--include-values', 'write plaintext values (file mode 0600); fingerprints only otherwise')
    .action(
      async (opts: {
        target: string;
        source?: string;
        from?: string;
        out?: string;
        includeValues?: boolean;
      }) => {
        const s = await kit.session();
        const target = usableTarget(s, opts.target);
        const values = await adapterFor(s.ctx.adapters, target).list(target);
        const source = opts.source ?? opts.from ?? environmentOfTarget(s.project, target.id).sourceId;
        const variables = dict<string>();
        for (const [key, v] of [...values].sort(([a], [b]) => (a < b ? -1 : 1))) {
          variables[key] =
            v.kind === 'write-only'
              ? 'write-only'
              : opts.includeValues
                ? v.value.reveal()
                : s.ctx.fingerprint(v.value, key);
        }
        // Recorded in Blobs too when snapshots can be encrypted; the file is written either way.
        const recorded = s.config.snapshotKey
          ? await s.ctx.records.snapshots.save({
              target,
              source,
              correlationId: randomUUID(),
              phase: 'export',
              state: values,
            })
          : undefined;
        const snapshot = {
          provider: target.provider,
          target: target.id,
          label: targetLabel(target),
          source,
          synced_at: s.ctx.now().toISOString(),
          snapshot_id: recorded?.id ?? null,
          values_included: Boolean(opts.includeValues),
          variables,
        };
        const file = opts.out
          ? path.resolve(kit.io.cwd, opts.out)
          : path.join(await privateDirectory(kit.io.cwd), `${target.id}.env.sync.json`);
        await writePrivateFile(file, JSON.stringify(snapshot, null, 2) + '\n');
        const summary = {
          file,
          target: target.id,
          keys: Object.keys(variables).length,
          values_included: snapshot.values_included,
          snapshot_id: snapshot.snapshot_id,
        };
        if (kit.wantsJson()) kit.json(summary);
        else {
          kit.out(
            `Exported ${summary.keys} keys of ${target.id} to ${file}${summary.values_included ? ' (with values, mode 0600)' : ' (fingerprints only)'}.`,
          );
          kit.out(
            recorded
              ? `Recorded as snapshot ${recorded.id}.`
              : 'Not recorded in Blobs: set ENVSYNC_SNAPSHOT_KEY to keep encrypted snapshots.',
          );
        }
        kit.setExit(EXIT.ok);
      },
    );

  env
    .command('history')
    .description('the parity history: one line per drift check, newest first')
    .option('-t, --target <id>', 'only checks of this target')
    .option('--since <time>', 'only checks at or after this ISO time (or e.g. 24h, 7d)')
    .addOption(
      new Option('--status <status>', 'only drifted or in-parity checks').choices(['drift', 'parity']),
    )
    .option('--limit <n>', 'at most this many', '20')
    .action(async (opts: { target?: string; since?: string; status?: 'drift' | 'parity'; limit: string }) => {
      const s = await kit.session();
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new ConfigError('--limit must be a whole number from 1 to 500.');
      const since = parseSince(opts.since, s.ctx.now());
      const page = await s.ctx.records.history.list({
        target: opts.target,
        since,
        status: opts.status,
        limit,
      });
      if (kit.wantsJson()) kit.json(page);
      else kit.out(historyText(page.items, page.total));
      kit.setExit(EXIT.ok);
    });
}

/** `2026-11-01T00:00:00Z`, or a duration back from now: `90m`, `24h`, `7d`. */
export function parseSince(raw: string | undefined, now: Date): string | undefined {
  if (!raw) return undefined;
  const m = /^(\d+)([mhd])$/.exec(raw);
  if (m)
    return new Date(
      now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'],
    ).toISOString();
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw new ConfigError(`--since "${raw}" is neither an ISO time nor a duration like 24h or 7d.`);
  return new Date(t).toISOString();
}
