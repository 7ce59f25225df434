/** Builds an adapter's API client from its credentials, its provider's defaults and the shared transport options. */
import { DEFAULT_USER_AGENT, createApiClient } from './api-client.ts';
import type { ApiClient, ClientAuth, TransportOptions } from './api-client.ts';
import type { RemoteProviderId } from './errors.ts';
import { Pacer } from './pacer.ts';
import type { PaceBudget } from './pacer.ts';
import type { ResetHeaderStyle } from './retry-policy.ts';

export interface ProviderDefaults {
  readonly provider: RemoteProviderId;
  readonly baseUrl: string;
  readonly budgets: readonly PaceBudget[];
  readonly concurrency: number;
  /** Writes in flight at once. @default concurrency */
  readonly writeConcurrency?: number;
  readonly resetHeader: ResetHeaderStyle;
  readonly apiUrlSetting: string;
  /** Headers besides `Authorization` and `User-Agent`. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface RemoteAdapterOptions extends TransportOptions {
  /** API token (Render: an API key). Sent only to `baseUrl`'s origin. */
  readonly token: string;
  /** API root, without a trailing slash; defaults to the provider's public API. */
  readonly baseUrl?: string;
}

/**
 * The pacer lives as long as the adapter: it is a record of the provider's budget for this
 * token (like a connection pool), not sync state, and two targets of one provider synced in
 * parallel must share it.
 */
export function clientFor(
  defaults: ProviderDefaults,
  options: RemoteAdapterOptions,
  /**
   * A credential that changes during the run (GitHub App), built from a client on the same pacer
   * that it uses for its own requests (`auth` left out: a bare client, with no Authorization).
   */
  authFor?: (clientWith: (auth?: ClientAuth) => ApiClient) => ClientAuth,
): ApiClient {
  const baseUrl = options.baseUrl ?? defaults.baseUrl;
  const share = options.paceShare?.(defaults.provider, baseUrl, options.token);
  const pacer = new Pacer({
    ...(share ? { share } : {}),
    budgets: options.budgets ?? defaults.budgets,
    concurrency: options.concurrency ?? defaults.concurrency,
    writeConcurrency: options.concurrency ?? defaults.writeConcurrency,
    timeScale: options.timeScale,
    clock: options.clock,
  });
  const clientWith = (auth?: ClientAuth): ApiClient =>
    createApiClient({
      provider: defaults.provider,
      baseUrl,
      headers: {
        ...defaults.headers,
        ...(authFor ? {} : { Authorization: `Bearer ${options.token}` }),
        'User-Agent': options.userAgent ?? DEFAULT_USER_AGENT,
      },
      resetHeader: defaults.resetHeader,
      pacer,
      apiUrlSetting: defaults.apiUrlSetting,
      transport: options,
      ...(auth ? { auth } : {}),
    });
  return clientWith(authFor?.(clientWith));
}
