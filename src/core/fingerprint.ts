import { createHash, hash, hkdfSync } from 'node:crypto';
import type { Secret } from './secret.ts';

/**
 * Turns a key's value into a short masked token that shows whether two values of that key are
 * equal, and nothing else. Bound to the key's name: two keys holding one value (`DEBUG=true`,
 * `CORS_ALLOW_ALL=true`) show different fingerprints, while one key on two targets compares.
 * `matches` also reads fingerprints recorded under the earlier scheme (see `legacy`).
 */
export interface Fingerprinter {
  (value: Secret, name: string): string;
  /** Whether a recorded fingerprint, of this scheme or the earlier one, is of this value. */
  matches: (recorded: string, value: Secret, name: string) => boolean;
}

const BLOCK = 64;
const DIGEST = 32;
/** The current scheme: HMAC over the name's length, the name and the value. */
export const FINGERPRINT_PREFIX = 'hmac2:';
/** The earlier scheme: HMAC over the value alone, with the key then in use. */
const LEGACY_PREFIX = 'hmac:';

/**
 * HMAC-SHA256 (RFC 2104) over bytes laid out once: the padded key followed by the message, run
 * through the one-shot `crypto.hash`, about 1.4× as fast as `createHmac` with the same output.
 */
function hmacHex(
  key: string | Uint8Array,
): (message: (buffer: Buffer, at: number) => number, max: number) => string {
  let k = Buffer.from(key);
  if (k.length > BLOCK) k = createHash('sha256').update(k).digest();
  const padded = (byte: number) => Buffer.from(Array.from({ length: BLOCK }, (_, i) => (k[i] ?? 0) ^ byte));
  const ipad = padded(0x36);
  let inner = Buffer.alloc(BLOCK + 1024);
  ipad.copy(inner);
  const outer = Buffer.alloc(BLOCK + DIGEST);
  padded(0x5c).copy(outer);
  return (write, max) => {
    if (BLOCK + max > inner.length) {
      inner = Buffer.alloc(BLOCK + max);
      ipad.copy(inner);
    }
    const written = write(inner, BLOCK);
    outer.set(hash('sha256', inner.subarray(0, BLOCK + written), 'buffer'), BLOCK);
    inner.fill(0, BLOCK, BLOCK + written); // no plaintext left behind in the buffer
    return hash('sha256', outer, 'hex').slice(0, 12);
  };
}

/**
 * Keyed so that a short value cannot be recovered by hashing guesses. `legacyKey` is the key the
 * earlier, name-blind scheme used, when known: fingerprints recorded with it (ledgers, snapshots)
 * still match their values, so nothing reads as drifted only because the scheme changed.
 */
export function fingerprinter(key: string | Uint8Array, legacyKey?: string | Uint8Array): Fingerprinter {
  const mac = hmacHex(key);
  const legacyMac = legacyKey === undefined ? undefined : hmacHex(legacyKey);
  const fingerprint = ((value: Secret, name: string): string => {
    const text = value.reveal();
    const digest = mac(
      (buffer, at) => {
        const nameBytes = buffer.write(name, at + 4, 'utf8');
        buffer.writeUInt32BE(nameBytes, at);
        return 4 + nameBytes + buffer.write(text, at + 4 + nameBytes, 'utf8');
      },
      4 + (name.length + text.length) * 3,
    );
    return `${FINGERPRINT_PREFIX}${digest}`;
  }) as Fingerprinter;
  fingerprint.matches = (recorded, value, name) => {
    if (recorded.startsWith(FINGERPRINT_PREFIX)) return recorded === fingerprint(value, name);
    if (!legacyMac || !recorded.startsWith(LEGACY_PREFIX)) return false;
    const text = value.reveal();
    return (
      recorded ===
      `${LEGACY_PREFIX}${legacyMac((buffer, at) => buffer.write(text, at, 'utf8'), text.length * 3)}`
    );
  };
  return fingerprint;
}

/**
 * The fingerprint key when ENVSYNC_FINGERPRINT_KEY is not set: derived (HKDF-SHA256) from the
 * snapshot key, so it is never stored anywhere, and whoever can read the records cannot test
 * guesses against their fingerprints.
 */
export function deriveFingerprintKey(snapshotKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', snapshotKey, 'envsync', 'fingerprint-v2', 32));
}
