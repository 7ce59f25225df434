/** Records: verifying an audit chain of 10,000 entries on a local Blobs server; the drift check's peak memory. */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { auditLog, entryHash } from '../../src/store/audit.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { seedStore } from './blobs-seed.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const KEY = Buffer.alloc(32, 11);
const sign = (what: string) => createHmac('sha256', KEY).update(what).digest('hex');

/** `count` signed entries and their head, as the audit log writes them; optionally a checkpoint at the end. */
function chain(count: number, checkpoint: boolean): Map<string, string> {
  const files = new Map<string, string>();
  let prev = '0'.repeat(64);
  for (let seq = 1; seq <= count; seq++) {
    const body = {
      action: 'sync' as const,
      actor: 'bench',
      correlation_id: `c${seq}`,
      targets: ['render'],
      outcome: 'ok' as const,
      seq,
      at: new Date(seq * 1000).toISOString(),
      prev_hash: prev,
    };
    const hash = entryHash(body);
    files.set(
      `entries/${String(seq).padStart(12, '0')}`,
      JSON.stringify({ ...body, hash, mac: sign(`entry:${hash}`) }),
    );
    prev = hash;
  }
  files.set('entries/head', JSON.stringify({ seq: count, hash: prev, mac: sign(`head:${count}:${prev}`) }));
  if (checkpoint)
    files.set(
      'checkpoints/latest',
      JSON.stringify({ seq: count, hash: prev, mac: sign(`checkpoint:${count}:${prev}`) }),
    );
  return files;
}

/**
 * The audit chain: a full verify of 10,000 entries, and what an incremental verify costs — 100 new
 * entries on a 100,000-entry chain with a signed checkpoint, beside a chain of 100 entries alone.
 */
export async function benchAuditVerify(): Promise<BenchSection> {
  const dirs: string[] = [];
  const open = async (files: Map<string, string>) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'audit-bench-'));
    dirs.push(dir);
    await seedStore(dir, 'audit', files);
    return startLocalBlobs(dir);
  };
  const rows: string[][] = [];
  try {
    // Full: 10,000 entries.
    const full = await open(chain(10_000, false));
    const fullLog = auditLog(
      full.store('audit'),
      () => new Date(),
      () => KEY,
    );
    const fullTimes: number[] = [];
    let fullReads = 0;
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      const result = await fullLog.verify({ full: true });
      fullTimes.push(performance.now() - start);
      fullReads = result.reads;
      if (!result.ok || result.entries !== 10_000) throw new Error('the benchmark chain did not verify');
    }
    await full.close();
    const t = median(fullTimes);
    rows.push([
      'full (`--full`)',
      '10,000',
      '10,000',
      String(fullReads),
      `${(t / 1000).toFixed(2)} s`,
      '',
      '',
    ]);

    // Incremental: 100 new entries after a checkpoint at 100,000, beside a 100-entry chain.
    const big = await open(chain(100_000, true));
    const small = await open(new Map());
    const bigLog = auditLog(
      big.store('audit'),
      () => new Date(),
      () => KEY,
    );
    const smallLog = auditLog(
      small.store('audit'),
      () => new Date(),
      () => KEY,
    );
    const bigTimes: number[] = [];
    const smallTimes: number[] = [];
    let bigReads = 0;
    let smallReads = 0;
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 100; n++) {
        await bigLog.append({
          action: 'audit',
          actor: 'bench',
          correlation_id: `b${round}-${n}`,
          targets: [],
          outcome: 'ok',
        });
        await smallLog.append({
          action: 'audit',
          actor: 'bench',
          correlation_id: `s${round}-${n}`,
          targets: [],
          outcome: 'ok',
        });
      }
      // The same 100 new entries: on a long chain from its checkpoint, and a chain of 100 alone
      // (its first verify reads all of it; later rounds from its own checkpoint, like the big one).
      let start = performance.now();
      const b = await bigLog.verify();
      bigTimes.push(performance.now() - start);
      start = performance.now();
      const s = round === 0 ? await smallLog.verify({ full: true }) : await smallLog.verify();
      smallTimes.push(performance.now() - start);
      if (!b.ok || b.mode !== 'incremental' || b.entries !== 100 || !s.ok || s.entries !== 100)
        throw new Error('the incremental benchmark did not verify 100 new entries');
      bigReads = b.reads;
      smallReads = s.reads;
    }
    await big.close();
    await small.close();
    const bt = median(bigTimes);
    const st = median(smallTimes);
    rows.push([
      'incremental (default)',
      '100,000 + 100',
      '100',
      String(bigReads),
      `${bt.toFixed(1)} ms`,
      (bt / st).toFixed(2),
      `≤ 2: ${bt / st <= 2 ? 'met' : 'missed'}`,
    ]);
    rows.push(['a chain of 100 alone', '100', '100', String(smallReads), `${st.toFixed(1)} ms`, '1.00', '']);
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
  return {
    title: 'Audit chain: verify, full and from a signed checkpoint',
    note:
      'Against a local BlobsServer; each entry signed with the audit key, as deployed. Full: one listing, one read and one SHA-256 + HMAC per entry, median of 3. Incremental: a verify that finds nothing wrong leaves a checkpoint signed with the audit key; the next reads the checkpoint, the head, the checkpoint’s entry (still as verified?) and only the entries after it, by number, without a listing. ' +
      '100 new entries on a 100,000-entry chain beside a chain that holds only those 100, median of 5 rounds measured in alternation. "Reads" are Blobs requests (each an HTTP request on Netlify), the new checkpoint included. An entry changed before the checkpoint is found by `audit verify --full` (or when the checkpoint’s own entry changed, which sends the verify to the whole chain).',
    headers: ['verify', 'chain', 'entries checked', 'reads', 'median', 'ratio to 100 alone', 'goal'],
    rows,
  };
}

/** Peak RSS of a process running the scheduled drift check (3 targets × 200 keys on the sandbox). */
export async function benchDriftMemory(): Promise<BenchSection> {
  const run = promisify(execFile);
  const rss: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.resolve('tests/bench/drift-memory.ts')],
      { timeout: 120_000 },
    );
    rss.push(Number(stdout.trim()));
  }
  const peak = median(rss);
  return {
    title: 'Drift-check function: peak memory',
    note: "Peak resident set (`process.resourceUsage().maxRSS`) of a Node process that loads the scheduled function's code and runs one drift check of 3 targets × 200 keys against the sandbox (which runs in a separate process), median of 3. Netlify functions get 1,024 MB.",
    headers: ['peak RSS MB'],
    rows: [[(peak / 1024).toFixed(0)]],
  };
}
