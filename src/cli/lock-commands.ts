/** `genesisctl lock list|release`: target locks, and freeing one whose holder is gone. */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';
import { table } from './format.ts';
import { escapeName } from '../core/names.ts';

export function addLockCommands(program: Command, kit: CommandKit): void {
  const lock = program.command('lock').description('locks that keep two syncs off one target');

  lock
    .command('list')
    .description('the targets locked now, by whom and until when')
    .action(async () => {
      const s = await kit.session();
      const held = await s.ctx.records.locks.list();
      if (kit.wantsJson()) kit.json({ locks: held.map(({ target, lock: l }) => ({ target, ...l })) });
      else if (held.length === 0) kit.out('No target is locked.');
      else
        kit.out(
          table([
            ['TARGET', 'HELD BY', 'SINCE', 'EXPIRES'],
            // Escaped before padding: a holder's name is outside text.
            ...held.map(({ target, lock: l }) => [target, escapeName(l.holder), l.acquired_at, l.expires_at]),
          ]),
        );
      kit.setExit(EXIT.ok);
    });

  lock
    .command('release')
    .description("free a target's lock whose holder is gone (a killed process); recorded in the audit trail")
    .requiredOption('-t, --target <id>', 'the target to unlock')
    .action(async (opts: { target: string }) => {
      const s = await kit.session();
      const released = await s.ctx.records.locks.forceRelease(opts.target);
      if (released)
        await s.ctx.records.audit.append({
          action: 'lock-release',
          actor: s.actor,
          correlation_id: randomUUID(),
          targets: [opts.target],
          outcome: 'ok',
          detail: { holder: released.holder, expires_at: released.expires_at },
        });
      const message = released
        ? `Released the lock on ${opts.target} held by ${released.holder}. Release only a lock whose run is gone: a run still going would go on writing.`
        : `${opts.target} is not locked.`;
      if (kit.wantsJson())
        kit.json({ target: opts.target, released: Boolean(released), holder: released?.holder });
      else kit.out(message);
      kit.setExit(EXIT.ok);
    });
}
