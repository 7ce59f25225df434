/**
 * YAML manifests, parsed at build time for the deployed functions. A YAML parser would be the
 * largest thing in every function bundle, so the build parses the YAML manifests a deployed function
 * may read — the repository's `envsync.manifest.{yaml,yml}` and the one ENVSYNC_MANIFEST names —
 * validates them (a broken manifest fails the deploy, not the next drift check) and bundles the
 * results in place of src/config/yaml.ts, keyed by the SHA-256 of each file's text. A deployed
 * function that meets a YAML text the build did not parse says so and names the fix.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config/env.ts';
import { MANIFEST_NAMES, parseManifestText } from '../config/manifest.ts';

export interface BuiltManifest {
  /** Relative to the project root. */
  readonly file: string;
  readonly sha256: string;
  /** The parsed document, as JSON. */
  readonly json: string;
}

const isYaml = (file: string) => /\.ya?ml$/.test(file);

/** The YAML manifests a deployed function may read: the default names, and ENVSYNC_MANIFEST's. */
export async function yamlManifests(root: string, manifestEnv: string | undefined): Promise<BuiltManifest[]> {
  const candidates = new Set(['envsync.manifest.yaml', 'envsync.manifest.yml']);
  const named =
    manifestEnv && isYaml(manifestEnv) ? path.relative(root, path.resolve(root, manifestEnv)) : undefined;
  if (named) candidates.add(named);
  const built: BuiltManifest[] = [];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(path.join(root, file), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOENT' && file !== named) continue;
      throw new ConfigError(
        file === named
          ? `ENVSYNC_MANIFEST names ${file}, which the build cannot read (${code}). Fix the path or commit the file.`
          : `The build cannot read ${file} (${code}).`,
      );
    }
    // Parsed here by the real parser (the build runs from source), and validated.
    const { raw } = await parseManifestText(text, file);
    built.push({
      file,
      sha256: createHash('sha256').update(text).digest('hex'),
      json: JSON.stringify(raw),
    });
  }
  return built;
}

/** The module bundled in place of src/config/yaml.ts: the parsed manifests, no parser. */
export function builtYamlModule(manifests: readonly BuiltManifest[], configErrorModule: string): string {
  const entries = manifests.map((m) => [m.sha256, m.json]);
  const names = manifests.map((m) => m.file).join(', ') || 'none';
  return `import { createHash } from 'node:crypto';
import { ConfigError } from ${JSON.stringify(configErrorModule)};
const BUILT = new Map(${JSON.stringify(entries)});
export async function parseYaml(text, file) {
  const json = BUILT.get(createHash('sha256').update(text).digest('hex'));
  if (json !== undefined) return JSON.parse(json);
  throw new ConfigError(
    file + ' is not a YAML manifest this deploy was built with (built: ' + ${JSON.stringify(names)} + '). ' +
      'Deployed functions read YAML manifests as the build parsed them: set ENVSYNC_MANIFEST for the build and redeploy, or use a JSON manifest.',
  );
}
`;
}

/**
 * What the build log says when the deploy ships no manifest: the functions then take their targets
 * from the environment, which should be a choice, not a surprise. Undefined when there is one.
 */
export function manifestNotice(root: string, manifestEnv: string | undefined): string | undefined {
  if (manifestEnv) return undefined;
  if (MANIFEST_NAMES.some((name) => existsSync(path.join(root, name)))) return undefined;
  return (
    `EnvSync: no manifest (${MANIFEST_NAMES.join(', ')}) at the repository root and ENVSYNC_MANIFEST is unset: ` +
    'the deployed functions will take their targets from RENDER_SERVICE_ID, NETLIFY_SITE_ID and GITHUB_REPO. ' +
    'Commit a manifest (genesisctl init writes one) to declare the targets and keys.'
  );
}
