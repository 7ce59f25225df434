/**
 * No door waits on an event subscriber: published from a request, an event is stored and the
 * answer goes out; the delivery runs after it (Netlify's `context.waitUntil`) and is recorded.
 * Before, a subscriber that never answered held `/api/verify` for 16.6 s.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handleApi } from '../../src/api/index.ts';
import { apiHarness, TOKENS } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

const SECRET = `whsec_${Buffer.from('outbox-tests-secret-0123456789').toString('base64')}`;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((c) => c()));
});

/** A subscriber that answers 200 after `delayMs`. */
async function slowSubscriber(delayMs: number) {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      setTimeout(() => res.end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received: () => received };
}

describe('events are delivered after the response', () => {
  it('POST /api/verify answers before a slow subscriber does, and the delivery is recorded after', async () => {
    const subscriber = await slowSubscriber(1500);
    // The harness writes the manifest and files; handleApi builds its own deps from the same env.
    const harness: ApiHarness = await apiHarness(undefined, {
      ENVSYNC_WEBHOOK_URLS: subscriber.url,
      ENVSYNC_WEBHOOK_SECRET: SECRET,
    });
    cleanup.push(() => harness.close());
    const deferred: Promise<unknown>[] = [];
    const started = Date.now();
    const res = await handleApi(
      new Request('http://localhost/api/verify', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.admiral}`, 'content-type': 'application/json' },
        body: '{}',
      }),
      { env: harness.env },
      { waitUntil: (work) => deferred.push(work) },
    );
    const answeredIn = Date.now() - started;
    expect(res.status).toBe(200);
    expect(answeredIn).toBeLessThan(1500);
    expect(deferred.length).toBeGreaterThan(0);
    await Promise.all(deferred);
    expect(subscriber.received()).toBe(1);
    const events = (await harness.deps.records.events.list({ type: 'envsync.drift' })).items;
    const [delivery] = await harness.deps.records.events.deliveries(events[0]?.id ?? '');
    expect(delivery).toMatchObject({ ok: true, status: 200 });
    // Delivery state is part of the events listing.
    const listed = await harness.call('GET', '/api/events?type=envsync.drift', { token: TOKENS.architect });
    const items = listed.body['items'] as { deliveries: { ok: boolean; endpoint: string }[] }[];
    expect(items[0]?.deliveries).toEqual([expect.objectContaining({ ok: true, endpoint: subscriber.url })]);
  }, 30_000);
});
