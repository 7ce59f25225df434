/** `genesisctl doctor`: every part EnvSync needs, checked, each problem with what to do. */
import type { Command } from 'commander';
import type { Check, CheckStatus } from './doctor.ts';
import { runDoctor } from './doctor.ts';
import type { CommandKit, Span } from './kit.ts';
import { EXIT } from './kit.ts';

const MARK: Readonly<Record<CheckStatus, Span>> = {
  ok: { text: '✓', style: 'ok' },
  fail: { text: '✗', style: 'fail' },
  warn: { text: '!', style: 'warn' },
  info: { text: '·', style: 'dim' },
};

export function addDoctorCommands(
  program: Command,
  kit: CommandKit,
  manifestFlag: () => string | undefined,
): void {
  program
    .command('doctor')
    .description(
      'check each provider (DNS, reachability, token, list and write access), the keys, the manifest and the record store; exit 1 on any problem',
    )
    .option('--timeout <seconds>', 'limit of each network step', '5')
    .action(async (opts: { timeout: string }) => {
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) {
        kit.io.stderr(
          'genesisctl: --timeout must be a number of seconds between 0 and 120, e.g. --timeout 5\n',
        );
        kit.setExit(EXIT.usage);
        return;
      }
      const checks = await runDoctor({
        env: kit.io.env,
        cwd: kit.io.cwd,
        manifestFlag: manifestFlag(),
        timeoutMs: seconds * 1000,
      });
      const problems = checks.filter((c) => c.status === 'fail').length;
      if (kit.wantsJson()) kit.json({ ok: problems === 0, problems, checks });
      else printChecks(kit, checks, problems);
      kit.setExit(problems === 0 ? EXIT.ok : EXIT.drift);
    });
}

function printChecks(kit: CommandKit, checks: readonly Check[], problems: number): void {
  const subjectWidth = Math.max(...checks.map((c) => c.subject.length));
  const checkWidth = Math.max(...checks.map((c) => c.check.length));
  for (const c of checks) {
    kit.outSpans([
      MARK[c.status],
      ` ${c.subject.padEnd(subjectWidth)}  ${c.check.padEnd(checkWidth)}  — `,
      c.status === 'fail' ? { text: c.detail, style: 'fail' } : c.detail,
    ]);
    if (c.fix)
      kit.outSpans([' '.repeat(subjectWidth + checkWidth + 7), { text: `→ ${c.fix}`, style: 'dim' }]);
  }
  const warnings = checks.filter((c) => c.status === 'warn').length;
  kit.out(
    problems === 0
      ? `All ${checks.length} checks passed${warnings > 0 ? ` (${warnings} warnings)` : ''}.`
      : `${problems} of ${checks.length} checks found a problem: see ✗ above.`,
  );
}
