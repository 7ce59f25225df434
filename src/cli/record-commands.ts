/** `genesisctl audit log|verify|doc` and `genesisctl snapshots list|show`. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/env.ts';
import { plural } from '../core/report.ts';
import { formatAnchor, parseAnchor } from '../store/audit.ts';
import { auditDoc } from './audit-doc.ts';
import { table } from './format.ts';
import { cursorOf, limitOf, nextPageHint } from './paging.ts';
import { escapeName } from '../core/names.ts';
import type { CommandKit } from './kit.ts';
import { EXIT } from './kit.ts';

/** A table cell from outside text: escaped before padding, so the columns stay straight. */
const cell = (text: string) => escapeName(text);

export function addRecordCommands(program: Command, kit: CommandKit): void {
  const audit = program
    .command('audit')
    .description('the audit trail: an append-only hash chain')
    .exitOverride();

  audit
    .command('log')
    .description('audit entries, newest first')
    .option('--limit <n>', 'at most this many (1 to 500)', '20')
    .option('--cursor <seq>', 'the page after this one: the --cursor the previous page printed')
    .option('--correlation-id <id>', 'only entries of one run')
    .action(async (opts: { limit: string; cursor?: string; correlationId?: string }) => {
      const limit = limitOf(opts.limit);
      const before = cursorOf('audit', opts.cursor);
      const s = await kit.session();
      const page = await s.ctx.records.audit.list({
        limit,
        correlationId: opts.correlationId,
        ...(before !== undefined ? { before } : {}),
      });
      if (kit.wantsJson()) kit.json(page);
      else if (page.items.length === 0) kit.out('The audit trail is empty.');
      else {
        const rows = page.items.map((e) => [
          `#${e.seq}`,
          e.at,
          e.action,
          e.outcome,
          cell(e.actor),
          cell(e.source ?? '—'),
          cell(e.targets.join(', ') || '—'),
          cell(e.correlation_id),
        ]);
        const filter = opts.correlationId ? ` --correlation-id ${cell(opts.correlationId)}` : '';
        kit.out(
          table([['SEQ', 'AT', 'ACTION', 'OUTCOME', 'ACTOR', 'FROM', 'TO', 'CORRELATION ID'], ...rows]) +
            nextPageHint(`genesisctl audit log${filter}`, limit, page.next),
        );
      }
      kit.setExit(EXIT.ok);
    });

  audit
    .command('verify')
    .description('check the hash chain and its signatures: exit 1 naming any entry edited or removed')
    .option(
      '--anchor <seq:hash>',
      'also prove the trail still holds this entry (the audit_head of an event, or of GITHUB_ENV_AUDIT.md)',
    )
    .option('--full', 'check every entry, not only those after the last signed checkpoint')
    .action(async (opts: { anchor?: string; full?: boolean }) => {
      const anchor = opts.anchor === undefined ? undefined : parseAnchor(opts.anchor);
      if (opts.anchor !== undefined && !anchor)
        throw new ConfigError(
          "--anchor takes <seq>:<hash>: the entry number, a colon and the 64 hex digits of its hash, as an event's audit_head or GITHUB_ENV_AUDIT.md prints it.",
        );
      const s = await kit.session();
      const result = await s.ctx.records.audit.verify({
        ...(anchor ? { anchor } : {}),
        ...(opts.full ? { full: true } : {}),
      });
      const head = result.head ? ` Head ${formatAnchor(result.head)}.` : '';
      const signed = result.signed
        ? ' Signatures checked.'
        : ' Signatures not checked: set ENVSYNC_SNAPSHOT_KEY (the audit key is derived from it).';
      if (kit.wantsJson()) kit.json(result);
      else if (result.ok)
        kit.out(
          `Audit trail intact: ${
            result.mode === 'incremental' && result.from
              ? `${plural(result.entries, 'entry', 'entries')} since the checkpoint at #${result.from.seq} verified (--full checks them all)`
              : `${plural(result.entries, 'entry', 'entries')}, chain verified`
          }.${anchor ? ` Anchor ${formatAnchor(anchor)} holds.` : ''}${signed}${head}`,
        );
      else
        kit.out(
          [
            `Audit trail BROKEN (${result.entries} entries):`,
            ...result.problems.map((p) => `  entry #${p.seq}: ${p.problem}`),
          ].join('\n'),
        );
      kit.setExit(result.ok ? EXIT.ok : EXIT.drift);
    });

  audit
    .command('doc')
    .description('write docs/audit/GITHUB_ENV_AUDIT.md from the latest sync and drift check')
    .option('-o, --out <file>', 'output file', 'docs/audit/GITHUB_ENV_AUDIT.md')
    .action(async (opts: { out: string }) => {
      const s = await kit.session();
      const text = await auditDoc(s.ctx.records, kit.io.env, s.ctx.now());
      const file = path.resolve(kit.io.cwd, opts.out);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      if (kit.wantsJson()) kit.json({ file });
      else kit.out(`Wrote ${file}.`);
      kit.setExit(EXIT.ok);
    });

  const snapshots = program
    .command('snapshots')
    .description('versioned, encrypted snapshots of targets')
    .exitOverride();

  snapshots
    .command('list')
    .description('snapshots, newest first')
    .option('-t, --target <id>', 'only snapshots of this target')
    .option('--limit <n>', 'at most this many (1 to 500)', '20')
    .option('--cursor <id>', 'the page after this one: the --cursor the previous page printed')
    .action(async (opts: { target?: string; limit: string; cursor?: string }) => {
      const limit = limitOf(opts.limit);
      const cursor = cursorOf('snapshot', opts.cursor);
      const s = await kit.session();
      const page = await s.ctx.records.snapshots.list({
        target: opts.target,
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      const rows = page.items.map(({ values: _sealed, ...meta }) => ({
        ...meta,
        keys: Object.keys(meta.variables).length,
        variables: undefined,
      }));
      if (kit.wantsJson()) kit.json({ items: rows, next: page.next });
      else if (rows.length === 0) kit.out('No snapshots yet: a sync writes one before its first write.');
      else {
        const filter = opts.target ? ` --target ${cell(opts.target)}` : '';
        kit.out(
          table([
            ['ID', 'PHASE', 'TAKEN', 'KEYS', 'RESTORABLE', 'CORRELATION ID'],
            ...rows.map((r) => [
              cell(r.id),
              r.phase,
              r.synced_at,
              String(r.keys),
              String(r.restorable.length),
              cell(r.correlation_id),
            ]),
          ]) + nextPageHint(`genesisctl snapshots list${filter}`, limit, page.next),
        );
      }
      kit.setExit(EXIT.ok);
    });

  snapshots
    .command('show')
    .description('one snapshot: names and fingerprints; values only with --include-values and the key')
    .argument('<id>', 'snapshot id')
    .option('--include-values', 'decrypt and show values (needs ENVSYNC_SNAPSHOT_KEY)')
    .action(async (id: string, opts: { includeValues?: boolean }) => {
      const s = await kit.session();
      const record = await s.ctx.records.snapshots.get(id);
      const { values: _sealed, ...meta } = record;
      const shown = opts.includeValues
        ? Object.fromEntries([...s.ctx.records.snapshots.values(record)].map(([k, v]) => [k, v.reveal()]))
        : undefined;
      if (kit.wantsJson()) kit.json({ ...meta, ...(shown ? { values: shown } : {}) });
      else {
        kit.out(
          `${meta.id}  ${meta.phase} of ${meta.target} (${meta.provider}) from ${meta.source} at ${meta.synced_at}`,
        );
        for (const [key, v] of Object.entries(meta.variables)) {
          kit.out(
            `  ${key}  ${shown?.[key] ?? v.fingerprint ?? (meta.restorable.includes(key) ? 'write-only (value held)' : 'write-only')}`,
          );
        }
      }
      kit.setExit(EXIT.ok);
    });
}
