/**
 * The local stack `npm start` runs: the provider sandboxes seeded with drift, a Blobs server
 * shared by the functions and the CLI, and `netlify dev --offline` serving the functions and the
 * page, configured with fresh tokens and keys for the session.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { digestToken } from '../auth/tokens.ts';
import { copyVendor } from '../build/vendor.ts';
import { startLocalBlobs } from '../store/blobs.ts';
import { startDemoSandbox } from './sandbox-session.ts';
import type { SandboxSession } from './sandbox-session.ts';

export interface DevStack {
  readonly url: string;
  readonly tokens: { readonly admiral: string; readonly architect: string; readonly viewer: string };
  readonly webhookSecret: string;
  /** The environment the functions run with (and the CLI should, to share their records). */
  readonly env: Readonly<Record<string, string>>;
  readonly sandbox: SandboxSession;
  close(): Promise<void>;
}

export interface DevStackOptions {
  readonly repoRoot: string;
  /** @default 8888 */
  readonly port?: number;
  /** Blobs folder. @default `.envsync/blobs` under the repository */
  readonly blobsDir?: string;
  /** Where `netlify dev` writes its output. @default inherited */
  readonly log?: (chunk: string) => void;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

async function waitFor(
  url: string,
  headers: Record<string, string>,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`netlify dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`netlify dev did not answer ${url} within ${timeoutMs / 1000} s`);
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const port = options.port ?? 8888;
  const url = `http://localhost:${port}`;
  const sandbox = await startDemoSandbox();
  const blobs = await startLocalBlobs(options.blobsDir ?? path.join(options.repoRoot, '.envsync/blobs'));
  const tokens = { admiral: token('admiral'), architect: token('architect'), viewer: token('viewer') };
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const env: Record<string, string> = {
    ...sandbox.env,
    ENVSYNC_MANIFEST: path.join(options.repoRoot, 'docs/examples/sandbox.manifest.yaml'),
    ENVSYNC_BLOBS_URL: blobs.url,
    ENVSYNC_BLOBS_TOKEN: blobs.token,
    ENVSYNC_FINGERPRINT_KEY: randomBytes(24).toString('base64url'),
    ENVSYNC_TOKENS: Object.entries(tokens)
      .map(([role, t]) => `${role}-session:${role}:${digestToken(t)}`)
      .join(','),
    ENVSYNC_SITE_URL: url,
    RENDER_WEBHOOK_SECRET: webhookSecret,
    ...options.extraEnv,
  };
  await copyVendor(options.repoRoot); // the page's chart library, as the build ships it
  const netlify = path.join(options.repoRoot, 'node_modules/.bin/netlify');
  const child = spawn(
    netlify,
    ['dev', '--offline', '--internal-disable-edge-functions', '--port', String(port), '--no-open'],
    {
      cwd: options.repoRoot,
      env: { ...process.env, ...env, BROWSER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const forward = (chunk: Buffer) => options.log?.(chunk.toString());
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const close = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM'); // the whole group: netlify dev starts helpers of its own
      } catch {
        // already gone
      }
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await Promise.all([sandbox.close(), blobs.close()]);
  };
  try {
    await waitFor(`${url}/api/targets`, { authorization: `Bearer ${tokens.viewer}` }, child, 90_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, tokens, webhookSecret, env, sandbox, close };
}
