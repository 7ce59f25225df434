/**
 * `npm run contracts`: regenerates the vendored GitHub and Netlify contracts in src/sandbox/contracts/
 * from the providers' official npm packages, at the versions pinned below.
 *
 * The packages are fetched on demand with `npm pack` into a temporary folder (the GitHub one is a
 * 28 MB tarball, so it stays out of every user's `npm ci`). Only the paths the sandbox serves are
 * kept; `$ref`s are inlined so the sandbox reads one self-contained file per provider. Output is
 * deterministic: keys sorted, fixed indentation, so two runs write the same bytes.
 *
 * The Render contract is recorded real traffic, committed by hand (see src/sandbox/contracts/README.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ContractSource {
  /** The vendored file written under src/sandbox/contracts/. */
  output: string;
  packageName: string;
  version: string;
  /** The description inside the package. */
  file: string;
  /** Top-level fields kept besides `paths`. */
  keep: string[];
  /** Path → methods the sandbox serves (or reads as an official client does on its way). */
  paths: Record<string, string[]>;
}

const GITHUB_REPO = '/repos/{owner}/{repo}';
const GITHUB_ENV = `${GITHUB_REPO}/environments/{environment_name}`;
const GITHUB_ORG = '/orgs/{org}';

export const SOURCES: ContractSource[] = [
  {
    output: 'github-actions.openapi.json',
    packageName: '@octokit/openapi',
    version: '23.0.2',
    file: 'generated/api.github.com.deref.json',
    keep: ['openapi', 'info', 'servers'],
    paths: {
      [`${GITHUB_ORG}/actions/secrets`]: ['get'],
      [`${GITHUB_ORG}/actions/secrets/public-key`]: ['get'],
      [`${GITHUB_ORG}/actions/secrets/{secret_name}`]: ['get', 'put', 'delete'],
      [`${GITHUB_ORG}/actions/secrets/{secret_name}/repositories`]: ['get', 'put'],
      [`${GITHUB_ORG}/actions/secrets/{secret_name}/repositories/{repository_id}`]: ['put', 'delete'],
      [`${GITHUB_ORG}/actions/variables`]: ['get', 'post'],
      [`${GITHUB_ORG}/actions/variables/{name}`]: ['get', 'patch', 'delete'],
      [`${GITHUB_ORG}/actions/variables/{name}/repositories`]: ['get', 'put'],
      [`${GITHUB_ORG}/actions/variables/{name}/repositories/{repository_id}`]: ['put', 'delete'],
      [`${GITHUB_REPO}/actions/secrets`]: ['get'],
      [`${GITHUB_REPO}/actions/secrets/public-key`]: ['get'],
      [`${GITHUB_REPO}/actions/secrets/{secret_name}`]: ['get', 'put', 'delete'],
      [`${GITHUB_REPO}/actions/variables`]: ['get', 'post'],
      [`${GITHUB_REPO}/actions/variables/{name}`]: ['get', 'patch', 'delete'],
      [`${GITHUB_ENV}/secrets`]: ['get'],
      [`${GITHUB_ENV}/secrets/public-key`]: ['get'],
      [`${GITHUB_ENV}/secrets/{secret_name}`]: ['get', 'put', 'delete'],
      [`${GITHUB_ENV}/variables`]: ['get', 'post'],
      [`${GITHUB_ENV}/variables/{name}`]: ['get', 'patch', 'delete'],
      // Organisation repositories matched by a manifest pattern (issue #16).
      [`${GITHUB_ORG}/repos`]: ['get'],
      [`${GITHUB_ORG}/dependabot/secrets`]: ['get'],
      [`${GITHUB_ORG}/dependabot/secrets/public-key`]: ['get'],
      [`${GITHUB_ORG}/dependabot/secrets/{secret_name}`]: ['get', 'put', 'delete'],
      [`${GITHUB_ORG}/dependabot/secrets/{secret_name}/repositories`]: ['get', 'put'],
      [`${GITHUB_ORG}/dependabot/secrets/{secret_name}/repositories/{repository_id}`]: ['put', 'delete'],
      [`${GITHUB_REPO}/dependabot/secrets`]: ['get'],
      [`${GITHUB_REPO}/dependabot/secrets/public-key`]: ['get'],
      [`${GITHUB_REPO}/dependabot/secrets/{secret_name}`]: ['get', 'put', 'delete'],
      // GitHub App auth: find the installation, then buy an installation token with the app's JWT.
      [`${GITHUB_REPO}/installation`]: ['get'],
      [`${GITHUB_ORG}/installation`]: ['get'],
      '/app/installations/{installation_id}/access_tokens': ['post'],
    },
  },
  {
    output: 'netlify-env.swagger.json',
    packageName: '@netlify/open-api',
    version: '2.60.0',
    file: 'dist/swagger.json',
    keep: [
      'swagger',
      'info',
      'host',
      'basePath',
      'schemes',
      'consumes',
      'produces',
      'securityDefinitions',
      'security',
    ],
    paths: {
      '/accounts/{account_id}/env': ['get', 'post'],
      '/accounts/{account_id}/env/{key}': ['get', 'put', 'patch', 'delete'],
      '/accounts/{account_id}/env/{key}/value/{id}': ['delete'],
      // The description spells the site listing with the base path repeated; kept as published.
      '/api/v1/sites/{site_id}/env': ['get'],
      // Read by netlify-cli (and @netlify/api users) on their way to the env routes.
      '/sites': ['get'],
      '/sites/{site_id}': ['get'],
    },
  },
];

/** The vendored description: the kept fields, the chosen operations with `$ref`s inlined, and its origin. */
export function extractContract(source: ContractSource, doc: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const field of source.keep) if (doc[field] !== undefined) out[field] = doc[field];
  const allPaths = doc.paths as Record<string, Record<string, unknown>>;
  const paths: Record<string, unknown> = {};
  for (const [p, methods] of Object.entries(source.paths)) {
    const item = allPaths[p];
    if (!item) throw new Error(`${source.packageName}@${source.version} has no path ${p}`);
    const kept: Record<string, unknown> = {};
    if (item.parameters !== undefined) kept.parameters = item.parameters;
    for (const method of methods) {
      if (item[method] === undefined) throw new Error(`${source.packageName}: no ${method} ${p}`);
      kept[method] = item[method];
    }
    paths[p] = inlineRefs(kept, doc, []);
  }
  out.paths = paths;
  out['x-envsync-source'] = {
    package: source.packageName,
    version: source.version,
    file: source.file,
    generator: 'npm run contracts (scripts/contracts.ts)',
  };
  return sortKeys(out);
}

/** Replaces `{"$ref": "#/…"}` with the referenced part; a reference cycle is kept as a `$ref`. */
function inlineRefs(value: unknown, doc: Record<string, unknown>, seen: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => inlineRefs(item, doc, seen));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const ref = obj.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    if (seen.includes(ref)) return { type: 'object' }; // a cycle: the sandbox checks no deeper than this
    let target: unknown = doc;
    for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown>)[part];
    if (target === undefined) throw new Error(`unresolved ${ref}`);
    return inlineRefs(target, doc, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, inlineRefs(v, doc, seen)]));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/** Fetches one pinned package with `npm pack` and returns its description, parsed. */
function fetchDescription(source: ContractSource, workDir: string): Record<string, unknown> {
  const spec = `${source.packageName}@${source.version}`;
  const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', workDir], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  if (!tarball) throw new Error(`npm pack ${spec} printed no file name`);
  const into = path.join(workDir, tarball.replace(/\.tgz$/, ''));
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(workDir, tarball), '-C', into, `package/${source.file}`]);
  return JSON.parse(readFileSync(path.join(into, 'package', source.file), 'utf8')) as Record<string, unknown>;
}

function main(): void {
  const outDir = fileURLToPath(new URL('../src/sandbox/contracts/', import.meta.url));
  const workDir = mkdtempSync(path.join(tmpdir(), 'envsync-contracts-'));
  try {
    for (const source of SOURCES) {
      const contract = extractContract(source, fetchDescription(source, workDir));
      const file = path.join(outDir, source.output);
      writeFileSync(file, `${JSON.stringify(contract, null, 1)}\n`);
      console.log(`${source.output} ← ${source.packageName}@${source.version} ${source.file}`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
