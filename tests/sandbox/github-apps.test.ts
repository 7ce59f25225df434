/** The GitHub sandbox's Apps: JWT checks, installation lookup, installation tokens, their reach and expiry. */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubSandbox } from '../../src/sandbox/index.ts';
import { startGitHubSandbox } from '../../src/sandbox/index.ts';
import { adminClient, client, expectConforming, seal } from './http-client.ts';

const APP_ID = 4711;
const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_PEM = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Claims = { iat?: unknown; exp?: unknown; iss?: unknown };
/** An RS256 JWT, signed here with node:crypto (independently of the adapter's signer). */
function jwt(claims: Claims, key = pair.privateKey, alg = 'RS256'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  const signature = createSign('RSA-SHA256').update(body).sign(key).toString('base64url');
  return `${body}.${signature}`;
}

type Message = { message: string };
type TokenReply = {
  token: string;
  expires_at: string;
  permissions: Record<string, string>;
  repository_selection: string;
};
const ACCESS = '/app/installations/{installation_id}/access_tokens';

let sandbox: GitHubSandbox;
/** A JWT valid now on the sandbox clock. */
const appJwt = (): string => {
  const now = Math.floor(sandbox.now() / 1000);
  return jwt({ iat: now - 60, exp: now + 540, iss: String(APP_ID) });
};

beforeEach(async () => {
  sandbox = await startGitHubSandbox({
    seed: {
      orgs: [{ login: 'acme', id: 77 }, { login: 'other' }],
      repos: [
        { owner: 'acme', name: 'web', id: 501, dependabot_secrets: [{ name: 'REGISTRY', value: 'r' }] },
        { owner: 'acme', name: 'api', id: 502 },
        { owner: 'other', name: 'site', id: 601 },
      ],
      apps: [
        {
          id: APP_ID,
          slug: 'envsync-test',
          public_key: PUBLIC_PEM,
          installations: [
            {
              id: 9001,
              account: 'acme',
              repositories: ['web'],
              permissions: { secrets: 'write', dependabot_secrets: 'read' },
            },
          ],
        },
      ],
    },
  });
});
afterEach(async () => sandbox.close());

async function installationToken(body?: unknown): Promise<TokenReply> {
  const reply = await client(sandbox.url, appJwt()).post<TokenReply>(
    '/app/installations/9001/access_tokens',
    body,
  );
  expect(reply.status).toBe(201);
  expectConforming(sandbox, 'POST', ACCESS, reply);
  return reply.body;
}

describe('github apps: the JWT', () => {
  it('finds the installation of a repo and of an org', async () => {
    const app = client(sandbox.url, appJwt());
    const byRepo = await app.get<{ id: number; app_slug: string; repository_selection: string }>(
      '/repos/acme/web/installation',
    );
    expect(byRepo.status).toBe(200);
    expectConforming(sandbox, 'GET', '/repos/{owner}/{repo}/installation', byRepo);
    expect(byRepo.body).toMatchObject({
      id: 9001,
      app_slug: 'envsync-test',
      repository_selection: 'selected',
    });
    // A repo the installation was not given, and an org it is not installed on.
    expect((await app.get('/repos/acme/api/installation')).status).toBe(404);
    expect((await app.get('/orgs/other/installation')).status).toBe(404);
    const byOrg = await app.get<{ id: number }>('/orgs/acme/installation');
    expectConforming(sandbox, 'GET', '/orgs/{org}/installation', byOrg);
    expect(byOrg.body.id).toBe(9001);
    expect(sandbox.violations).toEqual([]);
  });

  it.each([
    [
      'expired',
      (now: number) => ({ iat: now - 700, exp: now - 100 }),
      "'Expiration time' claim ('exp') must be",
    ],
    [
      'issued in the future',
      (now: number) => ({ iat: now + 120, exp: now + 500 }),
      "'Issued at' claim ('iat')",
    ],
    [
      'longer than 10 minutes',
      (now: number) => ({ iat: now - 10, exp: now + 700 }),
      'is too far in the future',
    ],
    ['iat not an integer', (now: number) => ({ iat: 'now', exp: now + 500 }), "'Issued at' claim ('iat')"],
  ])('refuses a JWT %s with GitHub message', async (_, claims, message) => {
    const now = Math.floor(sandbox.now() / 1000);
    const reply = await client(sandbox.url, jwt({ ...claims(now), iss: APP_ID })).get<Message>(
      '/repos/acme/web/installation',
    );
    expect(reply.status).toBe(401);
    expect(reply.body.message).toContain(message);
  });

  it('accepts up to 60 s of drift in iat, and refuses a wrong key, alg or issuer as undecodable', async () => {
    const now = Math.floor(sandbox.now() / 1000);
    const drift = jwt({ iat: now + 30, exp: now + 500, iss: APP_ID });
    expect((await client(sandbox.url, drift).get('/repos/acme/web/installation')).status).toBe(200);
    for (const token of [
      jwt({ iat: now - 60, exp: now + 500, iss: APP_ID }, other.privateKey),
      jwt({ iat: now - 60, exp: now + 500, iss: APP_ID }, pair.privateKey, 'HS256'),
      jwt({ iat: now - 60, exp: now + 500, iss: 999 }),
    ]) {
      const reply = await client(sandbox.url, token).get<Message>('/repos/acme/web/installation');
      expect(reply.status).toBe(401);
      expect(reply.body.message).toBe('A JSON web token could not be decoded');
    }
  });

  it('opens only the app routes, and the app routes need it', async () => {
    const asApp = await client(sandbox.url, appJwt()).get<Message>('/repos/acme/web/dependabot/secrets');
    expect(asApp.status).toBe(403);
    expect(asApp.body.message).toBe('Resource not accessible by integration');
    const asPat = await client(sandbox.url, sandbox.token).post<Message>(
      '/app/installations/9001/access_tokens',
    );
    expect(asPat.status).toBe(401);
    expect(asPat.body.message).toBe('A JSON web token could not be decoded');
  });
});

describe('github apps: installation tokens', () => {
  it('last one hour on the sandbox clock, then answer Bad credentials', async () => {
    const before = sandbox.now();
    const issued = await installationToken();
    expect(issued.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(issued.repository_selection).toBe('selected');
    expect(issued.permissions).toEqual({ secrets: 'write', dependabot_secrets: 'read', metadata: 'read' });
    const life = Date.parse(issued.expires_at) - before;
    expect(life).toBeGreaterThan(59 * 60_000);
    expect(life).toBeLessThanOrEqual(60 * 60_000 + 1_000);
    const api = client(sandbox.url, issued.token);
    expect((await api.get('/repos/acme/web/dependabot/secrets')).status).toBe(200);
    sandbox.advanceClock(59 * 60_000);
    expect((await api.get('/repos/acme/web/dependabot/secrets')).status).toBe(200);
    sandbox.advanceClock(61_000);
    const expired = await api.get<Message>('/repos/acme/web/dependabot/secrets');
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('Bad credentials');
  });

  it('reach only the installation repositories, within its permissions', async () => {
    const api = client(sandbox.url, (await installationToken()).token);
    // dependabot_secrets: read → lists, but writes are refused.
    expect((await api.get('/repos/acme/web/dependabot/secrets')).status).toBe(200);
    const key = (
      await api.get<{ key: string; key_id: string }>('/repos/acme/web/dependabot/secrets/public-key')
    ).body;
    const write = await api.put<Message>('/repos/acme/web/dependabot/secrets/X', {
      encrypted_value: await seal(key.key, 'v'),
      key_id: key.key_id,
    });
    expect(write.status).toBe(403);
    expect(write.body.message).toBe('Resource not accessible by integration');
    // secrets: write → Actions secrets are writable.
    const actionsKey = (
      await api.get<{ key: string; key_id: string }>('/repos/acme/web/actions/secrets/public-key')
    ).body;
    const actionsWrite = await api.put('/repos/acme/web/actions/secrets/X', {
      encrypted_value: await seal(actionsKey.key, 'v'),
      key_id: actionsKey.key_id,
    });
    expect(actionsWrite.status).toBe(201);
    // No variables permission, a repo outside the installation, an org permission it lacks.
    expect((await api.get('/repos/acme/web/actions/variables')).status).toBe(403);
    expect((await api.get('/repos/acme/api/actions/secrets')).status).toBe(404);
    expect((await api.get('/repos/other/site/actions/secrets')).status).toBe(404);
    expect((await api.get('/orgs/acme/dependabot/secrets')).status).toBe(403);
    expect((await api.get('/orgs/other/dependabot/secrets')).status).toBe(404);
  });

  it('can be narrowed, never widened', async () => {
    const narrowed = await installationToken({ permissions: { dependabot_secrets: 'read' } });
    expect(narrowed.permissions).toEqual({ dependabot_secrets: 'read', metadata: 'read' });
    expect((await client(sandbox.url, narrowed.token).get('/repos/acme/web/actions/secrets')).status).toBe(
      403,
    );
    const app = client(sandbox.url, appJwt());
    const wider = await app.post<Message>('/app/installations/9001/access_tokens', {
      permissions: { dependabot_secrets: 'write' },
    });
    expect(wider.status).toBe(422);
    expect(wider.body.message).toBe('The permissions requested are not granted to this installation.');
    const outside = await app.post('/app/installations/9001/access_tokens', { repositories: ['api'] });
    expect(outside.status).toBe(422);
    expect((await app.post('/app/installations/12345/access_tokens')).status).toBe(404);
  });

  it('a JWT signed before the clock moved past its exp is refused', async () => {
    const token = appJwt();
    sandbox.advanceClock(11 * 60_000);
    const reply = await client(sandbox.url, token).post<Message>('/app/installations/9001/access_tokens');
    expect(reply.status).toBe(401);
    expect(reply.body.message).toContain("'Expiration time' claim ('exp')");
  });
});

describe('github apps: control API', () => {
  it('registers apps and installations, and moves the clock', async () => {
    const admin = adminClient(sandbox);
    const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = second.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await admin.post('/apps', { id: 8, public_key: pem })).status).toBe(201);
    expect((await admin.post('/apps', { id: 8, public_key: pem })).status).toBe(409);
    expect((await admin.post('/apps', { id: 9, public_key: 'not a key' })).status).toBe(400);
    const installed = await admin.post<{ id: number }>('/apps/8/installations', {
      account: 'other',
      permissions: { organization_dependabot_secrets: 'write' },
    });
    expect(installed.status).toBe(201);
    expect((await admin.post('/apps/8/installations', { account: 'nobody', permissions: {} })).status).toBe(
      404,
    );
    const now = Math.floor(sandbox.now() / 1000);
    const appToken = jwt({ iat: now - 60, exp: now + 500, iss: 8 }, second.privateKey);
    const token = await client(sandbox.url, appToken).post<TokenReply>(
      `/app/installations/${installed.body.id}/access_tokens`,
    );
    expect(token.body.repository_selection).toBe('all');
    expect((await client(sandbox.url, token.body.token).get('/orgs/other/dependabot/secrets')).status).toBe(
      200,
    );
    const moved = await admin.post<{ now: string }>('/clock/advance', { seconds: 3601 });
    expect(moved.status).toBe(200);
    expect((await client(sandbox.url, token.body.token).get('/orgs/other/dependabot/secrets')).status).toBe(
      401,
    );
    expect((await admin.post('/clock/advance', { seconds: -1 })).status).toBe(400);
  });
});
