/**
 * The adapter registry: one adapter per provider, typed by provider id, so callers look an
 * adapter up (`adapterFor`) instead of switching over providers.
 */
import type { Adapters } from './adapter.ts';
import type { TransportOptions } from './api-client.ts';
import { dotenvAdapter } from './dotenv.ts';
import { createGitHubAdapter } from './github.ts';
import type { GitHubAdapterOptions } from './github.ts';
import { createNetlifyAdapter } from './netlify.ts';
import { createRenderAdapter } from './render.ts';
import type { RenderAdapter } from './render.ts';
import type { RemoteAdapterOptions } from './transport.ts';
import type { RenderAdapterOptions } from './render.ts';

export interface CreateAdaptersOptions extends TransportOptions {
  /**
   * `baseUrl` @default 'https://api.github.com' (Enterprise Server: `https://HOST/api/v3`).
   * `app`: GitHub App credentials, used instead of `token` when set.
   */
  readonly github: GitHubAdapterOptions;
  /** `token` is a Render API key. `baseUrl` @default 'https://api.render.com/v1' */
  readonly render: RenderAdapterOptions;
  /** `baseUrl` @default 'https://api.netlify.com/api/v1' */
  readonly netlify: RemoteAdapterOptions;
}

/** `Adapters`, with Render's adapter typed to show `redeploy`. */
export type ProviderAdapters = Adapters & { readonly render: RenderAdapter };

/**
 * Builds every adapter. Top-level transport options (`fetch`, `timeScale`, `retry`…) apply to all
 * three providers; the same option inside a provider's block wins for that provider.
 */
export function createAdapters(options: CreateAdaptersOptions): ProviderAdapters {
  const { github, render, netlify, ...shared } = options;
  return {
    github: createGitHubAdapter({ ...shared, ...github }),
    render: createRenderAdapter({ ...shared, ...render }),
    netlify: createNetlifyAdapter({ ...shared, ...netlify }),
    dotenv: dotenvAdapter,
  };
}

export type { Adapter, Adapters, Capabilities, WriteOp, WriteOutcome } from './adapter.ts';
export type { TransportOptions } from './api-client.ts';
export type { RetryOptions } from './http.ts';
export type { PaceBudget, Clock } from './pacer.ts';
export type { RemoteAdapterOptions } from './transport.ts';
export type { RenderAdapter } from './render.ts';
export type { GitHubAdapterOptions } from './github.ts';
export type { GitHubAppCredentials } from './github-app.ts';
export { parseAppPrivateKey } from './github-app.ts';
export * from './errors.ts';
