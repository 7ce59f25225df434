/**
 * A value that must never be shown. Every way JavaScript turns an object into text (`String()`,
 * template literals, `JSON.stringify`, `console.log`/`util.inspect`) yields «redacted»; only
 * `reveal()` gives the plaintext, and only provider writes and encrypted snapshots call it.
 */
const REDACTED = '«redacted»';
const encoder = new TextEncoder();

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  /** Size in bytes once UTF-8 encoded: providers' limits are in bytes. */
  get byteLength(): number {
    // Each UTF-16 unit is at most 3 UTF-8 bytes: short values need no encoding to be measured.
    return this.#value.length * 3 <= 0xffff
      ? utf8Length(this.#value)
      : encoder.encode(this.#value).byteLength;
  }

  equals(other: Secret): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}
