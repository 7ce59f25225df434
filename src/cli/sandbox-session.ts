/**
 * The three provider sandboxes seeded with the demo drift scenario, and the environment that
 * points EnvSync at them: what `npm start` and `genesisctl sandbox` run.
 */
import { randomBytes } from 'node:crypto';
import { DEMO, DEMO_FIXTURE } from '../sandbox/demo.ts';
import { startSandbox } from '../sandbox/index.ts';
import type { Sandbox } from '../sandbox/index.ts';

export interface SandboxSession {
  readonly sandbox: Sandbox;
  /** Variables to export so `genesisctl` (and the functions) talk to the sandbox. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startDemoSandbox(
  options: {
    port?: { github?: number; render?: number; netlify?: number };
    /** A key kept between runs (`npm start`), so earlier snapshots still decrypt. @default a new one */
    snapshotKey?: string;
  } = {},
): Promise<SandboxSession> {
  const sandbox = await startSandbox({
    fixture: DEMO_FIXTURE,
    github: { tokens: [DEMO.tokens.github], ...(options.port?.github ? { port: options.port.github } : {}) },
    render: { tokens: [DEMO.tokens.render], ...(options.port?.render ? { port: options.port.render } : {}) },
    netlify: {
      tokens: [DEMO.tokens.netlify],
      ...(options.port?.netlify ? { port: options.port.netlify } : {}),
    },
  });
  const env = {
    GITHUB_API_URL: sandbox.github.url,
    GITHUB_TOKEN: DEMO.tokens.github,
    GITHUB_REPO: DEMO.githubRepo,
    RENDER_API_URL: sandbox.render.url,
    RENDER_API_KEY: DEMO.tokens.render,
    RENDER_SERVICE_ID: DEMO.renderServiceId,
    NETLIFY_API_URL: sandbox.netlify.url,
    NETLIFY_AUTH_TOKEN: DEMO.tokens.netlify,
    NETLIFY_SITE_ID: DEMO.netlifySiteId,
    ENVSYNC_SNAPSHOT_KEY: options.snapshotKey ?? randomBytes(32).toString('base64'),
  };
  return { sandbox, env, close: () => sandbox.close() };
}
