/**
 * The Genesis Event Bus: `envsync.init`, `envsync.commit`, `envsync.drift`, … stored in order and
 * delivered to every subscriber in `ENVSYNC_WEBHOOK_URLS` as a Standard Webhooks POST, and to each
 * notification channel (Slack, JSON) in its own shape, through the same outbox. The event id is the
 * `webhook-id`, so a subscriber can drop repeats; a failed delivery is recorded and retried, and
 * never fails the sync. Payloads carry names and fingerprints, never values.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '@netlify/blobs';
import { Webhook } from 'standardwebhooks';
import { getJson, listKeys } from './blobs.ts';
import { appendInSequence, lastInSequence, listSequence, seqKey } from './sequence.ts';

export const EVENT_TYPES = [
  'envsync.init',
  'envsync.commit',
  'envsync.drift',
  'envsync.sweep',
  'envsync.sync_failed',
  'envsync.approval_needed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EnvSyncEvent {
  readonly id: string;
  readonly seq: number;
  readonly type: EventType;
  readonly timestamp: string;
  readonly correlation_id: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** The environment the event is about, once the manifest declares environments; absent today. */
  readonly environment?: string;
  /**
   * The audit chain's end when the event was published, `seq:hash`: each copy a subscriber keeps
   * anchors the trail (`genesisctl audit verify --anchor`), so it cannot be cut or rewritten unseen.
   */
  readonly audit_head?: string;
}

export interface DeliveryRecord {
  readonly event_id: string;
  /** The subscriber's origin and path; its query string may hold a token and is not kept. */
  readonly endpoint: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly status?: number;
  readonly error?: string;
  /** A notification receiver's answer when it is a bare code (Slack: `invalid_payload`, `no_text`). */
  readonly detail?: string;
  /** Refused for good (a 4xx other than 429 from a notification receiver): not sent again. */
  readonly final?: true;
  readonly at: string;
}

/** A subscriber that takes events in its own shape (a Slack or JSON notification), unsigned. */
export interface NotificationChannel {
  /**
   * What its delivery records name: the receiver's origin and the variable holding the URL. Never
   * the URL's path: for an incoming webhook, the path is the secret.
   */
  readonly label: string;
  readonly url: string;
  /** The body for this event, or undefined when the channel does not take it. */
  render(event: EnvSyncEvent): string | undefined;
}

export interface DeliveryOptions {
  readonly urls: readonly string[];
  /** The signing secret (`whsec_…` or base64), from ENVSYNC_WEBHOOK_SECRET. */
  readonly secret: string;
  /** @default 3 */
  readonly attempts?: number;
  /** Backoff base in ms; doubles per attempt. @default 500 */
  readonly backoffMs?: number;
  /** Per attempt. @default 5000 */
  readonly timeoutMs?: number;
  /** The longest `Retry-After` waited for within a pass; a longer one waits for the next pass. @default 10000 */
  readonly maxRetryAfterMs?: number;
  /** Notification channels, resolved when an event is first delivered (they come from the manifest). */
  readonly channels?: () => Promise<readonly NotificationChannel[]>;
  readonly fetch?: typeof fetch;
}

export interface EventBus {
  /** Stores the event (once per `dedupeKey`) and delivers it; resolves when delivery is settled. */
  publish(
    type: EventType,
    correlationId: string,
    data: Record<string, unknown>,
    dedupeKey?: string,
    options?: { readonly environment?: string },
  ): Promise<EnvSyncEvent>;
  list(options?: {
    limit?: number;
    before?: number;
    correlationId?: string;
    type?: EventType;
  }): Promise<{ items: EnvSyncEvent[]; next?: number }>;
  deliveries(eventId: string): Promise<DeliveryRecord[]>;
  /**
   * The outbox: delivers again, oldest first and until `deadlineMs` has passed, every event a
   * subscriber has not acknowledged yet (each pass is one round of attempts with backoff; after
   * MAX_DELIVERY_PASSES the event is given up on, its failed records kept). Returns how many
   * events it tried.
   */
  retryPending(deadlineMs: number): Promise<number>;
}

/** Rounds of delivery attempts an event gets (at publish, then by `retryPending`) before it is given up. */
export const MAX_DELIVERY_PASSES = 5;
const OUTBOX = 'outbox/';

const PREFIX = 'log/';

/**
 * Where a request may hand work that outlives its response (Netlify's `context.waitUntil`): inside
 * `deliverAfterResponse`, publishing stores the event and returns at once, and its delivery runs
 * there, so no door waits on a subscriber. Outside it (the CLI, the background run), publishing
 * delivers before it returns.
 */
const deferScope = new AsyncLocalStorage<(work: Promise<unknown>) => void>();

export function deliverAfterResponse<T>(
  waitUntil: ((work: Promise<unknown>) => void) | undefined,
  run: () => Promise<T>,
): Promise<T> {
  return waitUntil ? deferScope.run(waitUntil, run) : run();
}

/** How an event is stored: with the digest of its dedupe key, which is not published. */
type StoredEvent = EnvSyncEvent & { readonly dedupe?: string };
const published = ({ dedupe: _, ...event }: StoredEvent): EnvSyncEvent => event;
const endpointOf = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One POST of one event to one subscriber. */
interface Outgoing {
  /** What the record says (never a token or a secret path). */
  readonly endpoint: string;
  /** Names the record of this subscriber's delivery of the event. */
  readonly recordKey: string;
  readonly url: string;
  readonly body: string;
  headers(sentAt: Date): Record<string, string>;
  /** A notification receiver answers with a code worth keeping (Slack: `invalid_payload`). */
  readonly readsAnswer: boolean;
  readonly refusalIsFinal: boolean;
}

function webhooksFor(options: DeliveryOptions, event: EnvSyncEvent): Outgoing[] {
  if (options.urls.length === 0) return [];
  const webhook = new Webhook(options.secret);
  const body = JSON.stringify(event);
  return options.urls.map((url) => ({
    endpoint: endpointOf(url),
    recordKey: endpointOf(url),
    url,
    body,
    headers: (sentAt) => ({
      'content-type': 'application/json',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': webhook.sign(event.id, sentAt, body),
    }),
    readsAnswer: false,
    refusalIsFinal: false,
  }));
}

function notificationsFor(channels: readonly NotificationChannel[], event: EnvSyncEvent): Outgoing[] {
  return channels.flatMap((channel) => {
    const body = channel.render(event);
    if (body === undefined) return [];
    return [
      {
        endpoint: channel.label,
        recordKey: `notification:${channel.label}`,
        url: channel.url,
        body,
        headers: () => ({ 'content-type': 'application/json' }),
        readsAnswer: true,
        refusalIsFinal: true,
      },
    ];
  });
}

async function channelsOf(options: DeliveryOptions): Promise<readonly NotificationChannel[]> {
  try {
    return (await options.channels?.()) ?? [];
  } catch (error) {
    // The run that published has loaded the same manifest: a failure here is reported there.
    console.error(`[envsync] notifications are off for this event: ${(error as Error).name}`);
    return [];
  }
}

async function cancel(res: Response): Promise<Record<string, never>> {
  await res.body?.cancel();
  return {};
}

/** Slack answers `ok` or an error code as plain text; anything else (an echo, a page) is not kept. */
async function answerCode(res: Response): Promise<{ detail?: string }> {
  let text = '';
  try {
    // The first chunk is enough for a code; the rest of a long answer is not read.
    const reader = res.body?.getReader();
    const first = await reader?.read();
    if (first?.value) text = new TextDecoder().decode(first.value.slice(0, 256));
    await reader?.cancel();
  } catch {
    return {};
  }
  const code = text.trim();
  return res.ok || !/^[a-z][a-z0-9_]{0,63}$/.test(code) ? {} : { detail: code };
}

/** `Retry-After` in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function eventBus(
  events: Store,
  deliveries: Store,
  options: DeliveryOptions | undefined,
  now: () => Date,
  /** The audit chain's end as `seq:hash`, stamped on each event. */
  auditHead: () => Promise<string | undefined> = () => Promise.resolve(undefined),
): EventBus {
  async function deliver(event: EnvSyncEvent): Promise<void> {
    if (!options) return;
    const outgoing = [...webhooksFor(options, event), ...notificationsFor(await channelsOf(options), event)];
    if (outgoing.length === 0) return;
    const marker = `${OUTBOX}${event.id}`;
    const pending = await getJson<{ seq: number; passes: number }>(deliveries, marker);
    // In the outbox until every subscriber acknowledged it: a crash mid-delivery leaves it there.
    await deliveries.setJSON(marker, { seq: event.seq, passes: (pending?.passes ?? 0) + 1 });
    const doFetch = options.fetch ?? fetch;
    const delivered = await Promise.all(
      outgoing.map(async (out) => {
        const key = `${event.id}/${createHash('sha256').update(out.recordKey).digest('hex').slice(0, 16)}`;
        const done = await getJson<DeliveryRecord>(deliveries, key);
        // Delivered before a crash or retry: never twice. Refused for good (a 4xx): never again.
        if (done?.ok || done?.final) return true;
        const attempts = options.attempts ?? 3;
        let last: { status?: number; error?: string; detail?: string; final?: true } = {};
        let attempt = 1;
        for (; attempt <= attempts; attempt++) {
          const sentAt = now();
          let wait = (options.backoffMs ?? 500) * 2 ** (attempt - 1);
          try {
            const res = await doFetch(out.url, {
              method: 'POST',
              headers: out.headers(sentAt),
              body: out.body,
              // A redirect is a failure, never followed: the event goes only where configured.
              redirect: 'manual',
              signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
            });
            last = { status: res.status, ...(out.readsAnswer ? await answerCode(res) : await cancel(res)) };
            if (res.ok) break;
            if (out.refusalIsFinal && res.status >= 400 && res.status < 500 && res.status !== 429) {
              last = { ...last, final: true }; // invalid_payload, channel_not_found…: sending again cannot help
              break;
            }
            const after = retryAfterMs(res.headers.get('retry-after'));
            if (after !== undefined) {
              // Longer than a pass may wait: the next outbox pass tries again.
              if (after > (options.maxRetryAfterMs ?? 10_000)) break;
              wait = Math.max(wait, after);
            }
          } catch (error) {
            last = { error: (error as Error).name };
          }
          if (attempt < attempts) await sleep(wait);
        }
        const ok = last.status !== undefined && last.status >= 200 && last.status < 300;
        const record: DeliveryRecord = {
          event_id: event.id,
          endpoint: out.endpoint,
          ok,
          attempts: Math.min(attempt, attempts),
          ...last,
          at: now().toISOString(),
        };
        await deliveries.setJSON(key, record);
        return ok || last.final === true;
      }),
    );
    if (delivered.every(Boolean) || (pending?.passes ?? 0) + 1 >= MAX_DELIVERY_PASSES)
      await deliveries.delete(marker);
  }

  /** Delivers now, or after the response when the request can hand work on (see deferScope). */
  async function deliverOrDefer(event: EnvSyncEvent): Promise<void> {
    const defer = deferScope.getStore();
    if (!defer) return deliver(event);
    // A delivery that fails after the response is recorded by `deliver`; nothing to report here.
    defer(deliver(event).catch(() => undefined));
  }

  return {
    async publish(type, correlationId, data, dedupeKey, publishOptions = {}) {
      // A resumed sync publishes the same events again: the dedupe key makes that a no-op. Its
      // marker is written before the event (`after`: the log's end then) and completed after it
      // (`seq`), so an attempt killed in between leaves its event findable past `after`.
      const dedupe = dedupeKey ? createHash('sha256').update(dedupeKey).digest('hex') : undefined;
      const marker = dedupe && `dedupe/${dedupe}`;
      if (marker) {
        const seen = await getJson<{ seq?: number; after?: number }>(events, marker);
        let found: StoredEvent | undefined;
        if (seen?.seq !== undefined) found = await getJson<StoredEvent>(events, seqKey(PREFIX, seen.seq));
        else if (seen?.after !== undefined)
          for (let seq = seen.after + 1; !found; seq++) {
            const next = await getJson<StoredEvent>(events, seqKey(PREFIX, seq));
            if (!next) break;
            if (next.dedupe === dedupe) found = next;
          }
        if (found) {
          if (seen?.seq === undefined) await events.setJSON(marker, { seq: found.seq });
          const event = published(found);
          await deliverOrDefer(event);
          return event;
        }
        await events.setJSON(marker, { after: (await lastInSequence(events, PREFIX)).seq });
      }
      const head = await auditHead();
      const stored = await appendInSequence<StoredEvent>(events, PREFIX, (seq) => ({
        id: `evt_${String(seq).padStart(8, '0')}_${randomBytes(4).toString('hex')}`,
        seq,
        type,
        timestamp: now().toISOString(),
        correlation_id: correlationId,
        data,
        ...(publishOptions.environment ? { environment: publishOptions.environment } : {}),
        ...(head ? { audit_head: head } : {}),
        ...(dedupe ? { dedupe } : {}),
      }));
      if (marker) await events.setJSON(marker, { seq: stored.seq });
      const event = published(stored);
      await deliverOrDefer(event);
      return event;
    },
    async list(query = {}) {
      const page = await listSequence<StoredEvent>(events, PREFIX, {
        ...query,
        keep: (e) =>
          (!query.correlationId || e.correlation_id === query.correlationId) &&
          (!query.type || e.type === query.type),
      });
      return { ...page, items: page.items.map(published) };
    },
    async retryPending(deadlineMs) {
      const until = Date.now() + deadlineMs;
      const markers = await listKeys(deliveries, OUTBOX);
      const queued = await Promise.all(
        markers.map(async (k) => ({ k, m: await getJson<{ seq: number }>(deliveries, k) })),
      );
      let tried = 0;
      for (const { m } of queued
        .filter((q) => q.m !== undefined)
        .sort((a, b) => (a.m?.seq ?? 0) - (b.m?.seq ?? 0))) {
        if (Date.now() >= until) break;
        const stored = await getJson<StoredEvent>(events, seqKey(PREFIX, m?.seq ?? 0));
        if (!stored) continue;
        tried += 1;
        await deliver(published(stored));
      }
      return tried;
    },
    async deliveries(eventId) {
      const keys = await listKeys(deliveries, `${eventId}/`);
      const records = await Promise.all(keys.map((k) => getJson<DeliveryRecord>(deliveries, k)));
      return records.filter((r): r is DeliveryRecord => r !== undefined);
    },
  };
}
