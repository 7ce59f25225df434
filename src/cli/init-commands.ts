/** `genesisctl init`: a first manifest from what the targets hold (see init.ts). */
import path from 'node:path';
import type { Command } from 'commander';
import type { DraftKey } from '../core/manifest-draft.ts';
import { plural } from '../core/report.ts';
import { escapeName } from '../core/names.ts';
import { table } from './format.ts';
import { DEFAULT_MANIFEST, runInit } from './init.ts';
import type { InitResult } from './init.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

const PREFER_HELP = `
--prefer decides what the first sync does with a key whose value differs between the source and a
target (names are listed, values never):
  source       (default) the first sync overwrites the target's value with the source's
  destination  the target keeps its value: the key's targets leave that target out, so no sync
               changes it there (deletions are never, so it is not removed either). Not
               policy.mode: create-only, which would freeze every key everywhere, nor policy.exclude,
               which matches prefixes (DEBUG would exclude DEBUG_LEVEL too).
Secrets: a key is secret: true when a target holds it write-only (GitHub secrets, Netlify is_secret)
or its name contains TOKEN, SECRET, PASSWORD or KEY; the manifest's comment says which rule.
--seed writes the source's non-secret values to seed.env beside the manifest (mode 0644: it holds
no secret and is meant to be committed like the manifest); secret values are never written.`;

export function addInitCommands(
  program: Command,
  kit: CommandKit,
  manifestFlag: () => string | undefined,
): void {
  program
    .command('init')
    .description(
      `write a manifest (${DEFAULT_MANIFEST}) from what the targets hold: keys, routing, secrets; never values`,
    )
    .option('--render-service <id>', 'the Render service (default: RENDER_SERVICE_ID)')
    .option('--netlify-site <id>', 'the Netlify site (default: NETLIFY_SITE_ID)')
    .option(
      '--netlify-context <context>',
      "the Netlify context read and written (default: production, which also sees the 'all' values)",
    )
    .option(
      '--github-repo <owner/repo>',
      'the GitHub repository, its secrets and variables (default: GITHUB_REPO)',
    )
    .option(
      '--source <id>',
      'the target whose values are the truth (default: render when found, else the first)',
    )
    .option(
      '--prefer <side>',
      'first sync, for keys that differ: source (overwrite targets) or destination (keep theirs)',
    )
    .option('--seed', "also write the source's non-secret values to seed.env beside the manifest")
    .option('--write-seed-file', 'the same as --seed')
    .option('--force', 'replace an existing manifest (and seed.env)')
    .addHelpText('after', PREFER_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { writeSeedFile, ...rest } = opts;
      const result = await runInit(
        kit.io,
        { ...rest, seed: rest['seed'] === true || writeSeedFile === true },
        manifestFlag(),
      );
      if (kit.wantsJson()) kit.json(initJson(result));
      else kit.out(initText(result, kit.io.cwd, manifestFlag() !== undefined));
      kit.setExit(EXIT.ok);
    });
}

function initJson(r: InitResult): Record<string, unknown> {
  return {
    manifest: r.manifestPath,
    seed: r.seedPath ?? null,
    source: r.sourceId,
    prefer: r.prefer,
    targets: r.targets,
    keys: r.draft.keys.map((k) => ({
      name: k.name,
      secret: k.secret,
      secret_rule: k.secretRule ?? null,
      held_by: k.holders,
      targets: k.targets ?? null,
      differs_on: k.differs,
      unknown_on: k.unknown,
      kept_on: k.kept,
    })),
    left_out: r.draft.leftOut,
    seeded: r.seeded,
    seed_skipped: r.seedSkipped,
    shadowed_by: r.shadowedBy,
  };
}

/** One cell of the keys × targets table. */
function cell(k: DraftKey, id: string): string {
  if (k.kept.includes(id)) return 'kept';
  if (k.differs.includes(id)) return 'differs';
  if (k.unknown.includes(id)) return 'held?';
  return k.holders.includes(id) ? 'held' : '—';
}

function initText(r: InitResult, cwd: string, explicit: boolean): string {
  const ids = r.targets.map((t) => t.id);
  const lines = [`Wrote ${r.manifestPath}`];
  if (r.seedPath)
    lines.push(
      `Wrote ${r.seedPath}: ${r.seeded.length} non-secret values from ${r.sourceId} (secrets are never written)`,
    );
  if (r.seedSkipped.length > 0)
    lines.push(
      `  left out of the seed file (a line break or quoting dotenv cannot read back): ${r.seedSkipped.map(escapeName).join(', ')}`,
    );
  lines.push('', 'Targets read:');
  for (const t of r.targets)
    lines.push(
      `  ${t.id}${t.id === r.sourceId ? ' (source)' : ''}: ${t.label}, ${plural(t.keys, 'key', 'keys')}`,
    );
  lines.push('');
  if (r.draft.keys.length === 0) lines.push('No keys found.');
  else {
    lines.push(
      table([
        ['KEY', 'SECRET', ...ids],
        ...r.draft.keys.map((k) => [
          escapeName(k.name),
          k.secretRule ? (k.secretRule.rule === 'name' ? `yes (name)` : 'yes (write-only)') : 'no',
          ...ids.map((id) => cell(k, id)),
        ]),
      ]),
      "(held: the target has it; differs: its value is not the source's; held?: write-only, not comparable; kept: differs and keeps its value)",
    );
  }
  const elsewhere = r.draft.keys.filter((k) => !k.onSource);
  if (elsewhere.length > 0)
    lines.push(
      `Not on ${r.sourceId}, so not declared (named in a comment): ${elsewhere.map((k) => escapeName(k.name)).join(', ')}`,
    );
  for (const l of r.draft.leftOut) lines.push(`Left out ${escapeName(l.name)}: ${l.reason}`);
  const differing = r.draft.keys.filter((k) => k.differs.length > 0);
  lines.push('');
  if (differing.length === 0) lines.push(`No key differs between ${r.sourceId} and the other targets.`);
  else {
    lines.push(
      r.prefer === 'source'
        ? `${plural(differing.length, 'key differs', 'keys differ')} from ${r.sourceId}; the first sync overwrites ${differing.length === 1 ? 'it' : 'them'} there (--prefer source):`
        : `${plural(differing.length, 'key differs', 'keys differ')} from ${r.sourceId}; the targets keep their values (--prefer destination), left out of the keys' targets:`,
    );
    for (const k of differing) lines.push(`  ${escapeName(k.name)}: ${k.differs.join(', ')}`);
  }
  for (const other of r.shadowedBy)
    lines.push(`Warning: ${other} exists and is read before this manifest; remove it or pass --manifest.`);
  const manifestArg =
    explicit || path.dirname(r.manifestPath) !== cwd || path.basename(r.manifestPath) !== DEFAULT_MANIFEST
      ? `--manifest ${JSON.stringify(path.relative(cwd, r.manifestPath) || r.manifestPath)} `
      : '';
  lines.push(
    '',
    `Next: review the file, then run \`genesisctl ${manifestArg}env plan\` to see what the first sync would do.`,
  );
  return lines.join('\n');
}
