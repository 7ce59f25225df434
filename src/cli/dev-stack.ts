/**
 * The local stack `npm start` runs: the provider sandboxes seeded with drift, a Blobs server
 * shared by the functions and the CLI, and `netlify dev --offline` serving the functions and the
 * page, with the keys, tokens and records kept in `.envsync/` from one start to the next.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { digestToken } from '../auth/tokens.ts';
import { copyVendor } from '../build/vendor.ts';
import { startLocalBlobs } from '../store/blobs.ts';
import { localFingerprintKey } from './context.ts';
import { devSecrets, publishSandboxEnv } from './dev-session.ts';
import type { DevSecrets } from './dev-session.ts';
import { startDemoSandbox } from './sandbox-session.ts';
import type { SandboxSession } from './sandbox-session.ts';

export interface DevStack {
  readonly url: string;
  readonly tokens: { readonly admiral: string; readonly architect: string; readonly viewer: string };
  readonly webhookSecret: string;
  /** The environment the functions run with (and the CLI should, to share their records). */
  readonly env: Readonly<Record<string, string>>;
  readonly sandbox: SandboxSession;
  /** Where the keys, tokens and `sandbox.env` are kept. */
  readonly stateDir: string;
  close(): Promise<void>;
}

export interface DevStackOptions {
  readonly repoRoot: string;
  /** @default 8888 */
  readonly port?: number;
  /** Blobs folder. @default `blobs` in the state folder */
  readonly blobsDir?: string;
  /** Where keys, tokens and the running sandbox's variables are kept. @default `.envsync` under the repository */
  readonly stateDir?: string;
  /** Where `netlify dev` writes its output. @default inherited */
  readonly log?: (chunk: string) => void;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

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

/** The environment of the functions and the CLI: the sandbox's, the shared Blobs, the kept keys and tokens. */
export function devStackEnv(input: {
  readonly repoRoot: string;
  readonly url: string;
  readonly secrets: DevSecrets;
  readonly fingerprintKey: string;
  readonly sandboxEnv: Readonly<Record<string, string>>;
  readonly blobs: { readonly url: string; readonly token: string };
}): Record<string, string> {
  return {
    ...input.sandboxEnv,
    ENVSYNC_MANIFEST: path.join(input.repoRoot, 'docs/examples/sandbox.manifest.yaml'),
    ENVSYNC_BLOBS_URL: input.blobs.url,
    ENVSYNC_BLOBS_TOKEN: input.blobs.token,
    ENVSYNC_SNAPSHOT_KEY: input.secrets.snapshotKey,
    ENVSYNC_FINGERPRINT_KEY: input.fingerprintKey,
    ENVSYNC_TOKENS: Object.entries(input.secrets.tokens)
      .map(([role, t]) => `${role}-session:${role}:${digestToken(t)}`)
      .join(','),
    ENVSYNC_SITE_URL: input.url,
    RENDER_WEBHOOK_SECRET: input.secrets.webhookSecret,
  };
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const port = options.port ?? 8888;
  const url = `http://localhost:${port}`;
  const stateDir = options.stateDir ?? path.join(options.repoRoot, '.envsync');
  const secrets = await devSecrets(stateDir);
  const fingerprintKey = await localFingerprintKey(stateDir);
  const sandbox = await startDemoSandbox({ snapshotKey: secrets.snapshotKey });
  const blobs = await startLocalBlobs(options.blobsDir ?? path.join(stateDir, 'blobs'));
  const { tokens, webhookSecret } = secrets;
  const env: Record<string, string> = {
    ...devStackEnv({
      repoRoot: options.repoRoot,
      url,
      secrets,
      fingerprintKey,
      sandboxEnv: sandbox.env,
      blobs,
    }),
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
  let unpublish: (() => Promise<void>) | undefined;
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
    await Promise.all([sandbox.close(), blobs.close(), unpublish?.()]);
  };
  try {
    await waitFor(`${url}/api/targets`, { authorization: `Bearer ${tokens.viewer}` }, child, 90_000);
    unpublish = await publishSandboxEnv(stateDir, env);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, tokens, webhookSecret, env, sandbox, stateDir, close };
}
