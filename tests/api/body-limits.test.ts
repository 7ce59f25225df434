/**
 * The two doors that answer unauthenticated callers (the Render webhook and the background
 * hand-off) read at most their limit of a body, streaming, before any signature check: an
 * unsigned 200 MB body is abandoned after 64 KB (4 KB for the hand-off), never read whole.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBackgroundRequest } from '../../src/api/background-door.ts';
import { routes } from '../../src/api/index.ts';
import { dispatch } from '../../src/api/router.ts';
import { apiHarness } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

let api: ApiHarness;
beforeEach(async () => {
  api = await apiHarness();
});
afterEach(() => api.close());

/** A body of `total` bytes produced on demand, counting how much of it was pulled. */
function hugeBody(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      counter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, counter };
}

const TWO_HUNDRED_MB = 200 * 1024 * 1024;

describe('unauthenticated doors and oversized bodies', () => {
  it('the background hand-off stops reading at 4 KB and answers 413', async () => {
    const { stream, counter } = hugeBody(TWO_HUNDRED_MB);
    const request = new Request('http://localhost/.netlify/functions/sync-background', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const res = await runBackgroundRequest(request, api.deps);
    expect(res.status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(3 * 64 * 1024);
  });

  it('the Render webhook stops reading at 64 KB and answers 413, whatever length is declared', async () => {
    for (const declared of [undefined, '10']) {
      const { stream, counter } = hugeBody(TWO_HUNDRED_MB);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      };
      if (declared) headers['content-length'] = declared;
      const res = await dispatch(
        routes,
        new Request('http://localhost/api/hooks/render', {
          method: 'POST',
          headers,
          body: stream,
          duplex: 'half',
        } as RequestInit),
        api.deps,
      );
      expect(res.status).toBe(413);
      expect(counter.pulled).toBeLessThanOrEqual(4 * 64 * 1024);
    }
  });

  it('a declared length over the limit is refused before reading', async () => {
    const { stream, counter } = hugeBody(TWO_HUNDRED_MB);
    const res = await runBackgroundRequest(
      new Request('http://localhost/x', {
        method: 'POST',
        headers: { 'content-length': String(TWO_HUNDRED_MB) },
        body: stream,
        duplex: 'half',
      } as RequestInit),
      api.deps,
    );
    expect(res.status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(2 * 64 * 1024);
  });
});
