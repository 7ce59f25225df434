/**
 * GitHub App authentication: an RS256 JWT signed with node:crypto (no dependency) buys an
 * installation token at `POST /app/installations/{id}/access_tokens`. The installation is the one
 * configured, or the one found from the repository or organization a request is about. Tokens are
 * cached per installation until 5 minutes before `expires_at`, and dropped on a 401, so a long
 * run changes tokens as it goes.
 */
import { createPrivateKey, createSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as v from 'valibot';
import { decode, segment } from './api-client.ts';
import type { ApiClient, ClientAuth } from './api-client.ts';
import { ProviderError, ProviderNotFoundError } from './errors.ts';
import type { Clock } from './pacer.ts';
import { systemClock } from './pacer.ts';

export interface GitHubAppCredentials {
  /** The App ID (Settings → Developer settings → GitHub Apps → the app → App ID). */
  readonly appId: string;
  /** The app's private key (PEM). */
  readonly privateKey: KeyObject;
  /** @default found from the target's repository or organization */
  readonly installationId?: number;
}

/** A token is renewed this long before GitHub says it expires: a request never carries a dying one. */
export const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;
/** `iat` is set this far in the past, as GitHub advises, for clocks a little ahead of its own. */
const JWT_BACKDATE_SECONDS = 60;
/** GitHub accepts at most 10 minutes between `iat` and `exp`. */
const JWT_LIFETIME_SECONDS = 600;

const Installation = v.looseObject({ id: v.pipe(v.number(), v.integer()) });
const AccessToken = v.looseObject({ token: v.string(), expires_at: v.string() });

/** The RS256 JWT of an app: `iss` = app id, backdated 60 s, 10 minutes long in all. */
export function appJwt(app: GitHubAppCredentials, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
    iat: now - JWT_BACKDATE_SECONDS,
    exp: now - JWT_BACKDATE_SECONDS + JWT_LIFETIME_SECONDS,
    iss: app.appId,
  })}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(app.privateKey).toString('base64url')}`;
}

/**
 * Reads a PEM private key as environment variables carry it: with real line breaks or with
 * literal `\n` escapes. Undefined when it is not an RSA private key; the key itself is never shown.
 */
export function parseAppPrivateKey(text: string): KeyObject | undefined {
  const pem = text.trim().replace(/\\r/g, '').replace(/\\n/g, '\n');
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'rsa' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The repository or organization a request path is about, as a key and its installation lookup path. */
function scopeOf(path: string): { key: string; lookup: string } | undefined {
  const repo = /^\/repos\/([^/]+)\/([^/]+)(?:\/|$)/.exec(path);
  if (repo?.[1] && repo[2]) {
    const [owner, name] = [decodeURIComponent(repo[1]), decodeURIComponent(repo[2])];
    return {
      key: `repo:${owner}/${name}`.toLowerCase(),
      lookup: `/repos/${segment(owner)}/${segment(name)}/installation`,
    };
  }
  const org = /^\/orgs\/([^/]+)(?:\/|$)/.exec(path);
  if (org?.[1]) {
    const login = decodeURIComponent(org[1]);
    return { key: `org:${login}`.toLowerCase(), lookup: `/orgs/${segment(login)}/installation` };
  }
  return undefined;
}

interface CachedToken {
  readonly header: string;
  /** Epoch ms on the caller's clock after which a fresh token is fetched. */
  readonly renewAt: number;
}

/**
 * The `ClientAuth` of a GitHub adapter with App credentials. `clientWith` builds clients on the
 * adapter's pacer: one signed with the JWT for the App routes.
 */
export function gitHubAppAuth(
  app: GitHubAppCredentials,
  clientWith: (auth?: ClientAuth) => ApiClient,
  clock: Clock = systemClock,
): ClientAuth {
  const jwtAuth: ClientAuth = {
    header: () => Promise.resolve(`Bearer ${appJwt(app, clock.now())}`),
    // A refused JWT is not cured by signing another: the key or the app id is wrong.
    rejected: () => false,
  };
  const asApp = clientWith(jwtAuth);
  const installations = new Map<string, Promise<number>>();
  /** Per installation: the token request, and its answer once it came. */
  const tokens = new Map<number, { pending: Promise<CachedToken>; token?: CachedToken }>();
  /** Every header handed out, to recognise a 401 to one of ours. */
  const issued = new Set<string>();

  const installationFor = (path: string): Promise<number> => {
    if (app.installationId !== undefined) return Promise.resolve(app.installationId);
    const scope = scopeOf(path);
    if (!scope) {
      return Promise.reject(
        new ProviderError(
          `[envsync] [github] GitHub App auth cannot tell which installation ${path} belongs to; set GITHUB_APP_INSTALLATION_ID`,
          { provider: 'github' },
        ),
      );
    }
    let found = installations.get(scope.key);
    if (!found) {
      found = asApp.request({ method: 'GET', path: scope.lookup }).then(
        (res) => decode(Installation, res.data, { provider: 'github', what: `GET ${scope.lookup}` }).id,
        (error: unknown) => {
          installations.delete(scope.key);
          if (error instanceof ProviderNotFoundError) {
            throw new ProviderNotFoundError(
              `[envsync] [github] GitHub App ${app.appId} is not installed on ${scope.key.replace(/^\w+:/, '')}: install it there (Settings → GitHub Apps), or set GITHUB_APP_INSTALLATION_ID`,
              { provider: 'github', status: 404, cause: error },
            );
          }
          throw error;
        },
      );
      installations.set(scope.key, found);
    }
    return found;
  };

  const fetchToken = async (installationId: number): Promise<CachedToken> => {
    const path = `/app/installations/${installationId}/access_tokens`;
    const res = await asApp.request({ method: 'POST', path });
    const body = decode(AccessToken, res.data, { provider: 'github', what: `POST ${path}` });
    const expiresAt = Date.parse(body.expires_at);
    // An unreadable expiry: assume GitHub's documented hour from now.
    const life = Number.isNaN(expiresAt) ? 60 * 60_000 : expiresAt - clock.now();
    return { header: `Bearer ${body.token}`, renewAt: clock.now() + life - TOKEN_RENEW_MARGIN_MS };
  };

  return {
    async header(path) {
      const id = await installationFor(path);
      const entry = tokens.get(id);
      if (entry && (!entry.token || clock.now() < entry.token.renewAt)) return (await entry.pending).header;
      // None yet, or renewal is due: one request, shared by every caller that comes meanwhile.
      const fresh: { pending: Promise<CachedToken>; token?: CachedToken } = {
        pending: fetchToken(id).then(
          (token) => {
            fresh.token = token;
            issued.add(token.header);
            return token;
          },
          (error: unknown) => {
            if (tokens.get(id) === fresh) tokens.delete(id);
            throw error;
          },
        ),
      };
      tokens.set(id, fresh);
      return (await fresh.pending).header;
    },
    rejected(used) {
      if (!issued.has(used)) return false;
      for (const [id, entry] of tokens) if (entry.token?.header === used) tokens.delete(id);
      return true;
    },
  };
}
