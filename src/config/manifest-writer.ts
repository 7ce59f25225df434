/**
 * The files `genesisctl init` writes: the manifest as commented YAML (names only, never a value)
 * and, when asked, the seed file of non-secret values. Both are checked by reading them back.
 */
import { parse as parseDotenv } from 'dotenv';
import type { Draft, DraftKey } from '../core/manifest-draft.ts';

/** One target as the manifest declares it: its fields in order, and a comment for the first line. */
export interface TargetDeclaration {
  readonly id: string;
  readonly fields: readonly (readonly [string, string])[];
  readonly note?: string;
}

export interface ManifestText {
  readonly draft: Draft;
  readonly sourceId: string;
  readonly targets: readonly TargetDeclaration[];
  /** The seed file's name, relative to the manifest, when one was written. */
  readonly seed?: string;
  readonly prefer: 'source' | 'destination';
  /** How a target holds write-only values, for the comment of the rule (`a GitHub secret`). */
  readonly writeOnlyAs: (targetId: string) => string;
  readonly writtenAt: string;
}

/** YAML 1.2 plain scalars that would not read back as the same string. */
const RESERVED_SCALARS = new Set(['true', 'false', 'null', '~', 'yes', 'no', 'on', 'off', 'y', 'n']);

/** A string as a YAML scalar: plain when that reads back unchanged, else double-quoted (JSON is YAML). */
export function yamlString(text: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(text) && !RESERVED_SCALARS.has(text.toLowerCase());
  return plain ? text : JSON.stringify(text);
}

function list(ids: readonly string[]): string {
  return ids.join(', ');
}

function secretComment(key: DraftKey, writeOnlyAs: (t: string) => string): string {
  const rule = key.secretRule;
  if (!rule) return '';
  return rule.rule === 'write-only'
    ? `write-only: ${writeOnlyAs(rule.target)} on ${rule.target}`
    : `the name contains ${rule.word}`;
}

function keyComment(key: DraftKey, all: number, prefer: 'source' | 'destination'): string {
  const parts = [key.holders.length === all ? 'held by every target' : `held by ${list(key.holders)}`];
  if (key.differs.length > 0)
    parts.push(
      prefer === 'source'
        ? `differs on ${list(key.differs)}: the first sync overwrites it there (--prefer source)`
        : `differs on ${list(key.differs)}: kept there, left out of targets (--prefer destination)`,
    );
  if (key.unknown.length > 0) parts.push(`not comparable on ${list(key.unknown)} (write-only)`);
  return parts.join('; ');
}

function keyLines(key: DraftKey, text: ManifestText): string[] {
  const name = yamlString(key.name);
  const comment = keyComment(key, text.targets.length, text.prefer);
  const fields: string[] = [];
  if (key.secret) fields.push(`    secret: true # ${secretComment(key, text.writeOnlyAs)}`);
  if (key.targets) fields.push(`    targets: [${key.targets.map(yamlString).join(', ')}]`);
  return fields.length === 0 ? [`  ${name}: {} # ${comment}`] : [`  ${name}: # ${comment}`, ...fields];
}

/** The manifest `init` writes. Names only: a `DraftKey` carries no value. */
export function manifestYaml(text: ManifestText): string {
  const lines = [
    `# EnvSync manifest written by \`genesisctl init\` at ${text.writtenAt} from what the targets held.`,
    '# It names keys and routes; values stay on the targets (and, for non-secret ones, in the seed',
    '# file when --seed wrote one). Review it, then run `genesisctl env plan` to see the first sync.',
    'version: 1',
    '',
    '# Where values come from: the target read as the source (init --source chose it).',
    `source: ${yamlString(text.sourceId)}`,
  ];
  if (text.seed)
    lines.push(
      `# Non-secret values found on ${text.sourceId}; used when a command runs with --from manifest.`,
      `seed: ${yamlString(text.seed)}`,
    );
  lines.push('', 'targets:');
  for (const t of text.targets) {
    lines.push(`  ${yamlString(t.id)}:`);
    t.fields.forEach(([field, value], i) =>
      lines.push(`    ${field}: ${yamlString(value)}${i === 0 && t.note ? ` # ${t.note}` : ''}`),
    );
  }
  lines.push(
    '',
    '# Every key found. secret: true when a target holds it write-only (a GitHub secret, a Netlify',
    '# secret) or its name contains TOKEN, SECRET, PASSWORD or KEY: the comment says which rule.',
    '# targets: a key found on only some targets goes only there (and to the source); without it, a',
    '# key goes to every target that takes its kind (GitHub secrets or variables).',
  );
  const declared = text.draft.keys.filter((k) => k.onSource);
  if (declared.length === 0) lines.push('keys: {}');
  else {
    lines.push('keys:');
    for (const key of declared) lines.push(...keyLines(key, text));
  }
  const elsewhere = text.draft.keys.filter((k) => !k.onSource);
  if (elsewhere.length > 0) {
    lines.push(
      `# Found on targets but not on the source (${text.sourceId}): no sync can carry them, so they are`,
      '# not declared (a declared secret the source lacks stops every plan). Set them on the source, then',
      '# declare them:',
    );
    for (const key of elsewhere)
      lines.push(
        `#   ${yamlString(key.name)}: held by ${list(key.holders)}${key.secret ? `; secret (${secretComment(key, text.writeOnlyAs)})` : ''}`,
      );
  }
  lines.push(
    '',
    'policy:',
    '  deletions: never # init never deletes: managed | all once the manifest is trusted',
    '',
  );
  return lines.join('\n');
}

/**
 * How one value is written in a `.env` file so that dotenv reads it back unchanged. A value with a
 * line break is refused: a quoted one spanning lines could swallow the lines after it.
 */
function dotenvValue(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return undefined;
  const candidates = [`'${value}'`, `"${value}"`, `\`${value}\``, value];
  return candidates.find((c) => parseDotenv(`K=${c}`)['K'] === value);
}

/**
 * The seed file: `KEY=value` lines for the given (non-secret) values. A name dotenv cannot read,
 * or a value no quoting reads back unchanged, is left out and named in `skipped`.
 */
export function seedFileText(
  values: ReadonlyMap<string, string>,
  from: string,
): { text: string; written: string[]; skipped: string[] } {
  const lines = [
    `# Non-secret values read from ${from} by \`genesisctl init --seed\`; secrets are never written here.`,
  ];
  const written: string[] = [];
  const skipped: string[] = [];
  for (const [name, value] of [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const quoted = /^[\w.-]+$/.test(name) ? dotenvValue(value) : undefined;
    if (quoted === undefined) {
      skipped.push(name);
      continue;
    }
    lines.push(`${name}=${quoted}`);
    written.push(name);
  }
  const text = `${lines.join('\n')}\n`;
  // Read back whole: what a later sync --from manifest would take must be exactly these values.
  const back = new Map(Object.entries(parseDotenv(text)));
  if (back.size !== written.length || written.some((k) => back.get(k) !== values.get(k)))
    throw new Error('seed file did not read back as written; this is a bug in genesisctl init');
  return { text, written, skipped };
}
