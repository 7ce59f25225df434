/** `genesisctl env audit|verify|plan|sync|heal|rollback|export|history`. */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { isWrite } from '../core/apply.ts';
import { plural } from '../core/report.ts';
import { dict } from '../core/names.ts';
import { targetLabel } from '../core/model.ts';
import { ConfigError } from '../config/env.ts';
import { environmentOfTarget } from '../config/manifest.ts';
import { adapterFor } from '../providers/adapter.ts';
import { checkDrift } from '../sync/drift.ts';
import { executeSync } from '../sync/execute.ts';
import type { ExecutedSync, ExecuteOptions } from '../sync/execute.ts';
import { newJournal, runJournalWith } from '../sync/background.ts';
import type { Journal, RunSpec } from '../store/journals.ts';
import {
  approvePlan,
  assertApproved,
  keepPlan,
  assertNoApprovalNeeded,
  replanFresh,
  StalePlanError,
} from '../sync/approvals.ts';
import { planRollback } from '../sync/rollback.ts';
import { planRun } from '../sync/run.ts';
import { privateDirectory, writePrivateFile } from './private-file.ts';
import type { PlannedRun } from '../sync/run.ts';
import type { CliSession } from './context.ts';
import { planJson } from '../core/plan-json.ts';
import { planText, reportLines, syncJson, syncText, verdictLine } from './format.ts';
import { addHistoryCommand } from './history-command.ts';
import {
  addRunOptions,
  flagsOf,
  nextStep,
  perEnvironment,
  prepare,
  specOf,
  usableTarget,
} from './run-options.ts';
import type { RunOptions } from './run-options.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

export function addEnvCommands(program: Command, kit: CommandKit): void {
  const env = program.command('env').description('audit, plan, sync and restore variables').exitOverride();

  // `audit` leaves an audit entry; `verify`, the gate CI runs on every push, records its check in
  // the parity history only (README: What is audited).
  const driftCheck = async (kit: CommandKit, opts: RunOptions, audit: boolean) => {
    const s = await kit.session();
    return checkDrift(s.ctx, prepare(s, opts), { trigger: 'manual', actor: s.actor, audit });
  };

  addRunOptions(
    env
      .command('audit')
      .description('drift report across targets, recorded in the parity history (exit 1 on drift)'),
  ).action(async (opts: RunOptions) => {
    const exit = await perEnvironment(kit, opts, async (kit) => {
      const { planned } = await driftCheck(kit, opts, true);
      if (kit.wantsJson()) kit.json(planned.report);
      else for (const line of reportLines(planned.report)) kit.outSpans(line);
      kit.setExit(planned.report.has_drift ? EXIT.drift : EXIT.ok);
    });
    nextStep(
      kit,
      exit === EXIT.drift
        ? `genesisctl env plan${flagsOf(opts)} shows what a sync would change.`
        : 'nothing to do; genesisctl env history lists the earlier checks.',
    );
  });

  addRunOptions(env.command('verify').description('the verifier: exit 0 in parity, 1 on drift')).action(
    async (opts: RunOptions) => {
      await perEnvironment(kit, opts, async (kit) => {
        const { planned, record } = await driftCheck(kit, opts, false);
        const { report } = planned;
        if (kit.wantsJson()) {
          kit.json({
            verified_at: report.verified_at,
            has_drift: report.has_drift,
            check_id: record.id,
            summary: report.summary,
            targets: report.targets.map((t) => ({ id: t.id, has_drift: t.has_drift })),
          });
        } else kit.outSpans(verdictLine(report.has_drift, report.summary));
        kit.setExit(report.has_drift ? EXIT.drift : EXIT.ok);
      });
    },
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
    .action(async (opts: RunOptions & { all?: boolean }) => {
      let writes = false;
      let awaitingApproval = false;
      await perEnvironment(kit, opts, async (kit) => {
        const s = await kit.session();
        const planned = warned(await planRun(s.ctx, prepare(s, opts)));
        // Where approvals are required, the plan is kept so that someone else can approve it.
        const required = s.project.approvals?.required ?? 0;
        // Only a kept plan is a decision others act on: a plan that is only looked at reads, and
        // is not audited (README: What is audited).
        const stored =
          required > 0 && planned.report.has_drift
            ? await keepPlan(s.ctx, planned, {
                actor: s.actor,
                spec: specOf({ ...opts, env: s.project.environment }),
                awaiting: required,
              })
            : undefined;
        if (stored)
          kit.io.stderr(
            `Plan ${stored.id} needs ${plural(required, 'approval', 'approvals')}: genesisctl env approve ${stored.id} (by someone else), then genesisctl env sync --plan ${stored.id}\n`,
          );
        writes ||= planned.plan.targets.some((tp) => tp.entries.some(isWrite));
        awaitingApproval ||= stored !== undefined;
        if (kit.wantsJson()) kit.json(planJson(planned.plan));
        else kit.out(planText(planned.plan, { all: opts.all }));
        kit.setExit(planned.report.has_drift ? EXIT.drift : EXIT.ok);
      });
      if (!awaitingApproval)
        nextStep(
          kit,
          writes
            ? `genesisctl env sync${flagsOf(opts)} applies this plan (it asks first; --dry-run previews).`
            : 'nothing to apply; genesisctl env verify checks parity again at any time.',
        );
    });

  /**
   * Applies a plan after confirmation (unless `--yes` or `heal`), and reports. Says how it ended,
   * for the next-step hint.
   */
  const apply = async (
    kit: CommandKit,
    s: CliSession,
    planned: PlannedRun,
    opts: { dryRun?: boolean; yes?: boolean },
    action: ExecuteOptions['action'],
    run: { spec: RunSpec; rollback?: Journal['rollback'] },
    notes: string[] = [],
  ): Promise<'declined' | 'dry-run' | 'done' | 'problems'> => {
    const dryRun = Boolean(opts.dryRun) || s.config.dryRun;
    const writes = planned.plan.targets.some((tp) => tp.entries.some(isWrite));
    const asks = !dryRun && writes && !opts.yes && action !== 'heal';
    if (asks) {
      if (!kit.io.confirm)
        throw new ConfigError('Refusing to write without confirmation: add --yes (or --dry-run to preview).');
      // The plan and the question go to stderr: stdout stays the result (valid JSON with --json).
      kit.io.stderr(`${planText(planned.plan)}\n`);
      if (!(await kit.io.confirm('Apply these changes?'))) {
        kit.out('Nothing was written.');
        kit.setExit(EXIT.drift);
        return 'declined';
      }
    }
    const result =
      dryRun || !writes
        ? await executeSync(s.ctx, planned, { dryRun, actor: s.actor, action })
        : await journaled(kit, s, planned, action, run);
    // The plan was shown once, with the question: the result does not repeat it.
    report(kit, result, notes, {
      ...(dryRun ? { exit: planned.report.has_drift ? EXIT.drift : EXIT.ok } : {}),
      action,
      showPlan: !asks,
    });
    return dryRun ? 'dry-run' : result.ok ? 'done' : 'problems';
  };

  /**
   * The writes run from a journal, as the background function runs them: the pre-sync snapshot
   * first, each write recorded as it lands, one ledger entry per write. Ctrl-C or SIGTERM stops
   * starting writes, lets those in flight finish, releases the locks, records an `interrupted`
   * audit entry and says how to resume; a second one quits at once.
   */
  const journaled = async (
    kit: CommandKit,
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
    return resumeJournal(kit, s, journal.id, planned);
  };

  const resumeJournal = async (
    kit: CommandKit,
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
        // A counter on a terminal, rewritten in place; nothing when the output is piped.
        onWrite: (done, total) => kit.progress(`Writing ${done}/${total}`),
      });
      kit.progress(undefined);
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
          `Interrupted: ${plural(Object.keys(ran.journal.done).length, 'write', 'writes')} made and recorded. Resume with: genesisctl env resume ${id}\n`,
        );
      return { ...ran.result, action: ran.journal.action };
    } finally {
      kit.progress(undefined);
      stopListening?.();
    }
  };

  const report = (
    kit: CommandKit,
    result: ExecutedSync,
    notes: string[],
    options: { exit?: number; action?: ExecuteOptions['action']; showPlan?: boolean } = {},
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
        syncText(result, options.action, {
          showPlan: options.showPlan !== false,
          extra: [...followUps, ...notes, `Correlation id: ${result.correlationId}`],
        }),
      );
    }
    const unreachable = result.targets.some((t) =>
      t.failed.some((f) => f.error === 'ProviderUnreachableError'),
    );
    kit.setExit(options.exit ?? (result.ok ? EXIT.ok : unreachable ? EXIT.unreachable : EXIT.drift));
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
          `Approved plan ${planId}: ${approved.approvals} of ${plural(approved.required, 'approval', 'approvals')}.` +
            (done ? ` Apply it: genesisctl env sync --plan ${planId}` : ''),
        );
      kit.setExit(EXIT.ok);
    });

  addRunOptions(env.command('sync').description('apply the plan to the targets (snapshot first, then write)'))
    .option('--dry-run', 'everything but the writes (also HUBSYNC_DRYRUN=true)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--plan <id>', 'apply this approved plan (where the manifest requires approvals)')
    .action(async (opts: RunOptions & { dryRun?: boolean; yes?: boolean; plan?: string }) => {
      const outcomes = new Set<string>();
      await perEnvironment(kit, opts, async (kit) => {
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
          outcomes.add(await apply(kit, s, fresh, { ...opts, yes: true }, 'sync', { spec: stored.spec }));
          return;
        }
        const spec = specOf({ ...opts, env: s.project.environment });
        if (!opts.dryRun) assertNoApprovalNeeded(s.project, spec);
        outcomes.add(
          await apply(kit, s, warned(await planRun(s.ctx, prepare(s, opts))), opts, 'sync', { spec }),
        );
      });
      const again = `genesisctl env sync${flagsOf(opts)}`;
      if (outcomes.has('problems'))
        nextStep(
          kit,
          `see the failed or skipped keys above, then ${again} again: it writes only what still differs.`,
        );
      else if (outcomes.has('dry-run')) nextStep(kit, `${again} (without --dry-run) writes it.`);
      else if (outcomes.has('done'))
        nextStep(
          kit,
          `genesisctl env verify${flagsOf(opts)} confirms parity; genesisctl snapshots list shows the snapshot to roll back to.`,
        );
    });

  addRunOptions(env.command('heal').description('sync every drifted target from the source, without asking'))
    .option('--dry-run', 'everything but the writes (also HUBSYNC_DRYRUN=true)')
    .action(async (opts: RunOptions & { dryRun?: boolean }) => {
      await perEnvironment(kit, opts, async (kit) => {
        const s = await kit.session();
        const spec = specOf({ ...opts, env: s.project.environment });
        if (!opts.dryRun) assertNoApprovalNeeded(s.project, spec);
        await apply(kit, s, warned(await planRun(s.ctx, prepare(s, opts))), opts, 'heal', { spec });
      });
    });

  env
    .command('rollback')
    .description('restore a target to a snapshot, planned and recorded like any sync')
    .requiredOption('-t, --target <id>', 'the target to restore')
    .requiredOption('--to <snapshot>', 'snapshot id (see `genesisctl snapshots list`)')
    .option('--dry-run', 'show the restoration plan, write nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (opts: { target: string; to: string; dryRun?: boolean; yes?: boolean }) => {
      const { s } = await usableTarget(kit, opts.target);
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
      const resumed = await resumeJournal(kit, s, journalId, undefined, opts.takeOver === true);
      report(kit, resumed, [], { action: resumed.action });
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
        const { s, target } = await usableTarget(kit, opts.target);
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
            `Exported ${plural(summary.keys, 'key', 'keys')} of ${target.id} to ${file}${summary.values_included ? ' (with values, mode 0600)' : ' (fingerprints only)'}.`,
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
  addHistoryCommand(env, kit);
}
