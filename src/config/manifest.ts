/**
 * The manifest kept in the repository (`envsync.manifest.json` or `.yaml`): the source, the
 * targets, per-key routing and the policy. Parsed with valibot so every mistake names its path.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import * as v from 'valibot';
import { DEFAULT_POLICY, NETLIFY_CONTEXTS } from '../core/model.ts';
import type { EnvMap, EnvValue, KeyRoute, Policy, Target } from '../core/model.ts';
import { dict, own } from '../core/names.ts';
import { Secret } from '../core/secret.ts';
import { ConfigError } from './env.ts';
import { expandGroups, expandTarget, isGroup, patternOf } from './groups.ts';
import type { Discovered, RepoPattern } from './groups.ts';
import { fields } from './fields.ts';
import { NotificationsSchema } from './notifications.ts';
import type { NotificationConfig } from './notifications.ts';
import type { EnvConfig } from './env.ts';
import { parseYaml } from './yaml.ts';
import { scopeProblems, ScopesSchema } from './scopes.ts';

export { nearest } from './fields.ts';

export const MANIFEST_NAMES = ['envsync.manifest.json', 'envsync.manifest.yaml', 'envsync.manifest.yml'];

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
const glob = v.pipe(
  text,
  v.regex(/^[\w.*?-]+$/, 'must be a repository name pattern (letters, digits, . _ - and the wildcards * ?)'),
);
const globs = v.pipe(
  v.union(
    [glob, v.pipe(v.array(glob), v.minLength(1, 'give at least one pattern'))],
    'must be a pattern or a list of patterns',
  ),
  v.transform((g): string[] => (typeof g === 'string' ? [g] : g)),
);
const RepoPatternSchema = fields({
  /** The organisation whose repositories are matched. */
  org: v.pipe(text, v.regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, 'must be a GitHub organisation login')),
  /** Repository names to take: `svc-*`, or a list. */
  match: globs,
  /** Repository names to leave out, even when `match` takes them. */
  exclude: v.optional(globs),
  /** Take archived repositories too (read-only on GitHub). @default false */
  archived: v.optional(v.boolean(), false),
});
const RepoListSchema = v.pipe(
  v.array(v.pipe(text, v.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'))),
  v.minLength(1, 'list at least one repository'),
);
const RepoFormSchema = v.custom<never>(
  () => false,
  "must be a list of owner/repo, or { org, match } to match an organisation's repositories",
);
const GitHubTargetSchema = fields({
  provider: v.literal('github'),
  /** `owner/repo`; GITHUB_REPO when neither this nor `org` is set. */
  repo: v.optional(v.pipe(text, v.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo'))),
  /**
   * Many repositories declared once: one target each (`<id>-<owner>-<repo>`), listed, or an
   * organisation's repositories matched by pattern when a sweep or command starts.
   */
  repos: v.optional(
    // Chosen by shape, so a mistake inside either form is named, not just "neither form".
    v.lazy((input) =>
      Array.isArray(input)
        ? RepoListSchema
        : typeof input === 'object' && input !== null
          ? RepoPatternSchema
          : RepoFormSchema,
    ),
  ),
  environment: v.optional(text),
  org: v.optional(text),
  visibility: v.optional(v.picklist(['all', 'private', 'selected'])),
  selectedRepositoryIds: v.optional(v.array(v.pipe(v.number(), v.integer()))),
  store: v.optional(
    v.picklist(['secrets', 'variables', 'dependabot'], 'must be secrets, variables or dependabot'),
    'secrets',
  ),
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

const TargetsSchema = v.pipe(
  v.record(id, TargetSchema),
  v.check((t) => Object.keys(t).length > 0, 'declare at least one target'),
);

/** One pipeline: a source, its targets, the keys and the policy. */
const pipeline = {
  /** `manifest` (the values below and in `seed`) or the id of a target to copy from. */
  source: v.optional(id, 'manifest'),
  /** A flat `.env`-style file with values, relative to the manifest (the seed's manifest). */
  seed: v.optional(text),
  targets: TargetsSchema,
  keys: v.optional(v.record(v.pipe(v.string(), v.minLength(1)), KeySchema), {}),
  /** A plan must be approved by this many admirals other than its author before it is applied. */
  approvals: v.optional(
    fields({
      required: v.pipe(
        v.number(),
        v.integer('must be a whole number'),
        v.minValue(1, 'must be at least 1 (leave approvals out for none)'),
        v.maxValue(5, 'must be at most 5'),
      ),
    }),
  ),
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
  /** Slack or JSON webhooks told of drift, failed and finished syncs, approvals (config/notifications.ts). */
  notifications: NotificationsSchema,
};
const EnvironmentSchema = fields(pipeline);

export const ManifestSchema = fields({
  version: v.optional(v.literal(1), 1),
  ...pipeline,
  targets: v.optional(TargetsSchema),
  /**
   * Pipelines by environment (`production`, `staging`), each with its own source, targets, keys
   * and policy; drift is per environment. Instead of the top-level ones, not beside them.
   */
  environments: v.optional(
    v.pipe(
      v.record(id, EnvironmentSchema),
      v.check((e) => Object.keys(e).length > 0, 'declare at least one environment'),
    ),
  ),
});
export type ManifestInput = v.InferInput<typeof ManifestSchema>;
type ManifestOutput = v.InferOutput<typeof ManifestSchema>;
type Pipeline = v.InferOutput<typeof EnvironmentSchema>;

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
  /** Targets matching an organisation's repositories by pattern (none of their targets yet). */
  readonly patterns?: ReadonlyMap<string, RepoPattern>;
  /** This project with each pattern's repositories, as found (`owner/name`), as targets. */
  expand?(found: Discovered): Project;
  /** What each pattern found, when this project was expanded. */
  readonly discovered?: Discovered;
  /** Approvals a plan needs before it is applied (none when absent). */
  readonly approvals?: { readonly required: number };
  /** The environment this project is (the manifest's `environments`), if it has them. */
  readonly environment?: string | undefined;
  /**
   * Each environment of the manifest as its own project. A project that has them stands for all
   * (its targets are every environment's) and plans none: see `environmentsOf`.
   */
  readonly environments?: ReadonlyMap<string, Project>;
  /** Where drift, failed and finished syncs and approvals are announced; none when absent. */
  readonly notifications?: readonly NotificationConfig[];
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
  if (manifest.environments) {
    const top = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const beside = ['source', 'seed', 'targets', 'keys', 'policy'].filter((f) => top[f] !== undefined);
    if (beside.length > 0)
      problems.push(
        `${beside.join(', ')}: with environments, declare them inside each environment (environments.<name>.${beside[0] ?? 'targets'})`,
      );
    const owner = new Map<string, string>();
    for (const [name, environment] of Object.entries(manifest.environments)) {
      problems.push(...pipelineProblems(environment, `environments.${name}.`));
      for (const t of Object.keys(environment.targets)) {
        const first = owner.get(t);
        if (first)
          problems.push(
            `environments.${name}.targets.${t}: also in environment "${first}"; target ids are unique across environments (name it ${t}-${name})`,
          );
        else owner.set(t, name);
      }
    }
  } else if (!manifest.targets) {
    problems.push('targets: declare at least one target (or environments, each with its targets)');
  } else {
    problems.push(...pipelineProblems({ ...manifest, targets: manifest.targets }, ''));
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `${where} is not a valid manifest:\n  ${problems.join('\n  ')}\nFix the fields above and run again.`,
    );
  }
  return manifest;
}

/** What a pipeline's fields say that its schema cannot: references to targets it does not declare. */
function pipelineProblems(manifest: Pipeline, at: string): string[] {
  const problems: string[] = [];
  for (const [keyName, key] of Object.entries(manifest.keys)) {
    if (key.secret && key.value !== undefined) {
      problems.push(
        `${at}keys.${keyName}.value: a secret's value must not be kept in the manifest; set it on the source instead`,
      );
    }
    for (const t of key.targets ?? []) {
      if (!(t in manifest.targets)) problems.push(`${at}keys.${keyName}.targets: unknown target "${t}"`);
    }
    const isNetlify = (t: string) => own(manifest.targets, t)?.provider === 'netlify';
    problems.push(
      ...scopeProblems(keyName, key, isNetlify, Object.keys(manifest.targets)).map((p) => `${at}${p}`),
    );
  }
  if (manifest.source !== 'manifest' && !(manifest.source in manifest.targets)) {
    problems.push(`${at}source: "${manifest.source}" is neither "manifest" nor a declared target`);
  } else if (manifest.source !== 'manifest') {
    const spec = manifest.targets[manifest.source];
    if (spec && isGroup(spec))
      problems.push(
        `${at}source: "${manifest.source}" lists many targets; a source is one service, site or repository`,
      );
  }
  for (const t of Object.keys(manifest.policy.rename)) {
    if (!(t in manifest.targets)) problems.push(`${at}policy.rename.${t}: unknown target`);
  }
  return problems;
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

function buildTarget(
  targetId: string,
  spec: Pipeline['targets'][string],
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
      if (spec.store === 'dependabot' && spec.environment)
        throw new ConfigError(
          `target "${targetId}": store dependabot has no environment scope (Dependabot secrets belong to a repository or an organization); remove "environment", or use store: secrets for environment secrets`,
        );
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
  manifest: Pipeline,
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
        // Secrets go to the sealed stores (Actions or Dependabot secrets), plain values to variables.
        return target?.provider !== 'github' || (target.store !== 'variables') === secret;
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
  const pipelineProject = async (pipe: Pipeline, environment?: string): Promise<Project> => {
    const manifestValues = pipe.seed
      ? await readDotenvFile(path.resolve(root, pipe.seed), { mustExist: true })
      : new Map<string, EnvValue>();
    for (const [key, spec] of Object.entries(pipe.keys)) {
      if (spec.value !== undefined)
        manifestValues.set(key, {
          kind: 'value',
          value: new Secret(spec.value),
          secret: spec.secret ?? false,
        });
    }
    return projectFromManifest(pipe, { env, root, manifestFile, manifestValues, environment }, new Map());
  };
  if (!manifest.environments) return pipelineProject({ ...manifest, targets: manifest.targets ?? {} });
  const environments = new Map<string, Project>();
  for (const [name, pipe] of Object.entries(manifest.environments))
    environments.set(name, await pipelineProject(pipe, name));
  return allEnvironments(environments);
}

/**
 * A manifest's environments together: every target (for listings: history, page, sweeps), each
 * environment as its own project. Planning needs one environment: `environmentsOf` picks them.
 */
function allEnvironments(environments: ReadonlyMap<string, Project>): Project {
  const [first] = environments.values();
  if (!first) throw new ConfigError('environments: declare at least one environment');
  const targets = new Map<string, Target>();
  const patterns = new Map<string, RepoPattern>();
  for (const p of environments.values()) {
    for (const [id, t] of p.targets) targets.set(id, t);
    for (const [id, pattern] of p.patterns ?? []) patterns.set(id, pattern);
  }
  const discovered = [...environments.values()].some((p) => p.discovered);
  return {
    ...first,
    environment: undefined,
    targets,
    environments,
    ...(patterns.size > 0
      ? {
          patterns,
          expand: (found: Discovered) =>
            allEnvironments(new Map([...environments].map(([n, p]) => [n, p.expand?.(found) ?? p]))),
          ...(discovered
            ? { discovered: new Map([...environments.values()].flatMap((p) => [...(p.discovered ?? [])])) }
            : {}),
        }
      : { patterns: undefined, expand: undefined, discovered: undefined }),
  };
}

/**
 * The environments a command runs on: the one named, or every one (a manifest without
 * environments is its own single one; naming one then is a mistake).
 */
export function environmentsOf(project: Project, name?: string): Project[] {
  if (!project.environments) {
    if (name)
      throw new ConfigError(
        `unknown environment "${name}": the manifest declares no environments; leave out --env (or ?env=)`,
      );
    return [project];
  }
  if (name === undefined) return [...project.environments.values()];
  const one = project.environments.get(name);
  if (!one)
    throw new ConfigError(
      `unknown environment "${name}"; the manifest declares ${[...project.environments.keys()].join(', ')}`,
    );
  return [one];
}

/** The environment a target belongs to (the project itself when it has none). */
export function environmentOfTarget(project: Project, targetId: string): Project {
  for (const p of project.environments?.values() ?? []) if (p.targets.has(targetId)) return p;
  return project;
}

/** The project a manifest describes, with its patterns' repositories as `found`. */
function projectFromManifest(
  manifest: Pipeline,
  where: {
    env: EnvConfig;
    root: string;
    manifestFile: string;
    manifestValues: EnvMap;
    environment: string | undefined;
  },
  found: Discovered,
): Project {
  const { env, root } = where;
  const targets = new Map<string, Target>();
  const expanded = expandGroups(manifest.targets, found);
  const groups = new Map([...expanded].map(([id, g]) => [id, g.ids]));
  for (const [targetId, spec] of Object.entries(manifest.targets))
    for (const [one, single] of expandTarget(targetId, spec, expanded))
      targets.set(one, buildTarget(one, single, env, root));
  const patterns = new Map<string, RepoPattern>();
  for (const [targetId, spec] of Object.entries(manifest.targets)) {
    const pattern = patternOf(spec);
    if (pattern) patterns.set(targetId, pattern);
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
    manifestPath: where.manifestFile,
    ...(where.environment !== undefined ? { environment: where.environment } : {}),
    sourceId: manifest.source,
    ...(manifest.approvals ? { approvals: manifest.approvals } : {}),
    targets,
    policy,
    manifestValues: where.manifestValues,
    route: (keys, sourceId) => routeKeys(manifest, targets, keys, sourceId, groups),
    declared: new Map(
      Object.entries(manifest.keys).map(([k, spec]) => [k, { secret: spec.secret ?? false }]),
    ),
    ...(patterns.size > 0
      ? {
          patterns,
          expand: (next: Discovered) => projectFromManifest(manifest, where, next),
          // Loaded, no pattern has been matched yet; expanded, each has its entry (maybe empty).
          ...(found.size > 0 ? { discovered: found } : {}),
        }
      : {}),
    ...(manifest.notifications ? { notifications: manifest.notifications } : {}),
  };
}

/** Without a manifest, the seed's environment variables describe one target per configured provider. */
/** Neither a manifest nor a provider in the environment: a command naming a provider says that one. */
export class NoProjectError extends ConfigError {}

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
    throw new NoProjectError(
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
