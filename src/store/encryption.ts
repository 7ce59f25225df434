/**
 * AES-256-GCM for values at rest (snapshots). The key comes from `ENVSYNC_SNAPSHOT_KEY`: 32 bytes,
 * base64 or hex. Each blob gets a fresh 96-bit IV; the tag authenticates the ciphertext.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface Sealed {
  readonly alg: 'aes-256-gcm';
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
  /**
   * 1: the ciphertext is bound to its context (additional authenticated data the caller gives to
   * both `seal` and `open`), so it opens only where it was written. Absent: written before binding.
   */
  readonly bound?: 1;
}

export class SnapshotKeyError extends Error {
  override readonly name = 'SnapshotKeyError';
}

/** Parses `ENVSYNC_SNAPSHOT_KEY`; says how to make one when it is missing or malformed. */
export function parseSnapshotKey(raw: string | undefined): Buffer {
  const how = 'Set ENVSYNC_SNAPSHOT_KEY to 32 random bytes, base64 or hex (e.g. `openssl rand -base64 32`).';
  if (!raw)
    throw new SnapshotKeyError(
      `Snapshots hold values and must be encrypted, but ENVSYNC_SNAPSHOT_KEY is not set. ${how}`,
    );
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new SnapshotKeyError(`ENVSYNC_SNAPSHOT_KEY is ${key.length} bytes, not 32. ${how}`);
  return key;
}

/** A key for another purpose derived from the snapshot key (HKDF-SHA256), so it is never stored. */
export function deriveKey(snapshotKey: Uint8Array, purpose: 'audit-v1' | 'approvals-v1'): Buffer {
  return Buffer.from(hkdfSync('sha256', snapshotKey, 'envsync', purpose, 32));
}

/** Encrypts `plaintext` bound to `context`: it opens only with the same context. */
export function seal(key: Buffer, plaintext: string, context: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    alg: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
    bound: 1,
  };
}

/**
 * Decrypts a sealed value written for `context`. A ciphertext written before binding is refused:
 * nothing ties it to where it sits, so it may have been pasted there from another record.
 */
export function open(key: Buffer, sealed: Sealed, context: string): string {
  if (sealed.bound !== 1)
    throw new SnapshotKeyError(
      'This snapshot was written before its values were bound to it, so nothing proves they belong to it; EnvSync will not restore or export them. Use a newer snapshot.',
    );
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SnapshotKeyError(
      'Cannot decrypt the snapshot: ENVSYNC_SNAPSHOT_KEY is not the key it was written with, or the record was altered (its values were moved from another snapshot, or its target, phase or keys were changed).',
    );
  }
}
