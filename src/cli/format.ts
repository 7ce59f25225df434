/**
 * How plans, reports and sync results look on a terminal and as `--json`. Values never reach this
 * module: entries carry fingerprints, and a stray `Secret` prints as «redacted».
 */
import type { Plan, PlanEntry } from '../core/model.ts';
import { escapeName } from '../core/names.ts';
import { planJson } from '../core/plan-json.ts';
import type { DriftReport } from '../core/report.ts';
import { paritySentence, plural } from '../core/report.ts';
import type { CheckRecord } from '../store/history.ts';
import type { SyncResult } from '../sync/run.ts';
import type { Span } from './kit.ts';
import { inWords } from './words.ts';

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

/** The plan table: target, key, action, reason. `noop` rows are folded into a count unless `all`. */
export function planText(plan: Plan, options: { all?: boolean } = {}): string {
  const rows: string[][] = [['TARGET', 'KEY', 'ACTION', 'REASON']];
  let hidden = 0;
  for (const tp of plan.targets) {
    for (const e of tp.entries) {
      if (e.action === 'noop' && e.finding === 'in-sync' && !options.all) {
        hidden += 1;
        continue;
      }
      rows.push([tp.target.id, escapeName(e.key), e.action, e.reason]);
    }
  }
  const counts = countActions(plan);
  const summary = `Plan from ${plan.source.id}: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete, ${counts.unknown} unknown, ${counts.skip} skipped, ${counts.noop} unchanged.`;
  const body = rows.length > 1 ? table(rows) : 'Nothing to change.';
  const folded = hidden > 0 ? `(${plural(hidden, 'key', 'keys')} in sync not shown; --all shows them)\n` : '';
  return `${body}\n${folded}${summary}`;
}

export function countActions(plan: Plan): Record<PlanEntry['action'], number> {
  const counts = { create: 0, update: 0, delete: 0, noop: 0, unknown: 0, skip: 0 };
  for (const tp of plan.targets) for (const e of tp.entries) counts[e.action] += 1;
  return counts;
}

/** The drift report as lines of spans: a target's verdict and the last line are coloured on a terminal. */
export function reportLines(report: DriftReport): Span[][] {
  const lines: Span[][] = [[`Drift report from ${report.source} at ${report.verified_at}`]];
  for (const t of report.targets) {
    lines.push([
      t.has_drift ? { text: '✗ drift', style: 'fail' } : { text: '✓ in parity', style: 'ok' },
      `  ${t.id} (${t.label})`,
    ]);
    const names = (keys: readonly string[]) => keys.map(escapeName).join(', ');
    if (t.missing.length > 0) lines.push([`    missing:   ${names(t.missing)}`]);
    if (t.conflicts.length > 0) lines.push([`    conflicts: ${names(t.conflicts)}`]);
    if (t.extra.length > 0) lines.push([`    extra:     ${names(t.extra)}`]);
    if (t.unknown.length > 0)
      lines.push([`    unknown:   ${names(t.unknown)} (write-only, never synced by EnvSync)`]);
    for (const i of t.invalid) lines.push([`    invalid:   ${escapeName(i.key)}: ${i.reason}`]);
  }
  for (const [key, row] of Object.entries(report.conflicts)) {
    lines.push([
      `  ${escapeName(key)}: ${Object.entries(row)
        .map(([where, fp]) => `${where}=${fp}`)
        .join('  ')}`,
    ]);
  }
  lines.push(verdictLine(report.has_drift, report.summary));
  return lines;
}

/** `Drift found: …` (red) or `No drift: …` (green): the last line of audit, all of verify. */
export function verdictLine(hasDrift: boolean, summary: DriftReport['summary']): Span[] {
  return [
    hasDrift ? { text: 'Drift found', style: 'fail' } : { text: 'No drift', style: 'ok' },
    `: ${paritySentence(summary)}.`,
  ];
}

export function reportText(report: DriftReport): string {
  return reportLines(report)
    .map((spans) => spans.map((s) => (typeof s === 'string' ? s : s.text)).join(''))
    .join('\n');
}

/**
 * A sync's outcome. The plan is left out when the confirmation already showed it; `extra` lines
 * (follow-ups, notes, the correlation id) come before the closing sentence, which ends the output.
 */
export function syncText(
  result: SyncResult,
  action: 'sync' | 'heal' | 'rollback' = 'sync',
  options: { showPlan?: boolean; extra?: readonly string[] } = {},
): string {
  const lines: string[] = options.showPlan === false ? [] : [planText(result.plan)];
  if (result.dryRun) {
    lines.push(...(options.extra ?? []), 'Dry run: nothing was written.');
    return lines.join('\n');
  }
  for (const t of result.targets) {
    const applied = t.applied.length;
    lines.push(`${t.target}: ${applied} applied, ${t.failed.length} failed, ${t.skipped.length} skipped`);
    for (const f of t.failed) lines.push(`    failed ${escapeName(f.key)}: ${inWords(f.message)}`);
    for (const s of t.skipped) lines.push(`    skipped ${escapeName(s.key)}: ${s.reason}`);
    if (t.heldBack.length > 0)
      lines.push(`    deletes held back because a write failed: ${t.heldBack.map(escapeName).join(', ')}`);
  }
  lines.push(...(options.extra ?? []));
  const what = { sync: 'Sync', heal: 'Heal', rollback: 'Rollback' }[action];
  lines.push(result.ok ? `${what} complete.` : `${what} finished with problems (see above).`);
  return lines.join('\n');
}

export function syncJson(result: SyncResult): Record<string, unknown> {
  return {
    dry_run: result.dryRun,
    ok: result.ok,
    plan: planJson(result.plan),
    targets: result.targets,
  };
}

export function historyText(items: readonly CheckRecord[], total: number): string {
  if (items.length === 0) return 'No drift checks recorded yet: run `genesisctl env audit`.';
  const rows = [['CHECKED', 'TRIGGER', 'STATUS', 'TARGETS IN DRIFT', 'ID']];
  for (const c of items) {
    const drifted = c.targets.filter((t) => t.has_drift).map((t) => t.id);
    rows.push([
      c.checked_at,
      c.trigger,
      c.has_drift ? 'drift' : 'parity',
      drifted.map(escapeName).join(', ') || '—',
      c.id,
    ]);
  }
  return `${table(rows)}\n(${items.length} of ${plural(total, 'check', 'checks')})`;
}
