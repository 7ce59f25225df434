/**
 * Serverless cost: each function's zip as `netlify build --offline` makes it, and its cold import
 * time, beside a hello-world function built the same way in the same run.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleFunctions, DEPLOY_DIR } from '../../src/build/functions.ts';
import type { BenchSection } from './report.ts';
import { median } from './report.ts';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const NETLIFY = path.join(ROOT, 'node_modules/.bin/netlify');

interface Built {
  readonly name: string;
  readonly zip: string;
}

async function build(cwd: string, env: Record<string, string> = {}): Promise<Built[]> {
  await run(NETLIFY, ['build', '--offline'], {
    cwd,
    env: { ...process.env, ...env },
    timeout: 300_000,
    maxBuffer: 32 * 1024 * 1024,
  });
  const manifest = JSON.parse(await readFile(path.join(cwd, '.netlify/functions/manifest.json'), 'utf8')) as {
    functions: { name: string; path: string }[];
  };
  return manifest.functions.map((f) => ({ name: f.name, zip: f.path }));
}

async function helloWorld(): Promise<Built> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hello-fn-'));
  await mkdir(path.join(dir, 'netlify/functions'), { recursive: true });
  await mkdir(path.join(dir, 'public'));
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'hello', type: 'module', private: true }),
  );
  await writeFile(
    path.join(dir, 'netlify.toml'),
    `[build]\n  publish = "public"\n[functions]\n  directory = "${DEPLOY_DIR}"\n  node_bundler = "none"\n`,
  );
  await writeFile(path.join(dir, 'public/index.html'), 'hello');
  await writeFile(
    path.join(dir, 'netlify/functions/hello.mts'),
    "export default () => new Response('hello');\nexport const config = { path: '/hello' };\n",
  );
  // Bundled by the same build step as ours (src/build/functions.ts), then packed by Netlify.
  await bundleFunctions(dir, undefined);
  const [hello] = await build(dir);
  if (!hello) throw new Error('the hello-world build made no function');
  return hello;
}

/** Median time to `import()` the function's entry from its unzipped bundle, each in a fresh Node. */
async function coldImport(fn: Built, runs = 7): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), `cold-${fn.name}-`));
  await run('unzip', ['-q', fn.zip, '-d', dir]);
  // The function's own module (what its first invocation imports), not Netlify's Lambda bootstrap.
  const entry = (await run('unzip', ['-Z1', fn.zip])).stdout
    .split('\n')
    .find((e) => e === `${DEPLOY_DIR}/${fn.name}.mjs` || e === `${fn.name}.mjs`);
  if (!entry) throw new Error(`no entry in ${fn.zip}`);
  const script = `const t = performance.now(); await import(${JSON.stringify(path.join(dir, entry))}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++)
    times.push(
      Number((await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir })).stdout),
    );
  return median(times);
}

async function sodiumLoad(fn: Built): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sodium-'));
  await run('unzip', ['-q', fn.zip, '-d', dir]);
  const script = `const t = performance.now(); const { default: s } = await import('libsodium-wrappers'); await s.ready; process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < 5; i++)
    times.push(
      Number((await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir })).stdout),
    );
  return median(times);
}

export async function benchFunctions(): Promise<BenchSection> {
  const hello = await helloWorld();
  // As deployed with the example YAML manifest, which the build parses into the bundles.
  const ours = await build(ROOT, { ENVSYNC_MANIFEST: 'docs/examples/sandbox.manifest.yaml' });
  const helloSize = (await stat(hello.zip)).size;
  const helloImport = await coldImport(hello);
  const rows: string[][] = [
    ['hello-world', (helloSize / 1024).toFixed(0), '1.00', helloImport.toFixed(0), ''],
  ];
  for (const fn of ours) {
    const size = (await stat(fn.zip)).size;
    const cold = await coldImport(fn);
    const seals = fn.name === 'sync-background';
    const sizeGoal = seals ? 'seals: no size goal' : `≤ 1.2×: ${size / helloSize <= 1.2 ? 'met' : 'missed'}`;
    rows.push([
      fn.name,
      (size / 1024).toFixed(0),
      (size / helloSize).toFixed(2),
      cold.toFixed(0),
      `${sizeGoal}; import ≤ 100 ms: ${cold <= 100 ? 'met' : 'missed'}`,
    ]);
  }
  const background = ours.find((f) => f.name === 'sync-background');
  if (background)
    rows.push([
      '(libsodium load + ready, in sync-background only, on first seal)',
      '',
      '',
      (await sodiumLoad(background)).toFixed(0),
      '',
    ]);
  return {
    title: 'Functions: zipped size and cold import',
    note:
      'Zips from `netlify build --offline` (what Netlify deploys), beside a hello-world function built the same way in the same run. Cold import: median of 7 fresh Node processes importing the unzipped entry. ' +
      'The build command bundles each door with esbuild (tree-shaken, minified; src/build/functions.ts) and Netlify ships that file as it is beside its bootstrap; left to itself Netlify would pack v2 functions with nft, copying each dependency’s files whole (1.66× hello-world before this step). YAML manifests are parsed at build time, so no function carries a YAML parser. libsodium (~570 KB zipped) is loaded through a specifier the bundler cannot trace and shipped with sync-background only.',
    headers: ['function', 'zip KB', '÷ hello-world', 'cold import ms', 'goals'],
    rows,
  };
}
