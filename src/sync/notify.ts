/**
 * Notifications as subscribers of the event bus: each channel the manifest declares becomes a
 * `NotificationChannel` that renders the events it takes (notify-message.ts) and is delivered by
 * the same outbox as the signed webhooks, with its retries. The two events only notifications
 * needed, `envsync.sync_failed` and `envsync.approval_needed`, are published from here.
 */
import * as v from 'valibot';
import { isWrite } from '../core/apply.ts';
import { environmentsOf } from '../config/manifest.ts';
import type { Project } from '../config/manifest.ts';
import type { NotificationConfig } from '../config/notifications.ts';
import type { EnvSyncEvent, EventBus, NotificationChannel } from '../store/events.ts';
import { renderNotification } from './notify-message.ts';
import type { SyncResult } from './run.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An https URL (http only on loopback: a message sent in clear could be read on the way). */
const ReceiverUrl = v.pipe(
  v.string(),
  v.trim(),
  v.url(),
  v.check((s) => {
    if (!URL.canParse(s)) return false;
    const u = new URL(s);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  }),
);
const PageUrl = v.pipe(
  v.string(),
  v.trim(),
  v.url(),
  v.check((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol)),
  v.transform((s) => s.replace(/\/+$/, '')),
);

/** The parity page's address (ENVSYNC_SITE_URL, else Netlify's URL), for links; none when unset. */
export function pageUrlFrom(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const raw = env['ENVSYNC_SITE_URL'] || env['URL'];
  if (!raw) return undefined;
  const parsed = v.safeParse(PageUrl, raw);
  return parsed.success ? parsed.output : undefined;
}

/**
 * The channels whose URL variable is set to a usable URL, and why each other one is off (the
 * variable's name, never its content). An unset variable turns a channel off rather than failing
 * every run: a laptop running `genesisctl env plan` need not hold the team's Slack webhook.
 */
export function notificationChannels(
  configs: readonly NotificationConfig[],
  env: Readonly<Record<string, string | undefined>>,
  pageUrl: string | undefined,
  environment?: string,
): { channels: NotificationChannel[]; off: string[] } {
  const channels: NotificationChannel[] = [];
  const off: string[] = [];
  configs.forEach((config, i) => {
    const raw = Object.hasOwn(env, config.url_env) ? env[config.url_env] : undefined;
    if (!raw) {
      off.push(
        `notifications[${i}] is off: ${config.url_env} is not set; set it to the webhook's URL to send ${config.format} messages`,
      );
      return;
    }
    const url = v.safeParse(ReceiverUrl, raw);
    if (!url.success) {
      off.push(
        `notifications[${i}] is off: ${config.url_env} is not an https URL (http only on localhost); set it to the webhook's URL`,
      );
      return;
    }
    channels.push({
      label: `${new URL(url.output).origin} (${config.url_env}, ${config.format})`,
      url: url.output,
      // A channel of an environment takes only that environment's events.
      render: (event: EnvSyncEvent) =>
        environment !== undefined && event.environment !== environment
          ? undefined
          : renderNotification(event, config, pageUrl),
    });
  });
  return { channels, off };
}

/**
 * The event bus's channel loader: the project's notifications, resolved once (when the first
 * event is delivered), each channel that is off said once on `warn`.
 */
export function channelLoader(
  project: () => Promise<Project>,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void = (line) => console.error(`[envsync] ${line}`),
): () => Promise<readonly NotificationChannel[]> {
  let loaded: Promise<readonly NotificationChannel[]> | undefined;
  return () =>
    (loaded ??= project().then((p) => {
      // Each environment's channels take that environment's events only.
      const all: NotificationChannel[] = [];
      for (const one of environmentsOf(p)) {
        const { channels, off } = notificationChannels(
          one.notifications ?? [],
          env,
          pageUrlFrom(env),
          one.environment,
        );
        for (const line of off) warn(line);
        all.push(...channels);
      }
      return all;
    }));
}

export interface SyncFailure {
  readonly correlationId: string;
  readonly action: string;
  readonly actor: string;
  readonly source: string;
  readonly targets: readonly string[];
  readonly outcome: 'failed' | 'interrupted';
  readonly counts: Readonly<Record<string, number>>;
  /** Per target, the names of the keys not written. */
  readonly failed: readonly { readonly target: string; readonly keys: readonly string[] }[];
  /** An error class, never a message (a provider's message may echo a value). */
  readonly error?: string;
  readonly reason?: string;
}

/** The failure of a run from its result: per target, the keys it did not write (names only). */
export function failureOf(
  result: SyncResult & { readonly correlationId: string },
  run: { readonly action: string; readonly actor: string },
  outcome: SyncFailure['outcome'],
  reason?: string,
): SyncFailure {
  const failed = result.targets
    .filter((t) => t.failed.length > 0)
    .map((t) => ({ target: t.target, keys: t.failed.map((f) => f.key) }));
  const errors = result.targets.flatMap((t) => t.failed.map((f) => f.error));
  const notWritten = errors.filter((e) => e === 'InterruptedError').length;
  return {
    correlationId: result.correlationId,
    action: run.action,
    actor: run.actor,
    source: result.plan.source.id,
    // The targets the run was to change, not every target it read.
    targets: result.plan.targets.filter((tp) => tp.entries.some(isWrite)).map((tp) => tp.target.id),
    outcome,
    counts: {
      applied: result.targets.reduce((n, t) => n + t.applied.length, 0),
      failed: errors.length - notWritten,
      ...(outcome === 'interrupted' ? { not_written: notWritten } : {}),
    },
    failed,
    ...(outcome === 'failed' && errors[0] ? { error: errors[0] } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** `envsync.sync_failed`: once per run and outcome, however often the run is resumed. */
export function publishSyncFailed(events: EventBus, failure: SyncFailure): Promise<EnvSyncEvent> {
  return events.publish(
    'envsync.sync_failed',
    failure.correlationId,
    {
      action: failure.action,
      actor: failure.actor,
      source: failure.source,
      targets: failure.targets,
      outcome: failure.outcome,
      counts: failure.counts,
      failed: failure.failed,
      ...(failure.error ? { error: failure.error } : {}),
      ...(failure.reason ? { reason: failure.reason } : {}),
    },
    `${failure.correlationId}:sync_failed:${failure.outcome}`,
  );
}

export interface ApprovalRequest {
  /** The run waiting for approval (its plan id or correlation id): links the page to it. */
  readonly correlationId: string;
  readonly actor: string;
  readonly source: string;
  /** Per target, what the run would write: counts and key names, never values. */
  readonly targets: readonly {
    readonly target: string;
    readonly create: number;
    readonly update: number;
    readonly delete: number;
    readonly keys: readonly string[];
  }[];
  readonly reason?: string;
  readonly environment?: string;
}

/**
 * `envsync.approval_needed`, for the approvals feature to call when a run waits for a person:
 * notifications that take `approval_needed` announce it.
 */
export function requestApproval(events: EventBus, request: ApprovalRequest): Promise<EnvSyncEvent> {
  return events.publish(
    'envsync.approval_needed',
    request.correlationId,
    {
      actor: request.actor,
      source: request.source,
      targets: request.targets,
      ...(request.reason ? { reason: request.reason } : {}),
    },
    `${request.correlationId}:approval_needed`,
    request.environment ? { environment: request.environment } : {},
  );
}
