/**
 * Where EnvSync tells people what happened: Slack-compatible incoming webhooks or plain JSON, per
 * manifest (and, later, per environment: the schema is one piece any `notifications:` list reuses).
 */
import * as v from 'valibot';
import { fields } from './fields.ts';

/** What a notification can be about; `approval_needed` is sent once approvals ask for one. */
export const NOTIFICATION_KINDS = ['drift', 'sync_failed', 'approval_needed', 'sync_done'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_FORMATS = ['slack', 'json'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

const URL_IN_MANIFEST =
  'a webhook URL is a secret and does not belong in the manifest: put it in an environment variable and name that variable in url_env';

/** One channel: the variable holding its URL, how messages are shaped, which kinds it takes. */
export const NotificationSchema = v.pipe(
  v.looseObject({}, 'must be an object with url_env, and optionally format and on'),
  v.check((o) => !('url' in o) && !('webhook' in o), URL_IN_MANIFEST),
  fields({
    /** The environment variable holding the webhook URL, e.g. SLACK_WEBHOOK_URL. */
    url_env: v.pipe(
      v.string('must be the name of an environment variable, e.g. SLACK_WEBHOOK_URL'),
      v.regex(
        /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
        'must be the name of an environment variable (letters, digits, _), e.g. SLACK_WEBHOOK_URL',
      ),
    ),
    /** `slack`: an incoming-webhook message (text + blocks); `json`: a small documented object. @default slack */
    format: v.optional(
      v.picklist(NOTIFICATION_FORMATS, `must be one of ${NOTIFICATION_FORMATS.join(', ')}`),
      'slack',
    ),
    /** @default every kind */
    on: v.optional(
      v.pipe(
        v.array(v.picklist(NOTIFICATION_KINDS, `must be one of ${NOTIFICATION_KINDS.join(', ')}`)),
        v.minLength(1, `list at least one of ${NOTIFICATION_KINDS.join(', ')}`),
      ),
      () => [...NOTIFICATION_KINDS],
    ),
  }),
);

/** A `notifications:` list: the top of the manifest today, an environment's own later. */
export const NotificationsSchema = v.optional(v.array(NotificationSchema), []);

export type NotificationConfig = v.InferOutput<typeof NotificationSchema>;
