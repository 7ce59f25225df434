/**
 * `genesisctl init`: finds the targets (flags, else the environment), reads what each holds, and
 * writes a manifest naming the keys found, their routing and which are secrets; with `--seed`, the
 * source's non-secret values into a seed file. Values are read into memory only to compare them
 * and, for the seed file, to write the non-secret ones.
 */
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { ConfigError, credentialsFor, loadEnvConfig } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { formatIssues, MANIFEST_NAMES, parseManifestText } from '../config/manifest.ts';
import { manifestYaml, seedFileText } from '../config/manifest-writer.ts';
import type { TargetDeclaration } from '../config/manifest-writer.ts';
import { draftManifest } from '../core/manifest-draft.ts';
import type { Draft } from '../core/manifest-draft.ts';
import { NETLIFY_CONTEXTS, targetLabel } from '../core/model.ts';
import type { EnvMap, Target } from '../core/model.ts';
import { adapterFor } from '../providers/adapter.ts';
import { createAdapters } from '../providers/index.ts';
import type { CliEnvironment } from './context.ts';
import { writeFileWhole } from './private-file.ts';

export const DEFAULT_MANIFEST = 'envsync.manifest.yaml';
export const SEED_FILE = 'seed.env';

const text = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'));

/** The command's options, as commander hands them over; each checked before anything is read. */
export const InitOptionsSchema = v.object({
  renderService: v.optional(v.pipe(text, v.regex(/^srv-[\w-]+$/, 'must be a Render service id (srv-…)'))),
  netlifySite: v.optional(v.pipe(text, v.regex(/^[\w.-]+$/, 'must be a Netlify site id or name'))),
  netlifyContext: v.optional(
    v.picklist(
      NETLIFY_CONTEXTS.filter((c) => c !== 'branch'),
      `must be one of ${NETLIFY_CONTEXTS.filter((c) => c !== 'branch').join(', ')}`,
    ),
    'production',
  ),
  githubRepo: v.optional(v.pipe(text, v.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/repo, e.g. acme/web'))),
  source: v.optional(text),
  prefer: v.optional(v.picklist(['source', 'destination'], 'must be source or destination'), 'source'),
  seed: v.optional(v.boolean(), false),
  force: v.optional(v.boolean(), false),
});
export type InitOptions = v.InferOutput<typeof InitOptionsSchema>;

export interface InitResult {
  readonly manifestPath: string;
  readonly seedPath?: string;
  readonly sourceId: string;
  readonly prefer: 'source' | 'destination';
  readonly targets: readonly { readonly id: string; readonly label: string; readonly keys: number }[];
  readonly draft: Draft;
  /** Names written to the seed file, and names left out of it (secrets are never candidates). */
  readonly seeded: readonly string[];
  readonly seedSkipped: readonly string[];
  /** Other manifests in the folder that commands would read before this one. */
  readonly shadowedBy: readonly string[];
}

interface Found {
  readonly target: Target;
  readonly declaration: TargetDeclaration;
}

/** The targets named by flags, else by the environment: one per provider, two for GitHub's stores. */
function findTargets(options: InitOptions, config: EnvConfig): Found[] {
  const found: Found[] = [];
  const from = (flag: string | undefined, variable: string, what: string) =>
    flag
      ? { explicit: [[what, flag]] as [string, string][], note: undefined }
      : { explicit: [], note: `${what} from ${variable}` };
  const service = options.renderService ?? config.render.serviceId;
  if (service) {
    const { explicit, note } = from(options.renderService, 'RENDER_SERVICE_ID', 'service');
    found.push({
      target: { id: 'render', provider: 'render', scope: { kind: 'service', serviceId: service } },
      declaration: { id: 'render', fields: [['provider', 'render'], ...explicit], ...(note ? { note } : {}) },
    });
  }
  const site = options.netlifySite ?? config.netlify.siteId;
  if (site) {
    const { explicit, note } = from(options.netlifySite, 'NETLIFY_SITE_ID', 'site');
    const context = options.netlifyContext;
    found.push({
      target: {
        id: 'netlify',
        provider: 'netlify',
        scope: { siteId: site, accountId: config.netlify.accountId || undefined, context },
      },
      declaration: {
        id: 'netlify',
        fields: [['provider', 'netlify'], ...explicit, ['context', context]],
        ...(note ? { note } : {}),
      },
    });
  }
  const repo = options.githubRepo ?? config.github.repo;
  if (repo) {
    const [owner = '', name = ''] = repo.split('/');
    const { explicit, note } = from(options.githubRepo, 'GITHUB_REPO', 'repo');
    for (const store of ['secrets', 'variables'] as const) {
      const id = store === 'secrets' ? 'github-secrets' : 'github-vars';
      found.push({
        target: { id, provider: 'github', store, scope: { kind: 'repo', owner, repo: name } },
        declaration: {
          id,
          fields: [['provider', 'github'], ...explicit, ['store', store]],
          ...(note ? { note } : {}),
        },
      });
    }
  }
  return found;
}

/** Where the manifest goes: `--manifest`, else ENVSYNC_MANIFEST, else the default name here. */
function manifestPathFor(cwd: string, flag: string | undefined, config: EnvConfig): string {
  const file = path.resolve(cwd, flag ?? (config.manifestPath || DEFAULT_MANIFEST));
  if (!/\.ya?ml$/.test(file))
    throw new ConfigError(
      `init writes YAML: ${file} does not end in .yaml or .yml; pass --manifest <name>.yaml`,
    );
  return file;
}

function refuseExisting(file: string, force: boolean): void {
  // lstat, not exists: a dangling symlink at the path is something there too.
  if (!force && lstatSync(file, { throwIfNoEntry: false }) !== undefined)
    throw new ConfigError(
      `${file} already exists; init does not overwrite it. Pass --force to replace it, or --manifest <other path>.`,
    );
}

export async function runInit(
  environment: CliEnvironment,
  raw: unknown,
  manifestFlag: string | undefined,
): Promise<InitResult> {
  const parsed = v.safeParse(InitOptionsSchema, raw);
  if (!parsed.success)
    throw new ConfigError(`init: bad option:\n${formatIssues(parsed.issues)}\nFix it and run again.`);
  const options = parsed.output;
  const config = loadEnvConfig(environment.env);
  const found = findTargets(options, config);
  if (found.length === 0)
    throw new ConfigError(
      'init found no target: set RENDER_SERVICE_ID, NETLIFY_SITE_ID or GITHUB_REPO, or pass --render-service, --netlify-site or --github-repo.',
    );
  const ids = found.map((f) => f.target.id);
  const sourceId = options.source ?? (ids.includes('render') ? 'render' : (ids[0] ?? ''));
  if (!ids.includes(sourceId))
    throw new ConfigError(`--source "${sourceId}" is not a target found; choose one of ${ids.join(', ')}`);
  if (sourceId === 'github-secrets')
    throw new ConfigError(
      '--source github-secrets: GitHub secrets are write-only, so they cannot be a source; choose another target',
    );
  const manifestPath = manifestPathFor(environment.cwd, manifestFlag, config);
  const seedPath = options.seed ? path.join(path.dirname(manifestPath), SEED_FILE) : undefined;
  // Refused before any provider is asked: nothing was read for a file that cannot be written.
  refuseExisting(manifestPath, options.force);
  if (seedPath) refuseExisting(seedPath, options.force);
  for (const provider of new Set(found.map((f) => f.target.provider)))
    if (provider !== 'dotenv') credentialsFor(provider, config);

  const adapters = createAdapters({
    github: {
      baseUrl: config.github.apiUrl,
      token: config.github.token,
      ...(config.github.app ? { app: config.github.app } : {}),
    },
    render: { baseUrl: config.render.apiUrl, token: config.render.apiKey },
    netlify: { baseUrl: config.netlify.apiUrl, token: config.netlify.token },
  });
  const lists = await Promise.all(found.map((f) => adapterFor(adapters, f.target).list(f.target)));
  const held = new Map<string, EnvMap>(found.map((f, i) => [f.target.id, lists[i] ?? new Map()]));
  const byId = new Map(found.map((f) => [f.target.id, f.target]));
  const draft = draftManifest({
    sourceId,
    held,
    prefer: options.prefer,
    // A GitHub store takes keys of its kind only: secrets sealed, plain values as variables.
    takes: (id, secret) => {
      const t = byId.get(id);
      return t?.provider !== 'github' || (t.store === 'variables') !== secret;
    },
  });

  let seeded: string[] = [];
  let seedSkipped: string[] = [];
  let seedText: string | undefined;
  if (seedPath) {
    const source: EnvMap = held.get(sourceId) ?? new Map<string, never>();
    const values = new Map<string, string>();
    for (const key of draft.keys) {
      const value = source.get(key.name);
      // Only what no rule calls a secret, and only readable values, ever reach the file.
      if (key.onSource && !key.secret && value?.kind === 'value') values.set(key.name, value.value.reveal());
    }
    const seed = seedFileText(values, sourceId);
    ({ written: seeded, skipped: seedSkipped, text: seedText } = seed);
  }
  const yaml = manifestYaml({
    draft,
    sourceId,
    targets: found.map((f) => f.declaration),
    ...(seedPath ? { seed: SEED_FILE } : {}),
    prefer: options.prefer,
    writeOnlyAs: (id) =>
      byId.get(id)?.provider === 'netlify' ? 'a Netlify secret (is_secret)' : 'a GitHub secret',
    writtenAt: new Date().toISOString(),
  });
  // What init writes must load: a manifest it cannot read back is a bug, not a file to leave behind.
  await parseManifestText(yaml, manifestPath);

  if (seedPath && seedText !== undefined)
    await writeFileWhole(seedPath, seedText, { mode: 0o644, replace: options.force });
  await writeFileWhole(manifestPath, yaml, { mode: 0o644, replace: options.force });
  const dir = path.dirname(manifestPath);
  const rank = MANIFEST_NAMES.indexOf(path.basename(manifestPath));
  const shadowedBy = MANIFEST_NAMES.slice(0, Math.max(rank, 0))
    .map((name) => path.join(dir, name))
    .filter((file) => existsSync(file));
  return {
    manifestPath,
    ...(seedPath ? { seedPath } : {}),
    sourceId,
    prefer: options.prefer,
    targets: found.map((f) => ({
      id: f.target.id,
      label: targetLabel(f.target),
      keys: held.get(f.target.id)?.size ?? 0,
    })),
    draft,
    seeded,
    seedSkipped,
    shadowedBy,
  };
}
