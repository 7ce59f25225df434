/**
 * The manifest kept in the repository (`envsync.manifest.json` or `.yaml`): the source, the
 * targets, per-key routing and the policy. Parsed with valibot so every mistake names its path.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import * as v from 'valibot';
import { DEFAULT_POLICY, NETLIFY_CONTEXTS } from '../core/model.ts';
import type { EnvMap, EnvValue, KeyRoute, Policy, Target } from '../core/model.ts';
import { dict, own } from '../core/names.ts';
import { Secret } from '../core/secret.ts';
import { ConfigError } from './env.ts';
import type { EnvConfig } from './env.ts';
import { parseYaml } from './yaml.ts';
import { scopeProblems, ScopesSchema } from './scopes.ts';

export const MANIFEST_NAMES = ['envsync.manifest.json', 'envsync.manifest.yaml', 'envsync.manifest.yml'];

/**
 * An object that names its allowed fields when it meets another one (valibot's own message for an
 * unknown field is `Expected never but received "polcy"`), with the closest allowed name.
 */
function fields<const E extends v.ObjectEntries>(entries: E) {
  const allowed = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.expected !== 'never') return `must be an object with the fields ${allowed.join(', ')}`;
    const name = issue.received.replace(/^"|"$/g, '');
    const near = nearest(name, allowed);
    return `unknown field ${issue.received}${near ? ` (did you mean "${near}"?)` : ''}; allowed: ${allowed.join(', ')}`;
  });
}

/** The candidate within a small edit distance of `name`, if any. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Damerau-Levenshtein (optimal string alignment): a swapped pair of letters is one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}

const id = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _ (at most 63)'),
);
const text = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'));
const prefixes = v.optional(v.array(v.pipe(v.string(), v.minLength(1))), []);

const RenderTargetSchema = fields({
  provider: v.literal('render'),
  /** A service id (`srv-…`); RENDER_SERVICE_ID when neither this nor `envGroup` is set. */
  service: v.optional(v.pipe(text, v.regex(/^srv-[\w-]+$/, 'must be a Render service id (srv-…)'))),
  /** Many services declared once: one target each (`<id>-<service>`), the same keys and policy. */
  services: v.optional(
    v.pipe(
      v.array(v.pipe(text, v.regex(/^srv-[\w-]+$/, 'must be a Render service id (srv-…)'))),
      v.minLength(1, 'list at least one service'),
    ),
  ),
  envGroup: v.optional(v.pipe(text, v.regex(/^evg-[\w-]+$/, 'must be a Render env group id (evg-…)'))),
  /** Deploy the service after a sync changed its variables. @default false */
  redeploy: v.optional(v.boolean(), false),
});
const NetlifyTargetSchema = fields({
  provider: v.literal('netlify'),
  /** NETLIFY_SITE_ID when left out. */
  site: v.optional(text),
  /** Many sites declared once: one target each (`<id>-<site>`). */
  sites: v.optional(v.pipe(v.array(text), v.minLength(1, 'list at least one site'))),
  account: v.optional(text),
  context: v.optional(v.picklist(NETLIFY_CONTEXTS, `must be one of ${NETLIFY_CONTEXTS.join(', ')}`), 'all'),
  branch: v.optional(text),
});
const GitHubTargetSchema = fields({
  provider: v.literal('github'),
  /** `owner/repo`; GITHUB_REPO when neither this nor `org` is set. */
  repo: v.optional(v.pipe(text, v.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'))),
  /** Many repositories declared once: one target each (`<id>-<owner>-<repo>`). */
  repos: v.optional(
    v.pipe(
      v.array(v.pipe(text, v.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'))),
      v.minLength(1, 'list at least one repository'),
    ),
  ),
  environment: v.optional(text),
  org: v.optional(text),
  visibility: v.optional(v.picklist(['all', 'private', 'selected'])),
  selectedRepositoryIds: v.optional(v.array(v.pipe(v.number(), v.integer()))),
  store: v.optional(v.picklist(['secrets', 'variables'], 'must be secrets or variables'), 'secrets'),
});
const DotenvTargetSchema = fields({ provider: v.literal('dotenv'), path: text });

const TargetSchema = v.variant(
  'provider',
  [RenderTargetSchema, NetlifyTargetSchema, GitHubTargetSchema, DotenvTargetSchema],
  'provider must be one of render, netlify, github, dotenv',
);

const KeySchema = fields({
  /** A non-secret value kept in the manifest itself. Secret values never belong in a repo. */
  value: v.optional(v.string()),
  secret: v.optional(v.boolean()),
  targets: v.optional(v.array(id)),
  description: v.optional(v.string()),
  /** Netlify scopes the key must have on Netlify targets; each key keeps its own when left out. */
  scopes: v.optional(ScopesSchema),
});

export const ManifestSchema = fields({
  version: v.optional(v.literal(1), 1),
  /** `manifest` (the values below and in `seed`) or the id of a target to copy from. */
  source: v.optional(id, 'manifest'),
  /** A flat `.env`-style file with values, relative to the manifest (the seed's manifest). */
  seed: v.optional(text),
  targets: v.pipe(
    v.record(id, TargetSchema),
    v.check((t) => Object.keys(t).length > 0, 'declare at least one target'),
  ),
  keys: v.optional(v.record(v.pipe(v.string(), v.minLength(1)), KeySchema), {}),
  policy: v.optional(
    fields({
      include: prefixes,
      exclude: prefixes,
      deletions: v.optional(v.picklist(['never', 'managed', 'all'])),
      mode: v.optional(v.picklist(['overwrite', 'create-only']), 'overwrite'),
      overwriteUnknown: v.optional(v.boolean(), false),
      rename: v.optional(v.record(id, v.record(v.string(), v.pipe(v.string(), v.minLength(1)))), {}),
    }),
    {},
  ),
});
export type ManifestInput = v.InferInput<typeof ManifestSchema>;
type ManifestOutput = v.InferOutput<typeof ManifestSchema>;

export interface Project {
  /** Where the manifest lives (or the working directory when there is none). */
  readonly root: string;
  readonly manifestPath: string | undefined;
  readonly sourceId: string;
  readonly targets: ReadonlyMap<string, Target>;
  readonly policy: Policy;
  /** Values the manifest itself provides (its `keys.*.value` and the seed file). */
  readonly manifestValues: EnvMap;
  /**
   * Routing for the keys a source actually holds (keys the manifest does not list included).
   * `sourceId`: where the values come from this run (`manifest`, or a target id).
   */
  route(keys: Iterable<string>, sourceId: string): Record<string, KeyRoute>;
  /** The keys the manifest declares, and whether each is a secret. */
  readonly declared: ReadonlyMap<string, { readonly secret: boolean }>;
}

/** Why an undeclared key does not go to a plaintext store: its value could be a secret. */
export const PLAINTEXT_REFUSAL =
  'not declared in the manifest, so it may be a secret, and this store keeps values in plain text; declare it under keys (secret: false, or with this target in its targets) to send it here';

export function formatIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => `  ${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`).join('\n');
}

export function parseManifest(raw: unknown, where: string): ManifestOutput {
  const result = v.safeParse(ManifestSchema, raw);
  if (!result.success) {
    throw new ConfigError(
      `${where} is not a valid manifest:\n${formatIssues(result.issues)}\nFix the fields above and run again.`,
    );
  }
  const manifest = result.output;
  const problems: string[] = [];
  for (const [keyName, key] of Object.entries(manifest.keys)) {
    if (key.secret && key.value !== undefined) {
      problems.push(
        `keys.${keyName}.value: a secret's value must not be kept in the manifest; set it on the source instead`,
      );
    }
    for (const t of key.targets ?? []) {
      if (!(t in manifest.targets)) problems.push(`keys.${keyName}.targets: unknown target "${t}"`);
    }
    const isNetlify = (t: string) => own(manifest.targets, t)?.provider === 'netlify';
    problems.push(...scopeProblems(keyName, key, isNetlify, Object.keys(manifest.targets)));
  }
  if (manifest.source !== 'manifest' && !(manifest.source in manifest.targets)) {
    problems.push(`source: "${manifest.source}" is neither "manifest" nor a declared target`);
  } else if (manifest.source !== 'manifest') {
    const spec = manifest.targets[manifest.source];
    if (spec && listOf(spec))
      problems.push(
        `source: "${manifest.source}" lists many targets; a source is one service, site or repository`,
      );
  }
  for (const t of Object.keys(manifest.policy.rename)) {
    if (!(t in manifest.targets)) problems.push(`policy.rename.${t}: unknown target`);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `${where} is not a valid manifest:\n  ${problems.join('\n  ')}\nFix the fields above and run again.`,
    );
  }
  return manifest;
}

export async function readManifestFile(file: string): Promise<ManifestOutput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `Cannot read manifest ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}. Check the path.`,
    );
  }
  return (await parseManifestText(text, file)).manifest;
}

/** Parses a manifest's text (JSON, or YAML for any other name) and validates it. */
export async function parseManifestText(
  text: string,
  file: string,
): Promise<{ raw: unknown; manifest: ManifestOutput }> {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : await parseYaml(text, file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  return { raw, manifest: parseManifest(raw, file) };
}

/** Reads a flat `.env` file into values (the seed's manifest format). */
export async function readDotenvFile(
  file: string,
  options: { mustExist?: boolean } = {},
): Promise<Map<string, EnvValue>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.mustExist) return new Map();
    throw new ConfigError(`Cannot read ${file}: ${code ?? 'error'}.`);
  }
  const values = new Map<string, EnvValue>();
  for (const [key, value] of Object.entries(parseDotenv(text))) {
    values.set(key, { kind: 'value', value: new Secret(value) });
  }
  return values;
}

type TargetSpec = ManifestOutput['targets'][string];

/** `acme/Web.App` → `acme-web-app`: a target id's tail from a provider's name. */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');

/** The list a target declares many of (services, sites, repos), if it does. */
function listOf(spec: TargetSpec): readonly string[] | undefined {
  switch (spec.provider) {
    case 'render':
      return spec.services;
    case 'netlify':
      return spec.sites;
    case 'github':
      return spec.repos;
    default:
      return undefined;
  }
}

/**
 * Each target that lists many services, sites or repositories, and the ids of the targets it
 * stands for: `<id>-<name>`, lower-case, at most 63 characters (a hash of the name when that would
 * collide or be too long), so history, API and page show each on its own.
 */
export function expandGroups(manifest: ManifestOutput): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const taken = new Set(Object.keys(manifest.targets));
  for (const [targetId, spec] of Object.entries(manifest.targets)) {
    const list = listOf(spec);
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
    for (const name of new Set(list)) {
      let id = `${targetId}-${slug(name)}`;
      if (id.length > 63 || taken.has(id))
        id = `${targetId.slice(0, 50)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
      if (taken.has(id)) throw new ConfigError(`target "${targetId}": "${name}" is listed twice`);
      taken.add(id);
      ids.push(id);
    }
    groups.set(targetId, ids);
  }
  return groups;
}

/** A target as it is, or each of the many it lists as a target of its own. */
function expandTarget(
  targetId: string,
  spec: TargetSpec,
  groups: ReadonlyMap<string, readonly string[]>,
): [string, TargetSpec][] {
  const ids = groups.get(targetId);
  const list = listOf(spec);
  if (!ids || !list) return [[targetId, spec]];
  const names = [...new Set(list)];
  return ids.map((id, i): [string, TargetSpec] => {
    const name = names[i] ?? '';
    if (spec.provider === 'render') return [id, { ...spec, services: undefined, service: name }];
    if (spec.provider === 'netlify') return [id, { ...spec, sites: undefined, site: name }];
    return [id, { ...spec, repos: undefined, repo: name } as TargetSpec];
  });
}

function buildTarget(
  targetId: string,
  spec: ManifestOutput['targets'][string],
  env: EnvConfig,
  root: string,
): Target {
  const need = (value: string | undefined, what: string): string => {
    if (value) return value;
    throw new ConfigError(`target "${targetId}": ${what}`);
  };
  switch (spec.provider) {
    case 'render':
      if (spec.service && spec.envGroup)
        throw new ConfigError(`target "${targetId}": set service or envGroup, not both`);
      if (spec.redeploy && spec.envGroup)
        throw new ConfigError(`target "${targetId}": redeploy applies to a service, not an env group`);
      return {
        id: targetId,
        provider: 'render',
        redeploy: spec.redeploy,
        scope: spec.envGroup
          ? { kind: 'env-group', envGroupId: spec.envGroup }
          : {
              kind: 'service',
              serviceId: need(
                spec.service ?? env.render.serviceId,
                'Not Configured. Set RENDER_SERVICE_ID or the target\'s "service".',
              ),
            },
      };
    case 'netlify':
      if (spec.context === 'branch' && !spec.branch)
        throw new ConfigError(`target "${targetId}": context "branch" needs "branch" (the branch name)`);
      return {
        id: targetId,
        provider: 'netlify',
        scope: {
          siteId: need(
            spec.site ?? env.netlify.siteId,
            'Not Configured. Set NETLIFY_SITE_ID or the target\'s "site".',
          ),
          accountId: spec.account ?? (env.netlify.accountId || undefined),
          context: spec.context,
          branch: spec.branch,
        },
      };
    case 'github': {
      if (spec.org) {
        if (spec.repo || spec.environment)
          throw new ConfigError(
            `target "${targetId}": set org, or repo (with an optional environment), not both`,
          );
        return {
          id: targetId,
          provider: 'github',
          store: spec.store,
          scope: {
            kind: 'org',
            org: spec.org,
            visibility: spec.visibility,
            selectedRepositoryIds: spec.selectedRepositoryIds,
          },
        };
      }
      const [owner = '', repo = ''] = need(
        spec.repo ?? env.github.repo,
        'Not Configured. Set GITHUB_REPO (owner/repo) or the target\'s "repo".',
      ).split('/');
      return {
        id: targetId,
        provider: 'github',
        store: spec.store,
        scope: spec.environment
          ? { kind: 'environment', owner, repo, environment: spec.environment }
          : { kind: 'repo', owner, repo },
      };
    }
    case 'dotenv':
      return { id: targetId, provider: 'dotenv', scope: { path: path.resolve(root, spec.path) } };
  }
}

/**
 * Routing: a key goes to the targets it names, or to every target; a GitHub target takes only the
 * keys of its kind (secrets to a `secrets` store, plain values to a `variables` store). A plaintext
 * store (GitHub variables) takes a key only when the manifest declares it, or when the values come
 * from the manifest itself (which holds no secrets); any other key is refused there, with why, so
 * a misspelt `secret: true` never turns a secret into a readable variable.
 */
function routeKeys(
  manifest: ManifestOutput,
  targets: ReadonlyMap<string, Target>,
  keyNames: Iterable<string>,
  sourceId: string,
  groups: ReadonlyMap<string, readonly string[]> = new Map(),
): Record<string, KeyRoute> {
  const routes = dict<KeyRoute>();
  const plaintext = (t: Target | undefined) => t?.provider === 'github' && t.store === 'variables';
  for (const key of keyNames) {
    const spec = own(manifest.keys, key);
    const secret = spec?.secret ?? false;
    // A key naming a group goes to each of its targets.
    const chosen = spec?.targets?.flatMap((t) => groups.get(t) ?? [t]) ?? [...targets.keys()];
    const undeclared = spec === undefined && sourceId !== 'manifest';
    const refused = dict<string>();
    if (undeclared) for (const t of chosen) if (plaintext(targets.get(t))) refused[t] = PLAINTEXT_REFUSAL;
    routes[key] = {
      secret,
      ...(spec?.scopes ? { scopes: spec.scopes } : {}),
      targets: chosen.filter((t) => {
        const target = targets.get(t);
        if (Object.hasOwn(refused, t)) return false;
        return target?.provider !== 'github' || (target.store === 'secrets') === secret;
      }),
      ...(Object.keys(refused).length > 0 ? { refused } : {}),
    };
  }
  return routes;
}

/** The seed's flat manifest is a `.env` file: `seed.env`, `.env.seed`, `manifest.env`. */
export function isSeedManifest(file: string): boolean {
  const name = path.basename(file);
  return name.endsWith('.env') || name.startsWith('.env');
}

export async function loadProject(manifestFile: string, env: EnvConfig): Promise<Project> {
  if (isSeedManifest(manifestFile)) {
    // Its values are the source; the targets come from the environment, as in the seed.
    const root = path.dirname(path.resolve(manifestFile));
    const values = await readDotenvFile(manifestFile, { mustExist: true });
    return {
      ...projectFromEnv(env, root),
      manifestPath: manifestFile,
      sourceId: 'manifest',
      manifestValues: values,
    };
  }
  const manifest = await readManifestFile(manifestFile);
  const root = path.dirname(path.resolve(manifestFile));
  const targets = new Map<string, Target>();
  const groups = expandGroups(manifest);
  for (const [targetId, spec] of Object.entries(manifest.targets))
    for (const [one, single] of expandTarget(targetId, spec, groups))
      targets.set(one, buildTarget(one, single, env, root));

  const manifestValues = manifest.seed
    ? await readDotenvFile(path.resolve(root, manifest.seed), { mustExist: true })
    : new Map<string, EnvValue>();
  for (const [key, spec] of Object.entries(manifest.keys)) {
    if (spec.value !== undefined)
      manifestValues.set(key, { kind: 'value', value: new Secret(spec.value), secret: spec.secret ?? false });
  }
  const p = manifest.policy;
  const policy: Policy = {
    ...DEFAULT_POLICY,
    include: env.include.length > 0 ? env.include : p.include,
    exclude: [...p.exclude, ...env.exclude],
    deletions: env.deletions ?? p.deletions ?? 'never',
    mode: p.mode,
    overwriteUnknown: p.overwriteUnknown,
    // A group's renames apply to each of its targets.
    rename: Object.fromEntries(
      Object.entries(p.rename).flatMap(([t, names]) => (groups.get(t) ?? [t]).map((one) => [one, names])),
    ),
  };
  return {
    root,
    manifestPath: manifestFile,
    sourceId: manifest.source,
    targets,
    policy,
    manifestValues,
    route: (keys, sourceId) => routeKeys(manifest, targets, keys, sourceId, groups),
    declared: new Map(
      Object.entries(manifest.keys).map(([k, spec]) => [k, { secret: spec.secret ?? false }]),
    ),
  };
}

/** Without a manifest, the seed's environment variables describe one target per configured provider. */
export function projectFromEnv(env: EnvConfig, cwd: string): Project {
  const targets = new Map<string, Target>();
  if (env.render.serviceId)
    targets.set('render', {
      id: 'render',
      provider: 'render',
      scope: { kind: 'service', serviceId: env.render.serviceId },
    });
  if (env.netlify.siteId) {
    targets.set('netlify', {
      id: 'netlify',
      provider: 'netlify',
      scope: { siteId: env.netlify.siteId, accountId: env.netlify.accountId || undefined, context: 'all' },
    });
  }
  if (env.github.repo) {
    const [owner = '', repo = ''] = env.github.repo.split('/');
    targets.set('github', {
      id: 'github',
      provider: 'github',
      store: 'secrets',
      scope: { kind: 'repo', owner, repo },
    });
  }
  if (targets.size === 0) {
    throw new ConfigError(
      `No manifest (${MANIFEST_NAMES.join(', ')}) in ${cwd} and no provider configured. ` +
        'Create a manifest (see docs/examples/envsync.manifest.yaml) or set RENDER_SERVICE_ID, NETLIFY_SITE_ID or GITHUB_REPO.',
    );
  }
  return {
    root: cwd,
    manifestPath: undefined,
    sourceId: targets.has('render') ? 'render' : ([...targets.keys()][0] ?? 'manifest'),
    targets,
    policy: {
      ...DEFAULT_POLICY,
      include: env.include,
      exclude: env.exclude,
      deletions: env.deletions ?? 'never',
    },
    manifestValues: new Map(),
    route: () => ({}),
    declared: new Map(),
  };
}
