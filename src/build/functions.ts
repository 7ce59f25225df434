/**
 * Bundles the function doors for deployment. Left to itself, Netlify packs v2 functions with nft,
 * which copies every file a function imports whole — valibot, the YAML parser, @netlify/blobs and
 * our sources one by one — or re-bundles them unminified. Here esbuild bundles each door into one
 * tree-shaken, minified file, and netlify.toml tells Netlify to ship it as it is
 * (`node_bundler = "none"`), beside its bootstrap.
 *
 * Each door `netlify/functions/<name>.mts` becomes `dist/functions/<name>.mjs`: the bundle, then
 * the door's `config` written out as a literal, where Netlify reads it when it builds (schedule,
 * path). `netlify dev` keeps serving the source doors (`[context.dev.functions]` in netlify.toml).
 *
 * Packages imported through `lateImport` (libsodium, the local Blobs server) stay outside the
 * bundles: netlify.toml ships libsodium with the function that seals, and no other.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { builtYamlModule, yamlManifests, type BuiltManifest } from './manifests.ts';

export const DOORS_DIR = 'netlify/functions';
export const DEPLOY_DIR = 'dist/functions';

const DOOR = /^(?<name>[a-z0-9-]+)\.m?[jt]s$/;

export interface BundledFunction {
  readonly name: string;
  /** The bundled door Netlify ships, relative to the project root. */
  readonly file: string;
  readonly bytes: number;
  /** Bytes of the bundle each package (or `src/<dir>`) contributes. */
  readonly contributions: Record<string, number>;
}

/** Which package, or which `src/` folder, an input of the bundle belongs to. */
function owner(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = input.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? input);
  }
  return input.split('/').slice(0, 2).join('/');
}

function contributions(metafile: Metafile): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs))
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
      totals[owner(input)] = (totals[owner(input)] ?? 0) + bytesInOutput;
  return totals;
}

/** The door's `config` export (schedule, path…), read from the source door. */
async function doorConfig(file: string): Promise<unknown> {
  const door = (await import(pathToFileURL(file).href)) as { default?: unknown; config?: unknown };
  if (typeof door.default !== 'function')
    throw new Error(`${file} has no default export: a function door exports its handler as default.`);
  return door.config;
}

/** Bundles the YAML manifests the build parsed in place of the YAML parser. */
function builtManifestsPlugin(root: string, manifests: readonly BuiltManifest[]): Plugin {
  return {
    name: 'envsync-built-manifests',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]config[\\/]yaml\.ts$/ }, () => ({
        contents: builtYamlModule(manifests, path.join(root, 'src/config/env.ts')),
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}

/**
 * Bundles every door under `<root>/netlify/functions`; returns what it wrote and the YAML
 * manifests parsed for them (`manifestEnv`: ENVSYNC_MANIFEST as the deploy sets it).
 */
export async function bundleFunctions(
  root: string,
  manifestEnv: string | undefined = process.env['ENVSYNC_MANIFEST'],
): Promise<{ functions: BundledFunction[]; manifests: BuiltManifest[] }> {
  const manifests = await yamlManifests(root, manifestEnv);
  const doors = (await readdir(path.join(root, DOORS_DIR)))
    .map((file) => ({ file, name: DOOR.exec(file)?.groups?.['name'] }))
    .filter((d): d is { file: string; name: string } => d.name !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  await rm(path.join(root, 'dist'), { recursive: true, force: true });
  await mkdir(path.join(root, DEPLOY_DIR), { recursive: true });
  const built: BundledFunction[] = [];
  for (const { file, name } of doors) {
    const source = path.join(root, DOORS_DIR, file);
    const out = path.join(DEPLOY_DIR, `${name}.mjs`);
    const config = await doorConfig(source);
    const result = await build({
      // Only the handler: the config is appended below as a literal Netlify can read.
      stdin: {
        contents: `export { default } from ${JSON.stringify(source)};`,
        resolveDir: root,
        sourcefile: `${name}.entry.mjs`,
        loader: 'js',
      },
      outfile: path.join(root, out),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      metafile: true,
      write: false,
      logLevel: 'warning',
      plugins: [builtManifestsPlugin(root, manifests)],
      // CommonJS dependencies (dotenv) call require() for Node built-ins.
      banner: {
        js: `// Built by src/build/functions.ts from ${DOORS_DIR}/${file}; do not edit.\nimport { createRequire as __envsyncRequire } from 'node:module'; const require = __envsyncRequire(import.meta.url);`,
      },
    });
    const [output] = result.outputFiles;
    if (!output) throw new Error(`esbuild wrote nothing for ${file}`);
    const text =
      output.text + (config === undefined ? '' : `export const config = ${JSON.stringify(config)};\n`);
    await writeFile(path.join(root, out), text);
    built.push({
      name,
      file: out,
      bytes: Buffer.byteLength(text),
      contributions: contributions(result.metafile),
    });
  }
  return { functions: built, manifests };
}
