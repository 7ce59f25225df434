/** `genesisctl env history`: the parity history, one row per drift check, a page at a time. */
import { Option } from 'commander';
import type { Command } from 'commander';
import { ConfigError } from '../config/env.ts';
import { escapeName } from '../core/names.ts';
import { historyText } from './format.ts';
import { cursorOf, limitOf, nextPageHint } from './paging.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

export function addHistoryCommand(env: Command, kit: CommandKit): void {
  env
    .command('history')
    .description('the parity history: one line per drift check, newest first')
    .option('-t, --target <id>', 'only checks of this target')
    .option('--since <time>', 'only checks at or after this ISO time (or e.g. 24h, 7d)')
    .addOption(
      new Option('--status <status>', 'only drifted or in-parity checks').choices(['drift', 'parity']),
    )
    .option('--limit <n>', 'at most this many (1 to 500)', '20')
    .option('--cursor <id>', 'the page after this one: the --cursor the previous page printed')
    .action(
      async (opts: {
        target?: string;
        since?: string;
        status?: 'drift' | 'parity';
        limit: string;
        cursor?: string;
      }) => {
        const limit = limitOf(opts.limit);
        const cursor = cursorOf('check', opts.cursor);
        const s = await kit.session();
        const since = parseSince(opts.since, s.ctx.now());
        const page = await s.ctx.records.history.list({
          target: opts.target,
          since,
          status: opts.status,
          limit,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        // The next page's command keeps the filters; `--since` as given, so "7d" stays 7 days.
        const filters = [
          ...(opts.target ? ['--target', escapeName(opts.target)] : []),
          ...(opts.since ? ['--since', escapeName(opts.since)] : []),
          ...(opts.status ? ['--status', opts.status] : []),
        ];
        if (kit.wantsJson()) kit.json(page);
        else
          kit.out(
            historyText(page.items, page.total) +
              nextPageHint(['genesisctl env history', ...filters].join(' '), limit, page.next),
          );
        kit.setExit(EXIT.ok);
      },
    );
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
