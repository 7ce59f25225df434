/**
 * One example per command, printed at the end of its `--help`: kept together so every command has
 * one and they read alike. Keyed by the command's path after `genesisctl`.
 */
import type { Command } from 'commander';

const EXAMPLES: ReadonlyMap<string, readonly string[]> = new Map([
  ['', ['genesisctl env audit', 'npx genesisctl env plan --target github --from render']],
  ['env', ['genesisctl env plan --target github --from render']],
  ['env audit', ['genesisctl env audit --target github --from render']],
  ['env verify', ['genesisctl env verify || echo "drift: run genesisctl env plan"']],
  ['env plan', ['genesisctl env plan --target github --from render --all']],
  ['env approve', ['genesisctl env approve <plan id from env plan>']],
  ['env sync', ['genesisctl env sync --target github --from render --dry-run', 'genesisctl env sync --yes']],
  ['env heal', ['genesisctl env heal --dry-run']],
  [
    'env rollback',
    [
      'genesisctl snapshots list --target github',
      'genesisctl env rollback --target github --to <snapshot id>',
    ],
  ],
  ['env resume', ['genesisctl env resume']],
  ['env export', ['genesisctl env export --target github --source render']],
  ['env history', ['genesisctl env history --since 7d --status drift --limit 50']],
  ['lock', ['genesisctl lock list']],
  ['lock list', ['genesisctl lock list --json']],
  ['lock release', ['genesisctl lock release --target github']],
  ['audit', ['genesisctl audit log --limit 50']],
  ['audit log', ['genesisctl audit log --limit 50 --correlation-id <id of a sync>']],
  ['audit verify', ['genesisctl audit verify --full']],
  ['audit doc', ['genesisctl audit doc --out docs/audit/GITHUB_ENV_AUDIT.md']],
  ['snapshots', ['genesisctl snapshots list --target github']],
  ['snapshots list', ['genesisctl snapshots list --target github --limit 5']],
  ['snapshots show', ['genesisctl snapshots show <snapshot id>']],
  ['token', ['genesisctl token create --name ci-bot --role architect']],
  ['token create', ['genesisctl token create --name ci-bot --role architect']],
  ['doctor', ['genesisctl doctor --timeout 10']],
  ['status', ['genesisctl status --json']],
  ['init', ['genesisctl init --render-service srv-123 --github-repo acme/web --prefer destination']],
  ['sandbox', ['eval "$(npx genesisctl sandbox --print-env)"']],
]);

function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds each command's example to its help, and returns the paths that have none (a test keeps it empty). */
export function addExamples(program: Command): string[] {
  const missing: string[] = [];
  const visit = (command: Command) => {
    const path = pathOf(command);
    const lines = EXAMPLES.get(path);
    if (lines)
      command.addHelpText(
        'after',
        `\n${lines.length === 1 ? 'Example' : 'Examples'}:\n${lines.map((l) => `  $ ${l}`).join('\n')}`,
      );
    else if (command.name() !== 'help') missing.push(path);
    command.commands.forEach(visit);
  };
  visit(program);
  return missing;
}
