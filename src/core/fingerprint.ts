import { createHash } from 'node:crypto';
import type { Secret } from './secret.ts';

/** Turns a value into a short masked token that shows whether two values are equal, and nothing else. */
export type Fingerprinter = (value: Secret) => string;

const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104), keyed so that a short value cannot be recovered by hashing guesses: a
 * plain SHA-256 of `true` or a 4-digit PIN is a dictionary lookup away from the value. The padded
 * key states are hashed once and copied per value, which is about twice as fast as `createHmac`.
 */
export function fingerprinter(key: string | Uint8Array): Fingerprinter {
  let k = Buffer.from(key);
  if (k.length > BLOCK) k = createHash('sha256').update(k).digest();
  const pad = (byte: number) => Buffer.from(Array.from({ length: BLOCK }, (_, i) => (k[i] ?? 0) ^ byte));
  const inner = createHash('sha256').update(pad(0x36));
  const outer = createHash('sha256').update(pad(0x5c));
  return (value) => {
    const innerDigest = inner.copy().update(value.reveal(), 'utf8').digest();
    return `hmac:${outer.copy().update(innerDigest).digest('hex').slice(0, 12)}`;
  };
}
