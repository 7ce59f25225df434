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
    ...sections.flatMap((s) => [`## ${s.title}`, '', s.note, '', markdownTable(s), '']),
  ].join('\n');
  await writeFile(file, text);
  return text;
}
