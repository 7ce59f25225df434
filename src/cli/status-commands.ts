/**
 * `genesisctl status`: what EnvSync holds now, from the records alone (no provider is asked): the
 * targets with their last check and drift, the record store in use, the locks held and the
 * journals not finished.
 */
import type { Command } from 'commander';
import { targetLabel } from '../core/model.ts';
import { escapeName } from '../core/names.ts';
import type { CheckRecord, LatestCheck } from '../store/history.ts';
import type { Journal } from '../store/journals.ts';
import type { LockRecord } from '../store/locks.ts';
import type { CliSession } from './context.ts';
import { table } from './format.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

interface TargetStatus {
  readonly id: string;
  readonly provider: string;
  readonly label: string;
  readonly last_check?: LatestCheck & {
    readonly missing: number;
    readonly conflicts: number;
    readonly extra: number;
    readonly unknown: number;
  };
}

interface JournalStatus {
  readonly id: string;
  readonly action: Journal['action'];
  readonly status: Journal['status'];
  readonly actor: string;
  readonly updated_at: string;
  readonly targets: readonly string[];
  readonly writes_done: number;
  readonly writes_planned: number;
  /** Its runner holds a lease that has not expired: it is still going. */
  readonly live: boolean;
}

export function addStatusCommands(program: Command, kit: CommandKit): void {
  program
    .command('status')
    .description(
      'the targets with their last check and drift, the record store in use, locks held and unfinished journals (reads the records only)',
    )
    .action(async () => {
      const s = await kit.session();
      const [targets, locks, journals] = await Promise.all([
        targetStatuses(s),
        s.ctx.records.locks.list(),
        s.ctx.records.journals.open(),
      ]);
      const now = s.ctx.now();
      const open = journals.map((j) => journalStatus(j, now));
      const store = s.records.location;
      if (kit.wantsJson())
        kit.json({
          record_store: s.records,
          targets,
          locks: locks.map(({ target, lock }) => ({ target, ...lock })),
          journals: open,
        });
      else kit.out(statusText(store, targets, locks, open));
      kit.setExit(EXIT.ok);
    });
}

async function targetStatuses(s: CliSession): Promise<TargetStatus[]> {
  const latest = await s.ctx.records.history.latest();
  // Checks usually cover many targets: each record is read once.
  const ids = new Set([...latest.values()].map((l) => l.check_id));
  const records = new Map<string, CheckRecord | undefined>(
    await Promise.all([...ids].map(async (id) => [id, await s.ctx.records.history.get(id)] as const)),
  );
  return [...s.project.targets.values()].map((target) => {
    const last = latest.get(target.id);
    const entry = last && records.get(last.check_id)?.targets.find((t) => t.id === target.id);
    return {
      id: target.id,
      provider: target.provider,
      label: targetLabel(target),
      ...(last
        ? {
            last_check: {
              ...last,
              missing: entry?.missing.length ?? 0,
              conflicts: entry?.conflicts.length ?? 0,
              extra: entry?.extra.length ?? 0,
              unknown: entry?.unknown.length ?? 0,
            },
          }
        : {}),
    };
  });
}

function journalStatus(j: Journal, now: Date): JournalStatus {
  const planned = j.targets.flatMap((t) =>
    t.entries.filter((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete'),
  );
  return {
    id: j.id,
    action: j.action,
    status: j.status,
    actor: j.actor,
    updated_at: j.updated_at,
    targets: j.targets.map((t) => t.id),
    writes_done: Object.keys(j.done).length,
    writes_planned: planned.length,
    live: j.status === 'running' && j.lease !== undefined && Date.parse(j.lease.expires_at) > now.getTime(),
  };
}

function driftText(c: NonNullable<TargetStatus['last_check']>): string {
  if (!c.has_drift) return 'in parity';
  const parts = [
    c.missing > 0 ? `${c.missing} missing` : '',
    c.conflicts > 0 ? `${c.conflicts} conflicting` : '',
    c.extra > 0 ? `${c.extra} extra` : '',
    c.unknown > 0 ? `${c.unknown} unknown` : '',
  ].filter(Boolean);
  return `drift: ${parts.join(', ') || 'see the check'}`;
}

function statusText(
  store: string,
  targets: readonly TargetStatus[],
  locks: readonly { target: string; lock: LockRecord }[],
  journals: readonly JournalStatus[],
): string {
  const lines = [`Record store: ${store}`, ''];
  lines.push(
    table([
      ['TARGET', 'WHERE', 'LAST CHECK', 'TRIGGER', 'STATUS'],
      ...targets.map((t) => [
        t.id,
        t.label,
        t.last_check?.checked_at ?? 'never',
        t.last_check?.trigger ?? '—',
        t.last_check ? driftText(t.last_check) : 'never checked: run `genesisctl env audit`',
      ]),
    ]),
    '',
  );
  if (locks.length === 0) lines.push('Locks: none held.');
  else
    lines.push(
      'Locks:',
      table([
        ['TARGET', 'HELD BY', 'SINCE', 'EXPIRES'],
        // Escaped before padding, so an escape sequence in a holder's name keeps the columns straight.
        ...locks.map(({ target, lock }) => [
          target,
          escapeName(lock.holder),
          lock.acquired_at,
          lock.expires_at,
        ]),
      ]),
    );
  if (journals.length === 0) lines.push('Journals: none open.');
  else {
    lines.push(
      'Journals:',
      table([
        ['JOURNAL', 'ACTION', 'STATUS', 'TARGETS', 'WRITES', 'UPDATED'],
        ...journals.map((j) => [
          j.id,
          j.action,
          j.live ? 'running (live)' : j.status,
          j.targets.join(', '),
          `${j.writes_done}/${j.writes_planned}`,
          j.updated_at,
        ]),
      ]),
    );
    const resumable = journals.filter((j) => !j.live && j.status !== 'queued');
    for (const j of resumable) lines.push(`  finish ${j.id} with: genesisctl env resume ${j.id}`);
  }
  return lines.join('\n');
}
