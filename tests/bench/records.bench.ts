/** Records: verifying an audit chain of 10,000 entries on a local Blobs server; the drift check's peak memory. */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { auditLog, entryHash } from '../../src/store/audit.ts';
import type { AuditEntry } from '../../src/store/audit.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

export async function benchAuditVerify(count = 10_000): Promise<BenchSection> {
  const blobs = await startLocalBlobs(await mkdtemp(path.join(tmpdir(), 'audit-bench-')));
  try {
    const store = blobs.store('audit');
    // Written directly (each entry chained to the one before), in parallel batches: appending
    // through the API 10,000 times would measure the writes, not the verification.
    let prev = '0'.repeat(64);
    const entries: AuditEntry[] = [];
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
      const entry = { ...body, hash: entryHash(body) };
      entries.push(entry);
      prev = entry.hash;
    }
    for (let i = 0; i < entries.length; i += 200) {
      await Promise.all(
        entries.slice(i, i + 200).map((e) => store.setJSON(`entries/${String(e.seq).padStart(12, '0')}`, e)),
      );
    }
    await store.setJSON('entries/head', { seq: count });
    const log = auditLog(store, () => new Date());
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      const result = await log.verify();
      times.push(performance.now() - start);
      if (!result.ok || result.entries !== count) throw new Error('the benchmark chain did not verify');
    }
    const t = median(times);
    return {
      title: `Audit chain: verify ${count.toLocaleString('en')} entries`,
      note: 'Median of 3 `audit verify` runs against a local BlobsServer (one list, one read and one SHA-256 per entry); on Netlify the reads go to the Blobs API instead of loopback.',
      headers: ['entries', 'median s', 'entries per second'],
      rows: [[count.toLocaleString('en'), (t / 1000).toFixed(2), (count / (t / 1000)).toFixed(0)]],
    };
  } finally {
    await blobs.close();
  }
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
