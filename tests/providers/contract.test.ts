/**
 * The adapter contract: every adapter, against its provider's sandbox over real HTTP, must list
 * past one page, create, update, delete, treat write-only values as such, map failures to the
 * named errors, and converge through rate limits, server errors and dropped connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Target } from '../../src/core/model.ts';
import { Secret } from '../../src/core/secret.ts';
import type { WriteOp, WriteOutcome } from '../../src/providers/adapter.ts';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderUnreachableError,
} from '../../src/providers/errors.ts';
import type { FaultKind } from '../../src/sandbox/index.ts';
import { ALL_HARNESSES, TIME_SCALE } from './harnesses.ts';
import type { AdapterHarness, Started } from './harnesses.ts';

const op = (key: string, value: string, action: WriteOp['action'] = 'create', secret = false): WriteOp => ({
  key,
  action,
  value: new Secret(value),
  secret,
});

const keys = (n: number) => Array.from({ length: n }, (_, i) => `K_${String(i + 1).padStart(3, '0')}`);

function expectAllOk(outcomes: readonly WriteOutcome[]): void {
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [`${o.key}: ${o.error.name}: ${o.error.message}`]));
  expect(failures).toEqual([]);
}

const RETRIED_FAULTS: readonly FaultKind[] = ['429', '429-no-retry-after', '500', '502', '503', 'reset'];

export function describeAdapterContract<T extends Target>(harness: AdapterHarness<T>): void {
  describe(`${harness.name} adapter contract`, () => {
    let started: Started<T> | undefined;
    const start = async (seed: Record<string, string> = {}): Promise<Started<T>> => {
      started = await harness.start(seed);
      return started;
    };
    afterEach(async () => {
      // No response the sandbox sent broke the contract, and none of our requests was refused as malformed.
      expect(started?.endpoint.violations ?? []).toEqual([]);
      expect(
        started?.endpoint.log.entries.filter(
          (e) => e.status === 400 || e.status === 422 || e.status === 405,
        ) ?? [],
      ).toEqual([]);
      await started?.close();
      started = undefined;
    });

    it('lists every key, following pages to the end', async () => {
      const names = keys((harness.pageSize ?? 20) + 7);
      const { adapter, target } = await start(Object.fromEntries(names.map((k) => [k, `value of ${k}`])));
      const listed = await adapter.list(target);
      expect([...listed.keys()].sort()).toEqual(names);
      for (const [key, value] of listed) {
        if (harness.readable) {
          expect(value.kind).toBe('value');
          if (value.kind === 'value') expect(value.value.reveal()).toBe(`value of ${key}`);
        } else {
          expect(value).toEqual({ kind: 'write-only', updatedAt: expect.any(String) as string });
        }
      }
    });

    it('reads one key, and nothing for a key that is not there', async () => {
      const { adapter, target } = await start({ ONE: 'first' });
      const one = await adapter.read(target, 'ONE');
      expect(one?.kind).toBe(harness.readable ? 'value' : 'write-only');
      if (one?.kind === 'value') expect(one.value.reveal()).toBe('first');
      expect(await adapter.read(target, 'NOT_THERE')).toBeUndefined();
    });

    it('creates keys', async () => {
      const { adapter, target, stored } = await start({ KEEP: 'kept' });
      const outcomes = await adapter.write(target, [
        op('NEW_ONE', 'v1 with spaces & symbols=/+'),
        op('NEW_TWO', 'multi\nline'),
      ]);
      expectAllOk(outcomes);
      expect(outcomes.map((o) => o.key)).toEqual(['NEW_ONE', 'NEW_TWO']);
      expect(stored()).toEqual({
        KEEP: 'kept',
        NEW_ONE: 'v1 with spaces & symbols=/+',
        NEW_TWO: 'multi\nline',
      });
    });

    it('updates a key and leaves the others alone', async () => {
      const { adapter, target, stored } = await start({ CHANGE: 'old', KEEP: 'kept' });
      expectAllOk(await adapter.write(target, [op('CHANGE', 'new', 'update')]));
      expect(stored()).toEqual({ CHANGE: 'new', KEEP: 'kept' });
    });

    it('removes keys; a key already gone is not an error', async () => {
      const { adapter, target, stored } = await start({ GONE: 'x', KEEP: 'kept' });
      expectAllOk(await adapter.remove(target, ['GONE', 'NEVER_EXISTED']));
      expect(stored()).toEqual({ KEEP: 'kept' });
    });

    it.runIf(harness.reportsUpdatedAt)("reports each written key's updated_at", async () => {
      const { adapter, target } = await start();
      const outcomes = await adapter.write(target, [op('STAMPED', 'v')]);
      expectAllOk(outcomes);
      const listed = (await adapter.list(target)).get('STAMPED');
      expect(outcomes[0]).toMatchObject({ ok: true, updatedAt: listed?.updatedAt });
      expect(Number.isNaN(Date.parse(listed?.updatedAt ?? ''))).toBe(false);
    });

    it('tells progress of every key as it finishes, as it returns them', async () => {
      const { adapter, target } = await start({ OLD: 'o', GONE: 'g' });
      const told: WriteOutcome[] = [];
      const progress = (outcome: WriteOutcome) => {
        told.push(outcome);
        return Promise.resolve();
      };
      const written = await adapter.write(target, [op('FRESH', 'f'), op('OLD', 'o2', 'update')], progress);
      expectAllOk(written);
      // Progress comes as each request finishes; timestamps may be added to the returned outcomes after.
      const brief = (o: WriteOutcome) => `${o.key}:${String(o.ok)}`;
      expect(told.map(brief).sort()).toEqual(written.map(brief).sort());
      told.length = 0;
      const removed = await adapter.remove(target, ['GONE'], progress);
      expect(told.map(brief)).toEqual(removed.map(brief));
    });

    it('maps a bad token to ProviderAuthError and never shows the value', async () => {
      const { adapterWith, target } = await start({ A: 'a' });
      const adapter = adapterWith({ token: 'wrong-token' });
      const error = await adapter.list(target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderAuthError);
      expect(error).toMatchObject({ name: 'ProviderAuthError', status: 401, provider: target.provider });

      const value = 'Sup3r-S3cret-value';
      const written = await adapter.write(target, [op('A', value, 'update')]).catch((e: unknown) => e);
      const errors = Array.isArray(written)
        ? (written as WriteOutcome[]).flatMap((o) => (o.ok ? [] : [o.error]))
        : [written];
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e).toBeInstanceOf(ProviderAuthError);
        expect(`${String(e)} ${JSON.stringify(e)} ${(e as Error).stack ?? ''}`).not.toContain(value);
      }
    });

    it('maps a missing resource to ProviderNotFoundError', async () => {
      const { adapter, missingTarget } = await start();
      const error = await adapter.list(missingTarget).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderNotFoundError);
      expect(error).toMatchObject({ name: 'ProviderNotFoundError', status: 404 });
    });

    it('names the host when it cannot be reached', async () => {
      const { adapterWith, target } = await start();
      const adapter = adapterWith({
        baseUrl: 'http://127.0.0.1:1/api',
        retry: { maxAttempts: 2, baseDelayMs: 1 },
      });
      const error = await adapter.list(target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderUnreachableError);
      expect(error).toMatchObject({ host: '127.0.0.1:1', provider: target.provider });
      expect((error as Error).message).toMatch(/cannot reach 127\.0\.0\.1:1.*firewall.*_API_URL/s);
    });

    it.each(RETRIED_FAULTS)('converges through %s on a write', async (fault) => {
      const { adapter, target, stored, endpoint } = await start({ CHANGE: 'old' });
      const { method, route } = harness.updateRoute;
      endpoint.faults = {
        sequence: [fault, fault],
        match: { methods: [method], routes: [route] },
        retryAfterSeconds: 1,
      };
      expectAllOk(await adapter.write(target, [op('CHANGE', 'new', 'update')]));
      expect(stored()).toEqual({ CHANGE: 'new' });
      const tries = endpoint.log.entries.filter((e) => e.method === method && e.path === route);
      expect(tries.map((e) => e.fault ?? e.status)).toEqual([fault, fault, expect.any(Number) as number]);
    });

    it.each(RETRIED_FAULTS)('converges through %s on a list', async (fault) => {
      const { adapter, target, endpoint } = await start({ A: 'a' });
      endpoint.faults = { sequence: [fault], match: { methods: ['GET'] }, retryAfterSeconds: 1 };
      expect([...(await adapter.list(target)).keys()]).toEqual(['A']);
    });

    it('waits as long as Retry-After says before trying again', async () => {
      const { adapter, target, endpoint } = await start({ CHANGE: 'old' });
      const { method, route } = harness.updateRoute;
      endpoint.faults = {
        sequence: ['429'],
        match: { methods: [method], routes: [route] },
        retryAfterSeconds: 5,
      };
      expectAllOk(await adapter.write(target, [op('CHANGE', 'new', 'update')]));
      const [refused, accepted] = endpoint.log.entries.filter((e) => e.method === method && e.path === route);
      expect(refused?.fault).toBe('429');
      // 5 provider seconds at TIME_SCALE; arrival times are whole milliseconds.
      expect((accepted?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(5_000 * TIME_SCALE - 1);
    });
  });
}

for (const harness of ALL_HARNESSES) describeAdapterContract(harness as AdapterHarness<Target>);
