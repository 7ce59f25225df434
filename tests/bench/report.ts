/** The benchmark table format shared by every section, and the writer of docs/BENCHMARKS.md. */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';

export interface BenchSection {
  readonly title: string;
  readonly note: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function markdownTable(section: BenchSection): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(section.headers), line(section.headers.map(() => '---')), ...section.rows.map(line)].join(
    '\n',
  );
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export async function writeReport(file: string, sections: readonly BenchSection[]): Promise<string> {
  const text = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString()} on ${machine()}.`,
    'Rerun with `npm run bench`; it rewrites this file. Ratios are measured side by side in one run.',
    '',
    ...sections.flatMap((s) => sectionLines(s)),
  ].join('\n');
  await writeFile(file, text);
  return text;
}

function sectionLines(s: BenchSection, note = s.note): string[] {
  return [`## ${s.title}`, '', note, '', markdownTable(s), ''];
}

/**
 * Measures some sections again (`--only`) and replaces just those blocks in the report, matched by
 * title; a section not found is added at the end. Each says when it was measured, apart from the
 * date at the top.
 */
export async function replaceSections(
  file: string,
  sections: readonly { readonly name: string; readonly section: BenchSection }[],
): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const [head = '', ...blocks] = (await readFile(file, 'utf8')).split(/\n(?=## )/);
  const at = new Date().toISOString();
  for (const { name, section } of sections) {
    const note = `${section.note} (This section was measured on its own, ${at}, with \`npm run bench -- --only ${name}\`; the others are from the run dated at the top.)`;
    const block = sectionLines(section, note).join('\n');
    const index = blocks.findIndex((b) => b.startsWith(`## ${section.title}\n`));
    if (index >= 0) blocks[index] = block;
    else blocks.push(block);
  }
  const text = [head, ...blocks].join('\n');
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
  return text;
}
