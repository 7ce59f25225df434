/**
 * A tiny real HTTP server on loopback that answers from a script, one step per request, for
 * testing `fetchWithRetry` over real sockets (resets included) without mocking `fetch`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  | { readonly reset: true }
  | { readonly stallMs: number; readonly then: Step };

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface ScriptedServer {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Steps still to play; when empty, every request gets 200 `{}`. */
  readonly script: Step[];
  close(): Promise<void>;
}

export async function startScriptedServer(script: Step[] = []): Promise<ScriptedServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const play = (step: Step): void => {
        if ('reset' in step) {
          req.socket.destroy();
          return;
        }
        if ('stallMs' in step) {
          setTimeout(() => play(step.then), step.stallMs);
          return;
        }
        const body = step.body === undefined ? '' : JSON.stringify(step.body);
        res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
        res.end(step.status === 204 ? undefined : body);
      };
      play(script.shift() ?? { status: 200, body: {} });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
