import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import { parseAnchor } from '../../src/store/audit.ts';
import { openRecords } from '../../src/sync/records.ts';
import { eventBus, MAX_DELIVERY_PASSES } from '../../src/store/events.ts';
import type { EnvSyncEvent } from '../../src/store/events.ts';
import { localBlobs } from './helpers.ts';

const SECRET = `whsec_${Buffer.from('subscriber-secret-0123456789abcdef').toString('base64')}`;
let blobs: Awaited<ReturnType<typeof localBlobs>>;

/** A real subscriber: answers with the next status in `statuses` (then 200), verifying signatures. */
async function subscriber(statuses: number[]) {
  const received: { event: EnvSyncEvent; verified: boolean }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let verified: boolean;
      try {
        new Webhook(SECRET).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      received.push({ event: JSON.parse(body) as EnvSyncEvent, verified });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks?token=t0p`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

beforeEach(async () => {
  blobs = await localBlobs();
});
afterEach(() => blobs.close());

describe('events', () => {
  it('are stored in order and delivered signed (Standard Webhooks)', async () => {
    const sub = await subscriber([]);
    const bus = eventBus(
      blobs.store('events'),
      blobs.store('deliveries'),
      { urls: [sub.url], secret: SECRET, backoffMs: 1 },
      () => new Date(),
    );
    await bus.publish('envsync.init', 'c1', { targets: ['render'] });
    await bus.publish('envsync.commit', 'c1', { target: 'render', created: ['A'] });
    await bus.publish('envsync.drift', 'c2', { has_drift: true });
    const listed = (await bus.list()).items;
    expect(listed.map((e) => `${e.seq}:${e.type}`)).toEqual([
      '3:envsync.drift',
      '2:envsync.commit',
      '1:envsync.init',
    ]);
    expect(sub.received.map((r) => [r.event.type, r.verified])).toEqual([
      ['envsync.init', true],
      ['envsync.commit', true],
      ['envsync.drift', true],
    ]);
    expect((await bus.list({ correlationId: 'c1', type: 'envsync.commit' })).items).toHaveLength(1);
    const deliveries = await bus.deliveries(listed[0]?.id ?? '');
    expect(deliveries).toMatchObject([{ ok: true, attempts: 1, status: 200 }]);
    expect(deliveries[0]?.endpoint).not.toContain('t0p');
    await sub.close();
  });

  it('retries a failing subscriber; a subscriber that keeps failing is recorded, not thrown', async () => {
    const flaky = await subscriber([500, 503]);
    const down = await subscriber([500, 500, 500]);
    const bus = eventBus(
      blobs.store('events'),
      blobs.store('deliveries'),
      { urls: [flaky.url, down.url], secret: SECRET, backoffMs: 1 },
      () => new Date(),
    );
    const event = await bus.publish('envsync.commit', 'c', { target: 'render' });
    const records = await bus.deliveries(event.id);
    expect(records.map((r) => `${r.ok}:${r.attempts}:${r.status ?? '-'}`).sort()).toEqual([
      'false:3:500',
      'true:3:200',
    ]);
    expect(flaky.received.map((r) => r.event.id)).toEqual([event.id, event.id, event.id]);
    await Promise.all([flaky.close(), down.close()]);
  });

  it('publishing again with the same dedupe key stores and delivers nothing new', async () => {
    const sub = await subscriber([]);
    const bus = eventBus(
      blobs.store('events'),
      blobs.store('deliveries'),
      { urls: [sub.url], secret: SECRET, backoffMs: 1 },
      () => new Date(),
    );
    const a = await bus.publish('envsync.init', 'c', {}, 'c:init');
    const b = await bus.publish('envsync.init', 'c', {}, 'c:init');
    expect(b.id).toBe(a.id);
    expect((await bus.list()).items).toHaveLength(1);
    expect(sub.received).toHaveLength(1);
    await sub.close();
  });

  it('an attempt killed between storing the event and marking it done does not publish it twice', async () => {
    const sub = await subscriber([]);
    const store = blobs.store('events');
    // The first attempt dies on its last marker write, after the event is stored.
    let kill = true;
    const dying = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'setJSON') return Reflect.get(target, prop, receiver) as unknown;
        return (key: string, value: unknown, options?: object) => {
          if (kill && key.startsWith('dedupe/') && (value as { seq?: number }).seq !== undefined)
            return Promise.reject(new Error('killed'));
          return target.setJSON(key, value, options);
        };
      },
    });
    const options = { urls: [sub.url], secret: SECRET, backoffMs: 1 };
    await bus(dying, options).publish('envsync.drift', 'other', {});
    await expect(bus(dying, options).publish('envsync.init', 'c', { n: 1 }, 'c:init')).rejects.toThrow(
      'killed',
    );
    kill = false;
    await bus(store, options).publish('envsync.drift', 'later', {}); // another run appends meanwhile
    const resumed = await bus(store, options).publish('envsync.init', 'c', { n: 1 }, 'c:init');
    const again = await bus(store, options).publish('envsync.init', 'c', { n: 1 }, 'c:init');
    const listed = (await bus(store, options).list()).items;
    expect(listed.map((e) => `${e.seq}:${e.type}`)).toEqual([
      '3:envsync.drift',
      '2:envsync.init',
      '1:envsync.drift',
    ]);
    expect(resumed.seq).toBe(2);
    expect(again.id).toBe(resumed.id);
    // The dedupe digest is how it is found; it is not part of what is published.
    expect(listed.every((e) => !('dedupe' in e))).toBe(true);
    expect(sub.received.filter((r) => r.event.type === 'envsync.init')).toHaveLength(1);
    expect(sub.received.every((r) => !('dedupe' in r.event))).toBe(true);
    await sub.close();

    function bus(events: typeof store, delivery: typeof options) {
      return eventBus(events, blobs.store('deliveries'), delivery, () => new Date());
    }
  });

  it('keep one order under concurrent publishing', async () => {
    const bus = eventBus(blobs.store('events'), blobs.store('deliveries'), undefined, () => new Date());
    await Promise.all(Array.from({ length: 8 }, (_, i) => bus.publish('envsync.drift', `c${i}`, {})));
    expect((await bus.list()).items.map((e) => e.seq)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });
});

describe('events anchor the audit trail', () => {
  it("carry the audit chain's end as seq:hash, which audit verify --anchor accepts", async () => {
    const local = await localBlobs();
    try {
      const records = openRecords({
        blobs: local,
        snapshotKey: () => Buffer.alloc(32, 1),
        auditKey: () => Buffer.alloc(32, 2),
        fingerprint: fingerprinter('events-anchor'),
        now: () => new Date(),
      });
      await records.audit.append({
        action: 'sync',
        actor: 't',
        correlation_id: 'c1',
        targets: ['a'],
        outcome: 'ok',
      });
      const event = await records.events.publish('envsync.commit', 'c1', { target: 'a' });
      const anchor = parseAnchor(event.audit_head ?? '');
      expect(anchor).toEqual(await records.audit.head());
      expect((await records.audit.verify(anchor ? { anchor } : {})).ok).toBe(true);
    } finally {
      await local.close();
    }
  });
});

describe('delivery never follows a redirect', () => {
  it('a 307 to another address is a failed delivery, and the other address receives nothing', async () => {
    const elsewhere = await subscriber([]);
    const redirecting = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 307;
        res.setHeader('location', elsewhere.url);
        res.end();
      });
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hooks`;
    try {
      const bus = eventBus(
        blobs.store('events'),
        blobs.store('deliveries'),
        { urls: [url], secret: SECRET, backoffMs: 1, attempts: 2 },
        () => new Date(),
      );
      const event = await bus.publish('envsync.drift', 'c1', { has_drift: true });
      expect(elsewhere.received).toEqual([]);
      const [record] = await bus.deliveries(event.id);
      expect(record).toMatchObject({ ok: false, status: 307, attempts: 2 });
    } finally {
      await elsewhere.close();
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
  });
});

describe('the outbox', () => {
  it('an event a subscriber refused gets further rounds until acknowledged, then leaves the outbox', async () => {
    const sub = await subscriber([500, 500, 500]);
    try {
      const bus = eventBus(
        blobs.store('events'),
        blobs.store('deliveries'),
        { urls: [sub.url], secret: SECRET, backoffMs: 1 },
        () => new Date(),
      );
      const event = await bus.publish('envsync.drift', 'c1', { has_drift: true });
      expect((await bus.deliveries(event.id))[0]).toMatchObject({ ok: false, status: 500, attempts: 3 });
      expect(await bus.retryPending(5_000)).toBe(1);
      expect((await bus.deliveries(event.id))[0]).toMatchObject({ ok: true, status: 200 });
      expect(await bus.retryPending(5_000)).toBe(0); // acknowledged: nothing left
      expect(sub.received).toHaveLength(4);
    } finally {
      await sub.close();
    }
  });

  it(`an event no subscriber ever takes is given up after ${MAX_DELIVERY_PASSES} rounds`, async () => {
    const sub = await subscriber(Array<number>(100).fill(503));
    try {
      const bus = eventBus(
        blobs.store('events'),
        blobs.store('deliveries'),
        { urls: [sub.url], secret: SECRET, backoffMs: 1, attempts: 1 },
        () => new Date(),
      );
      await bus.publish('envsync.drift', 'c1', { has_drift: true });
      let rounds = 1;
      while ((await bus.retryPending(5_000)) > 0) rounds += 1;
      expect(rounds).toBe(MAX_DELIVERY_PASSES);
      expect(sub.received).toHaveLength(MAX_DELIVERY_PASSES);
    } finally {
      await sub.close();
    }
  });
});
