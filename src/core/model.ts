/**
 * The provider-blind model every part of EnvSync speaks. Adapters translate a provider's wire
 * format into these types; the plan engine never sees anything else.
 */
import type { Secret } from './secret.ts';

export type ProviderId = 'github' | 'render' | 'netlify' | 'dotenv';
export const PROVIDER_IDS: readonly ProviderId[] = ['github', 'render', 'netlify', 'dotenv'];

/** A value EnvSync can read, or only knows exists (write-only secrets: GitHub, Netlify `is_secret`). */
export type EnvValue = (
  | { readonly kind: 'value'; readonly value: Secret; readonly updatedAt?: string; readonly secret?: boolean }
  | { readonly kind: 'write-only'; readonly updatedAt?: string }
) & {
  /**
   * Set when the target reads the value from a wider place it cannot change alone (Netlify's `all`
   * context, read by a one-context target): names that place, for the reason of a refused delete.
   */
  readonly inheritedFrom?: string;
  /**
   * Where the key is exposed, for targets that scope keys (Netlify: builds, functions, runtime,
   * post-processing). Read from the target, kept in snapshots, and restored by a rollback.
   */
  readonly scopes?: readonly string[];
  /**
   * Why this target cannot change the key's scopes alone (Netlify rewrites every context's value to
   * change them, and other contexts' secret values cannot be read back): a scope change is refused.
   */
  readonly scopesFixed?: string;
};

/** Key → value as held by one place. A `Map` so that keys like `__proto__` are plain keys. */
export type EnvMap = ReadonlyMap<string, EnvValue>;

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

/** Where a Netlify key is exposed, in Netlify's order (its API also answers `post_processing`). */
export const NETLIFY_SCOPES = ['builds', 'functions', 'runtime', 'post-processing'] as const;
export type NetlifyScopeName = (typeof NETLIFY_SCOPES)[number];

export type RenderScope =
  | { readonly kind: 'service'; readonly serviceId: string }
  | { readonly kind: 'env-group'; readonly envGroupId: string };

export interface NetlifyScope {
  readonly siteId: string;
  /** Resolved from the site when left out. */
  readonly accountId?: string;
  readonly context: NetlifyContext;
  /** The branch name, required when `context` is `branch`. */
  readonly branch?: string;
}

export type GitHubScope =
  | { readonly kind: 'repo'; readonly owner: string; readonly repo: string }
  | {
      readonly kind: 'environment';
      readonly owner: string;
      readonly repo: string;
      readonly environment: string;
    }
  | {
      readonly kind: 'org';
      readonly org: string;
      /** Who may use an org secret or variable. @default 'private' */
      readonly visibility?: 'all' | 'private' | 'selected';
      readonly selectedRepositoryIds?: readonly number[];
    };

/** A GitHub target's store: Actions secrets, Actions variables, or Dependabot secrets. */
export type GitHubStore = 'secrets' | 'variables' | 'dependabot';

/** Where variables live. `id` is the user's name for it (`render`, `netlify-prod`, `github-secrets`). */
export type Target =
  | {
      readonly id: string;
      readonly provider: 'render';
      readonly scope: RenderScope;
      /** Start a deploy after a sync changed the service's variables (they apply only on deploy). */
      readonly redeploy?: boolean;
    }
  | { readonly id: string; readonly provider: 'netlify'; readonly scope: NetlifyScope }
  | {
      readonly id: string;
      readonly provider: 'github';
      readonly scope: GitHubScope;
      /**
       * Actions secrets (write-only, sealed), Actions variables (plain, readable), or Dependabot
       * secrets (write-only, sealed with their own key; repository and organization only).
       */
      readonly store: GitHubStore;
    }
  | { readonly id: string; readonly provider: 'dotenv'; readonly scope: { readonly path: string } };

/** Where desired values come from: the manifest (its own values, or a seed `.env` file) or a target. */
export type Source =
  | { readonly kind: 'manifest'; readonly id: string }
  /** A snapshot being restored (rollback). */
  | { readonly kind: 'snapshot'; readonly id: string }
  | { readonly kind: 'target'; readonly id: string; readonly target: Target };

/** How one key travels: which targets get it and whether it is a secret there. */
export interface KeyRoute {
  /** Target ids that receive the key; all targets when left out. */
  readonly targets?: readonly string[];
  /** Stored as a secret where the target distinguishes (GitHub secrets vs variables, Netlify `is_secret`). */
  readonly secret?: boolean;
  /** Targets that must not receive the key, with why: planned as `skip` there, so the refusal shows. */
  readonly refused?: Readonly<Record<string, string>>;
  /**
   * Where the key must be exposed on targets that scope keys (Netlify's builds, functions, runtime,
   * post-processing); ignored by targets without scopes. Absent: existing keys keep theirs.
   */
  readonly scopes?: readonly string[];
}

export type DeletionPolicy = 'never' | 'managed' | 'all';

export interface Policy {
  /** Only keys starting with one of these are considered; all keys when empty. */
  readonly include: readonly string[];
  /** Keys starting with one of these are ignored. Exclusion wins over inclusion. */
  readonly exclude: readonly string[];
  /** Per target id: source key → key on that target. */
  readonly rename: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** @default 'never' */
  readonly deletions: DeletionPolicy;
  /** `create-only` fills missing keys and never changes an existing value. @default 'overwrite' */
  readonly mode: 'overwrite' | 'create-only';
  /** Rewrite write-only values EnvSync cannot compare (never synced by it). @default false */
  readonly overwriteUnknown: boolean;
  /** Per-key routing; keys not listed go everywhere with `secret` false. */
  readonly routes: Readonly<Record<string, KeyRoute>>;
}

export const DEFAULT_POLICY: Policy = {
  include: [],
  exclude: [],
  rename: {},
  deletions: 'never',
  mode: 'overwrite',
  overwriteUnknown: false,
  routes: {},
};

/** What EnvSync remembers of a key it wrote: to delete only its own keys and to see write-only drift. */
export interface LedgerEntry {
  /** Keyed fingerprint of the value last written. */
  readonly fingerprint: string;
  /** The provider's `updated_at` right after EnvSync wrote it. */
  readonly updatedAt?: string;
  readonly syncedAt: string;
  /** EnvSync created the key (it did not exist before): `deletions: managed` may remove it. */
  readonly created: boolean;
}

/** Per target id, per key on that target. */
export type Ledger = ReadonlyMap<string, ReadonlyMap<string, LedgerEntry>>;

export type Action = 'create' | 'update' | 'delete' | 'noop' | 'unknown' | 'skip';
export const ACTIONS: readonly Action[] = ['create', 'update', 'delete', 'noop', 'unknown', 'skip'];

/** Why an entry is what it is; `missing`/`conflict`/`extra`/`drifted` feed the drift report. */
export type Finding = 'missing' | 'conflict' | 'extra' | 'drifted' | 'unknown' | 'invalid' | 'in-sync';

export interface PlanEntry {
  /** The key as named on the target (after rename and the provider's normalisation). */
  readonly key: string;
  /** The key as named in the source; absent for keys only the target has. */
  readonly sourceKey?: string;
  readonly action: Action;
  readonly finding: Finding;
  /** A sentence a user can act on; never contains a value. */
  readonly reason: string;
  /** Desired value for create/update. A `Secret`: it prints as «redacted». */
  readonly value?: Secret;
  readonly secret: boolean;
  /**
   * Scopes the key must have (declared in the manifest, or a snapshot's being restored): set on a
   * create, and changed on an update. Absent: a new key gets the target's defaults, an existing one
   * keeps its own, whatever its value does.
   */
  readonly scopes?: readonly string[] | undefined;
  readonly sourceFingerprint?: string;
  readonly targetFingerprint?: string;
  /** Target's `updated_at` when planned: a sync refuses to apply if it moved since. */
  readonly targetUpdatedAt?: string;
}

export interface TargetPlan {
  readonly target: Target;
  readonly entries: readonly PlanEntry[];
  /** What the target would accept but may break (a scope's size limit), in words naming the keys. */
  readonly warnings?: readonly string[];
}

export interface Plan {
  readonly source: Source;
  readonly createdAt: string;
  readonly policy: Policy;
  readonly targets: readonly TargetPlan[];
}

export function targetLabel(target: Target): string {
  switch (target.provider) {
    case 'render':
      return target.scope.kind === 'service'
        ? `render service ${target.scope.serviceId}`
        : `render env group ${target.scope.envGroupId}`;
    case 'netlify': {
      const ctx =
        target.scope.context === 'branch' ? `branch:${target.scope.branch ?? '?'}` : target.scope.context;
      return `netlify site ${target.scope.siteId} (${ctx})`;
    }
    case 'github': {
      const s = target.scope;
      const where =
        s.kind === 'repo'
          ? `${s.owner}/${s.repo}`
          : s.kind === 'environment'
            ? `${s.owner}/${s.repo} environment ${s.environment}`
            : `org ${s.org}`;
      return `github ${where} ${target.store}`;
    }
    case 'dotenv':
      return `file ${target.scope.path}`;
  }
}
