/**
 * What a notification says, from the event it is about: names and counts, never a value, and a
 * link to the page. Rendered as a Slack incoming-webhook message (text + blocks) or a small JSON
 * object. Event data is read back from Blobs, so it is validated like any outside input.
 */
import * as v from 'valibot';
import type { NotificationFormat, NotificationKind } from '../config/notifications.ts';
import type { EnvSyncEvent, EventType } from '../store/events.ts';

/** The event behind each kind of notification. */
export const NOTIFIED_BY: Readonly<Partial<Record<EventType, NotificationKind>>> = {
  'envsync.drift': 'drift',
  'envsync.sync_failed': 'sync_failed',
  'envsync.approval_needed': 'approval_needed',
  'envsync.commit': 'sync_done',
};

/** A notification before it takes a format. Names in it are outside input: escaped when rendered. */
export interface Notice {
  readonly kind: NotificationKind;
  readonly title: string;
  /** One line; may hold outside names. */
  readonly summary: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly targets: readonly {
    readonly id: string;
    readonly facts: readonly { readonly label: string; readonly names: readonly string[] }[];
  }[];
  readonly link?: { readonly url: string; readonly text: string };
}

const names = v.optional(v.array(v.string()), []);
const count = v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0);
const DriftData = v.looseObject({
  check_id: v.string(),
  source: v.string(),
  targets: v.array(
    v.looseObject({ id: v.string(), missing: names, extra: names, conflicts: names, unknown: names }),
  ),
  summary: v.looseObject({ total_keys: count, drifted: count, unknown: count, extra: count }),
});
const CommitData = v.looseObject({
  target: v.string(),
  created: names,
  updated: names,
  deleted: names,
  failed: v.optional(v.array(v.looseObject({ key: v.string() })), []),
  skipped: names,
});
const FailedData = v.looseObject({
  action: v.string(),
  source: v.string(),
  outcome: v.picklist(['failed', 'interrupted']),
  targets: names,
  counts: v.optional(v.record(v.string(), count), {}),
  failed: v.optional(v.array(v.looseObject({ target: v.string(), keys: names })), []),
  error: v.optional(v.string()),
});
const ApprovalData = v.looseObject({
  actor: v.string(),
  source: v.string(),
  targets: v.array(
    v.looseObject({ target: v.string(), create: count, update: count, delete: count, keys: names }),
  ),
  reason: v.optional(v.string()),
});

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const sum = (ns: readonly number[]) => ns.reduce((a, b) => a + b, 0);

/** Builds the notice of an event, or undefined when the event is not one notifications announce. */
export function noticeOf(event: EnvSyncEvent, pageUrl: string | undefined): Notice | undefined {
  const page = (query: Record<string, string>) =>
    pageUrl ? `${pageUrl}/?${new URLSearchParams(query).toString()}` : undefined;
  const events = page({ view: 'events', correlation_id: event.correlation_id });
  const link = (url: string | undefined, text: string) => (url ? { link: { url, text } } : {});
  switch (event.type) {
    case 'envsync.drift': {
      const d = v.safeParse(DriftData, event.data);
      if (!d.success) return undefined;
      const { targets, summary, source, check_id } = d.output;
      const total = (k: 'missing' | 'extra' | 'conflicts' | 'unknown') =>
        sum(targets.map((t) => t[k].length));
      return {
        kind: 'drift',
        title: 'Drift found',
        summary: `${plural(targets.length, 'target')} out of parity with ${source}: ${plural(summary.drifted, 'key')} drifted of ${summary.total_keys}`,
        counts: {
          targets: targets.length,
          drifted_keys: summary.drifted,
          total_keys: summary.total_keys,
          missing: total('missing'),
          conflicts: total('conflicts'),
          extra: total('extra'),
          unknown: total('unknown'),
        },
        targets: targets.map((t) => ({
          id: t.id,
          facts: [
            { label: 'missing', names: t.missing },
            { label: 'conflicting', names: t.conflicts },
            { label: 'extra', names: t.extra },
            { label: 'unknown', names: t.unknown },
          ],
        })),
        ...link(page({ view: 'check', id: check_id }), 'Open the check'),
      };
    }
    case 'envsync.commit': {
      const d = v.safeParse(CommitData, event.data);
      if (!d.success) return undefined;
      const c = d.output;
      const failed = c.failed.map((f) => f.key);
      // Nothing written and writes failed: that is the run's `sync_failed`, not a sync done.
      if (c.created.length + c.updated.length + c.deleted.length === 0 && failed.length > 0) return undefined;
      return {
        kind: 'sync_done',
        title: 'Sync done',
        summary: `${c.target}: ${c.created.length} created, ${c.updated.length} updated, ${c.deleted.length} deleted${failed.length > 0 ? `, ${failed.length} failed` : ''}`,
        counts: {
          created: c.created.length,
          updated: c.updated.length,
          deleted: c.deleted.length,
          failed: failed.length,
          skipped: c.skipped.length,
        },
        targets: [
          {
            id: c.target,
            facts: [
              { label: 'created', names: c.created },
              { label: 'updated', names: c.updated },
              { label: 'deleted', names: c.deleted },
              { label: 'failed', names: failed },
            ],
          },
        ],
        ...link(events, 'Open the sync on the page'),
      };
    }
    case 'envsync.sync_failed': {
      const d = v.safeParse(FailedData, event.data);
      if (!d.success) return undefined;
      const f = d.output;
      const applied = f.counts['applied'] ?? 0;
      const notDone =
        f.outcome === 'interrupted' ? (f.counts['not_written'] ?? 0) : (f.counts['failed'] ?? 0);
      return {
        kind: 'sync_failed',
        title: f.outcome === 'interrupted' ? 'Sync interrupted' : 'Sync failed',
        summary:
          `${f.action} from ${f.source} ${f.outcome === 'interrupted' ? 'was interrupted' : 'failed'}: ` +
          `${applied} written, ${notDone} ${f.outcome === 'interrupted' ? 'not written' : 'failed'}` +
          (f.outcome === 'interrupted'
            ? `; resume it with genesisctl env resume ${event.correlation_id}`
            : '') +
          (f.error ? ` (${f.error})` : ''),
        counts: f.counts,
        targets: (f.failed.length > 0 ? f.failed : f.targets.map((target) => ({ target, keys: [] }))).map(
          (t) => ({
            id: t.target,
            facts: [{ label: f.outcome === 'interrupted' ? 'not written' : 'failed', names: t.keys }],
          }),
        ),
        ...link(events, 'Open the sync on the page'),
      };
    }
    case 'envsync.approval_needed': {
      const d = v.safeParse(ApprovalData, event.data);
      if (!d.success) return undefined;
      const a = d.output;
      const writes = (k: 'create' | 'update' | 'delete') => sum(a.targets.map((t) => t[k]));
      return {
        kind: 'approval_needed',
        title: 'Approval needed',
        summary:
          `${a.actor} asks to sync ${plural(a.targets.length, 'target')} from ${a.source}: ` +
          `${writes('create')} to create, ${writes('update')} to update, ${writes('delete')} to delete` +
          (a.reason ? ` (${a.reason})` : ''),
        counts: {
          targets: a.targets.length,
          create: writes('create'),
          update: writes('update'),
          delete: writes('delete'),
        },
        targets: a.targets.map((t) => ({ id: t.target, facts: [{ label: 'keys', names: t.keys }] })),
        ...link(events, 'Review it on the page'),
      };
    }
    default:
      return undefined;
  }
}

/**
 * Slack's mrkdwn control characters, escaped as Slack documents: a key named `<!channel>` or
 * `<http://evil|x>` shows as text instead of pinging a channel or linking elsewhere.
 */
export const escapeMrkdwn = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack's limits: a section's text, a header's, blocks a message. */
export const SLACK_LIMITS = { sectionText: 3000, headerText: 150, blocks: 50 } as const;
const NAMES_SHOWN = 10;
const TARGETS_SHOWN = 10;

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Up to NAMES_SHOWN names, escaped, then how many more. */
function nameList(list: readonly string[]): string {
  const shown = list.slice(0, NAMES_SHOWN).map(escapeMrkdwn).join(', ');
  return list.length > NAMES_SHOWN ? `${shown} and ${list.length - NAMES_SHOWN} more` : shown;
}

/** A link in mrkdwn: the URL is ours, but `|` and `>` would end it early, so they are encoded. */
const mrkdwnLink = (url: string, text: string) =>
  `<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${escapeMrkdwn(text)}>`;

export function slackMessage(notice: Notice, event: EnvSyncEvent): Record<string, unknown> {
  const text = escapeMrkdwn(`${notice.title}: ${notice.summary}`);
  const section = (body: string) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: clip(body, SLACK_LIMITS.sectionText) },
  });
  const countLine = Object.entries(notice.counts)
    .map(([k, n]) => `*${escapeMrkdwn(k.replace(/_/g, ' '))}* ${n}`)
    .join(' · ');
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(notice.title, SLACK_LIMITS.headerText) } },
    section(`${escapeMrkdwn(notice.summary)}${countLine ? `\n${countLine}` : ''}`),
  ];
  for (const target of notice.targets.slice(0, TARGETS_SHOWN)) {
    const facts = target.facts
      .filter((f) => f.names.length > 0)
      .map((f) => `${f.label} ${f.names.length}: ${nameList(f.names)}`);
    blocks.push(section(`*${escapeMrkdwn(target.id)}*${facts.length > 0 ? `\n${facts.join('\n')}` : ''}`));
  }
  const context = [
    ...(notice.link ? [mrkdwnLink(notice.link.url, notice.link.text)] : []),
    ...(notice.targets.length > TARGETS_SHOWN
      ? [`and ${notice.targets.length - TARGETS_SHOWN} more targets`]
      : []),
    `${escapeMrkdwn(event.type)} ${escapeMrkdwn(event.id)}`,
  ];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  return {
    text: notice.link ? `${text} ${mrkdwnLink(notice.link.url, notice.link.text)}` : text,
    blocks,
  };
}

/**
 * The plain JSON notification: `{type, summary, counts, targets, link, occurred_at}`, plus the
 * event's id and correlation id (to drop repeats) and its environment when it has one.
 */
export function jsonMessage(notice: Notice, event: EnvSyncEvent): Record<string, unknown> {
  return {
    type: notice.kind,
    summary: `${notice.title}: ${notice.summary}`,
    counts: notice.counts,
    targets: notice.targets.map((t) => t.id),
    link: notice.link?.url ?? null,
    occurred_at: event.timestamp,
    event_id: event.id,
    correlation_id: event.correlation_id,
    ...(event.environment ? { environment: event.environment } : {}),
  };
}

/** The body a channel of this format and these kinds sends for the event, or undefined. */
export function renderNotification(
  event: EnvSyncEvent,
  channel: { readonly format: NotificationFormat; readonly on: readonly NotificationKind[] },
  pageUrl: string | undefined,
): string | undefined {
  const kind = NOTIFIED_BY[event.type];
  if (!kind || !channel.on.includes(kind)) return undefined;
  const notice = noticeOf(event, pageUrl);
  if (!notice) return undefined;
  return JSON.stringify(
    channel.format === 'slack' ? slackMessage(notice, event) : jsonMessage(notice, event),
  );
}
