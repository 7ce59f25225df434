/** `genesisctl token create`: a new API token for the functions and the page, and its ENVSYNC_TOKENS entry. */
import type { Command } from 'commander';
import { createToken, roleWords } from '../auth/tokens.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

export function addTokenCommands(program: Command, kit: CommandKit): void {
  const token = program.command('token').description('API tokens for the HTTP API and the parity page');
  token
    .command('create')
    .description(
      'make a token (32 random bytes), print it once, with the ENVSYNC_TOKENS entry that admits it',
    )
    .requiredOption(
      '--name <name>',
      'who or what holds it (1-64 letters, digits or _ . @ -), shown in the audit trail',
    )
    .requiredOption(
      '--role <role>',
      'admiral (writes), architect (plans and verifies), or any other word (reads reports)',
    )
    .action((opts: { name: string; role: string }) => {
      const made = createToken(opts.name, opts.role);
      if (kit.wantsJson()) kit.json({ name: opts.name, ...made });
      else
        kit.out(
          [
            `Token for ${opts.name} (${opts.role}: ${roleWords(opts.role)}). It is shown once; keep it in a password manager:`,
            '',
            `  ${made.token}`,
            '',
            "Add this entry to ENVSYNC_TOKENS (entries separated by commas), e.g. in the site's environment variables;",
            "it holds only the token's SHA-256 digest:",
            '',
            `  ${made.entry}`,
          ].join('\n'),
        );
      kit.setExit(EXIT.ok);
    });
}
