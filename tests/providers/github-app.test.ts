/** GitHub App auth against the sandbox: the JWT, the installation lookup, token caching and renewal. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.ts';
import type { WriteOutcome } from '../../src/providers/adapter.ts';
import { ProviderAuthError, ProviderNotFoundError } from '../../src/providers/errors.ts';
import { appJwt } from '../../src/providers/github-app.ts';
import { createGitHubAdapter } from '../../src/providers/github.ts';
import type { Clock } from '../../src/providers/pacer.ts';
import { systemClock } from '../../src/providers/pacer.ts';
import { startGitHubSandbox } from '../../src/sandbox/index.ts';
import type { GitHubSandbox } from '../../src/sandbox/index.ts';
import { TEST_RETRY, TIME_SCALE, testAppKeys } from './harnesses.ts';
import type { GitHubTarget } from './harnesses.ts';

const APP_ID = 4242;
const TOKENS = '/app/installations/{installation_id}/access_tokens';
const LOOKUP = '/repos/{owner}/{repo}/installation';
const MINUTE = 60_000;

const target = (repo = 'web'): GitHubTarget => ({
  id: 'deps',
  provider: 'github',
  store: 'dependabot',
  scope: { kind: 'repo', owner: 'acme', repo },
});
const failed = (outcomes: readonly WriteOutcome[]) =>
  outcomes.flatMap((o) => (o.ok ? [] : [o.error.message]));

let sandbox: GitHubSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(): Promise<GitHubSandbox> {
  sandbox = await startGitHubSandbox({
    timeScale: TIME_SCALE,
    seed: {
      orgs: [{ login: 'acme' }],
      repos: [
        { owner: 'acme', name: 'web', dependabot_secrets: [{ name: 'OLD', value: 'o' }] },
        { owner: 'acme', name: 'api' },
        { owner: 'other', name: 'elsewhere' },
      ],
      apps: [
        {
          id: APP_ID,
          public_key: testAppKeys().publicPem,
          installations: [
            { id: 77, account: 'acme', permissions: { dependabot_secrets: 'write', secrets: 'write' } },
          ],
        },
      ],
    },
  });
  return sandbox;
}

/** The adapter's clock, `skewMs` behind the sandbox's (which tests move forward). */
const clockOf = (s: GitHubSandbox, skewMs = 0): Clock => ({
  now: () => s.now() - skewMs,
  sleep: (ms, signal) => systemClock.sleep(ms, signal),
});

function adapter(s: GitHubSandbox, options: { installationId?: number; clock?: Clock; key?: string } = {}) {
  return createGitHubAdapter({
    baseUrl: s.url,
    token: '',
    app: {
      appId: String(APP_ID),
      privateKey: createPrivateKey(options.key ?? testAppKeys().privatePem),
      ...(options.installationId ? { installationId: options.installationId } : {}),
    },
    timeScale: TIME_SCALE,
    retry: TEST_RETRY,
    clock: options.clock ?? clockOf(s),
  });
}

const write = (key: string, value: string) => [
  { key, action: 'create' as const, value: new Secret(value), secret: true },
];

describe('github app auth', () => {
  it('signs an RS256 JWT: iss = app id, backdated 60 s, 10 minutes in all', () => {
    const now = Date.UTC(2025, 0, 1);
    const jwt = appJwt({ appId: '99', privateKey: createPrivateKey(testAppKeys().privatePem) }, now);
    const [header = '', payload = '', signature = ''] = jwt.split('.');
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as unknown;
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(decode(payload)).toEqual({ iat: now / 1000 - 60, exp: now / 1000 + 540, iss: '99' });
    const signed = Buffer.from(`${header}.${payload}`);
    expect(
      verify('sha256', signed, createPublicKey(testAppKeys().publicPem), Buffer.from(signature, 'base64url')),
    ).toBe(true);
  });

  it('finds the installation from the repository once, and buys one token for the whole run', async () => {
    const s = await start();
    const a = adapter(s);
    expect([...(await a.list(target())).keys()]).toEqual(['OLD']);
    expect(failed(await a.write(target(), [...write('ONE', '1'), ...write('TWO', '2')]))).toEqual([]);
    expect(await a.read(target(), 'ONE')).toMatchObject({ kind: 'write-only' });
    expect(failed(await a.remove(target(), ['OLD']))).toEqual([]);
    expect(s.inspect.secretPlaintext({ repo: 'acme/web', store: 'dependabot' }, 'TWO')).toBe('2');
    expect(s.log.count('GET', LOOKUP)).toBe(1);
    expect(s.log.count('POST', TOKENS)).toBe(1);
    expect(s.log.entries.filter((e) => e.status === 401)).toEqual([]);
  });

  it('uses GITHUB_APP_INSTALLATION_ID when given, with no lookup', async () => {
    const s = await start();
    await adapter(s, { installationId: 77 }).list(target());
    expect(s.log.count('GET', LOOKUP)).toBe(0);
    expect(s.log.count('POST', TOKENS)).toBe(1);
  });

  it('renews the token 5 minutes before it expires, mid-run', async () => {
    const s = await start();
    const a = adapter(s);
    await a.list(target());
    s.advanceClock(54 * MINUTE);
    await a.list(target());
    expect(s.log.count('POST', TOKENS)).toBe(1);
    s.advanceClock(2 * MINUTE); // 56 minutes: inside the 5-minute margin
    expect(failed(await a.write(target(), write('LATER', 'l')))).toEqual([]);
    expect(s.log.count('POST', TOKENS)).toBe(2);
    expect(s.log.entries.filter((e) => e.status === 401)).toEqual([]);
  });

  it('takes a new token once when GitHub says the cached one expired (a clock behind GitHub)', async () => {
    const s = await start();
    // 8 minutes behind: it still trusts a token GitHub already let expire.
    const a = adapter(s, { clock: clockOf(s, 8 * MINUTE) });
    await a.list(target());
    s.advanceClock(61 * MINUTE);
    expect(failed(await a.write(target(), write('AFTER', 'a')))).toEqual([]);
    expect(s.log.count('POST', TOKENS)).toBe(2);
    const refused = s.log.entries.filter((e) => e.status === 401);
    expect(refused).toHaveLength(1);
    expect(s.inspect.secretPlaintext({ repo: 'acme/web', store: 'dependabot' }, 'AFTER')).toBe('a');
  });

  it('says where the app is not installed, and what to set', async () => {
    const s = await start();
    const error = await adapter(s)
      .list({ ...target(), scope: { kind: 'repo', owner: 'other', repo: 'elsewhere' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotFoundError);
    expect((error as Error).message).toBe(
      '[envsync] [github] GitHub App 4242 is not installed on other/elsewhere: install it there (Settings → GitHub Apps), or set GITHUB_APP_INSTALLATION_ID',
    );
  });

  it('maps a key GitHub does not know to ProviderAuthError, without showing key, JWT or token', async () => {
    const s = await start();
    const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const error = await adapter(s, { key: wrongKey })
      .list(target())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthError);
    const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
    expect(text).toContain('A JSON web token could not be decoded');
    expect(text).not.toMatch(/PRIVATE KEY|eyJ|ghs_/);
  });
});
