import { describe, expect, it } from 'vitest';
import { signInternal, verifyInternal } from '../../src/auth/internal.ts';

const KEY = Buffer.alloc(32, 1);

describe('calls between EnvSync functions', () => {
  it('verify only when signed with this deployment’s key, over this exact body, recently', () => {
    const body = JSON.stringify({ journal_id: '00000000-0000-4000-8000-000000000000' });
    const headers = new Headers(signInternal(KEY, body, new Date()));
    expect(verifyInternal(KEY, body, headers)).toBe(true);
    expect(verifyInternal(Buffer.alloc(32, 2), body, headers)).toBe(false);
    expect(verifyInternal(KEY, body.replace('0000', '1111'), headers)).toBe(false);
    expect(verifyInternal(KEY, body, new Headers())).toBe(false);
    const old = new Headers(signInternal(KEY, body, new Date(Date.now() - 10 * 60_000)));
    expect(verifyInternal(KEY, body, old)).toBe(false);
  });
});
