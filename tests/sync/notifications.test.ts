/**
 * Notifications through the event bus's outbox, against a local Slack-like receiver that checks
 * Slack's payload shape: retries after 500 and 429, a refusal recorded once, hostile names
 * escaped, the JSON format, approvals, limits, and a channel per environment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationConfig } from '../../src/config/notifications.ts';
import { eventBus } from '../../src/store/events.ts';
import type { EventBus, NotificationChannel } from '../../src/store/events.ts';
import { notificationChannels, requestApproval } from '../../src/sync/notify.ts';
import { localBlobs } from '../store/helpers.ts';
import { SLACK, slackReceiver } from './slack-receiver.ts';
import type { SlackReceiver } from './slack-receiver.ts';

const PAGE = 'https://envsync.example.com';
let blobs: Awaited<ReturnType<typeof localBlobs>>;
let receiver: SlackReceiver;

beforeEach(async () => {
  blobs = await localBlobs();
  receiver = await slackReceiver('T0001/B0001/path-secret-9f3a');
});
afterEach(async () => {
  await receiver.close();
  await blobs.close();
});

function channels(
  configs: readonly Partial<NotificationConfig>[],
  env: Record<string, string> = { SLACK_WEBHOOK_URL: receiver.url },
  environment?: string,
): NotificationChannel[] {
  const full = configs.map((c) => ({
    url_env: 'SLACK_WEBHOOK_URL',
    format: 'slack' as const,
    on: ['drift', 'sync_failed', 'approval_needed', 'sync_done'] as NotificationConfig['on'],
    ...c,
  }));
  return notificationChannels(full, env, PAGE, environment).channels;
}

function bus(chs: NotificationChannel[], extra: { maxRetryAfterMs?: number } = {}): EventBus {
  return eventBus(
    blobs.store('events'),
    blobs.store('deliveries'),
    { urls: [], secret: '', backoffMs: 1, channels: () => Promise.resolve(chs), ...extra },
    () => new Date('2025-01-02T03:04:05Z'),
  );
}

const driftData = (keys: { missing?: string[]; conflicts?: string[] } = {}, target = 'netlify') => ({
  check_id: 'chk_20250102T030405Z_ab12cd34',
  trigger: 'schedule',
  source: 'render',
  has_drift: true,
  targets: [
    {
      id: target,
      provider: 'netlify',
      label: 'site',
      has_drift: true,
      missing: keys.missing ?? ['API_URL', 'FLAG'],
      extra: [],
      conflicts: keys.conflicts ?? ['TOKEN'],
      unknown: [],
    },
  ],
  summary: { total_keys: 5, synced: 2, in_parity: 2, drifted: 3, unknown: 0, extra: 0 },
});

describe('notifications', () => {
  it('a drift event becomes one Slack message with counts and a link to its check', async () => {
    const events = bus(channels([{}]));
    const event = await events.publish('envsync.drift', 'c1', driftData());
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got?.problems).toEqual([]);
    const payload = got?.payload as { text: string; blocks: { type: string }[] };
    expect(payload.text).toContain('Drift found: 1 target out of parity with render: 3 keys drifted of 5');
    expect(got?.raw).toContain('*missing* 2');
    expect(got?.raw).toContain('*conflicts* 1');
    expect(got?.raw).toContain('missing 2: API_URL, FLAG');
    expect(got?.raw).toContain(`<${PAGE}/?view=check&amp;id=chk_20250102T030405Z_ab12cd34|Open the check>`);
    expect(payload.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    const [record] = await events.deliveries(event.id);
    expect(record).toMatchObject({ ok: true, attempts: 1, status: 200 });
    // The webhook's path is its secret: the record names the origin and the variable.
    expect(record?.endpoint).toBe(`${new URL(receiver.url).origin} (SLACK_WEBHOOK_URL, slack)`);
    expect(JSON.stringify(record)).not.toContain('path-secret');
  });

  it('retries after a 500 and a 429 (waiting its Retry-After), then delivers once', async () => {
    receiver.answer(SLACK.serverError, SLACK.rateLimited(1));
    const events = bus(channels([{}]));
    const started = Date.now();
    const event = await events.publish('envsync.drift', 'c1', driftData());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.every((r) => r.problems.length === 0)).toBe(true);
    expect(await events.deliveries(event.id)).toMatchObject([{ ok: true, attempts: 3, status: 200 }]);
    expect(await events.retryPending(5000)).toBe(0); // acknowledged: out of the outbox
  });

  it('a Retry-After longer than a pass may wait is left to the next outbox pass', async () => {
    receiver.answer(SLACK.rateLimited(120));
    const events = bus(channels([{}]), { maxRetryAfterMs: 2000 });
    const event = await events.publish('envsync.drift', 'c1', driftData());
    expect(receiver.received).toHaveLength(1);
    expect(await events.deliveries(event.id)).toMatchObject([{ ok: false, attempts: 1, status: 429 }]);
    expect(await events.retryPending(5000)).toBe(1);
    expect(receiver.received).toHaveLength(2);
    expect(await events.deliveries(event.id)).toMatchObject([{ ok: true, status: 200 }]);
  });

  it('a refusal (4xx other than 429) is recorded with its status and code, and not sent again', async () => {
    receiver.answer(SLACK.channelNotFound);
    const events = bus(channels([{}]));
    const event = await events.publish('envsync.drift', 'c1', driftData());
    expect(receiver.received).toHaveLength(1);
    expect(await events.deliveries(event.id)).toMatchObject([
      { ok: false, final: true, attempts: 1, status: 404, detail: 'channel_not_found' },
    ]);
    expect(await events.retryPending(5000)).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it('a key or target named to inject a mention or a link shows as text', async () => {
    const hostile = ['<!channel>', '<http://evil.example|click>', 'A&B', '<@U123>'];
    const events = bus(channels([{}]));
    await events.publish('envsync.drift', 'c1', driftData({ missing: hostile, conflicts: [] }, '<!here>'));
    const [got] = receiver.received;
    expect(got?.problems).toEqual([]);
    for (const text of got?.mrkdwn ?? []) {
      // Every `<` left is one EnvSync wrote itself: the link to the page.
      expect(text.replace(/<https:\/\/envsync\.example\.com\/[^<>]*>/g, '')).not.toMatch(/[<>]/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(got?.raw).toContain('&lt;!channel&gt;');
    expect(got?.raw).toContain('&lt;http://evil.example|click&gt;');
    expect(got?.raw).toContain('A&amp;B');
    expect(got?.raw).toContain('*&lt;!here&gt;*');
  });

  it('stays within Slack limits however many targets and names there are', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `KEY_${'X'.repeat(200)}_${i}`);
    const data = driftData({ missing: many, conflicts: many });
    const targets = Array.from({ length: 80 }, (_, i) => ({
      ...data.targets[0],
      id: `t${i}-${'y'.repeat(300)}`,
    }));
    const events = bus(channels([{}]));
    await events.publish('envsync.drift', 'c1', { ...data, targets });
    const [got] = receiver.received;
    expect(got?.problems).toEqual([]);
    expect(got?.raw).toContain('and 390 more');
    expect(got?.raw).toContain('and 70 more targets');
  });

  it('plain JSON: {type, summary, counts, targets, link, occurred_at}', async () => {
    const events = bus(channels([{ format: 'json' }]));
    const event = await events.publish('envsync.drift', 'c1', driftData());
    const [got] = receiver.received;
    expect(got?.payload).toEqual({
      type: 'drift',
      summary: 'Drift found: 1 target out of parity with render: 3 keys drifted of 5',
      counts: {
        targets: 1,
        drifted_keys: 3,
        total_keys: 5,
        missing: 2,
        conflicts: 1,
        extra: 0,
        unknown: 0,
      },
      targets: ['netlify'],
      link: `${PAGE}/?view=check&id=chk_20250102T030405Z_ab12cd34`,
      occurred_at: '2025-01-02T03:04:05.000Z',
      event_id: event.id,
      correlation_id: 'c1',
    });
  });

  it('only the kinds a channel lists; approval_needed through requestApproval', async () => {
    const events = bus(channels([{ on: ['approval_needed'] }]));
    await events.publish('envsync.drift', 'c1', driftData());
    await events.publish('envsync.init', 'c2', { targets: ['netlify'] });
    expect(receiver.received).toHaveLength(0);
    await requestApproval(events, {
      correlationId: 'plan_123',
      actor: 'ci-bot',
      source: 'render',
      targets: [
        { target: 'github', create: 2, update: 1, delete: 0, keys: ['API_URL', '<!channel>', 'FLAG'] },
      ],
    });
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got?.problems).toEqual([]);
    expect((got?.payload as { text: string }).text).toContain(
      'Approval needed: ci-bot asks to sync 1 target from render: 2 to create, 1 to update, 0 to delete',
    );
    expect(got?.raw).toContain('keys 3: API_URL, &lt;!channel&gt;, FLAG');
    expect(got?.raw).toContain(`${PAGE}/?view=events&amp;correlation_id=plan_123`);
  });

  it('a channel of an environment takes only that environment’s events', async () => {
    const events = bus(channels([{}], { SLACK_WEBHOOK_URL: receiver.url }, 'production'));
    await events.publish('envsync.drift', 'c1', driftData());
    await events.publish('envsync.drift', 'c2', driftData(), undefined, { environment: 'staging' });
    expect(receiver.received).toHaveLength(0);
    await events.publish('envsync.drift', 'c3', driftData(), undefined, { environment: 'production' });
    expect(receiver.received).toHaveLength(1);
  });

  it('a channel whose variable is unset or not https is off, said by name and never by value', () => {
    const off = notificationChannels(
      [
        { url_env: 'SLACK_WEBHOOK_URL', format: 'slack', on: ['drift'] },
        { url_env: 'OPS_HOOK', format: 'json', on: ['drift'] },
      ],
      { OPS_HOOK: 'http://hooks.example.com/secret-path-77' },
      PAGE,
    );
    expect(off.channels).toEqual([]);
    expect(off.off).toEqual([
      "notifications[0] is off: SLACK_WEBHOOK_URL is not set; set it to the webhook's URL to send slack messages",
      "notifications[1] is off: OPS_HOOK is not an https URL (http only on localhost); set it to the webhook's URL",
    ]);
  });
});
