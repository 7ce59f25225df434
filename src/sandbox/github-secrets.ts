/**
 * Secrets routes (Actions at repo, environment and org scope; Dependabot at repo and org scope):
 * list, public key, get, sealed PUT, delete. Each store of a scope has its own key pair.
 */
import sodium from 'libsodium-wrappers';
import { isoSeconds } from './clock.ts';
import type { SandboxReply, SandboxRequest } from './http.ts';
import type { Sharing } from './github-org-sharing.ts';
import { isSharingError, sharingFrom, sharingJson } from './github-org-sharing.ts';
import { paginate } from './github-pagination.ts';
import type { GitHubLimits, GitHubRouteContext, ScopeKind } from './github-request.ts';
import {
  docsFor,
  gitHubError,
  IMPROPERLY_ENCRYPTED_MESSAGE,
  invalid,
  isReply,
  NAME_RULES_MESSAGE,
  resolveScope,
} from './github-request.ts';
import type { ActionsScope, GitHubStoreKind, GitHubVisibility, StoredSecret } from './github-state.ts';
import { isValidActionsName } from './github-state.ts';

export function countLimit(limits: GitHubLimits, kind: ScopeKind, what: 'secrets' | 'variables'): number {
  const table = {
    secrets: {
      repo: limits.secretsPerRepo,
      environment: limits.secretsPerEnvironment,
      org: limits.secretsPerOrg,
    },
    variables: {
      repo: limits.variablesPerRepo,
      environment: limits.variablesPerEnvironment,
      org: limits.variablesPerOrg,
    },
  };
  return table[what][kind];
}

export const SCOPE_NOUN: Record<ScopeKind, string> = {
  repo: 'repository',
  environment: 'environment',
  org: 'organization',
};

export function secretHandlers(ctx: GitHubRouteContext, kind: ScopeKind, store: GitHubStoreKind = 'actions') {
  const secretJson = (s: StoredSecret, req: SandboxRequest): Record<string, unknown> => ({
    name: s.name,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    ...(kind === 'org'
      ? sharingJson(s, `${req.origin}/orgs/${req.params.org ?? ''}/${store}/secrets/${s.name}/repositories`)
      : {}),
  });
  return {
    list: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req, store);
      if (isReply(r)) return r;
      const all = [...r.scope.secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
      const page = paginate(all, req, 30, 100);
      return {
        status: 200,
        body: { total_count: all.length, secrets: page.items.map((s) => secretJson(s, req)) },
        headers: page.headers,
      };
    },
    publicKey: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req, store);
      if (isReply(r)) return r;
      return { status: 200, body: publicKeyJson(r.scope) };
    },
    get: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req, store);
      if (isReply(r)) return r;
      const secret = r.scope.secrets.get((req.params.secret_name ?? '').toUpperCase());
      return secret
        ? { status: 200, body: secretJson(secret, req) }
        : gitHubError(404, 'Not Found', docsFor(ctx, req));
    },
    put: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req, store);
      if (isReply(r)) return r;
      const docs = docsFor(ctx, req);
      const name = req.params.secret_name ?? '';
      if (!isValidActionsName(name)) return gitHubError(422, NAME_RULES_MESSAGE, docs);
      const body = req.body as {
        encrypted_value?: string;
        key_id?: string;
        visibility?: GitHubVisibility;
        selected_repository_ids?: (number | string)[];
      };
      const existing = r.scope.secrets.get(name.toUpperCase());
      let sharing: Sharing | undefined;
      if (r.org) {
        const s = sharingFrom(ctx, r.org, body.visibility, body.selected_repository_ids, existing, docs);
        if (isSharingError(s)) return s;
        sharing = s;
      }
      let plaintext = existing?.plaintext;
      // An org secret may be PUT with only a new visibility; anything else needs a sealed value.
      if (body.encrypted_value !== undefined || body.key_id !== undefined || !existing) {
        if (body.encrypted_value === undefined) return invalid(`"encrypted_value" wasn't supplied.`, docs);
        if (body.key_id === undefined) return invalid(`"key_id" wasn't supplied.`, docs);
        const opened = openSealedBox(r.scope, body.key_id, body.encrypted_value);
        if (!opened) return gitHubError(422, IMPROPERLY_ENCRYPTED_MESSAGE, docs);
        if (opened.byteLength > ctx.limits.valueBytes) {
          return gitHubError(
            422,
            `Secret value is too large: the limit is ${ctx.limits.valueBytes / 1024} KB.`,
            docs,
          );
        }
        plaintext = new TextDecoder().decode(opened);
      }
      const limit = countLimit(ctx.limits, kind, 'secrets');
      if (!existing && r.scope.secrets.size >= limit) {
        return gitHubError(
          422,
          `Secret limit reached: a ${SCOPE_NOUN[kind]} can have at most ${limit} secrets.`,
          docs,
        );
      }
      const now = isoSeconds(Date.now());
      r.scope.secrets.set(name.toUpperCase(), {
        name: name.toUpperCase(),
        plaintext: plaintext ?? '',
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        ...sharing,
      });
      return existing ? { status: 204 } : { status: 201, body: {} };
    },
    remove: (req: SandboxRequest): SandboxReply => {
      const r = resolveScope(ctx, kind, req, store);
      if (isReply(r)) return r;
      return r.scope.secrets.delete((req.params.secret_name ?? '').toUpperCase())
        ? { status: 204 }
        : gitHubError(404, 'Not Found', docsFor(ctx, req));
    },
  };
}

export function publicKeyJson(scope: ActionsScope): { key_id: string; key: string } {
  const key = scope.sealingKey();
  return { key_id: key.keyId, key: sodium.to_base64(key.publicKey, sodium.base64_variants.ORIGINAL) };
}

/** Opens a sealed box with the scope's current key; undefined for a stale key_id or a bad box. */
function openSealedBox(scope: ActionsScope, keyId: string, encrypted: string): Uint8Array | undefined {
  const key = scope.sealingKey();
  if (keyId !== key.keyId) return undefined;
  try {
    return sodium.crypto_box_seal_open(Buffer.from(encrypted, 'base64'), key.publicKey, key.privateKey);
  } catch {
    return undefined;
  }
}
