/**
 * The page and the API in one local HTTP server, as Netlify serves them: `public/` statically and
 * `/api/*` through the same route table the function door uses. For the page tests, the
 * screenshots and the benchmark (no `netlify dev` start-up).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ApiDeps } from '../../../src/api/deps.ts';
import { routes } from '../../../src/api/index.ts';
import { dispatch } from '../../../src/api/router.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function serveApi(
  req: IncomingMessage,
  res: ServerResponse,
  base: string,
  deps: ApiDeps,
  sent?: (url: string, body: string) => void,
) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  const body = await readBody(req);
  const response = await dispatch(
    routes,
    new Request(new URL(req.url ?? '/', base), {
      method: req.method ?? 'GET',
      headers,
      body: body ? new Uint8Array(body) : undefined,
    }),
    deps,
  );
  const bytes = Buffer.from(await response.arrayBuffer());
  sent?.(req.url ?? '', bytes.toString('utf8'));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(bytes);
}

async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string) {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  if (!file.startsWith(root + path.sep)) {
    res.writeHead(404).end('not found');
    return;
  }
  try {
    const data = await readFile(file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    res.end(data);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

/** Serves `publicDir` and the API on 127.0.0.1 (port 0: a free one). */
export async function startPageServer(options: {
  readonly deps: ApiDeps;
  readonly publicDir: string;
  readonly port?: number;
  /** Sees every API answer as it is sent (the canary checks read them all, whoever asked). */
  readonly sent?: (url: string, body: string) => void;
}): Promise<PageServer> {
  const root = path.resolve(options.publicDir);
  let base = '';
  const server = createServer((req, res) => {
    const handle = (req.url ?? '').startsWith('/api/')
      ? serveApi(req, res, base, options.deps, options.sent)
      : serveStatic(req, res, root);
    handle.catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
