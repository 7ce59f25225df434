/**
 * `npm start` twice: the second start keeps the first one's tokens, keys and records (kept in
 * `.envsync/`), so a token saved in the page still works, and the sandbox's variables are
 * published for `genesisctl sandbox --print-env` only while it runs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runningSandboxEnv } from '../../src/cli/dev-session.ts';
import { startDevStack } from '../../src/cli/dev-stack.ts';

const ROOT = path.resolve('.');
const PORT = 8950 + Math.floor(Math.random() * 40);

async function call(url: string, token: string, method = 'GET') {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: method === 'POST' ? '{}' : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('npm start, stopped and started again', () => {
  it('a token of the first start works in the second, which shows the first one’s records', async () => {
    const stateDir = path.join(await mkdtemp(path.join(tmpdir(), 'restart-')), '.envsync');
    const first = await startDevStack({ repoRoot: ROOT, port: PORT, stateDir });
    let checkId: string;
    try {
      expect((await call(`${first.url}/api/whoami`, first.tokens.admiral)).status).toBe(200);
      const verified = await call(`${first.url}/api/verify`, first.tokens.architect, 'POST');
      expect(verified.status).toBe(200);
      checkId = String(verified.body['check_id']);
      const published = await runningSandboxEnv(stateDir);
      expect(published['ENVSYNC_MANIFEST']).toBe(path.join(ROOT, 'docs/examples/sandbox.manifest.yaml'));
      expect(published['ENVSYNC_BLOBS_URL']).toBe(first.env['ENVSYNC_BLOBS_URL']);
    } finally {
      await first.close();
    }
    expect(existsSync(path.join(stateDir, 'sandbox.json'))).toBe(false);
    await expect(runningSandboxEnv(stateDir)).rejects.toThrow(/No sandbox is running/);

    const second = await startDevStack({ repoRoot: ROOT, port: PORT, stateDir });
    try {
      expect((await call(`${second.url}/api/whoami`, first.tokens.admiral)).status).toBe(200);
      const history = await call(`${second.url}/api/history`, first.tokens.viewer);
      expect((history.body['items'] as { id: string }[]).map((c) => c.id)).toContain(checkId);
      for (const name of [
        'ENVSYNC_FINGERPRINT_KEY',
        'ENVSYNC_SNAPSHOT_KEY',
        'ENVSYNC_TOKENS',
        'RENDER_WEBHOOK_SECRET',
      ])
        expect(second.env[name], name).toBe(first.env[name]);
    } finally {
      await second.close();
    }
  }, 240_000);
});
