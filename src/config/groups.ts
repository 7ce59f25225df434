/**
 * Targets that stand for many: a manifest target listing services, sites or repositories, or
 * matching an organisation's repositories by pattern, expands into one target each, so history,
 * API and page show each on its own. A pattern is resolved against the organisation's listing when
 * a sweep (or a command) starts; the names it found are passed in here, this module does no I/O.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from './env.ts';

/** An organisation's repositories chosen by glob (`*` any run of characters, `?` one). */
export interface RepoPattern {
  readonly org: string;
  /** Globs on the repository's name (without the org), case-insensitive as GitHub's names are. */
  readonly match: readonly string[];
  readonly exclude: readonly string[];
  /** Archived repositories are read-only on GitHub: left out unless asked for. */
  readonly archived: boolean;
}

/** The fields of a target spec this module reads. */
export type GroupSpec =
  | {
      readonly provider: 'render';
      readonly service?: string;
      readonly services?: readonly string[];
      readonly envGroup?: string;
    }
  | { readonly provider: 'netlify'; readonly site?: string; readonly sites?: readonly string[] }
  | {
      readonly provider: 'github';
      readonly repo?: string;
      readonly org?: string;
      readonly repos?:
        readonly string[] | (Omit<RepoPattern, 'exclude'> & { readonly exclude?: readonly string[] });
    }
  | { readonly provider: 'dotenv' };

/** Repositories found for each pattern target (`owner/name`), by target id. */
export type Discovered = ReadonlyMap<string, readonly string[]>;

export function patternOf(spec: GroupSpec): RepoPattern | undefined {
  if (spec.provider !== 'github' || !spec.repos || Array.isArray(spec.repos)) return undefined;
  const pattern = spec.repos as Omit<RepoPattern, 'exclude'> & { readonly exclude?: readonly string[] };
  return { ...pattern, exclude: pattern.exclude ?? [] };
}

/** Whether the target stands for many (a list or a pattern). */
export function isGroup(spec: GroupSpec): boolean {
  return listOf(spec, new Map(), '') !== undefined;
}

/** The names a target stands for, if it stands for many; a pattern's are the ones discovered. */
function listOf(spec: GroupSpec, found: Discovered, targetId: string): readonly string[] | undefined {
  switch (spec.provider) {
    case 'render':
      return spec.services;
    case 'netlify':
      return spec.sites;
    case 'github':
      if (spec.repos === undefined) return undefined;
      return Array.isArray(spec.repos) ? (spec.repos as readonly string[]) : (found.get(targetId) ?? []);
    default:
      return undefined;
  }
}

const globSource = (glob: string) =>
  glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');

/** Whether a repository (its name, without the org) is one the pattern chooses. */
export function matchesPattern(pattern: RepoPattern, name: string, archived: boolean): boolean {
  const any = (globs: readonly string[]) =>
    globs.some((g) => new RegExp(`^${globSource(g)}$`, 'i').test(name));
  return (pattern.archived || !archived) && any(pattern.match) && !any(pattern.exclude);
}

/** `acme/Web.App` → `acme-web-app`: a target id's tail from a provider's name. */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Each target that stands for many, and the ids of the targets it expands into: `<id>-<name>`,
 * lower-case, at most 63 characters (a hash of the name when that would collide or be too long).
 */
export function expandGroups(
  targets: Readonly<Record<string, GroupSpec>>,
  found: Discovered = new Map(),
): Map<string, { readonly ids: string[]; readonly names: string[] }> {
  const groups = new Map<string, { ids: string[]; names: string[] }>();
  const taken = new Set(Object.keys(targets));
  for (const [targetId, spec] of Object.entries(targets)) {
    const list = listOf(spec, found, targetId);
    if (!list) continue;
    const one = (spec.provider === 'render' && spec.service) || (spec.provider === 'netlify' && spec.site);
    const single = one || (spec.provider === 'github' && (spec.repo || spec.org));
    if (single)
      throw new ConfigError(
        `target "${targetId}": list ${spec.provider === 'render' ? 'services' : spec.provider === 'netlify' ? 'sites' : 'repos'} or name one, not both`,
      );
    if (spec.provider === 'render' && spec.envGroup)
      throw new ConfigError(`target "${targetId}": services and envGroup do not go together`);
    const ids: string[] = [];
    const names = [...new Set(list)];
    for (const name of names) {
      let id = `${targetId}-${slug(name)}`;
      if (id.length > 63 || taken.has(id))
        id = `${targetId.slice(0, 50)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
      if (taken.has(id)) throw new ConfigError(`target "${targetId}": "${name}" is listed twice`);
      taken.add(id);
      ids.push(id);
    }
    groups.set(targetId, { ids, names });
  }
  return groups;
}

/** A target as it is, or each of the many it stands for as a target of its own. */
export function expandTarget<S extends GroupSpec>(
  targetId: string,
  spec: S,
  groups: ReadonlyMap<string, { readonly ids: readonly string[]; readonly names: readonly string[] }>,
): [string, S][] {
  const group = groups.get(targetId);
  if (!group) return [[targetId, spec]];
  return group.ids.map((id, i): [string, S] => {
    const name = group.names[i] ?? '';
    if (spec.provider === 'render') return [id, { ...spec, services: undefined, service: name }];
    if (spec.provider === 'netlify') return [id, { ...spec, sites: undefined, site: name }];
    return [id, { ...spec, repos: undefined, repo: name }];
  });
}
