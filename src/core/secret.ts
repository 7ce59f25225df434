/**
 * A value that must never be shown. Every way JavaScript turns an object into text (`String()`,
 * template literals, `JSON.stringify`, `console.log`/`util.inspect`) yields «redacted»; only
 * `reveal()` gives the plaintext, and only provider writes and encrypted snapshots call it.
 */
const REDACTED = '«redacted»';

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
    return new TextEncoder().encode(this.#value).byteLength;
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
