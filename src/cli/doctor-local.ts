/** Doctor's local checks: the snapshot and fingerprint keys, and the record store (a probe blob). */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { EnvConfig } from '../config/env.ts';
import { openBlobStores } from '../store/blobs.ts';
import { parseSnapshotKey } from '../store/encryption.ts';
import type { Check, CheckStatus } from './doctor-check.ts';
import type { CliEnvironment } from './context.ts';
import { errorText } from './doctor-check.ts';
import { connectTo, endpointOf, withTimeout } from './doctor-network.ts';

export function keyChecks(config: EnvConfig, root: string): Check[] {
  const checks: Check[] = [];
  let snapshotKeyOk = false;
  try {
    parseSnapshotKey(config.snapshotKey);
    snapshotKeyOk = true;
    checks.push({
      subject: 'keys',
      check: 'snapshot key',
      status: 'ok',
      detail: 'ENVSYNC_SNAPSHOT_KEY is 32 bytes',
    });
  } catch (error) {
    checks.push({ subject: 'keys', check: 'snapshot key', status: 'fail', detail: errorText(error) });
  }
  const fingerprint = config.fingerprintKey;
  if (fingerprint && fingerprint.length < 16)
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'warn',
      detail: `ENVSYNC_FINGERPRINT_KEY is ${fingerprint.length} characters: short keys make fingerprints of short values guessable`,
      fix: 'set it to 32 random bytes (`openssl rand -base64 32`), the same for the CLI and the functions',
    });
  else if (fingerprint)
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'ok',
      detail: `ENVSYNC_FINGERPRINT_KEY set (${fingerprint.length} characters)`,
    });
  else if (snapshotKeyOk)
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'ok',
      detail: 'derived from ENVSYNC_SNAPSHOT_KEY (ENVSYNC_FINGERPRINT_KEY unset)',
    });
  else
    checks.push({
      subject: 'keys',
      check: 'fingerprint key',
      status: 'warn',
      detail: `neither ENVSYNC_FINGERPRINT_KEY nor a valid ENVSYNC_SNAPSHOT_KEY: the CLI keys fingerprints from ${path.join(root, '.envsync', 'fingerprint.key')}, which the functions do not share`,
      fix: 'set ENVSYNC_FINGERPRINT_KEY (or ENVSYNC_SNAPSHOT_KEY) so the CLI and the functions agree',
    });
  return checks;
}

/** Writes a probe blob, reads it back and deletes it: what every sync does to its records. */
export async function recordStoreCheck(
  options: Pick<CliEnvironment, 'env'>,
  root: string,
  timeoutMs: number,
): Promise<Check> {
  const row = (status: CheckStatus, detail: string, fix?: string): Check => ({
    subject: 'records',
    check: 'read/write',
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  const sharedUrl = options.env['ENVSYNC_BLOBS_URL'];
  const fix = sharedUrl
    ? 'start the Blobs server ENVSYNC_BLOBS_URL names (`npm start` runs one), or unset ENVSYNC_BLOBS_URL to use .envsync/blobs'
    : 'check that the records folder is writable (ENVSYNC_BLOBS_DIR), or on Netlify that the site has Blobs';
  if (sharedUrl) {
    // The Blobs client retries a refused connection for half a minute; a TCP check says it at once.
    let endpoint;
    try {
      endpoint = endpointOf(sharedUrl);
    } catch {
      return row(
        'fail',
        'ENVSYNC_BLOBS_URL is not a URL',
        'set it to the Blobs server printed by `npm start`',
      );
    }
    const tcp = await connectTo(endpoint, timeoutMs);
    if (!tcp.ok)
      return row(
        'fail',
        `cannot connect to the record store at ${endpoint.host}:${endpoint.port} (${tcp.reason})`,
        fix,
      );
  }
  let blobs;
  try {
    blobs = await openBlobStores({
      directory: options.env['ENVSYNC_BLOBS_DIR'] ?? path.join(root, '.envsync', 'blobs'),
      env: options.env,
    });
  } catch (error) {
    return row('fail', `cannot open the record store: ${errorText(error)}`, fix);
  }
  try {
    const store = blobs.store('doctor');
    const key = `probe-${randomUUID()}`;
    const stamp = new Date().toISOString();
    await withTimeout(
      (async () => {
        await store.set(key, stamp, { onlyIfNew: true });
        const back = await store.get(key, { type: 'text' });
        await store.delete(key);
        if (back !== stamp) throw new Error('the probe blob read back differs from what was written');
      })(),
      timeoutMs * 2,
      'the record store',
    );
    return row('ok', `wrote, read back and deleted a probe blob in ${blobs.location}`);
  } catch (error) {
    return row('fail', `cannot use the record store at ${blobs.location}: ${errorText(error)}`, fix);
  } finally {
    await blobs.close().catch(() => undefined);
  }
}
