import { SeededRandom } from './random.ts';

export const NETLIFY_CONTEXTS = [
  'all',
  'dev',
  'dev-server',
  'branch-deploy',
  'deploy-preview',
  'production',
  'branch',
] as const;
export type NetlifyContext = (typeof NETLIFY_CONTEXTS)[number];
/**
 * Netlify's env API (Envelope) speaks `post_processing`: netlify-cli sends it by default
 * (ALL_ENVELOPE_SCOPES) and reads it back (its maintainers note `post-processing` is only a CLI
 * option, "not a scope returned by the Envelope API"), and the description's newest listing,
 * getSiteEnvVars, spells it so. The account routes' enums still say `post-processing`, and clients
 * built from them send it; the API takes both. So the sandbox takes both and answers `post_processing`.
 */
export const NETLIFY_SCOPES = ['builds', 'functions', 'runtime', 'post_processing'] as const;
export type NetlifyScope = (typeof NETLIFY_SCOPES)[number];
/** A scope as a client may spell it. */
export type NetlifyScopeInput = NetlifyScope | 'post-processing';
export const POST_PROCESSING_SPELLINGS = ['post_processing', 'post-processing'] as const;

export function normalizeScope(scope: NetlifyScopeInput): NetlifyScope {
  return scope === 'post-processing' ? 'post_processing' : scope;
}

/** Scopes as stored: one spelling, each once, in Netlify's order. */
export function normalizeScopes(scopes: readonly NetlifyScopeInput[]): NetlifyScope[] {
  const given = new Set(scopes.map(normalizeScope));
  return NETLIFY_SCOPES.filter((scope) => given.has(scope));
}

export interface NetlifyValueSeed {
  context: NetlifyContext;
  /** The branch name, for `context: 'branch'` only. */
  context_parameter?: string;
  value: string;
}
export interface NetlifyEnvVarSeed {
  key: string;
  /** Site-level when set; account-level (shared) otherwise. */
  site_id?: string;
  /** @default all four scopes (three for a secret: never post-processing) */
  scopes?: NetlifyScopeInput[];
  is_secret?: boolean;
  values: NetlifyValueSeed[];
}
export interface NetlifyAccountSeed {
  id: string;
  slug: string;
  name?: string;
  envVars?: NetlifyEnvVarSeed[];
}
export interface NetlifySiteSeed {
  id: string;
  name: string;
  account_id: string;
  /** @default https://{name}.netlify.app */
  url?: string;
}
export interface NetlifyUser {
  id: string;
  full_name: string;
  email: string;
  avatar_url: string;
}
/** The Netlify part of a sandbox fixture. */
export interface NetlifySeed {
  accounts?: NetlifyAccountSeed[];
  sites?: NetlifySiteSeed[];
  /** Who `updated_by` names. */
  user?: NetlifyUser;
}

export interface StoredValue {
  id: string;
  context: NetlifyContext;
  /** '' unless the context is `branch`. */
  contextParameter: string;
  value: string;
}
export interface StoredEnvVar {
  key: string;
  scopes: NetlifyScope[];
  isSecret: boolean;
  values: StoredValue[];
  updatedAt: string;
  updatedBy: NetlifyUser;
}
export interface NetlifyAccount {
  id: string;
  slug: string;
  name: string;
}
export interface NetlifySite {
  id: string;
  name: string;
  accountId: string;
  url: string;
  createdAt: string;
}

export const DEFAULT_NETLIFY_USER: NetlifyUser = {
  id: '5f0000000000000000000001',
  full_name: 'Sandbox User',
  email: 'sandbox@example.com',
  avatar_url: 'https://avatars.example.com/sandbox.png',
};

export function defaultScopes(isSecret: boolean): NetlifyScope[] {
  return isSecret ? ['builds', 'functions', 'runtime'] : [...NETLIFY_SCOPES];
}

/** Netlify's in-memory world: accounts, sites, and env vars per account (shared) or per site. */
export class NetlifyState {
  readonly accounts = new Map<string, NetlifyAccount>();
  readonly sites = new Map<string, NetlifySite>();
  readonly user: NetlifyUser;
  /** Keyed by `accountId` + `|` + (`siteId` or ''); keys are case-sensitive. */
  private readonly env = new Map<string, Map<string, StoredEnvVar>>();
  private readonly random: SeededRandom;

  constructor(seed: NetlifySeed = {}, randomSeed = 1) {
    this.random = new SeededRandom(randomSeed);
    this.user = seed.user ?? DEFAULT_NETLIFY_USER;
    const now = new Date().toISOString();
    for (const a of seed.accounts ?? [])
      this.accounts.set(a.id, { id: a.id, slug: a.slug, name: a.name ?? a.slug });
    for (const s of seed.sites ?? []) {
      if (!this.accounts.has(s.account_id))
        throw new Error(`[sandbox] [netlify] site ${s.name} names unknown account ${s.account_id}`);
      this.sites.set(s.id, {
        id: s.id,
        name: s.name,
        accountId: s.account_id,
        url: s.url ?? `https://${s.name}.netlify.app`,
        createdAt: now,
      });
    }
    for (const a of seed.accounts ?? []) {
      for (const v of a.envVars ?? []) {
        if (v.site_id !== undefined && this.sites.get(v.site_id)?.accountId !== a.id) {
          throw new Error(`[sandbox] [netlify] env var ${v.key} names a site outside account ${a.id}`);
        }
        if (v.values.length > 1 && v.values.some((x) => x.context === 'all'))
          throw new Error(`[sandbox] [netlify] env var ${v.key}: an all value excludes values per context`);
        const isSecret = v.is_secret ?? false;
        this.bucket(a.id, v.site_id).set(v.key, {
          key: v.key,
          scopes: v.scopes ? normalizeScopes(v.scopes) : defaultScopes(isSecret),
          isSecret,
          values: v.values.map((x) => this.value(x)),
          updatedAt: now,
          updatedBy: this.user,
        });
      }
    }
  }

  /** Netlify takes an account id or its slug (the CLI sends the slug). */
  account(idOrSlug: string): NetlifyAccount | undefined {
    return this.accounts.get(idOrSlug) ?? [...this.accounts.values()].find((a) => a.slug === idOrSlug);
  }

  /** A site by id, name, or `name.netlify.app`. */
  site(idOrName: string): NetlifySite | undefined {
    return (
      this.sites.get(idOrName) ??
      [...this.sites.values()].find((s) => s.name === idOrName || `${s.name}.netlify.app` === idOrName)
    );
  }

  bucket(accountId: string, siteId: string | undefined): Map<string, StoredEnvVar> {
    const id = `${accountId}|${siteId ?? ''}`;
    let bucket = this.env.get(id);
    if (!bucket) {
      bucket = new Map();
      this.env.set(id, bucket);
    }
    return bucket;
  }

  value(input: NetlifyValueSeed): StoredValue {
    return {
      id: this.uuid(),
      context: input.context,
      contextParameter: input.context_parameter ?? '',
      value: input.value,
    };
  }

  uuid(): string {
    const hex = this.random.chars('0123456789abcdef', 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}
