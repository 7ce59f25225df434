import { createHmac } from 'node:crypto';
import type { Secret } from './secret.ts';

/** Turns a value into a short masked token that shows whether two values are equal, and nothing else. */
export type Fingerprinter = (value: Secret) => string;

/**
 * Keyed (HMAC-SHA256) so that a short value cannot be recovered by hashing guesses: a plain
 * SHA-256 of `true` or a 4-digit PIN is a dictionary lookup away from the value.
 */
export function fingerprinter(key: string | Uint8Array): Fingerprinter {
  return (value) => `hmac:${createHmac('sha256', key).update(value.reveal(), 'utf8').digest('hex').slice(0, 12)}`;
}
