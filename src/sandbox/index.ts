/**
 * EnvSync's provider sandboxes: real HTTP servers on loopback that follow the GitHub, Render and
 * Netlify contracts vendored in ./contracts/, share no code with the adapters, and add only
 * sandbox-only controls (in-process `inspect`, HTTP under `/__sandbox` with the admin token).
 */
import type { FaultConfig } from './faults.ts';
import type { GitHubSandboxOptions, GitHubSeed, GitHubSandbox } from './github.ts';
import { startGitHubSandbox } from './github.ts';
import type { NetlifySandboxOptions, NetlifySeed, NetlifySandbox } from './netlify.ts';
import { startNetlifySandbox } from './netlify.ts';
import type { RenderSandboxOptions, RenderSeed, RenderSandbox } from './render.ts';
import { startRenderSandbox } from './render.ts';

export { GitHubSandbox, gitHubContract, startGitHubSandbox } from './github.ts';
export type {
  GitHubInspector,
  GitHubLimits,
  GitHubSandboxOptions,
  GitHubScopeRef,
  GitHubSeed,
  GitHubTokenGrant,
} from './github.ts';
export { RenderSandbox, renderContract, startRenderSandbox } from './render.ts';
export type { RenderInspector, RenderLimits, RenderSandboxOptions, RenderSeed } from './render.ts';
export { NetlifySandbox, netlifyContract, startNetlifySandbox } from './netlify.ts';
export type {
  InspectedNetlifyEnvVar,
  NetlifyInspector,
  NetlifyLimits,
  NetlifySandboxOptions,
  NetlifySeed,
} from './netlify.ts';
export { FAULT_KINDS } from './faults.ts';
export type { FaultConfig, FaultKind } from './faults.ts';
export type { Contract, ContractOperation } from './contract.ts';
export type { ContractViolation } from './http.ts';
export type { RequestLog, RequestLogEntry } from './requestlog.ts';
export { SandboxEndpoint } from './endpoint.ts';

export type ProviderId = 'github' | 'render' | 'netlify';

/** A JSON fixture: what each provider holds when the sandbox starts. */
export interface SandboxFixture {
  github?: GitHubSeed;
  render?: RenderSeed;
  netlify?: NetlifySeed;
}

export interface StartSandboxOptions<P extends ProviderId = ProviderId> {
  fixture?: SandboxFixture;
  /** Which sandboxes to start. @default all three */
  providers?: readonly P[];
  /** Applies to every sandbox started here; see clock.ts. @default 1 */
  timeScale?: number;
  latencyMs?: number;
  faults?: FaultConfig;
  /** @default true */
  strictResponses?: boolean;
  host?: string;
  /** Per-provider options; they win over the shared ones above. */
  github?: Omit<GitHubSandboxOptions, 'seed'>;
  render?: Omit<RenderSandboxOptions, 'seed'>;
  netlify?: Omit<NetlifySandboxOptions, 'seed'>;
}

interface SandboxByProvider {
  github: GitHubSandbox;
  render: RenderSandbox;
  netlify: NetlifySandbox;
}

export type Sandbox<P extends ProviderId = ProviderId> = Pick<SandboxByProvider, P> & {
  /** Closes every sandbox that was started. */
  close(): Promise<void>;
};

/** Starts the requested sandboxes (all three by default), each on its own port, seeded from one fixture. */
export async function startSandbox<P extends ProviderId = ProviderId>(
  options: StartSandboxOptions<P> = {},
): Promise<Sandbox<P>> {
  const wanted = new Set<ProviderId>(options.providers ?? ['github', 'render', 'netlify']);
  const shared = {
    timeScale: options.timeScale,
    latencyMs: options.latencyMs,
    faults: options.faults,
    strictResponses: options.strictResponses,
    host: options.host,
  };
  const started: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(sandbox: T): T => {
    started.push(sandbox);
    return sandbox;
  };
  const closeAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.close()));
  };
  try {
    const result: Partial<SandboxByProvider> = {};
    if (wanted.has('github'))
      result.github = track(
        await startGitHubSandbox({ ...shared, ...options.github, seed: options.fixture?.github }),
      );
    if (wanted.has('render'))
      result.render = track(
        await startRenderSandbox({ ...shared, ...options.render, seed: options.fixture?.render }),
      );
    if (wanted.has('netlify'))
      result.netlify = track(
        await startNetlifySandbox({ ...shared, ...options.netlify, seed: options.fixture?.netlify }),
      );
    return { ...result, close: closeAll } as Sandbox<P>;
  } catch (error) {
    await closeAll();
    throw error;
  }
}
