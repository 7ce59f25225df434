/**
 * The two network checks `genesisctl doctor` makes before it speaks HTTP: the API host resolves,
 * and a TCP connection to it opens. Apart, so a firewall (no connection) is told from a typo in
 * the URL (no address) and from a refused token (an answer).
 */
import { lookup } from 'node:dns/promises';
import { isIP, connect } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The host and port an API URL connects to (brackets of an IPv6 literal removed). */
export function endpointOf(apiUrl: string): Endpoint {
  const url = new URL(apiUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

export type NetworkAnswer =
  { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };

/** Rejects with `<what> timed out after N s` when `work` takes longer than `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** An IP literal needs no lookup; a name must resolve to at least one address. */
export async function resolveHost(host: string, timeoutMs: number): Promise<NetworkAnswer> {
  if (isIP(host) !== 0) return { ok: true, detail: `${host} is an IP address: nothing to look up` };
  try {
    const found = await withTimeout(lookup(host, { all: true }), timeoutMs, 'the lookup');
    const first = found[0];
    if (!first) return { ok: false, reason: 'no address' };
    return {
      ok: true,
      detail: `${host} resolves to ${first.address}${found.length > 1 ? ` (+${found.length - 1})` : ''}`,
    };
  } catch (error) {
    return { ok: false, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

/** Opens (and closes at once) a TCP connection: what a firewall would refuse or drop. */
export function connectTo(endpoint: Endpoint, timeoutMs: number): Promise<NetworkAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const done = (answer: NetworkAnswer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ ok: false, reason: `no answer within ${timeoutMs / 1000} s (dropped)` }),
    );
    socket.once('connect', () =>
      done({
        ok: true,
        detail: `connected to ${endpoint.host}:${endpoint.port} in ${Date.now() - started} ms`,
      }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, reason: error.code ?? error.message }),
    );
  });
}
