/**
 * The one place that runs a sync end to end: read source and targets, plan, apply, record. The CLI
 * and the Netlify functions call these functions; neither re-implements a step.
 */
import { isWrite, nextLedgerEntries } from '../core/apply.ts';
import type { Fingerprinter } from '../core/fingerprint.ts';
import type {
  EnvMap,
  EnvValue,
  Ledger,
  LedgerEntry,
  Plan,
  PlanEntry,
  Policy,
  Source,
  Target,
} from '../core/model.ts';
import { plan } from '../core/plan.ts';
import { driftReport } from '../core/report.ts';
import { keySelected } from '../core/filter.ts';
import type { DriftReport } from '../core/report.ts';
import { environmentOfTarget, nearest } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import { ConfigError } from '../config/env.ts';
import { adapterFor } from '../providers/adapter.ts';
import { withStop } from '../providers/stop.ts';
import type { Adapters, Progress, WriteOp, WriteOutcome } from '../providers/adapter.ts';
import type { LedgerStore } from '../store/ledger.ts';

export interface SyncContext {
  readonly adapters: Adapters;
  readonly ledger: LedgerStore;
  readonly fingerprint: Fingerprinter;
  readonly now: () => Date;
  /** Records what the run used of each provider's budget, for the runs after it (store/pacing.ts). */
  readonly settle?: () => Promise<void>;
}

export interface RunRequest {
  readonly project: Project;
  /** Source id: `manifest` or a target id. @default the manifest's `source` */
  readonly from?: string;
  /** Target ids; every target but the source when empty. */
  readonly targets?: readonly string[];
  readonly policy?: Partial<Policy>;
  /** Plan from these values instead of the source's (rollback: a snapshot's values). */
  readonly restore?: { readonly source: Source; readonly values: EnvMap };
}

export interface PlannedRun {
  readonly plan: Plan;
  readonly report: DriftReport;
  /** Things the user should look at that do not stop the run (a declared key the source lacks). */
  readonly warnings?: readonly string[];
  /** What each target held when planned, by target id: the pre-sync snapshot is taken from it. */
  readonly currents: ReadonlyMap<string, EnvMap>;
  /** The manifest environment planned (when it has environments). */
  readonly environment?: string;
}

/** What each provider needs to be a target without a manifest: the seed's variables. */
const PROVIDER_SETUP: ReadonlyMap<string, string> = new Map([
  ['github', 'GITHUB_TOKEN and GITHUB_REPO'],
  ['render', 'RENDER_API_KEY and RENDER_SERVICE_ID'],
  ['netlify', 'NETLIFY_AUTH_TOKEN and NETLIFY_SITE_ID'],
]);

/** A provider named as a target it is not: the message users look up ("github: Not Configured"). */
export function notConfigured(id: string): string | undefined {
  const needs = PROVIDER_SETUP.get(id);
  return needs && `${id}: Not Configured. Set ${needs} (or declare a "${id}" target in the manifest).`;
}

/** Resolves the source and target ids of a request, with errors that say which ids exist. */
/**
 * A run plans within one environment: the project of the environment its targets belong to. A
 * request on a manifest with environments that names no targets, or targets of several, is refused
 * with the environments to choose from.
 */
export function inEnvironment(request: RunRequest): RunRequest {
  const { project } = request;
  if (!project.environments) return request;
  const missing = missingIds(project, request, request.from);
  if (missing.length > 0) throw new ConfigError(missing.join('\n'));
  const named = (request.targets ?? []).filter((t) => t !== 'all');
  const homes = new Set(named.map((t) => environmentOfTarget(project, t)));
  const [home] = homes;
  if (homes.size === 1 && home && home !== project) return { ...request, project: home };
  const names = [...project.environments.keys()].join(', ');
  throw new ConfigError(
    named.length === 0 || homes.size === 1
      ? `the manifest has environments (${names}): choose one with --env (or ?env=)`
      : `the targets ${named.join(', ')} belong to different environments; run each environment on its own (${names})`,
  );
}

/**
 * Every id a request names that the project lacks, each with what to do: the targets first, then
 * the source, so `--target github --from render` with neither configured names both, GitHub first.
 */
function missingIds(project: Project, request: RunRequest, sourceId: string | undefined): string[] {
  const known = [...project.targets.keys()];
  // Keyed by id, so an id named twice (or as source and target) is said once.
  const problems = new Map<string, string>();
  for (const id of request.targets ?? []) {
    if (id === 'all' || project.targets.has(id) || problems.has(id)) continue;
    problems.set(id, notConfigured(id) ?? `Unknown target "${id}". Known targets: ${known.join(', ')}.`);
  }
  if (sourceId !== undefined && sourceId !== 'manifest' && !project.targets.has(sourceId))
    if (!problems.has(sourceId))
      problems.set(
        sourceId,
        notConfigured(sourceId) ??
          `Unknown source "${sourceId}". Use "manifest" or one of: ${known.join(', ')}.`,
      );
  return [...problems.values()];
}

export function resolveRun(request: RunRequest): { source: Source; targets: Target[] } {
  const { project } = inEnvironment(request);
  const known = [...project.targets.keys()];
  const sourceId = request.from ?? project.sourceId;
  const missing = missingIds(project, request, sourceId);
  if (missing.length > 0) throw new ConfigError(missing.join('\n'));
  let source: Source;
  const sourceTarget = project.targets.get(sourceId);
  if (sourceId === 'manifest' || !sourceTarget) source = { kind: 'manifest', id: 'manifest' };
  else source = { kind: 'target', id: sourceId, target: sourceTarget };
  const wanted =
    request.targets && request.targets.length > 0 && !request.targets.includes('all')
      ? request.targets
      : known;
  const targets: Target[] = [];
  for (const id of wanted) {
    const target = project.targets.get(id);
    if (target && id !== sourceId) targets.push(target);
  }
  if (targets.length === 0)
    throw new ConfigError(
      `No target to compare with source "${sourceId}". Name a target other than the source.`,
    );
  return { source, targets };
}

async function readSource(ctx: SyncContext, project: Project, source: Source): Promise<EnvMap> {
  if (source.kind === 'target') return adapterFor(ctx.adapters, source.target).list(source.target);
  return project.manifestValues;
}

/** Reads the source and every target in parallel, then plans. Reads only: safe for drift checks. */
export async function planRun(ctx: SyncContext, given: RunRequest): Promise<PlannedRun> {
  const request = inEnvironment(given);
  const { project, restore } = request;
  const resolved = resolveRun(request);
  const { targets } = resolved;
  const source = restore?.source ?? resolved.source;
  const [sourceValues, currents, ledger] = await Promise.all([
    restore?.values ?? readSource(ctx, project, source),
    Promise.all(targets.map((t) => adapterFor(ctx.adapters, t).list(t))),
    ctx.ledger.load(targets.map((t) => t.id)),
  ]);
  const warnings = restore ? [] : checkDeclared(project, source, sourceValues, request.policy ?? {});
  const routes = restore
    ? {}
    : project.route(sourceValues.keys(), source.kind === 'manifest' ? 'manifest' : source.id);
  const policy: Policy = { ...project.policy, routes, ...request.policy };
  const result = plan({
    source,
    sourceValues,
    targets: targets.map((target, i) => ({
      target,
      current: currents[i] ?? new Map(),
      rules: adapterFor(ctx.adapters, target).rules(target),
    })),
    policy,
    ledger,
    fingerprint: ctx.fingerprint,
    now: ctx.now().toISOString(),
  });
  // A target's own warnings (a scope past its size limit) name the target.
  for (const tp of result.targets) for (const w of tp.warnings ?? []) warnings.push(`${tp.target.id}: ${w}`);
  return {
    plan: result,
    report: driftReport(result),
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(project.environment !== undefined ? { environment: project.environment } : {}),
    currents: new Map(targets.map((t, i) => [t.id, currents[i] ?? new Map<string, EnvValue>()])),
  };
}

/**
 * A key the manifest declares but the source does not hold is most likely misspelt on one side.
 * For a secret that is an error (the real key would go out undeclared); otherwise a warning.
 */
function checkDeclared(
  project: Project,
  source: Source,
  sourceValues: EnvMap,
  override: Partial<Policy>,
): string[] {
  if (source.kind !== 'target') return [];
  const policy = { ...project.policy, ...override };
  const warnings: string[] = [];
  for (const [key, { secret }] of project.declared) {
    if (sourceValues.has(key) || !keySelected(key, policy)) continue;
    const near = nearest(key, sourceValues.keys());
    const hint = near ? ` The closest key there is ${near}: is one of them misspelt?` : '';
    if (secret)
      throw new ConfigError(
        `The manifest declares ${key} as a secret, but the source "${source.id}" holds no such key.${hint} Fix the name in the manifest (keys:) or on the source, then run again.`,
      );
    warnings.push(`The manifest declares ${key}, but the source "${source.id}" holds no such key.${hint}`);
  }
  return warnings;
}

/** A write an earlier, interrupted attempt of the same sync already made (see background.ts). */
export type AlreadyDone = (target: Target, key: string) => { readonly updatedAt?: string } | undefined;

export interface KeyFailure {
  readonly key: string;
  readonly error: string;
  readonly message: string;
}

export interface TargetOutcome {
  readonly target: string;
  readonly applied: readonly { readonly key: string; readonly action: PlanEntry['action'] }[];
  readonly failed: readonly KeyFailure[];
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
  /** Deletes wait until every write of the target succeeded; they are held back otherwise. */
  readonly heldBack: readonly string[];
}

export interface SyncResult {
  readonly dryRun: boolean;
  readonly plan: Plan;
  readonly report: DriftReport;
  readonly targets: readonly TargetOutcome[];
  /** True when every planned write was applied and nothing was skipped. */
  readonly ok: boolean;
}

function failure(outcome: Extract<WriteOutcome, { ok: false }>): KeyFailure {
  return { key: outcome.key, error: outcome.error.name, message: outcome.error.message };
}

/** A batch that fails as a whole (bad credentials, unreachable host) fails each of its keys. */
async function settle(batch: Promise<WriteOutcome[]>, keys: readonly string[]): Promise<WriteOutcome[]> {
  try {
    return await batch;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return keys.map((key) => ({ key, ok: false, error: err }));
  }
}

async function applyTarget(
  ctx: SyncContext,
  target: Target,
  entries: readonly PlanEntry[],
  ledger: Ledger,
  progress: Progress | undefined,
  alreadyDone: AlreadyDone | undefined,
  signal: AbortSignal | undefined,
  basis: EnvMap | undefined,
): Promise<TargetOutcome> {
  const adapter = adapterFor(ctx.adapters, target);
  // The ledger follows every write as it lands (saves coalesced): a run killed halfway still
  // tells the next plan which values EnvSync wrote, so a changed source shows as a conflict,
  // never as "unknown, never synced by EnvSync".
  const byKey = new Map(entries.map((e) => [e.key, e]));
  let ledgerNow: ReadonlyMap<string, LedgerEntry> = ledger.get(target.id) ?? new Map();
  let flushing: Promise<void> | undefined;
  let dirty = false;
  const flush = (): Promise<void> => {
    if (flushing) {
      dirty = true;
      return flushing;
    }
    flushing = (async () => {
      do {
        dirty = false;
        await ctx.ledger.save(target.id, ledgerNow);
      } while (dirty);
      flushing = undefined;
    })();
    return flushing;
  };
  const remember = async (o: WriteOutcome): Promise<void> => {
    const entry = byKey.get(o.key);
    if (!o.ok || !entry || !isWrite(entry)) return;
    ledgerNow = nextLedgerEntries(ledgerNow, [entry], () => o.updatedAt, ctx.now().toISOString());
    await flush();
  };
  // Writes an interrupted attempt already made count as applied, and are not made again.
  const earlier = new Map<string, WriteOutcome>();
  for (const e of entries) {
    const was = isWrite(e) ? alreadyDone?.(target, e.key) : undefined;
    if (was)
      earlier.set(e.key, { key: e.key, ok: true, ...(was.updatedAt ? { updatedAt: was.updatedAt } : {}) });
  }
  // Adapters report each key as its request finishes; keys an adapter did not report are reported
  // when its batch returns, so a journal hears of every write exactly once.
  const reported = new Set<string>();
  const tell: Progress = Object.assign(
    async (o: WriteOutcome) => {
      if (reported.has(o.key)) return;
      reported.add(o.key);
      await progress?.(o);
      await remember(o);
    },
    signal ? { signal } : {},
  );
  const tellRest = async (outcomes: WriteOutcome[]) => {
    for (const o of outcomes) await tell(o);
    return outcomes;
  };
  const ops: WriteOp[] = [];
  for (const e of entries) {
    if ((e.action === 'create' || e.action === 'update') && e.value && !earlier.has(e.key))
      ops.push({
        key: e.key,
        action: e.action,
        value: e.value,
        secret: e.secret,
        ...(e.scopes ? { scopes: e.scopes } : {}),
      });
  }
  const deletes = entries.filter((e) => e.action === 'delete' && !earlier.has(e.key)).map((e) => e.key);
  const writeOutcomes =
    ops.length > 0
      ? await settle(
          withStop(signal, () => adapter.write(target, ops, tell, basis)).then(tellRest),
          ops.map((o) => o.key),
        )
      : [];
  const writesOk = writeOutcomes.every((o) => o.ok);
  // Deleting only after every write succeeded means a failed sync never leaves a target with fewer keys.
  const deleteOutcomes =
    writesOk && deletes.length > 0
      ? await settle(withStop(signal, () => adapter.remove(target, deletes, tell)).then(tellRest), deletes)
      : [];
  const done = new Map<string, WriteOutcome>(earlier);
  for (const o of [...writeOutcomes, ...deleteOutcomes]) done.set(o.key, o);

  const succeeded = entries.filter((e) => isWrite(e) && done.get(e.key)?.ok === true);
  const updatedAt = (key: string): string | undefined => {
    const o = done.get(key);
    return o?.ok ? o.updatedAt : undefined;
  };
  // The last word is the whole run's: wait for a save in flight so it cannot land after this one.
  while (flushing) await flushing;
  if (succeeded.length > 0) {
    await ctx.ledger.save(
      target.id,
      nextLedgerEntries(ledger.get(target.id) ?? new Map(), succeeded, updatedAt, ctx.now().toISOString()),
    );
  }
  return {
    target: target.id,
    applied: succeeded.map((e) => ({ key: e.key, action: e.action })),
    failed: [...done.values()].flatMap((o) => (o.ok ? [] : [failure(o)])),
    skipped: entries.filter((e) => e.action === 'skip').map((e) => ({ key: e.key, reason: e.reason })),
    heldBack: writesOk ? [] : deletes,
  };
}

/** Applies a plan's writes, target by target in parallel. With `dryRun`, nothing is written. */
export async function applyPlan(
  ctx: SyncContext,
  planned: PlannedRun,
  options: {
    dryRun: boolean;
    progress?: (target: Target, outcome: WriteOutcome) => Promise<void>;
    alreadyDone?: AlreadyDone;
    /** Aborted: no further write starts (those in flight finish); the rest fail as not written. */
    signal?: AbortSignal;
  },
): Promise<SyncResult> {
  const { plan: p, report } = planned;
  if (options.dryRun) {
    const targets = p.targets.map((tp) => ({
      target: tp.target.id,
      applied: [],
      failed: [],
      skipped: tp.entries.filter((e) => e.action === 'skip').map((e) => ({ key: e.key, reason: e.reason })),
      heldBack: [],
    }));
    return { dryRun: true, plan: p, report, targets, ok: targets.every((t) => t.skipped.length === 0) };
  }
  const ledger = await ctx.ledger.load(p.targets.map((tp) => tp.target.id));
  const { progress } = options;
  const targets = await Promise.all(
    p.targets.map((tp) =>
      applyTarget(
        ctx,
        tp.target,
        tp.entries,
        ledger,
        progress && ((o) => progress(tp.target, o)),
        options.alreadyDone,
        options.signal,
        planned.currents.get(tp.target.id),
      ),
    ),
  );
  const ok = targets.every((t) => t.failed.length === 0 && t.skipped.length === 0 && t.heldBack.length === 0);
  return { dryRun: false, plan: p, report, targets, ok };
}

export async function sync(
  ctx: SyncContext,
  request: RunRequest,
  options: { dryRun: boolean },
): Promise<SyncResult> {
  return applyPlan(ctx, await planRun(ctx, request), options);
}
