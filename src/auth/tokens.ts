/**
 * The Permission Engine. Callers present `Authorization: Bearer <token>`; EnvSync keeps only the
 * SHA-256 digest of each token (`ENVSYNC_TOKENS`), compares digests in constant time against every
 * configured token, and maps the token's role to what it may do:
 * `admiral` writes, `architect` plans, verifies and reads everything, any other role reads reports.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';

export type Permission = 'reports' | 'audit' | 'plan' | 'write';

/** A Map: a role named `constructor` or `toString` is just another reader. */
const ROLE_PERMISSIONS: ReadonlyMap<string, readonly Permission[]> = new Map([
  ['admiral', ['reports', 'audit', 'plan', 'write']],
  ['architect', ['reports', 'audit', 'plan']],
]);
const READER: readonly Permission[] = ['reports'];

export interface Caller {
  readonly name: string;
  readonly role: string;
}

interface TokenEntry extends Caller {
  readonly digest: Buffer;
}

export class TokenConfigError extends Error {
  override readonly name = 'TokenConfigError';
}

const Entry = v.object({
  name: v.pipe(v.string(), v.regex(/^[\w.@-]{1,64}$/, 'a token name is 1-64 letters, digits or _ . @ -')),
  role: v.pipe(v.string(), v.regex(/^[a-z][\w-]{0,31}$/, 'a role is a lower-case word')),
  sha256: v.pipe(
    v.string(),
    v.regex(/^[0-9a-f]{64}$/i, "sha256 must be the 64 hex digits of the token's SHA-256 digest"),
  ),
});

/**
 * `ENVSYNC_TOKENS`: `name:role:sha256hex` entries separated by commas or new lines, or a JSON array
 * of `{ name, role, sha256 }`. `genesisctl token create` makes a token and prints its entry.
 */
export function parseTokens(raw: string | undefined): TokenEntry[] {
  if (!raw?.trim()) return [];
  const text = raw.trim();
  let items: unknown;
  if (text.startsWith('[')) {
    try {
      items = JSON.parse(text);
    } catch {
      throw new TokenConfigError(
        'ENVSYNC_TOKENS looks like JSON but does not parse; use [{"name","role","sha256"}] or name:role:sha256 entries.',
      );
    }
  } else {
    items = text
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry) => {
        const [name, role, sha256, ...rest] = entry.split(':');
        return rest.length === 0 ? { name, role, sha256 } : { name: entry };
      });
  }
  const parsed = v.safeParse(v.array(Entry), items);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new TokenConfigError(
      `ENVSYNC_TOKENS entry ${v.getDotPath(issue) ?? ''}: ${issue.message}. Each entry is name:role:sha256 (hex digest of the token).`,
    );
  }
  return parsed.output.map((e) => ({
    name: e.name,
    role: e.role,
    digest: Buffer.from(e.sha256.toLowerCase(), 'hex'),
  }));
}

/** The prefix of tokens `createToken` makes: recognisable in a leak scan. */
export const TOKEN_PREFIX = 'esk_';

/**
 * A new API token (32 random bytes, base64url, prefixed) and its `ENVSYNC_TOKENS` entry. The token
 * is shown once; only its digest is configured. Throws a TokenConfigError for a bad name or role.
 */
export function createToken(name: string, role: string): { token: string; entry: string; role: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const parsed = v.safeParse(Entry, { name, role, sha256: digestToken(token) });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new TokenConfigError(`--${v.getDotPath(issue) ?? 'name'}: ${issue.message}.`);
  }
  return { token, entry: `${name}:${role}:${digestToken(token)}`, role };
}

/** Whether a role writes, plans or only reads reports, in words. */
export function roleWords(role: string): string {
  const permissions = permissionsOf(role);
  if (permissions.includes('write')) return 'writes (sync, heal, rollback) and reads everything';
  if (permissions.includes('plan')) return 'plans, verifies and reads everything';
  return 'reads reports only';
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The caller a bearer token belongs to, or undefined. Every configured digest is compared, in
 * constant time, whether or not an earlier one matched, so timing tells nothing about which.
 */
export function authenticate(
  tokens: readonly TokenEntry[],
  authorization: string | null,
): Caller | undefined {
  const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const presented = createHash('sha256').update(match[1], 'utf8').digest();
  let found: Caller | undefined;
  for (const entry of tokens) {
    if (timingSafeEqual(presented, entry.digest) && !found) found = { name: entry.name, role: entry.role };
  }
  return found;
}

export function permissionsOf(role: string): readonly Permission[] {
  return ROLE_PERMISSIONS.get(role) ?? READER;
}

export function may(caller: Caller, permission: Permission): boolean {
  return permissionsOf(caller.role).includes(permission);
}
