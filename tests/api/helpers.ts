import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiDeps } from '../../src/api/deps.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import { routes } from '../../src/api/index.ts';
import { dispatch } from '../../src/api/router.ts';
import { digestToken } from '../../src/auth/tokens.ts';
import { runJournal } from '../../src/sync/background.ts';

export const TOKENS = {
  admiral: 'admiral-token-0123456789abcdef',
  architect: 'architect-token-0123456789abcd',
  viewer: 'viewer-token-0123456789abcdef0',
} as const;
export const WEBHOOK_SECRET = `whsec_${Buffer.from('render-webhook-secret-for-tests').toString('base64')}`;
export const CANARY = 'canary-api-c0ffee42';

export interface ApiHarness {
  readonly dir: string;
  readonly deps: ApiDeps;
  /** The environment the deps were built from (manifest, blobs, keys, tokens). */
  readonly env: Record<string, string>;
  call(
    method: string,
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string },
  ): Promise<{ status: number; body: Record<string, unknown>; text: string }>;
  close(): Promise<void>;
}

/** The API in-process over a real BlobsServer, with dotenv targets and three tokens. */
export async function apiHarness(
  manifest?: string,
  extraEnv: Record<string, string> = {},
): Promise<ApiHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'api-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    manifest ??
      'source: manifest\nseed: seed.env\ntargets:\n  web: { provider: dotenv, path: web.env }\n  api: { provider: dotenv, path: api.env }\n',
  );
  await writeFile(path.join(dir, 'seed.env'), `API_URL=https://api.example.com\nTOKEN=${CANARY}\n`);
  await writeFile(path.join(dir, 'web.env'), 'API_URL=https://old.example.com\n');
  await writeFile(path.join(dir, 'api.env'), 'API_URL=https://api.example.com\nEXTRA=1\n');
  const env = {
    ENVSYNC_MANIFEST: path.join(dir, 'envsync.manifest.yaml'),
    ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
    ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 5).toString('base64'),
    ENVSYNC_FINGERPRINT_KEY: 'api-tests',
    ENVSYNC_TOKENS: Object.entries(TOKENS)
      .map(([role, token]) => `${role}-token:${role}:${digestToken(token)}`)
      .join(','),
    RENDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...extraEnv,
  };
  const deps = await createApiDeps({
    env,
    background: async (journalId, d) => {
      await runJournal(d.ctx, await d.project(), journalId);
    },
  });
  return {
    dir,
    deps,
    env,
    async call(method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers['authorization'] = `Bearer ${options.token}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await dispatch(
        routes,
        new Request(`http://localhost${url}`, { method, headers, body }),
        deps,
      );
      const text = await res.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = {};
      }
      return { status: res.status, body: parsed, text };
    },
    close: () => deps.blobs.close(),
  };
}
