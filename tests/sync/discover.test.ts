/**
 * Targets declared by pattern (issue #16): an organisation's repositories matched by name become
 * targets when a sweep starts, over real HTTP to the GitHub sandbox, and the sweep's batches check
 * the repositories it matched then, whatever the organisation holds by the time they run.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../../src/config/env.ts';
import { loadProject } from '../../src/config/manifest.ts';
import type { Project } from '../../src/config/manifest.ts';
import { createAdapters } from '../../src/providers/index.ts';
import type { GitHubSandbox, GitHubSeed } from '../../src/sandbox/index.ts';
import { startGitHubSandbox } from '../../src/sandbox/index.ts';
import { expandPatterns } from '../../src/sync/discover.ts';
import { openRecords } from '../../src/sync/records.ts';
import { planSweep, runSweepBatch } from '../../src/sync/sweep.ts';
import { fingerprint, KEY, localBlobs } from '../store/helpers.ts';

const repo = (name: string, extra: { archived?: boolean } = {}) => ({
  owner: 'acme',
  name,
  variables: [{ name: 'API_URL', value: name === 'svc-003' ? 'https://old' : 'https://api' }],
  ...extra,
});
// 130 repositories: the listing takes two pages of 100.
const SEED: GitHubSeed = {
  orgs: [{ login: 'acme' }, { login: 'other' }],
  repos: [
    ...Array.from({ length: 120 }, (_, i) =>
      repo(`svc-${String(i).padStart(3, '0')}`, { archived: i === 7 }),
    ),
    ...Array.from({ length: 8 }, (_, i) => repo(`web-${i}`)),
    repo('svc-legacy-1'),
    repo('SVC-00X'),
    { owner: 'other', name: 'svc-000' },
  ],
};

let gh: GitHubSandbox;
let blobs: Awaited<ReturnType<typeof localBlobs>>;
let project: Project;

beforeEach(async () => {
  gh = await startGitHubSandbox({ seed: SEED });
  blobs = await localBlobs();
  const dir = await mkdtemp(path.join(tmpdir(), 'discover-'));
  await writeFile(
    path.join(dir, 'm.yaml'),
    [
      'source: manifest',
      'targets:',
      "  ci: { provider: github, store: variables, repos: { org: acme, match: 'svc-00?', exclude: 'svc-legacy*' } }",
      'keys:',
      '  API_URL: { value: https://api, targets: [ci] }',
      '',
    ].join('\n'),
  );
  project = await loadProject(path.join(dir, 'm.yaml'), loadEnvConfig({}));
});
afterEach(async () => {
  await blobs.close();
  await gh.close();
});

function context() {
  const now = () => new Date();
  const records = openRecords({ blobs, snapshotKey: () => KEY, fingerprint, now });
  const adapters = createAdapters({
    github: { token: gh.token, baseUrl: gh.url },
    render: { token: '' },
    netlify: { token: '' },
  });
  return { adapters, ledger: records.ledger, records, fingerprint, now };
}

const EXPECTED = ['000', '001', '002', '003', '004', '005', '006', '008', '009', '00x'].map(
  (n) => `ci-acme-svc-${n}`,
);

describe('targets declared by pattern', () => {
  it("match the organisation's repositories by name: archived and excluded ones left out, one listing", async () => {
    expect(project.targets.size).toBe(0);
    const ctx = context();
    gh.log.reset();
    const expanded = await expandPatterns(ctx, project);
    expect([...expanded.targets.keys()]).toEqual(EXPECTED);
    expect(expanded.targets.get('ci-acme-svc-00x')).toMatchObject({
      store: 'variables',
      scope: { kind: 'repo', owner: 'acme', repo: 'SVC-00X' },
    });
    // A key naming the pattern's target goes to each repository it matched.
    expect(expanded.route(['API_URL'], 'manifest')['API_URL']?.targets).toEqual(EXPECTED);
    expect(gh.log.counts()).toEqual({ 'GET /orgs/{org}/repos': 2 });
    // Expanded once: asking again lists nothing.
    await expandPatterns(ctx, expanded);
    expect(gh.log.counts()).toEqual({ 'GET /orgs/{org}/repos': 2 });
  });

  it('a sweep keeps what it matched: its batches check those repositories, not the ones there now', async () => {
    const ctx = context();
    const sweep = await planSweep(ctx, project, { batchSize: 100 });
    expect(sweep.targets).toEqual(EXPECTED);
    expect(sweep.found?.['ci']).toHaveLength(10);
    // Between the plan and the batch, a matching repository appears and one is archived.
    gh.inspect.reset({
      ...SEED,
      repos: [
        ...(SEED.repos ?? []).map((r) => (r.name === 'svc-001' ? { ...r, archived: true } : r)),
        repo('svc-00z'),
      ],
    });
    const ran = await runSweepBatch(ctx, project, sweep.id, 0);
    expect(ran).toMatchObject({ remaining: 0, claimed: true });
    const summary = await ctx.records.sweeps.get(sweep.id);
    const checked = Object.keys(summary?.batches[0]?.checked ?? {});
    expect(checked.sort()).toEqual(EXPECTED);
    expect(summary?.counts).toMatchObject({ targets: 10, checked: 10, drifted: 1, failed: 0 });
  });

  it('names what is wrong in a pattern', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'discover-bad-'));
    const file = path.join(dir, 'm.json');
    for (const [repos, message] of [
      [{ org: 'acme' }, 'match'],
      [{ org: 'acme', match: 'svc/*' }, 'must be a repository name pattern'],
      [{ org: 'a b', match: '*' }, 'must be a GitHub organisation login'],
      [{ org: 'acme', match: '*', archive: true }, 'did you mean "archived"'],
      ['acme/*', 'must be a list of owner/repo, or { org, match }'],
    ] as const) {
      await writeFile(file, JSON.stringify({ targets: { ci: { provider: 'github', repos } } }));
      await expect(loadProject(file, loadEnvConfig({}))).rejects.toThrow(message);
    }
    await writeFile(
      file,
      JSON.stringify({
        source: 'ci',
        targets: { ci: { provider: 'github', repos: { org: 'acme', match: '*' } } },
      }),
    );
    await expect(loadProject(file, loadEnvConfig({}))).rejects.toThrow('source: "ci" lists many targets');
  });
});
