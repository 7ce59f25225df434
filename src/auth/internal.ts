/**
 * How EnvSync's own functions call each other (the API and the scheduler handing a journal to the
 * background sync): a Standard Webhooks signature under a key derived from ENVSYNC_SNAPSHOT_KEY,
 * which every function that may write already holds. No bearer token travels between them.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Base64, the form every build of `standardwebhooks` takes. */
function internalSecret(snapshotKey: Buffer): string {
  return createHmac('sha256', snapshotKey).update('envsync internal calls v1').digest('base64');
}

export function signInternal(snapshotKey: Buffer, body: string, now: Date): Record<string, string> {
  const id = `int_${randomUUID()}`;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(internalSecret(snapshotKey)).sign(id, now, body),
  };
}

/** True when the body was signed by another EnvSync function of this deployment. */
export function verifyInternal(snapshotKey: Buffer, body: string, headers: Headers): boolean {
  try {
    new Webhook(internalSecret(snapshotKey)).verify(body, {
      'webhook-id': headers.get('webhook-id') ?? '',
      'webhook-timestamp': headers.get('webhook-timestamp') ?? '',
      'webhook-signature': headers.get('webhook-signature') ?? '',
    });
    return true;
  } catch {
    return false;
  }
}
