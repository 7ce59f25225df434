import sodium from 'libsodium-wrappers';
import { isoSeconds } from './clock.ts';
import { SandboxAdminError } from './http.ts';
import { SeededRandom } from './random.ts';
import type { GitHubAppSeed } from './github-apps.ts';
import { GitHubApps } from './github-apps.ts';

export type GitHubVisibility = 'all' | 'private' | 'selected';

/** Fixture: a secret is planted by plaintext; the sandbox never needs it sealed. */
export interface GitHubSecretSeed {
  name: string;
  value: string;
  /** ISO timestamps; default to the time the sandbox starts. */
  created_at?: string;
  updated_at?: string;
}
export interface GitHubVariableSeed {
  name: string;
  value: string;
  created_at?: string;
  updated_at?: string;
}
export interface GitHubOrgSharing {
  /** @default 'private' */
  visibility?: GitHubVisibility;
  /** Names of repositories of the org that may use it, when `visibility` is `selected`. */
  selected_repositories?: string[];
}
export interface GitHubEnvironmentSeed {
  name: string;
  secrets?: GitHubSecretSeed[];
  variables?: GitHubVariableSeed[];
}
export interface GitHubRepoSeed {
  owner: string;
  name: string;
  id?: number;
  private?: boolean;
  /** Archived repositories are listed but read-only. @default false */
  archived?: boolean;
  environments?: GitHubEnvironmentSeed[];
  secrets?: GitHubSecretSeed[];
  variables?: GitHubVariableSeed[];
  /** Dependabot secrets: their own collection, sealed with their own key. */
  dependabot_secrets?: GitHubSecretSeed[];
}
export interface GitHubOrgSeed {
  login: string;
  id?: number;
  secrets?: (GitHubSecretSeed & GitHubOrgSharing)[];
  variables?: (GitHubVariableSeed & GitHubOrgSharing)[];
  dependabot_secrets?: (GitHubSecretSeed & GitHubOrgSharing)[];
}
/** The GitHub part of a sandbox fixture. A repo whose owner is listed in `orgs` belongs to that org. */
export interface GitHubSeed {
  orgs?: GitHubOrgSeed[];
  repos?: GitHubRepoSeed[];
  /** GitHub Apps and their installations (see github-apps.ts). */
  apps?: GitHubAppSeed[];
}

/** Which store of a scope: Actions secrets and variables, or Dependabot secrets. */
export type GitHubStoreKind = 'actions' | 'dependabot';

/** Which secrets/variables collection an inspection call means (`store` @default 'actions'). */
export type GitHubScopeRef =
  { repo: string; environment?: string; store?: GitHubStoreKind } | { org: string; store?: GitHubStoreKind };

export interface StoredSecret {
  name: string;
  /** Kept only for the inspection API; never logged, never returned by the public API. */
  plaintext: string;
  createdAt: string;
  updatedAt: string;
  visibility?: GitHubVisibility;
  selectedRepositoryIds?: number[];
}
export interface StoredVariable {
  name: string;
  value: string;
  createdAt: string;
  updatedAt: string;
  visibility?: GitHubVisibility;
  selectedRepositoryIds?: number[];
}
export interface SealingKey {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** One collection of secrets and variables with its own sealing key: a repo, an environment or an org. */
export class ActionsScope {
  /** Keyed by the upper-case name: GitHub names are case-insensitive. */
  readonly secrets = new Map<string, StoredSecret>();
  readonly variables = new Map<string, StoredVariable>();
  private key: SealingKey | undefined;

  constructor(
    readonly kind: 'repo' | 'environment' | 'org',
    private readonly newKeyId: () => string,
  ) {}

  sealingKey(): SealingKey {
    this.key ??= this.generateKey();
    return this.key;
  }

  /** A new key pair; boxes sealed for the old one are refused from now on. */
  rotateKey(): SealingKey {
    this.key = this.generateKey();
    return this.key;
  }

  private generateKey(): SealingKey {
    const pair = sodium.crypto_box_keypair();
    return { keyId: this.newKeyId(), publicKey: pair.publicKey, privateKey: pair.privateKey };
  }
}

export interface GitHubEnvironment {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
  scope: ActionsScope;
}
export interface GitHubRepo {
  id: number;
  owner: string;
  ownerId: number;
  ownerType: 'User' | 'Organization';
  name: string;
  private: boolean;
  archived: boolean;
  createdAt: string;
  scope: ActionsScope;
  /** Dependabot secrets, with a key pair distinct from the Actions one. */
  dependabot: ActionsScope;
  /** Keyed by lower-case name: environment names are case-insensitive. */
  environments: Map<string, GitHubEnvironment>;
}
export interface GitHubOrg {
  id: number;
  login: string;
  scope: ActionsScope;
  dependabot: ActionsScope;
}

/** `[A-Za-z0-9_]`, not starting with a digit, not starting with `GITHUB_` (any case). */
export function isValidActionsName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^GITHUB_/i.test(name);
}

/** GitHub's in-memory world: orgs, repos, environments and their Actions secrets and variables. */
export class GitHubState {
  readonly repos = new Map<string, GitHubRepo>();
  readonly orgs = new Map<string, GitHubOrg>();
  readonly apps = new GitHubApps();
  private readonly random: SeededRandom;
  private nextId = 1_000_000;

  /** libsodium must be ready (`await sodium.ready`) before a state is built. */
  constructor(seed: GitHubSeed = {}, randomSeed = 1) {
    this.random = new SeededRandom(randomSeed);
    const now = isoSeconds(Date.now());
    for (const org of seed.orgs ?? []) {
      if (this.orgs.has(org.login.toLowerCase()))
        throw new Error(`[sandbox] [github] duplicate org ${org.login} in seed`);
      this.orgs.set(org.login.toLowerCase(), {
        id: org.id ?? this.id(),
        login: org.login,
        scope: this.scope('org'),
        dependabot: this.scope('org'),
      });
    }
    for (const repo of seed.repos ?? []) this.addRepo(repo, now);
    for (const orgSeed of seed.orgs ?? []) {
      const org = this.orgs.get(orgSeed.login.toLowerCase());
      if (!org) continue;
      for (const [scope, secrets] of [
        [org.scope, orgSeed.secrets],
        [org.dependabot, orgSeed.dependabot_secrets],
      ] as const) {
        for (const s of secrets ?? []) {
          scope.secrets.set(checkedName(s.name), {
            ...stamps(s, now),
            name: s.name.toUpperCase(),
            plaintext: s.value,
            ...this.sharing(org, s),
          });
        }
      }
      for (const v of orgSeed.variables ?? []) {
        org.scope.variables.set(checkedName(v.name), {
          ...stamps(v, now),
          name: v.name.toUpperCase(),
          value: v.value,
          ...this.sharing(org, v),
        });
      }
    }
    for (const app of seed.apps ?? []) this.apps.register(app, this);
  }

  repo(owner: string, name: string): GitHubRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoById(id: number): GitHubRepo | undefined {
    return [...this.repos.values()].find((r) => r.id === id);
  }

  org(login: string): GitHubOrg | undefined {
    return this.orgs.get(login.toLowerCase());
  }

  reposOfOrg(org: GitHubOrg): GitHubRepo[] {
    return [...this.repos.values()].filter((r) => r.owner.toLowerCase() === org.login.toLowerCase());
  }

  /** Resolves an inspection reference, throwing a 404 admin error when it names nothing. */
  resolve(ref: GitHubScopeRef): ActionsScope {
    const dependabot = ref.store === 'dependabot';
    if ('org' in ref) {
      const org = this.org(ref.org);
      if (!org) throw new SandboxAdminError(404, `no org ${ref.org}`);
      return dependabot ? org.dependabot : org.scope;
    }
    const [owner = '', name = ''] = ref.repo.split('/');
    const repo = this.repo(owner, name);
    if (!repo) throw new SandboxAdminError(404, `no repo ${ref.repo}`);
    if (ref.environment === undefined) return dependabot ? repo.dependabot : repo.scope;
    if (dependabot) throw new SandboxAdminError(400, 'environments have no Dependabot secrets');
    const environment = repo.environments.get(ref.environment.toLowerCase());
    if (!environment) throw new SandboxAdminError(404, `no environment ${ref.environment} in ${ref.repo}`);
    return environment.scope;
  }

  /** A fresh numeric id (repos, environments, orgs). */
  id(): number {
    return this.nextId++;
  }

  private addRepo(seed: GitHubRepoSeed, now: string): void {
    const key = `${seed.owner}/${seed.name}`.toLowerCase();
    if (this.repos.has(key))
      throw new Error(`[sandbox] [github] duplicate repo ${seed.owner}/${seed.name} in seed`);
    const org = this.org(seed.owner);
    const repo: GitHubRepo = {
      id: seed.id ?? this.id(),
      owner: org?.login ?? seed.owner,
      ownerId: org?.id ?? this.id(),
      ownerType: org ? 'Organization' : 'User',
      name: seed.name,
      private: seed.private ?? true,
      archived: seed.archived ?? false,
      createdAt: now,
      scope: this.scope('repo'),
      dependabot: this.scope('repo'),
      environments: new Map(),
    };
    for (const [scope, secrets] of [
      [repo.scope, seed.secrets],
      [repo.dependabot, seed.dependabot_secrets],
    ] as const) {
      for (const s of secrets ?? [])
        scope.secrets.set(checkedName(s.name), {
          ...stamps(s, now),
          name: s.name.toUpperCase(),
          plaintext: s.value,
        });
    }
    for (const v of seed.variables ?? [])
      repo.scope.variables.set(checkedName(v.name), {
        ...stamps(v, now),
        name: v.name.toUpperCase(),
        value: v.value,
      });
    for (const env of seed.environments ?? []) {
      const environment: GitHubEnvironment = {
        id: this.id(),
        name: env.name,
        createdAt: now,
        updatedAt: now,
        scope: this.scope('environment'),
      };
      for (const s of env.secrets ?? []) {
        environment.scope.secrets.set(checkedName(s.name), {
          ...stamps(s, now),
          name: s.name.toUpperCase(),
          plaintext: s.value,
        });
      }
      for (const v of env.variables ?? []) {
        environment.scope.variables.set(checkedName(v.name), {
          ...stamps(v, now),
          name: v.name.toUpperCase(),
          value: v.value,
        });
      }
      repo.environments.set(env.name.toLowerCase(), environment);
    }
    this.repos.set(key, repo);
  }

  private scope(kind: ActionsScope['kind']): ActionsScope {
    // GitHub key ids are long decimal strings, e.g. "568250167242549743".
    return new ActionsScope(kind, () => `${1 + this.random.int(9)}${this.random.chars('0123456789', 17)}`);
  }

  private sharing(
    org: GitHubOrg,
    seed: GitHubOrgSharing,
  ): { visibility: GitHubVisibility; selectedRepositoryIds?: number[] } {
    const visibility = seed.visibility ?? 'private';
    if (visibility !== 'selected') return { visibility };
    const ids = (seed.selected_repositories ?? []).map((name) => {
      const repo = this.repo(org.login, name);
      if (!repo) throw new Error(`[sandbox] [github] seed selects unknown repo ${org.login}/${name}`);
      return repo.id;
    });
    return { visibility, selectedRepositoryIds: ids };
  }
}

function checkedName(name: string): string {
  if (!isValidActionsName(name))
    throw new Error(`[sandbox] [github] invalid secret or variable name in seed: ${name}`);
  return name.toUpperCase();
}

function stamps(
  seed: { created_at?: string; updated_at?: string },
  now: string,
): { createdAt: string; updatedAt: string } {
  return { createdAt: seed.created_at ?? now, updatedAt: seed.updated_at ?? seed.created_at ?? now };
}
