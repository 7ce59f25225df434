/**
 * AES-256-GCM for values at rest (snapshots). The key comes from `ENVSYNC_SNAPSHOT_KEY`: 32 bytes,
 * base64 or hex. Each blob gets a fresh 96-bit IV; the tag authenticates the ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  readonly alg: 'aes-256-gcm';
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
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

export function seal(key: Buffer, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    alg: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export function open(key: Buffer, sealed: Sealed): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SnapshotKeyError(
      'Cannot decrypt the snapshot: ENVSYNC_SNAPSHOT_KEY is not the key it was written with, or the blob was altered.',
    );
  }
}
