import sodium from 'libsodium-wrappers';
import { expect } from 'vitest';
import type { SandboxEndpoint } from '../../src/sandbox/index.ts';

/** A response read whole: status, headers, raw text and parsed JSON (undefined when empty). */
export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface Client {
  call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply<T>>;
  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<Reply<T>>;
  put<T = unknown>(path: string, body?: unknown): Promise<Reply<T>>;
  post<T = unknown>(path: string, body?: unknown): Promise<Reply<T>>;
  patch<T = unknown>(path: string, body?: unknown): Promise<Reply<T>>;
  delete<T = unknown>(path: string): Promise<Reply<T>>;
}

/** Talks to `baseUrl` over real HTTP; a string body is sent verbatim (for malformed JSON). */
export function client(baseUrl: string, token?: string): Client {
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  };
  return {
    call,
    get: (path, headers) => call('GET', path, undefined, headers),
    put: (path, body) => call('PUT', path, body),
    post: (path, body) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
  };
}

/** The control API of a sandbox, authorised with its admin token. */
export function adminClient(sandbox: SandboxEndpoint): Client {
  return client(`${sandbox.origin}/__sandbox`, sandbox.adminToken);
}

/** base64(crypto_box_seal(value, key)), as a GitHub client must send it. */
export async function seal(publicKeyBase64: string, value: string): Promise<string> {
  await sodium.ready;
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(value, key), sodium.base64_variants.ORIGINAL);
}

/** Asserts a reply conforms to the sandbox's contract for `method contractPath`. */
export function expectConforming(
  sandbox: SandboxEndpoint,
  method: string,
  contractPath: string,
  reply: Reply,
): void {
  const op = sandbox.contract.operation(method, contractPath);
  expect(op, `${method} ${contractPath} is in the contract`).toBeDefined();
  if (!op) return;
  expect(sandbox.contract.validateResponse(op, reply.status, reply.body)).toEqual([]);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
